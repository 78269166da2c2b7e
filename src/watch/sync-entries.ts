/**
 * What a sync step copies: each changed path under a rule's `path` mapped to the same place under its
 * `target`, as a copy when the path still exists at the time of the sync, else as a deletion (an editor's
 * delete-and-recreate inside one batch is a plain copy). The initial sync lists every path the rule wants.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

import type { FileSync } from '../engine/types.js';
import { relativeInside } from './paths.js';
import type { FileChange, WatchRule } from './types.js';

export function containerPathOf(rule: WatchRule, hostPath: string): string | undefined {
  const relative = relativeInside(rule.path, hostPath);
  if (rule.target === undefined || relative === undefined) return undefined;
  return relative === '' ? rule.target : path.posix.join(rule.target, relative);
}

export async function syncEntries(rule: WatchRule, changes: readonly FileChange[]): Promise<FileSync[]> {
  const entries: FileSync[] = [];
  for (const change of changes) {
    const target = containerPathOf(rule, change.path);
    if (target === undefined) continue;
    const present = await lstat(change.path).then(
      () => true,
      () => false,
    );
    entries.push(present ? { target, source: change.path } : { target });
  }
  return entries;
}

/** Every folder and file under the rule's path that its ignore rules let through, parents first. */
export async function initialSyncEntries(rule: WatchRule): Promise<FileSync[]> {
  const entries: FileSync[] = [];
  const visit = async (hostPath: string, isDirectory: boolean): Promise<void> => {
    if (rule.ignored(hostPath, isDirectory)) return;
    const target = containerPathOf(rule, hostPath);
    if (target === undefined) return;
    entries.push({ target, source: hostPath });
    if (!isDirectory) return;
    const children = await readdir(hostPath, { withFileTypes: true }).catch(() => []);
    for (const child of children.sort((a, b) => a.name.localeCompare(b.name))) {
      await visit(path.join(hostPath, child.name), child.isDirectory());
    }
  };
  const stats = await lstat(rule.path).catch(() => undefined);
  if (stats !== undefined) await visit(rule.path, stats.isDirectory());
  return entries;
}
