import path from 'node:path';

import { ComposeError } from './errors.js';
import { fileKind } from './file-kind.js';

export interface DiscoveryInput {
  /** `-f`, in order; `-` reads standard input. */
  files: string[];
  /** `--project-directory`, relative to cwd. */
  projectDirectory?: string | undefined;
  cwd: string;
  /** OS environment merged with `.env`: COMPOSE_FILE, COMPOSE_PATH_SEPARATOR. */
  env: Record<string, string | undefined>;
}

export interface Discovery {
  /** Absolute paths, or `-` for standard input. */
  configFiles: string[];
  /** Absolute project directory. */
  workingDir: string;
  /** What docker compose prints as warnings (several candidate files in one folder). */
  warnings: string[];
}

/** The names docker compose looks for, in its order of preference. */
export const DEFAULT_FILE_NAMES = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yml',
  'docker-compose.yaml',
];

/** compose-go's own order (`.yml` first) and no tie to the base file's naming family: any of them is taken. */
export const DEFAULT_OVERRIDE_FILE_NAMES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];

/**
 * Which compose files make the project, and its directory: `-f` wins, else COMPOSE_FILE, else the first
 * folder from the project directory (or cwd) up to the root that holds one of the default names, plus
 * its override file.
 */
export async function discoverComposeFiles(input: DiscoveryInput): Promise<Discovery> {
  const cwd = path.resolve(input.cwd);
  const projectDirectory = input.projectDirectory ? path.resolve(cwd, input.projectDirectory) : undefined;
  const warnings: string[] = [];

  let configFiles: string[];
  if (input.files.length > 0) {
    configFiles = await checkedFiles(input.files, cwd, 'check the path given with -f');
  } else if (input.env.COMPOSE_FILE) {
    const separator = input.env.COMPOSE_PATH_SEPARATOR || path.delimiter;
    const files = input.env.COMPOSE_FILE.split(separator).filter((f) => f !== '');
    configFiles = await checkedFiles(
      files,
      cwd,
      `check COMPOSE_FILE (its paths are separated by "${separator}", set by COMPOSE_PATH_SEPARATOR)`,
    );
  } else {
    configFiles = await searchDefaultFiles(projectDirectory ?? cwd, warnings);
  }

  const firstFile = configFiles.find((f) => f !== '-');
  const workingDir = projectDirectory ?? (firstFile ? path.dirname(firstFile) : cwd);
  return { configFiles, workingDir, warnings };
}

/**
 * Where the default `.env` is read from. It is settled before COMPOSE_FILE is known (which `.env` may
 * set), so only `--project-directory` and `-f` count, as in docker compose.
 */
export function defaultEnvFilePath(input: {
  files: string[];
  projectDirectory?: string | undefined;
  cwd: string;
}): string {
  const cwd = path.resolve(input.cwd);
  if (input.projectDirectory) return path.join(path.resolve(cwd, input.projectDirectory), '.env');
  const first = input.files.find((f) => f !== '-');
  const dir = first ? path.dirname(path.resolve(cwd, first)) : cwd;
  return path.join(dir, '.env');
}

async function checkedFiles(files: string[], cwd: string, hint: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    if (file === '-') {
      out.push(file);
      continue;
    }
    const absolute = path.resolve(cwd, file);
    const kind = await fileKind(absolute);
    if (kind === 'missing') {
      throw new ComposeError(`compose file not found: ${file}`, { hint: `${hint}; looked for ${absolute}` });
    }
    if (kind === 'directory') {
      throw new ComposeError(`compose file ${file} is a directory`, {
        hint: `${hint}; name a file, not a folder`,
      });
    }
    out.push(absolute);
  }
  return out;
}

async function searchDefaultFiles(start: string, warnings: string[]): Promise<string[]> {
  let dir = start;
  for (;;) {
    const candidates = await existingFiles(dir, DEFAULT_FILE_NAMES);
    const winner = candidates[0];
    if (winner) {
      if (candidates.length > 1) {
        warnings.push(
          `Found multiple config files with supported names: ${candidates.join(', ')}; using ${winner}`,
        );
      }
      const overrides = await existingFiles(dir, DEFAULT_OVERRIDE_FILE_NAMES);
      const override = overrides[0];
      if (overrides.length > 1) {
        warnings.push(
          `Found multiple override files with supported names: ${overrides.join(', ')}; using ${override}`,
        );
      }
      return override ? [winner, override] : [winner];
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ComposeError('no configuration file provided: not found', {
    hint: `looked for ${DEFAULT_FILE_NAMES.join(', ')} in ${start} and its parents; name one with -f or COMPOSE_FILE`,
  });
}

async function existingFiles(dir: string, names: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if ((await fileKind(file)) === 'file') found.push(file);
  }
  return found;
}
