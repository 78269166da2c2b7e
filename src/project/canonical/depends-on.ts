import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { isMarker, throughTags } from './tags.js';
import { describe, expectString } from './values.js';

const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
const HINT =
  'list service names, or map each to {condition: service_started|service_healthy|service_completed_successfully}';

/** depends_on: a list of names or a map -> `{svc: {condition, required}}` with compose's defaults. */
export function canonicalDependsOn(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const out: ComposeDict = {};
    if (Array.isArray(inner)) {
      inner.forEach((name, i) => {
        out[expectString(ctx, name, [...path, i], 'a depends_on entry')] = {
          condition: 'service_started',
          required: true,
        };
      });
      return out;
    }
    if (!isDict(inner)) return fail(ctx, path, `must be a list or a mapping, got ${describe(inner)}`, HINT);
    for (const [name, entry] of Object.entries(inner)) {
      out[name] = isMarker(entry) ? entry : dependency(ctx, entry, [...path, name]);
    }
    return out;
  });
}

function dependency(ctx: CanonicalContext, entry: unknown, path: KeyPath): ComposeDict {
  if (!isDict(entry)) return fail(ctx, path, `invalid dependency: ${describe(entry)}`, HINT);
  const dep: ComposeDict = { ...entry };
  dep.condition ??= 'service_started';
  if (typeof dep.condition !== 'string' || !CONDITIONS.has(dep.condition)) {
    fail(ctx, [...path, 'condition'], `unknown condition ${JSON.stringify(dep.condition)}`, HINT);
  }
  dep.required ??= true;
  return dep;
}
