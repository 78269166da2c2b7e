import path from 'node:path';

import { ComposeError } from './errors.js';

export interface ProjectNameInput {
  /** `-p`. */
  flag?: string | undefined;
  /** Reads COMPOSE_PROJECT_NAME. */
  env: Record<string, string | undefined>;
  /** The top-level `name:` after interpolation. */
  fileName?: string | undefined;
  /** Absolute project directory. */
  workingDir: string;
}

/** compose's rule: lower case, only `a-z0-9_-`, leading `_` and `-` dropped. */
export function normalizeProjectName(name: string): string {
  const kept = name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return kept.replace(/^[_-]+/, '');
}

export function isValidProjectName(name: string): boolean {
  return name !== '' && normalizeProjectName(name) === name;
}

/**
 * The project name, in docker compose's precedence: `-p`, COMPOSE_PROJECT_NAME, top-level `name:`, the
 * project directory's base name. Names the user set explicitly must already be valid; the others are
 * normalized.
 */
export function resolveProjectName(input: ProjectNameInput): string {
  if (input.flag) return explicitName(input.flag, 'given with -p');
  const fromEnv = input.env.COMPOSE_PROJECT_NAME;
  if (fromEnv) return explicitName(fromEnv, 'set by COMPOSE_PROJECT_NAME');

  if (input.fileName) {
    const name = normalizeProjectName(input.fileName);
    if (name === '') {
      throw new ComposeError('project name must not be empty', {
        keyPath: ['name'],
        hint: `the top-level name "${input.fileName}" has no lowercase letter, digit, "-" or "_"; change it or use -p`,
      });
    }
    return name;
  }

  const base = path.basename(path.resolve(input.workingDir));
  const name = normalizeProjectName(base);
  if (name === '') {
    throw new ComposeError('project name must not be empty', {
      hint: `the project directory name "${base}" gives no valid name; set one with -p, COMPOSE_PROJECT_NAME or a top-level name:`,
    });
  }
  return name;
}

function explicitName(name: string, origin: string): string {
  if (isValidProjectName(name)) return name;
  throw new ComposeError(
    `invalid project name "${name}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    { hint: `the name was ${origin}; for example "${normalizeProjectName(name) || 'myproject'}"` },
  );
}
