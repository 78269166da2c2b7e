import { formatKeyPath, type KeyPath } from './key-path.js';
import type { Location } from './source-map.js';

export interface LoadWarning {
  message: string;
  location?: Location | undefined;
  keyPath?: KeyPath | undefined;
}

/** Collects warnings of one load; the same message is kept once (an unset variable warns once). */
export class Warnings {
  private readonly seen = new Set<string>();
  readonly list: LoadWarning[] = [];

  add(warning: LoadWarning): void {
    const text = renderWarning(warning);
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.list.push(warning);
  }
}

export function renderWarning(warning: LoadWarning): string {
  const parts: string[] = [];
  const loc = warning.location;
  if (loc) {
    let where = loc.file;
    if (loc.line !== undefined) where += `:${loc.line}`;
    if (loc.line !== undefined && loc.column !== undefined) where += `:${loc.column}`;
    parts.push(where);
  }
  if (warning.keyPath && warning.keyPath.length > 0) parts.push(formatKeyPath(warning.keyPath));
  parts.push(warning.message);
  return parts.join(': ');
}
