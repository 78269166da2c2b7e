import { ComposeError } from '../errors.js';
import type { KeyPath } from '../key-path.js';
import type { DocumentPositions, Location } from '../source-map.js';
import type { Warnings } from '../warnings.js';

/** What every canonical transform needs besides the value: where things were written, and where warnings go. */
export interface CanonicalContext {
  positions: DocumentPositions;
  warnings: Warnings;
}

/** The position of a key path, or of its nearest parent that has one. */
export function locate(ctx: CanonicalContext, path: KeyPath): Location {
  for (let len = path.length; len >= 0; len--) {
    const pos = ctx.positions.get(path.slice(0, len));
    if (pos) return { file: ctx.positions.file, ...pos };
  }
  return { file: ctx.positions.file };
}

/** Throws the ComposeError for a malformed value at `path`. */
export function fail(
  ctx: CanonicalContext,
  path: KeyPath,
  problem: string,
  hint?: string,
  cause?: unknown,
): never {
  throw new ComposeError(problem, { location: locate(ctx, path), keyPath: path, hint, cause });
}

export function warn(ctx: CanonicalContext, path: KeyPath, message: string): void {
  ctx.warnings.add({ message, location: locate(ctx, path), keyPath: path });
}
