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
  if (Array.isArray(value)) return value.map((v: unknown) => cloneData(v)) as T;
  if (isDict(value)) {
    const out: ComposeDict = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneData(v);
    return out as T;
  }
  return value;
}
