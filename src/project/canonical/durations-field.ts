import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { formatDuration, parseDuration } from './durations.js';
import { throughTags } from './tags.js';
import { describe } from './values.js';

/** A duration attribute printed the way compose prints it: `90s` -> `1m30s`. */
export function canonicalDuration(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (inner === null) return null;
    if (typeof inner !== 'string' && typeof inner !== 'number') {
      return fail(
        ctx,
        path,
        `invalid duration: ${describe(inner)}`,
        'use a duration such as 10s, 1m30s or 500ms',
      );
    }
    try {
      return formatDuration(parseDuration(inner));
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail(ctx, path, why, 'use a duration such as 10s, 1m30s or 500ms', error);
    }
  });
}
