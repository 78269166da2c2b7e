import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { canonicalLabels } from './mappings.js';
import { isMarker, throughTags } from './tags.js';
import { describe, expectString, stringOrList } from './values.js';

/** services.*.networks: a list of names -> `{name: null}`; a map keeps its entries (null stays null). */
export function canonicalServiceNetworks(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const out: ComposeDict = {};
    if (Array.isArray(inner)) {
      inner.forEach((name, i) => {
        out[expectString(ctx, name, [...path, i], 'a network name')] = null;
      });
      return out;
    }
    if (!isDict(inner)) return fail(ctx, path, `must be a list or a mapping, got ${describe(inner)}`);
    for (const [name, entry] of Object.entries(inner)) {
      out[name] = isMarker(entry) ? entry : attachment(ctx, entry, [...path, name]);
    }
    return out;
  });
}

function attachment(ctx: CanonicalContext, entry: unknown, path: KeyPath): unknown {
  if (entry === null) return null;
  if (!isDict(entry))
    return fail(ctx, path, `network attachment must be a mapping or null, got ${describe(entry)}`);
  const out: ComposeDict = { ...entry };
  if (out.aliases !== undefined)
    out.aliases = stringOrList(ctx, out.aliases, [...path, 'aliases'], 'aliases');
  if (out.driver_opts !== undefined)
    out.driver_opts = canonicalLabels(ctx, out.driver_opts, [...path, 'driver_opts']);
  return out;
}
