import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { parseBytes } from './units.js';
import { describe } from './values.js';

/** A size attribute as a number of bytes: `"1g"` -> 1073741824. */
export function canonicalSize(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (inner === null) return null;
    if (typeof inner !== 'string' && typeof inner !== 'number') {
      return fail(
        ctx,
        path,
        `invalid size: ${describe(inner)}`,
        'use a number of bytes or a unit: 512k, 64m, 1g',
      );
    }
    try {
      return parseBytes(inner);
    } catch (error) {
      return fail(
        ctx,
        path,
        `invalid size ${JSON.stringify(inner)}`,
        'use a number of bytes or a unit: 512k, 64m, 1g',
        error,
      );
    }
  });
}
