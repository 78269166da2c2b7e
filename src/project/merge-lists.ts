import { isDict } from './dict.js';

/** The identity of a sequence item: two items with the same key are the same resource. */
export type Indexer = (item: unknown) => string;

/**
 * Keeps one item per key, in first-seen order; a later item replaces the earlier one in its place
 * (compose-go's EnforceUnicity).
 */
export function uniqueBy(items: readonly unknown[], indexer: Indexer): unknown[] {
  const out: unknown[] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = indexer(item);
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, out.length);
      out.push(item);
    } else {
      out[at] = item;
    }
  }
  return out;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Strings by their part before `=` (`KEY=VALUE`), like compose-go; other items by their content. */
export const byKeyValue: Indexer = (item) =>
  typeof item === 'string' ? (item.split('=', 1)[0] ?? item) : text(item);

export const byValue: Indexer = (item) => (typeof item === 'number' ? String(item) : text(item));

/** Volumes and devices: by the target path inside the container. */
export const byTarget: Indexer = (item) => {
  if (isDict(item)) return text(item.target);
  // Short syntax, should it reach the merge: `source:target[:mode]` or a lone target.
  if (typeof item === 'string') {
    const parts = item.split(':');
    return parts.length === 1 ? item : (parts[1] ?? item);
  }
  return text(item);
};

/** A published port is the same when address, published port, target and protocol agree. */
export const byPort: Indexer = (item) => {
  if (!isDict(item)) return text(item);
  const hostIp = item.host_ip ?? '0.0.0.0';
  const published = item.published ?? '';
  const protocol = item.protocol ?? 'tcp';
  return `${text(hostIp)}:${text(published)}:${text(item.target)}/${text(protocol)}`;
};

/** Secrets and configs: by target, which defaults to `<dir>/<source>`. */
export function byMountTarget(defaultDir: string): Indexer {
  return (item) => {
    if (typeof item === 'string') return `${defaultDir}/${item}`;
    if (!isDict(item)) return text(item);
    if (typeof item.target === 'string') return item.target;
    return `${defaultDir}/${text(item.source)}`;
  };
}

export const byPath: Indexer = (item) => (isDict(item) ? text(item.path) : text(item));

/** Keeps the first occurrence of equal items (extra_hosts addresses). */
export function union(base: readonly unknown[], override: readonly unknown[]): unknown[] {
  const seen = new Set(base.map(byValue));
  const out = [...base];
  for (const item of override) {
    const key = byValue(item);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(item);
    }
  }
  return out;
}
