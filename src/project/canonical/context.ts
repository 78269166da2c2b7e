import { ComposeError } from '../errors.js';
import type { KeyPath } from '../key-path.js';
import type { DocumentPositions } from '../source-map.js';
import type { Warnings } from '../warnings.js';

/** What every canonical transform needs besides the value: where things were written, and where warnings go. */
export interface CanonicalContext {
  positions: DocumentPositions;
  warnings: Warnings;
}

/** Throws the ComposeError for a malformed value at `path`. */
export function fail(
  ctx: CanonicalContext,
  path: KeyPath,
  problem: string,
  hint?: string,
  cause?: unknown,
): never {
  throw new ComposeError(problem, { location: ctx.positions.locate(path), keyPath: path, hint, cause });
}

export function warn(ctx: CanonicalContext, path: KeyPath, message: string): void {
  ctx.warnings.add({ message, location: ctx.positions.locate(path), keyPath: path });
}
