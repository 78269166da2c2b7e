import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { describe, expectList, stringOrList } from './values.js';

const HINT = 'use a path or {path, project_directory, env_file}';

/** include: each entry `{path: [..], env_file?: [..], project_directory?}`; include.ts loads them later. */
export function canonicalIncludes(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) =>
    expectList(ctx, inner, path, 'include').map((entry, i) =>
      throughTags(entry, (e) => includeEntry(ctx, e, [...path, i])),
    ),
  );
}

function includeEntry(ctx: CanonicalContext, entry: unknown, path: KeyPath): ComposeDict {
  if (typeof entry === 'string') return { path: [entry] };
  if (!isDict(entry)) return fail(ctx, path, `invalid include: ${describe(entry)}`, HINT);
  if (entry.path === undefined) return fail(ctx, path, 'include has no path', HINT);
  const out: ComposeDict = { ...entry, path: stringOrList(ctx, entry.path, [...path, 'path'], 'path') };
  if (out.env_file !== undefined)
    out.env_file = stringOrList(ctx, out.env_file, [...path, 'env_file'], 'env_file');
  return out;
}
