import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { isMarker, throughTags } from './tags.js';
import { describe, scalarText } from './values.js';

/**
 * How a `KEY=VALUE` list or a map becomes a map of strings:
 * - `environment`: a bare `KEY` (or a null value) means "take it from the environment" and stays null;
 * - `labels`: a bare key or a null value is the empty string.
 */
export type BareKey = 'null' | 'empty';

/** environment, build.args and the like: list `["A=1","B"]` or map -> `{A: '1', B: null}`. */
export function canonicalEnvironment(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return canonicalMapping(ctx, value, path, 'null');
}

/** labels, annotations, sysctls, driver_opts...: list `["a=b"]` or map -> map of strings. */
export function canonicalLabels(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return canonicalMapping(ctx, value, path, 'empty');
}

export function canonicalMapping(
  ctx: CanonicalContext,
  value: unknown,
  path: KeyPath,
  bare: BareKey,
): unknown {
  return throughTags(value, (inner) => {
    const out: ComposeDict = {};
    if (Array.isArray(inner)) {
      inner.forEach((entry, i) => {
        const text = scalarText(entry);
        if (text === undefined) {
          return fail(ctx, [...path, i], `invalid entry: ${describe(entry)}`, 'write KEY=VALUE');
        }
        const eq = text.indexOf('=');
        const key = eq < 0 ? text : text.slice(0, eq);
        if (key === '')
          fail(ctx, [...path, i], `invalid entry ${JSON.stringify(text)}: empty key`, 'write KEY=VALUE');
        out[key] = eq < 0 ? (bare === 'null' ? null : '') : text.slice(eq + 1);
      });
      return out;
    }
    if (isDict(inner)) {
      for (const [key, entry] of Object.entries(inner)) {
        out[key] = isMarker(entry) ? entry : mapValue(ctx, entry, [...path, key], bare);
      }
      return out;
    }
    if (inner === null) return out;
    return fail(ctx, path, `must be a list of KEY=VALUE or a mapping, got ${describe(inner)}`);
  });
}

function mapValue(ctx: CanonicalContext, value: unknown, path: KeyPath, bare: BareKey): string | null {
  if (value === null || value === undefined) return bare === 'null' ? null : '';
  const text = scalarText(value);
  if (text !== undefined) return text;
  return fail(ctx, path, `value must be a string, number or boolean, got ${describe(value)}`);
}
