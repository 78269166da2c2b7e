import { setOwn } from './own-key.js';

/**
 * Between stages a Compose model is plain data: what YAML produced (strings, numbers, booleans, null,
 * arrays, plain objects), plus the ResetTag/OverrideTag markers of ./tags.ts until the merge.
 */
export type ComposeDict = Record<string, unknown>;

export function isDict(value: unknown): value is ComposeDict {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A dict-valued property, or an empty dict when it is absent or not a dict. */
export function dictAt(parent: ComposeDict, key: string): ComposeDict {
  const value = parent[key];
  return isDict(value) ? value : {};
}

/** Deep copy of plain data; marker objects are copied by reference (they are immutable). */
export function cloneData<T>(value: T): T {
  // Scalars first: they are most of the nodes and need no prototype check.
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const list: readonly unknown[] = value;
    const out = new Array<unknown>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = cloneData(list[i]);
    return out as T;
  }
  if (isDict(value)) {
    const out: ComposeDict = {};
    for (const k in value) if (Object.hasOwn(value, k)) setOwn(out, k, cloneData(value[k]));
    return out as T;
  }
  return value;
}
