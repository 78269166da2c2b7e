import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { parseDotenv, parseRawEnv } from './dotenv.js';
import { ComposeError, isComposeError } from './errors.js';
import type { Lookup } from './template.js';

export interface EnvironmentInput {
  /** The process environment; it beats every env file. */
  osEnv: Record<string, string | undefined>;
  /** Explicit env files (--env-file, COMPOSE_ENV_FILES), in order; each must exist. */
  envFiles: string[];
  /** The project's `.env`: read only when `envFiles` is empty, and only if it exists (compose-go). */
  defaultEnvFile?: string | undefined;
}

export interface LoadedEnvironment {
  /** OS environment over the env files (later files win among themselves). */
  environment: Record<string, string>;
  /** Absolute paths of the env files actually read. */
  files: string[];
}

/**
 * The environment used for interpolation. Variables inside an env file may refer to the OS
 * environment and to earlier files (OS first), then to keys defined earlier in the same file.
 */
export async function loadEnvironment(input: EnvironmentInput): Promise<LoadedEnvironment> {
  const os = new Map<string, string>();
  for (const [key, value] of Object.entries(input.osEnv)) if (value !== undefined) os.set(key, value);

  const fromFiles = new Map<string, string>();
  const files: string[] = [];
  const lookup: Lookup = (name) => os.get(name) ?? fromFiles.get(name);

  const explicit = input.envFiles.map((f) => path.resolve(f));
  for (const file of explicit) {
    const text = await readEnvText(file, { explicit: true });
    files.push(file);
    for (const [key, value] of Object.entries(parseDotenv(text, file, lookup))) fromFiles.set(key, value);
  }
  if (explicit.length === 0 && input.defaultEnvFile !== undefined) {
    const file = path.resolve(input.defaultEnvFile);
    const text = await readEnvText(file, { explicit: false });
    if (text !== undefined) {
      files.push(file);
      for (const [key, value] of Object.entries(parseDotenv(text, file, lookup))) fromFiles.set(key, value);
    }
  }

  const environment = new Map([...fromFiles, ...os]);
  return { environment: Object.fromEntries(environment), files };
}

/**
 * Reads a service's `env_file` entry (an absolute path) in the given format (`raw`, or compose's dotenv
 * syntax when undefined). Returns null when the file does not exist, so the caller can honour
 * `required: false`; other problems (a directory, unreadable, bad syntax) reject with a ComposeError.
 */
export function readServiceEnvFile(
  file: string,
  format: string | undefined,
  lookup: Lookup,
): Promise<Record<string, string>> | null {
  if (!exists(file)) return null;
  return readServiceEnvText(file, format, lookup);
}

async function readServiceEnvText(
  file: string,
  format: string | undefined,
  lookup: Lookup,
): Promise<Record<string, string>> {
  if (format !== undefined && format !== 'raw') {
    throw new ComposeError(`unsupported env_file format ${JSON.stringify(format)} for ${file}`, {
      location: { file },
      hint: 'leave `format` out for the usual KEY=VALUE syntax, or use `format: raw` to take values as written',
    });
  }
  const text = await readEnvText(file, { explicit: true });
  return format === 'raw' ? parseRawEnv(text, file) : parseDotenv(text, file, lookup);
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch (error) {
    return !isMissing(error);
  }
}

/** The file's text; undefined only for a missing or directory default `.env`, which compose skips. */
async function readEnvText(file: string, options: { explicit: true }): Promise<string>;
async function readEnvText(file: string, options: { explicit: boolean }): Promise<string | undefined>;
async function readEnvText(file: string, options: { explicit: boolean }): Promise<string | undefined> {
  const location = { file };
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      if (!options.explicit) return undefined; // a `.env` folder (a Python virtualenv) is not an env file
      throw new ComposeError(`env file ${file} is a directory`, {
        location,
        hint: 'point --env-file (or env_file) at a file of KEY=VALUE lines',
      });
    }
    bytes = await readFile(file);
  } catch (error) {
    if (isComposeError(error)) throw error;
    if (isMissing(error)) {
      if (!options.explicit) return undefined;
      throw new ComposeError(`couldn't find env file: ${file}`, {
        location,
        hint: 'check the path given to --env-file or COMPOSE_ENV_FILES (relative paths start from the current directory)',
        cause: error,
      });
    }
    throw new ComposeError(`couldn't read env file ${file}: ${errorReason(error)}`, {
      location,
      hint: 'check that the file exists and is readable by the current user',
      cause: error,
    });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ComposeError(`env file ${file} is not valid UTF-8`, {
      location,
      hint: 'save the file as UTF-8 text',
      cause: error,
    });
  }
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorReason(error: unknown): string {
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
