import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { splitShellWords } from './shell-words.js';
import { throughTags } from './tags.js';
import { describe, expectScalarText } from './values.js';

/**
 * command, entrypoint and hook commands: a string is split like a shell would (no shell runs it); a list is
 * kept. `null` (unset) and `[]` or `''` (clear the image's default) mean different things, so both stay.
 */
export function canonicalCommand(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (inner === null) return null;
    if (typeof inner === 'string') return splitCommand(ctx, inner, path);
    if (Array.isArray(inner))
      return inner.map((arg, i) => expectScalarText(ctx, arg, [...path, i], 'argument'));
    return fail(ctx, path, `must be a string or a list of strings, got ${describe(inner)}`);
  });
}

export function splitCommand(ctx: CanonicalContext, text: string, path: KeyPath): string[] {
  try {
    return splitShellWords(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return fail(
      ctx,
      path,
      `cannot split ${JSON.stringify(text)} into arguments: ${why}`,
      'close the quote, or write the command as a list',
      error,
    );
  }
}
