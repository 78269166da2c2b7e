import { formatKeyPath, type KeyPath } from '../project/key-path.js';
import type { StackChange, StackChangeAction } from './types.js';

/** The order of the file's sections; `x-` keys and anything else come last. */
const SECTIONS = ['version', 'services', 'networks', 'volumes', 'secrets', 'configs'];

/** Collects the changes of one conversion, each named by its key path in the project. */
export class ChangeLog {
  private readonly entries: { path: KeyPath; change: StackChange }[] = [];

  /** The changes in the order of the file: by section, then key by key (list items by index). */
  get changes(): StackChange[] {
    return [...this.entries].sort((a, b) => comparePaths(a.path, b.path)).map((e) => e.change);
  }

  record(action: StackChangeAction, path: KeyPath, detail: string): void {
    const change: StackChange = { path: formatKeyPath(path), action, detail };
    if (path[0] === 'services' && typeof path[1] === 'string') change.service = path[1];
    this.entries.push({ path, change });
  }

  dropped(path: KeyPath, detail: string): void {
    this.record('dropped', path, detail);
  }

  rewritten(path: KeyPath, detail: string): void {
    this.record('rewritten', path, detail);
  }

  added(path: KeyPath, detail: string): void {
    this.record('added', path, detail);
  }

  written(path: KeyPath, detail: string): void {
    this.record('written', path, detail);
  }
}

function sectionRank(segment: string | number | undefined): number {
  const index = SECTIONS.indexOf(String(segment));
  return index === -1 ? SECTIONS.length : index;
}

function comparePaths(a: KeyPath, b: KeyPath): number {
  const bySection = sectionRank(a[0]) - sectionRank(b[0]);
  if (bySection !== 0) return bySection;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}
