import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { describe, expectDict, expectNumber } from './values.js';

const HINT = 'use a number (both limits) or {soft: N, hard: N}';

/** ulimits: `nofile: 20000` stays a number (both limits), `{soft, hard}` is kept with numbers. */
export function canonicalUlimits(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const out: ComposeDict = {};
    for (const [name, limit] of Object.entries(expectDict(ctx, inner, path, 'ulimits'))) {
      out[name] = throughTags(limit, (l) => ulimit(ctx, l, [...path, name]));
    }
    return out;
  });
}

function ulimit(ctx: CanonicalContext, limit: unknown, path: KeyPath): unknown {
  if (typeof limit === 'number' || typeof limit === 'string') return expectNumber(ctx, limit, path, 'ulimit');
  if (!isDict(limit)) return fail(ctx, path, `invalid ulimit: ${describe(limit)}`, HINT);
  const out: ComposeDict = { ...limit };
  for (const key of ['soft', 'hard']) {
    if (out[key] === undefined) fail(ctx, path, `ulimit has no ${key} limit`, HINT);
    out[key] = expectNumber(ctx, out[key], [...path, key], key);
  }
  return out;
}
