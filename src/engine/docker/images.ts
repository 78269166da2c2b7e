/**
 * Making sure the images of the services about to run exist, as docker compose v2 does before
 * creating containers: pull what each service's pull_policy (or `--pull`) asks for, each image once and
 * in parallel; then build the services with `build:` whose image is missing (all of them with
 * `--build`, or pull_policy: build), in parallel except that a build FROM another service's image
 * waits for that build. A failed pull of an image that can be built is a warning: it is built instead.
 */
import type Dockerode from 'dockerode';

import { parseDuration } from '../../project/canonical/durations.js';
import { ComposeError } from '../../project/errors.js';
import type { Service } from '../../project/types.js';
import { serviceImage } from '../../reconcile/create-request.js';
import type { ImageProgress, ImagesRequest } from '../types.js';
import { engineMessage, statusOf } from './engine-errors.js';
import { LostEngineError } from './lost-connection.js';
import { buildBaseImages, buildServiceImage, type ImageBuild } from './image-build.js';
import { pullImage } from './image-pull.js';
import { normalizedImage } from './image-reference.js';

export type PullPolicy =
  | { kind: 'always' | 'never' | 'missing' | 'build' }
  /** daily, weekly, every_<duration>: pull when the local image was tagged longer ago than `maxAgeMs`. */
  | { kind: 'refresh'; maxAgeMs: number };

/** A service's pull_policy (`--pull` wins); a ComposeError for a value compose does not know. */
export function pullPolicy(
  serviceName: string,
  service: Service,
  override?: ImagesRequest['pull'],
): PullPolicy {
  if (override !== undefined) return { kind: override };
  const value = (service.pull_policy ?? 'missing').trim().toLowerCase();
  if (value === 'always' || value === 'never' || value === 'missing' || value === 'build')
    return { kind: value };
  if (value === 'if_not_present') return { kind: 'missing' };
  if (value === 'daily') return { kind: 'refresh', maxAgeMs: 24 * 3600_000 };
  if (value === 'weekly') return { kind: 'refresh', maxAgeMs: 7 * 24 * 3600_000 };
  if (value.startsWith('every_')) {
    try {
      const maxAgeMs = parseDuration(value.slice('every_'.length));
      if (maxAgeMs > 0) return { kind: 'refresh', maxAgeMs };
    } catch {
      // Reported below with the service and key.
    }
  }
  throw new ComposeError(`service "${serviceName}": invalid pull_policy "${service.pull_policy ?? ''}"`, {
    keyPath: ['services', serviceName, 'pull_policy'],
    hint: 'use always, never, missing, if_not_present, build, daily, weekly or every_<duration> (every_12h)',
  });
}

/** What the engine has of an image: when it was last tagged (pulled, built, tagged), else created. */
export interface LocalImage {
  taggedAt: Date;
}

export async function inspectLocalImage(docker: Dockerode, image: string): Promise<LocalImage | undefined> {
  // The engine reports Metadata.LastTagTime; the typings miss it.
  let info: Dockerode.ImageInspectInfo & { Metadata?: { LastTagTime?: string } };
  try {
    info = await docker.getImage(image).inspect();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    if (error instanceof LostEngineError) throw error;
    throw new ComposeError(`cannot inspect image "${image}": ${engineMessage(error)}`, {
      hint: 'check that the Docker engine is running and answers',
      cause: error,
    });
  }
  // Compose measures a refresh policy's age from LastTagTime; images that were never tagged locally
  // (Go's zero time) fall back to their creation time.
  const tagged = Date.parse(info.Metadata?.LastTagTime ?? '');
  const taggedAt = Number.isNaN(tagged) || tagged <= 0 ? new Date(info.Created) : new Date(tagged);
  return { taggedAt };
}

interface ServiceImage {
  name: string;
  service: Service;
  image: string;
  policy: PullPolicy;
}

export async function prepareImages(
  docker: Dockerode,
  request: ImagesRequest,
  onProgress: (event: ImageProgress) => void,
): Promise<void> {
  const services: ServiceImage[] = Object.entries(request.services).map(([name, service]) => ({
    name,
    service,
    image: serviceImage(request.project.name, name, service),
    policy: pullPolicy(name, service, request.pull),
  }));
  const local = new Map<string, LocalImage | undefined>();
  const lookUp = async (images: string[]): Promise<void> => {
    await Promise.all(
      [...new Set(images)].map(async (image) => {
        local.set(image, await inspectLocalImage(docker, image));
      }),
    );
  };
  await lookUp(services.map((s) => s.image));

  // Images some service builds here: a failed pull of them is not fatal.
  const buildable = new Set(
    request.build === 'never'
      ? []
      : services.filter((s) => s.service.build !== undefined).map((s) => normalizedImage(s.image)),
  );

  await pullImages(docker, request, services, local, buildable, onProgress);
  await lookUp(services.filter((s) => s.service.build !== undefined).map((s) => s.image));
  await buildImages(docker, request, services, local, onProgress);
}

/** Which images to pull, and pulling them (each once, in parallel). */
async function pullImages(
  docker: Dockerode,
  request: ImagesRequest,
  services: ServiceImage[],
  local: Map<string, LocalImage | undefined>,
  buildable: Set<string>,
  onProgress: (event: ImageProgress) => void,
): Promise<void> {
  const pulls = new Map<string, string[]>();
  const now = Date.now();
  for (const entry of services) {
    // A service without `image:` runs the image it builds: there is nothing to pull.
    if (entry.service.image === undefined) continue;
    const builds = entry.service.build !== undefined && request.build !== 'never';
    // Built in any case (--build, pull_policy: build): pulling it first would be wasted.
    if (builds && (request.build === 'always' || entry.policy.kind === 'build')) continue;
    const present = local.get(entry.image);
    let pull: boolean;
    switch (entry.policy.kind) {
      case 'always':
        pull = true;
        break;
      case 'never':
      case 'build':
        pull = false;
        if (present === undefined && !buildable.has(normalizedImage(entry.image))) {
          const why =
            request.pull === undefined
              ? `pull_policy is ${entry.service.pull_policy ?? 'never'}`
              : `--pull ${request.pull} was given`;
          throw new ComposeError(
            `service "${entry.name}": image "${entry.image}" is not present locally and ${why}`,
            {
              keyPath: ['services', entry.name, 'pull_policy'],
              hint: 'pull it (`berth pull`, with pull_policy missing or always), build or load it, or change pull_policy',
            },
          );
        }
        break;
      case 'missing':
        pull = present === undefined;
        break;
      case 'refresh':
        pull = present === undefined || now - present.taggedAt.getTime() > entry.policy.maxAgeMs;
        break;
    }
    if (!pull) continue;
    const users = pulls.get(entry.image) ?? [];
    users.push(entry.name);
    pulls.set(entry.image, users);
  }

  const results = await Promise.allSettled(
    [...pulls].map(async ([image, users]) => {
      try {
        await pullImage(docker, image, { services: users, quiet: request.quiet === true }, onProgress);
      } catch (error) {
        const resource = `Image ${image}`;
        const pullFailed = error instanceof ComposeError && !(error instanceof LostEngineError);
        if (buildable.has(normalizedImage(image)) && pullFailed) {
          // As compose: an image that can be built is built when it cannot be pulled.
          onProgress({ type: 'warning', message: `${error.problem}; it will be built instead` });
          onProgress({
            type: 'image',
            id: resource,
            resource,
            status: 'done',
            message: 'Skipped: will be built',
          });
          return;
        }
        onProgress({
          type: 'image',
          id: resource,
          resource,
          status: 'error',
          message: error instanceof ComposeError ? error.problem : String(error),
        });
        throw error;
      }
    }),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** Which services to build, and building them: in parallel, a build FROM another's image after it. */
async function buildImages(
  docker: Dockerode,
  request: ImagesRequest,
  services: ServiceImage[],
  local: Map<string, LocalImage | undefined>,
  onProgress: (event: ImageProgress) => void,
): Promise<void> {
  const builds = new Map<string, ImageBuild>();
  for (const entry of services) {
    const build = entry.service.build;
    if (build === undefined) continue;
    const present = local.get(entry.image) !== undefined;
    if (request.build === 'never') {
      if (!present) {
        throw new ComposeError(
          `service "${entry.name}": image "${entry.image}" is missing and building is turned off (--no-build)`,
          { keyPath: ['services', entry.name, 'build'], hint: 'run with --build, or without --no-build' },
        );
      }
      continue;
    }
    const wanted = request.build === 'always' || entry.policy.kind === 'build' || !present;
    // Services sharing an image name build it once.
    const key = normalizedImage(entry.image);
    if (wanted && !builds.has(key)) builds.set(key, { serviceName: entry.name, build, image: entry.image });
  }
  if (builds.size === 0) return;

  // Each build's dependencies: the other builds producing an image it starts FROM.
  const produces = new Map<string, string>();
  for (const [key, target] of builds) {
    produces.set(key, key);
    for (const tag of target.build.tags ?? []) produces.set(normalizedImage(tag), key);
  }
  const dependencies = new Map<string, string[]>();
  await Promise.all(
    [...builds].map(async ([key, target]) => {
      const bases = await buildBaseImages(target);
      const deps = bases
        .map((base) => produces.get(normalizedImage(base)))
        .filter((dep): dep is string => dep !== undefined && dep !== key);
      dependencies.set(key, [...new Set(deps)]);
    }),
  );
  checkCycles(builds, dependencies);

  const running = new Map<string, Promise<void>>();
  const start = (key: string): Promise<void> => {
    let promise = running.get(key);
    if (promise === undefined) {
      promise = (async () => {
        await Promise.all((dependencies.get(key) ?? []).map(start));
        await buildServiceImage(docker, builds.get(key)!, onProgress);
      })();
      running.set(key, promise);
    }
    return promise;
  };
  const results = await Promise.allSettled([...builds.keys()].map(start));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

function checkCycles(builds: Map<string, ImageBuild>, dependencies: Map<string, string[]>): void {
  const done = new Set<string>();
  const visit = (key: string, path: string[]): void => {
    if (done.has(key)) return;
    if (path.includes(key)) {
      const names = [...path.slice(path.indexOf(key)), key].map((k) => builds.get(k)!.serviceName);
      throw new ComposeError(`builds depend on each other's images in a cycle: ${names.join(' -> ')}`, {
        hint: "change a Dockerfile's FROM so that one of these images is built from something else",
      });
    }
    for (const dep of dependencies.get(key) ?? []) visit(dep, [...path, key]);
    done.add(key);
  };
  for (const key of builds.keys()) visit(key, []);
}

/**
 * Removes an image by name (untags it, and deletes it when no tag is left), never forcing: an image a
 * container uses is a ComposeError naming that container. False when there was no such image.
 */
export async function removeImage(docker: Dockerode, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).remove();
    return true;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return false;
    if (status === 409) {
      const users = await containersUsing(docker, name);
      const who = users.length > 0 ? `container ${users.join(', ')} uses it` : engineMessage(error);
      throw new ComposeError(`cannot remove image "${name}": ${who}`, {
        hint: 'remove the containers that use it first (berth down, or docker rm)',
        cause: error,
      });
    }
    if (error instanceof LostEngineError) throw error;
    throw new ComposeError(`cannot remove image "${name}": ${engineMessage(error)}`, {
      hint: 'check that the Docker engine is running and answers',
      cause: error,
    });
  }
}

async function containersUsing(docker: Dockerode, image: string): Promise<string[]> {
  try {
    const containers = await docker.listContainers({ all: true, filters: { ancestor: [image] } });
    return containers.map((c) => (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''));
  } catch {
    return [];
  }
}
