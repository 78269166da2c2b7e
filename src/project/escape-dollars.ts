import { type ComposeDict, isDict } from './dict.js';

/**
 * `$` -> `$$` in every string value, as `docker compose config` does with interpolated output: the
 * printed file then reads back to the same values instead of being interpolated a second time. Keys
 * are never interpolated, so they stay as they are.
 */
export function escapeDollars<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$') as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeDollars(v)) as T;
  if (isDict(value)) {
    const out: ComposeDict = {};
    for (const [k, v] of Object.entries(value)) out[k] = escapeDollars(v);
    return out as T;
  }
  return value;
}
