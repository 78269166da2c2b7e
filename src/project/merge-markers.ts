import { type ComposeDict, isDict } from './dict.js';
import { setOwn } from './own-key.js';
import { isOverrideTag, isResetTag } from './tags.js';

/** What a merge returns for a value that must not appear in the result (`!reset`). */
export const REMOVED: unique symbol = Symbol('removed');
export type Merged = unknown;

/**
 * A deep copy with the merge markers applied on their own: `!reset` values are dropped (from a mapping
 * or a sequence), `!override` values are unwrapped. The result shares nothing with its input.
 */
export function resolveMarkers(value: unknown): Merged {
  if (isResetTag(value)) return REMOVED;
  if (isOverrideTag(value)) return resolveMarkers(value.value);
  if (Array.isArray(value)) return resolveList(value);
  if (isDict(value)) {
    const out: ComposeDict = {};
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const resolved = resolveMarkers(value[key]);
      if (resolved !== REMOVED) setOwn(out, key, resolved);
    }
    return out;
  }
  return value;
}

export function resolveList(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    const resolved = resolveMarkers(item);
    if (resolved !== REMOVED) out.push(resolved);
  }
  return out;
}
