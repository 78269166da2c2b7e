/**
 * Reaching a Docker Engine API: DOCKER_HOST (`unix://PATH`, `tcp://HOST:PORT`, with DOCKER_TLS_VERIFY
 * and DOCKER_CERT_PATH for TLS), else the default socket — the same variables the docker CLI reads, so
 * Podman's Docker-compatible socket works too. Connecting checks that an engine answers and says
 * clearly where it looked when none does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import Dockerode from 'dockerode';

import { ComposeError } from '../../project/errors.js';
import { reportLostEngine } from './lost-connection.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface DockerEndpoint {
  /** What the user would recognise: `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`. */
  address: string;
  options: Dockerode.DockerOptions;
}

export interface DockerConnection {
  docker: Dockerode;
  address: string;
  /** The API version both sides speak (the engine's, as reported by /version). */
  apiVersion: string;
  /** The engine's own version (`20.10.24`, Podman's ...). */
  engineVersion: string;
}

/** Where the environment says the engine is; throws a ComposeError for an address berth cannot use. */
export function dockerEndpoint(env: Record<string, string | undefined>): DockerEndpoint {
  const host = (env.DOCKER_HOST ?? '').trim();
  if (host === '') return { address: `unix://${DEFAULT_SOCKET}`, options: { socketPath: DEFAULT_SOCKET } };
  const match = /^([a-z]+):\/\/(.*)$/.exec(host);
  const scheme = match?.[1];
  const rest = match?.[2] ?? '';
  if (scheme === 'unix') {
    if (rest === '') throw badHost(host, 'a unix address needs a socket path: unix:///var/run/docker.sock');
    return { address: host, options: { socketPath: rest } };
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    const url = parseUrl(host.replace(/^tcp:/, 'http:'), host);
    const tls = scheme === 'https' || truthy(env.DOCKER_TLS_VERIFY) || truthy(env.DOCKER_TLS);
    const port = url.port === '' ? (tls ? 2376 : 2375) : Number(url.port);
    const options: Dockerode.DockerOptions = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      protocol: tls ? 'https' : 'http',
    };
    if (tls) Object.assign(options, tlsFiles(env));
    return { address: host, options };
  }
  throw badHost(
    host,
    scheme === undefined
      ? 'write it as unix:///path/to/docker.sock or tcp://host:port'
      : `berth speaks to engines over unix:// and tcp:// (with DOCKER_TLS_VERIFY), not ${scheme}://`,
  );
}

/** Opens the connection and checks that an engine answers; a ComposeError naming the address if not. */
export async function connectDocker(
  env: Record<string, string | undefined>,
  options: { timeoutMs?: number } = {},
): Promise<DockerConnection> {
  const endpoint = dockerEndpoint(env);
  const timeoutMs = options.timeoutMs ?? 10_000;
  // An engine that accepts but never answers: its socket is dropped soon after the deadline, or the
  // open request would keep berth alive after it reported the error.
  const docker = new Dockerode({ ...endpoint.options, timeout: timeoutMs + 100 });
  let version: Dockerode.DockerVersion;
  try {
    version = await withTimeout(docker.version(), timeoutMs);
  } catch (error) {
    throw new ComposeError(`cannot connect to the Docker engine at ${endpoint.address}: ${reason(error)}`, {
      hint:
        env.DOCKER_HOST === undefined || env.DOCKER_HOST === ''
          ? 'is dockerd running? Start it, or set DOCKER_HOST to where your engine listens; or use --engine local, which needs no daemon'
          : 'check DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH); or use --engine local, which needs no daemon',
      cause: error,
    });
  }
  // Speak the engine's API version: what it reports is what it understands.
  const apiVersion = version.ApiVersion;
  const pinned = new Dockerode({ ...endpoint.options, version: `v${apiVersion}` });
  reportLostEngine(pinned, endpoint.address);
  return { docker: pinned, address: endpoint.address, apiVersion, engineVersion: version.Version };
}

function tlsFiles(
  env: Record<string, string | undefined>,
): Pick<Dockerode.DockerOptions, 'ca' | 'cert' | 'key'> {
  const dir = env.DOCKER_CERT_PATH || path.join(env.HOME ?? '', '.docker');
  const read = (name: string): Buffer => {
    const file = path.join(dir, name);
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ComposeError(`cannot read the TLS file ${file}: ${reason(error)}`, {
        hint: 'DOCKER_CERT_PATH must name a folder holding ca.pem, cert.pem and key.pem',
        cause: error,
      });
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

function parseUrl(text: string, original: string): URL {
  try {
    const url = new URL(text);
    if (url.hostname === '') throw new Error('no host');
    return url;
  } catch {
    throw badHost(original, 'write it as tcp://host:port');
  }
}

function badHost(host: string, hint: string): ComposeError {
  return new ComposeError(`DOCKER_HOST "${host}" is not an address berth can use`, { hint });
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such socket';
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'EACCES') return 'permission denied';
    return error.message;
  }
  return String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
