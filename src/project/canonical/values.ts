import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { isOverrideTag, isResetTag } from '../tags.js';
import { isMarker } from './tags.js';

/** Type checks for values the schema should already have vetted; a mismatch still becomes a ComposeError. */
export function expectDict(ctx: CanonicalContext, value: unknown, path: KeyPath, what: string): ComposeDict {
  if (isDict(value)) return value;
  return fail(ctx, path, `${what} must be a mapping, got ${describe(value)}`);
}

export function expectList(ctx: CanonicalContext, value: unknown, path: KeyPath, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  return fail(ctx, path, `${what} must be a list, got ${describe(value)}`);
}

export function expectString(ctx: CanonicalContext, value: unknown, path: KeyPath, what: string): string {
  if (typeof value === 'string') return value;
  return fail(ctx, path, `${what} must be a string, got ${describe(value)}`);
}

/** Scalars as Compose prints them in string-valued maps: numbers and booleans become their text. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return undefined;
}

export function expectScalarText(ctx: CanonicalContext, value: unknown, path: KeyPath, what: string): string {
  const text = scalarText(value);
  if (text !== undefined) return text;
  return fail(ctx, path, `${what} must be a string or a number, got ${describe(value)}`);
}

/** A number, or a string holding one (values that interpolation left as text). */
export function expectNumber(ctx: CanonicalContext, value: unknown, path: KeyPath, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return fail(ctx, path, `${what} must be a number, got ${describe(value)}`);
}

/** A string or a list of strings, as a list; numbers in it become strings, markers stay. */
export function stringOrList(ctx: CanonicalContext, value: unknown, path: KeyPath, what: string): unknown[] {
  if (typeof value === 'string') return [value];
  return expectList(ctx, value, path, what).map((item, i) =>
    isMarker(item) ? item : expectScalarText(ctx, item, [...path, i], what),
  );
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isDict(value)) return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  // Merge tags where no merge happens (`- !override x` in a list): name the tag, not "[object Object]".
  if (isResetTag(value)) return 'a !reset tag';
  if (isOverrideTag(value)) return 'an !override tag';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
