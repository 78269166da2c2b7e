/**
 * A write to the state folder that failed (read-only, full, not permitted) said as a user error:
 * what could not be written, why in words, and what to do. Node reports a recursive mkdir on a
 * read-only file system as ENOENT; the folder's writability tells the real reason.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

import { ComposeError } from '../../project/errors.js';

const REASONS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** `error` as a ComposeError naming `what` (e.g. "the state of project demo") and `target`. */
export function stateWriteError(error: unknown, what: string, target: string): ComposeError {
  if (error instanceof ComposeError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? REASONS[unwritableAncestor(target) ?? ''] ?? (error as Error).message;
  return new ComposeError(`cannot write ${what} to ${target}: ${reason}`, {
    hint: 'make the state folder (BERTH_STATE_DIR) writable and give it free space, then run the command again',
    cause: error,
  });
}

/** Why the nearest existing folder above `target` cannot be written to, if it cannot. */
function unwritableAncestor(target: string): string | undefined {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    try {
      accessSync(dir, constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return code;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
