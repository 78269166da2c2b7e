/**
 * Registry credentials for pulls, from the docker CLI's config file (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): its `auths` entry for the image's registry, as `docker login` wrote it. The
 * engine receives them in the X-Registry-Auth header; without an entry, pulls are anonymous.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ComposeError } from '../../project/errors.js';
import { DOCKER_HUB, parseImageReference } from './image-reference.js';

/** The Engine API's AuthConfig. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

/** Docker Hub's credentials are stored under its legacy index address. */
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', DOCKER_HUB, 'registry-1.docker.io'];

export function dockerConfigFile(env: Record<string, string | undefined> = process.env): string {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** Credentials for the registry of `image`, or undefined when the config file has none. */
export function registryAuth(image: string, configFile = dockerConfigFile()): RegistryAuth | undefined {
  const auths = readAuths(configFile);
  if (auths === undefined) return undefined;
  const domain = parseImageReference(image).domain;
  const wanted = domain === DOCKER_HUB ? HUB_KEYS : [domain];
  for (const [key, entry] of Object.entries(auths)) {
    if (!wanted.includes(key) && !wanted.includes(hostOf(key))) continue;
    if (typeof entry !== 'object' || entry === null) continue;
    return toAuthConfig(entry as AuthEntry, domain === DOCKER_HUB ? HUB_KEYS[0]! : domain, configFile, key);
  }
  return undefined;
}

function readAuths(configFile: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    return undefined;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new ComposeError(`cannot read the registry credentials in ${configFile}: it is not valid JSON`, {
      hint: 'fix the file, or remove it and log in again with `docker login`',
      cause: error,
    });
  }
  if (typeof config !== 'object' || config === null) return undefined;
  const auths = (config as { auths?: unknown }).auths;
  return typeof auths === 'object' && auths !== null ? (auths as Record<string, unknown>) : undefined;
}

/** `https://host:5000/v2/` -> `host:5000`, as the docker CLI matches stored addresses. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? key;
}

function toAuthConfig(
  entry: AuthEntry,
  serveraddress: string,
  configFile: string,
  key: string,
): RegistryAuth {
  const result: RegistryAuth = { serveraddress };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    // `auth` is base64 of `user:password`; the engine wants them apart.
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new ComposeError(
        `the credentials for ${key} in ${configFile} are not base64 of "user:password"`,
        {
          hint: `log in again with \`docker login ${key}\``,
        },
      );
    }
    result.username = decoded.slice(0, colon);
    result.password = decoded.slice(colon + 1);
  }
  if (typeof entry.username === 'string') result.username = entry.username;
  if (typeof entry.password === 'string') result.password = entry.password;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    result.identitytoken = entry.identitytoken;
  }
  return result;
}
