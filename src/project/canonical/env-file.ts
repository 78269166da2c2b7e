import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { describe } from './values.js';

/** env_file: a path, a list of paths or long entries -> `[{path, required: true, format?}]`. */
export function canonicalEnvFile(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const entries = typeof inner === 'string' ? [inner] : inner;
    if (!Array.isArray(entries)) return fail(ctx, path, `must be a path or a list, got ${describe(inner)}`);
    return entries.map((entry, i) => throughTags(entry, (e) => envFile(ctx, e, [...path, i])));
  });
}

function envFile(ctx: CanonicalContext, entry: unknown, path: KeyPath): ComposeDict {
  if (typeof entry === 'string') return { path: entry, required: true };
  if (!isDict(entry) || typeof entry.path !== 'string') {
    return fail(
      ctx,
      path,
      `invalid env_file entry: ${describe(entry)}`,
      'use a path or {path, required, format}',
    );
  }
  return { ...entry, required: entry.required ?? true };
}
