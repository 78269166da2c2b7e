import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { describe, expectList, expectScalarText } from './values.js';

/** services.*.secrets / configs and build.secrets: `"name"` -> `{source: 'name'}`; long syntax kept. */
export function canonicalFileRefs(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) =>
    expectList(ctx, inner, path, path[path.length - 1] as string).map((entry, i) =>
      throughTags(entry, (e) => fileRef(ctx, e, [...path, i])),
    ),
  );
}

function fileRef(ctx: CanonicalContext, entry: unknown, path: KeyPath): ComposeDict {
  if (typeof entry === 'string') return { source: entry };
  if (!isDict(entry))
    return fail(ctx, path, `must be a name or a mapping with source, got ${describe(entry)}`);
  const ref: ComposeDict = { ...entry };
  if (typeof ref.source !== 'string' || ref.source === '') {
    fail(ctx, path, 'no source', 'set source to the name of a top-level secret or config');
  }
  for (const key of ['uid', 'gid']) {
    if (ref[key] !== undefined) ref[key] = expectScalarText(ctx, ref[key], [...path, key], key);
  }
  if (typeof ref.mode === 'string') ref.mode = fileMode(ctx, ref.mode, [...path, 'mode']);
  return ref;
}

/** A mode written as text is octal, as in `"0440"`. */
function fileMode(ctx: CanonicalContext, text: string, path: KeyPath): number {
  if (/^0?[0-7]{1,4}$/.test(text)) return parseInt(text, 8);
  if (/^0o[0-7]{1,4}$/i.test(text)) return parseInt(text.slice(2), 8);
  return fail(ctx, path, `invalid file mode ${JSON.stringify(text)}`, 'use an octal mode such as 0440');
}
