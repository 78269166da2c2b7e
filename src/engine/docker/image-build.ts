/**
 * Building a service's image through the Engine API's classic builder (`POST /build` with a tar of the
 * context), as docker compose's classic build does: tagged with the service's image name and
 * build.tags, with args, target, labels, network, extra_hosts, shm_size, no_cache, pull, cache_from,
 * ulimits and one platform. What that builder cannot honour is a warning naming the attribute.
 */
import { Readable } from 'node:stream';

import type Dockerode from 'dockerode';

import { isRemoteContext } from '../../project/paths.js';
import { ComposeError } from '../../project/errors.js';
import type { BuildConfig } from '../../project/types.js';
import type { ImageProgress } from '../types.js';
import { type BuildContextSpec, dockerfileSource, packBuildContext } from './build-context.js';
import { engineMessage } from './engine-errors.js';
import { LostEngineError } from './lost-connection.js';
import { engineStream, jsonMessages } from './engine-stream.js';

export interface ImageBuild {
  serviceName: string;
  build: BuildConfig;
  /** The image's name: the service's `image`, or `<project>-<service>`. */
  image: string;
}

/** /build's query parameters (API 1.41). */
export interface BuildQuery {
  t: string[];
  dockerfile?: string;
  remote?: string;
  buildargs?: string;
  labels?: string;
  target?: string;
  networkmode?: string;
  extrahosts?: string[];
  shmsize?: number;
  nocache?: boolean;
  pull?: boolean;
  cachefrom?: string;
  ulimits?: string;
  platform?: string;
  rm: boolean;
  forcerm: boolean;
}

/** The query for `target`, without the context-dependent `dockerfile` (pure; see buildServiceImage). */
export function buildQuery(target: ImageBuild): BuildQuery {
  const build = target.build;
  const query: BuildQuery = {
    t: [...new Set([target.image, ...(build.tags ?? [])])],
    // Intermediate containers are removed even when a step fails, so failed builds leave nothing behind.
    rm: true,
    forcerm: true,
  };
  const args = Object.entries(build.args ?? {}).filter(
    (entry): entry is [string, string] => entry[1] !== null,
  );
  // A null arg is one the loader found no value for in the environment: compose leaves it unset.
  if (args.length > 0) query.buildargs = JSON.stringify(Object.fromEntries(args));
  if (build.labels !== undefined && Object.keys(build.labels).length > 0)
    query.labels = JSON.stringify(build.labels);
  if (build.target !== undefined) query.target = build.target;
  if (build.network !== undefined) query.networkmode = build.network;
  const hosts = Object.entries(build.extra_hosts ?? {}).flatMap(([host, ips]) =>
    ips.map((ip) => `${host}:${ip}`),
  );
  if (hosts.length > 0) query.extrahosts = hosts;
  if (build.shm_size !== undefined) query.shmsize = build.shm_size;
  if (build.no_cache === true) query.nocache = true;
  if (build.pull === true) query.pull = true;
  if (build.cache_from !== undefined && build.cache_from.length > 0)
    query.cachefrom = JSON.stringify(build.cache_from);
  if (build.ulimits !== undefined && Object.keys(build.ulimits).length > 0) {
    query.ulimits = JSON.stringify(
      Object.entries(build.ulimits).map(([name, limit]) =>
        typeof limit === 'number'
          ? { Name: name, Soft: limit, Hard: limit }
          : { Name: name, Soft: limit.soft, Hard: limit.hard },
      ),
    );
  }
  if (build.platforms !== undefined && build.platforms.length > 0) query.platform = build.platforms[0]!;
  return query;
}

/** One sentence per build attribute the classic builder cannot honour. */
export function buildWarnings(serviceName: string, build: BuildConfig): string[] {
  const warnings: string[] = [];
  const unsupported = (attribute: string, why: string): void => {
    warnings.push(`service "${serviceName}": build.${attribute} is ignored: ${why}`);
  };
  const needsBuildKit = "the Docker engine's classic builder, which berth uses, does not support it";
  if (build.ssh !== undefined && build.ssh.length > 0) unsupported('ssh', needsBuildKit);
  if (build.secrets !== undefined && build.secrets.length > 0) unsupported('secrets', needsBuildKit);
  if (build.additional_contexts !== undefined && Object.keys(build.additional_contexts).length > 0) {
    unsupported('additional_contexts', needsBuildKit);
  }
  if (build.cache_to !== undefined && build.cache_to.length > 0) unsupported('cache_to', needsBuildKit);
  if (build.platforms !== undefined && build.platforms.length > 1) {
    unsupported('platforms', `the classic builder builds one platform; only ${build.platforms[0]!} is built`);
  }
  if (build.privileged === true) unsupported('privileged', needsBuildKit);
  if (build.entitlements !== undefined && build.entitlements.length > 0)
    unsupported('entitlements', needsBuildKit);
  if (build.isolation !== undefined)
    unsupported('isolation', "the builder uses the engine's default isolation");
  return warnings;
}

/**
 * Builds and tags the image; build output goes to `onProgress` line by line. A failed step is a
 * ComposeError naming the service, the step and the builder's message.
 */
export async function buildServiceImage(
  docker: Dockerode,
  target: ImageBuild,
  onProgress: (event: ImageProgress) => void,
): Promise<void> {
  const resource = `Service ${target.serviceName}`;
  const report = (status: 'working' | 'done' | 'error', message: string): void =>
    onProgress({ type: 'image', id: resource, resource, status, message });
  for (const warning of buildWarnings(target.serviceName, target.build))
    onProgress({ type: 'warning', message: warning });
  report('working', 'Building');

  const query = buildQuery(target);
  let body: NodeJS.ReadableStream;
  if (isRemoteContext(target.build.context)) {
    // The engine fetches a git or URL context itself.
    query.remote = target.build.context;
    if (target.build.dockerfile !== undefined) query.dockerfile = target.build.dockerfile;
    body = Readable.from([]);
  } else {
    const packed = await packBuildContext(contextSpec(target));
    query.dockerfile = packed.dockerfile;
    body = packed.stream;
  }

  let step: string | undefined;
  let failure: string | undefined;
  try {
    const stream = await engineStream(docker, { path: '/build', query: { ...query }, body });
    for await (const message of jsonMessages(stream)) {
      if (message.error !== undefined || message.errorDetail?.message !== undefined) {
        failure = message.errorDetail?.message ?? message.error;
        break;
      }
      for (const line of (message.stream ?? message.status ?? '').split('\n')) {
        const text = line.trimEnd();
        if (text === '') continue;
        if (/^Step \d+\/\d+ : /.test(text)) step = text;
        report('working', text);
      }
    }
  } catch (error) {
    if (error instanceof LostEngineError) throw error;
    failure = error instanceof ComposeError ? error.problem : engineMessage(error);
  }
  if (failure !== undefined) {
    report('error', failure);
    const where = step === undefined ? '' : ` at "${step}"`;
    throw new ComposeError(
      `service "${target.serviceName}": building image "${target.image}" failed${where}: ${failure}`,
      {
        keyPath: ['services', target.serviceName, 'build'],
        hint: 'fix the Dockerfile or the build settings; the build output above shows the failing step',
      },
    );
  }
  report('done', 'Built');
}

/**
 * The images a build starts FROM (build stages excluded, build args and ARG defaults substituted), so
 * builds that start from another service's image can wait for it. Remote contexts: none known.
 */
export async function buildBaseImages(target: ImageBuild): Promise<string[]> {
  if (isRemoteContext(target.build.context)) return [];
  const source = await dockerfileSource(contextSpec(target));
  return dockerfileBaseImages(source.content, target.build.args ?? {});
}

/** Where a service's build context and Dockerfile are. */
function contextSpec(target: ImageBuild): BuildContextSpec {
  return {
    serviceName: target.serviceName,
    context: target.build.context,
    ...(target.build.dockerfile === undefined ? {} : { dockerfile: target.build.dockerfile }),
    ...(target.build.dockerfile_inline === undefined
      ? {}
      : { dockerfileInline: target.build.dockerfile_inline }),
  };
}

/** FROM images of a Dockerfile's text (pure). */
export function dockerfileBaseImages(content: string, args: Record<string, string | null>): string[] {
  const values = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  const instructions = content.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of instructions) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...words] = line.split(/\s+/);
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && !seenFrom) {
      for (const word of words) {
        const eq = word.indexOf('=');
        const name = eq < 0 ? word : word.slice(0, eq);
        const given = args[name];
        const value = given ?? (eq < 0 ? undefined : word.slice(eq + 1).replace(/^["']|["']$/g, ''));
        if (value !== undefined) values.set(name, value);
      }
    }
    if (upper !== 'FROM') continue;
    seenFrom = true;
    const operands = words.filter((word) => !word.startsWith('--'));
    const image = substitute(operands[0] ?? '', values);
    if (operands[1]?.toLowerCase() === 'as' && operands[2] !== undefined)
      stages.add(operands[2].toLowerCase());
    if (image !== '' && image.toLowerCase() !== 'scratch' && !stages.has(image.toLowerCase()))
      images.push(image);
  }
  return [...new Set(images)];
}

function substitute(text: string, values: Map<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_all, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      return values.get(name) ?? fallback ?? '';
    },
  );
}
