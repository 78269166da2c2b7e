/**
 * A build context's ignore file, as Docker reads it: shared by the Docker engine's builds (what goes into
 * the context) and by watch mode (what changes are left alone).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import type { Ignore } from '@balena/dockerignore';

import { ComposeError } from '../project/errors.js';

// The package is CommonJS exporting the function itself, which its typings call `default`.
const dockerignore: typeof import('@balena/dockerignore').default = createRequire(import.meta.url)(
  '@balena/dockerignore',
);

/** A matcher of .dockerignore patterns (Docker's rules, case-sensitive as on Linux). */
export function compileDockerignore(patterns: readonly string[] = []): Ignore {
  return dockerignore({ ignorecase: false }).add([...patterns]);
}

/** The patterns of a .dockerignore text: comments and blank lines dropped, as Docker reads the file. */
export function parseDockerignore(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The ignore patterns of a build: `<dockerfile>.dockerignore` beside the Dockerfile (BuildKit's
 * Dockerfile-specific file) when it exists, else the context's `.dockerignore`, else none. `dockerfile`
 * is relative to the context, or absolute.
 */
export async function readDockerignore(contextDir: string, dockerfile?: string): Promise<string[]> {
  const candidates = [
    ...(dockerfile === undefined ? [] : [`${path.resolve(contextDir, dockerfile)}.dockerignore`]),
    path.join(contextDir, '.dockerignore'),
  ];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new ComposeError(
        `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
        {
          hint: 'make the file readable, or remove it',
          cause: error,
        },
      );
    }
    return parseDockerignore(text);
  }
  return [];
}
