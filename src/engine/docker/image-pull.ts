/**
 * Pulling one image through the Engine API (`POST /images/create`), with the registry's credentials
 * from the docker config file and progress as compose shows it: `Image <ref>` Pulling -> Pulled, with the
 * layers' progress as the line's text unless quiet.
 */
import type Dockerode from 'dockerode';

import { ComposeError } from '../../project/errors.js';
import type { ImageProgress } from '../types.js';
import { engineMessage } from './engine-errors.js';
import { LostEngineError } from './lost-connection.js';
import { engineStream, jsonMessages, type JsonMessage } from './engine-stream.js';
import { parseImageReference } from './image-reference.js';
import { registryAuth } from './registry-auth.js';

export interface PullOptions {
  /** The services that use the image, for error messages. */
  services: string[];
  /** No per-layer progress. */
  quiet?: boolean;
  /** The docker config file with credentials (default: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  configFile?: string;
}

/** Pulls `image`; throws a ComposeError naming the services and the image with the engine's reason. */
export async function pullImage(
  docker: Dockerode,
  image: string,
  options: PullOptions,
  onProgress: (event: ImageProgress) => void,
): Promise<void> {
  const resource = `Image ${image}`;
  const report = (status: 'working' | 'done', message: string): void =>
    onProgress({ type: 'image', id: resource, resource, status, message });
  report('working', 'Pulling');
  const auth = registryAuth(image, options.configFile);
  const { fromImage, tag } = pullQuery(image);
  let failure: string | undefined;
  try {
    const stream = await engineStream(docker, {
      path: '/images/create',
      query: tag === undefined ? { fromImage } : { fromImage, tag },
      ...(auth === undefined ? {} : { auth }),
    });
    for await (const message of jsonMessages(stream)) {
      if (message.error !== undefined || message.errorDetail?.message !== undefined) {
        failure = message.errorDetail?.message ?? message.error;
        break;
      }
      if (options.quiet !== true) {
        const text = layerProgress(message);
        if (text !== undefined) report('working', text);
      }
    }
  } catch (error) {
    if (error instanceof LostEngineError) throw error;
    failure = engineMessage(error);
  }
  if (failure !== undefined) throw pullError(image, options.services, failure);
  report('done', 'Pulled');
}

/** `/images/create` takes the name and the tag (or digest) apart; a bare name means `latest`. */
export function pullQuery(image: string): { fromImage: string; tag?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { fromImage: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/'))
    return { fromImage: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { fromImage: image, tag: 'latest' };
}

/** `3f5ef9003cef: Downloading 3.2MB/10MB`, as the docker CLI prints a layer's line. */
export function layerProgress(message: JsonMessage): string | undefined {
  if (message.id === undefined || message.status === undefined) return undefined;
  // The first line names the tag being pulled (`latest: Pulling from ...`), not a layer.
  if (message.status.startsWith('Pulling from')) return undefined;
  const current = message.progressDetail?.current;
  const total = message.progressDetail?.total;
  let text = `${message.id}: ${message.status}`;
  if (current !== undefined && total !== undefined && total > 0) {
    text += ` ${humanSize(current)}/${humanSize(total)}`;
  } else if (current !== undefined && current > 0) {
    text += ` ${humanSize(current)}`;
  }
  return text;
}

/** Decimal sizes with four significant digits, as go-units' HumanSize: `3.245MB`, `512B`. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number(value.toPrecision(4))}${units[unit]!}`;
}

function pullError(image: string, services: string[], reason: string): ComposeError {
  const who = services.map((name) => `"${name}"`).join(', ');
  const registry = parseImageReference(image).domain;
  return new ComposeError(
    `service${services.length > 1 ? 's' : ''} ${who}: cannot pull image "${image}": ${reason}`,
    { hint: pullHint(reason, registry) },
  );
}

function pullHint(reason: string, registry: string): string {
  const text = reason.toLowerCase();
  if (/manifest unknown|not found|does not exist|repository .* not found/.test(text)) {
    return `check the image name and tag; if the image is private, log in to ${registry} with \`docker login ${registry}\``;
  }
  if (/unauthorized|authentication required|denied/.test(text)) {
    return `log in to ${registry} with \`docker login ${registry}\`, or check that you may read this repository`;
  }
  if (
    /connection refused|no such host|timeout|i\/o timeout|network is unreachable|dial tcp|lookup/.test(text)
  ) {
    return `the registry ${registry} cannot be reached from the Docker engine: check the image name and the network, or make the image available locally (build it, or \`docker load\` it) and set pull_policy: never`;
  }
  return `check the image name and that the registry ${registry} is reachable from the Docker engine`;
}
