import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { FSWatcher } from 'chokidar';

import { ComposeError } from '../project/errors.js';
import type { FileChange, FileChangeKind } from './types.js';
import { isWithin } from './paths.js';

export interface FileWatcherOptions {
  /** Folders or single files, absolute; they need not exist yet. */
  paths: readonly string[];
  /** Whether an absolute path is to be left alone; for a folder, true skips its whole tree. */
  ignored: (absolutePath: string, isDirectory: boolean) => boolean;
  onChange: (change: FileChange) => void;
  onError: (error: Error) => void;
}

export interface FileWatcher {
  add(paths: readonly string[]): void;
  unwatch(paths: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * chokidar drops a file's change events that follow its previous one within 50 ms; a second look this
 * long after each add or change reports a write that would otherwise be lost.
 */
const SECOND_LOOK_MS = 75;

/**
 * chokidar can lose the last few of a burst of new files (a race between its folder reads): folders
 * where files came or went are read again once things calm down, and what it missed is reported.
 */
const SWEEP_QUIET_MS = 100;
const SWEEP_MAX_DELAY_MS = 1_000;

/**
 * Watches folders and single files (existing or not) and reports changes below them, without events
 * for what exists when it starts. Resolves once the initial scan is done.
 *
 * Each path is watched from its nearest existing parent folder, so a file an editor replaces by rename,
 * a path created later, and a folder deleted and made again are all followed.
 */
export async function openFileWatcher(options: FileWatcherOptions): Promise<FileWatcher> {
  const roots = new Set<string>();
  const unwatchedInChokidar = new Set<string>();
  const secondLooks = new Map<string, NodeJS.Timeout>();
  const foldersToSweep = new Set<string>();
  let sweepQuietTimer: NodeJS.Timeout | undefined;
  let sweepMaxTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const watchedRootOf = (path: string): string | undefined => {
    for (const root of roots) if (isWithin(path, root)) return root;
    return undefined;
  };
  const leadsToRoot = (path: string): boolean => {
    for (const root of roots) if (isWithin(root, path)) return true;
    return false;
  };
  /** Under a watched path and not ignored, or a folder on the way to a watched path. */
  const wanted = (path: string, isDirectory: boolean): boolean =>
    watchedRootOf(path) === undefined ? leadsToRoot(path) : !options.ignored(path, isDirectory);

  const chokidar = new FSWatcher({
    ignoreInitial: true,
    // Editors that save by rename: an unlink followed by an add within 100 ms is one change.
    atomic: true,
    ignored: (path: string, stats?: Stats): boolean => {
      // chokidar asks first without stats, and skips what it is told to: only skip what is ignored either way.
      if (stats === undefined) return !wanted(path, false) && !wanted(path, true);
      return !wanted(path, stats.isDirectory());
    },
  });

  const report = (path: string, kind: FileChangeKind): void => {
    if (closed || watchedRootOf(path) === undefined) return;
    if (options.ignored(path, kind === 'addDir' || kind === 'unlinkDir')) return;
    options.onChange({ path, kind, time: Date.now() });
    if (kind === 'add' || kind === 'change') lookAgainLater(path);
    if (kind !== 'change') sweepLater(dirname(path));
    if (kind === 'addDir') sweepLater(path);
  };

  const lookAgainLater = (path: string): void => {
    clearTimeout(secondLooks.get(path));
    // The baseline is the file as it is now, not chokidar's stats: those may be from the truncation
    // that started the write, and comparing with them would report one save twice.
    const baseline = stat(path).catch(() => undefined);
    const timer = setTimeout(() => {
      secondLooks.delete(path);
      void Promise.all([baseline, stat(path).catch(() => undefined)]).then(([seen, now]) => {
        if (seen === undefined || now === undefined || !now.isFile()) return; // gone: chokidar reports the unlink
        const rewritten = now.mtimeMs !== seen.mtimeMs || now.size !== seen.size || now.ino !== seen.ino;
        if (rewritten) report(path, 'change');
      });
    }, SECOND_LOOK_MS).unref();
    secondLooks.set(path, timer);
  };

  const sweepLater = (folder: string): void => {
    foldersToSweep.add(folder);
    clearTimeout(sweepQuietTimer);
    sweepQuietTimer = setTimeout(sweepSoon, SWEEP_QUIET_MS).unref();
    sweepMaxTimer ??= setTimeout(sweepSoon, SWEEP_MAX_DELAY_MS).unref();
  };
  const sweepSoon = (): void => {
    clearTimeout(sweepQuietTimer);
    clearTimeout(sweepMaxTimer);
    sweepQuietTimer = sweepMaxTimer = undefined;
    const folders = [...foldersToSweep];
    foldersToSweep.clear();
    sweep(folders).catch((error: unknown) => {
      if (!closed) options.onError(describeWatchError(error));
    });
  };
  const sweep = async (folders: readonly string[]): Promise<void> => {
    const tracked = chokidar.getWatched();
    for (const folder of folders) {
      const known = tracked[folder];
      if (known === undefined) continue; // not watched (any more)
      const knownNames = new Set(known);
      for (const entry of await entriesOf(folder)) {
        if (closed) return;
        if (knownNames.has(entry.name)) continue;
        const path = join(folder, entry.name);
        const isDirectory = await isFolder(entry, path);
        if (isDirectory === undefined || !wanted(path, isDirectory)) continue;
        // Tracked from now on, quietly: what is in it is reported here.
        chokidar.add(path);
        await reportTree(path, isDirectory);
      }
    }
  };
  const reportTree = async (path: string, isDirectory: boolean): Promise<void> => {
    report(path, isDirectory ? 'addDir' : 'add');
    if (!isDirectory) return;
    for (const entry of await entriesOf(path)) {
      const child = join(path, entry.name);
      const childIsDirectory = await isFolder(entry, child);
      if (childIsDirectory !== undefined && wanted(child, childIsDirectory))
        await reportTree(child, childIsDirectory);
    }
  };

  chokidar.on('all', (event, path) => {
    if (
      event === 'add' ||
      event === 'change' ||
      event === 'unlink' ||
      event === 'addDir' ||
      event === 'unlinkDir'
    ) {
      report(path, event);
    }
  });
  chokidar.on('error', (error) => {
    if (!closed) options.onError(describeWatchError(error));
  });

  const startWatching = async (paths: readonly string[]): Promise<void> => {
    const fresh = paths.map((path) => resolve(path)).filter((path) => !roots.has(path));
    for (const path of fresh) roots.add(path);
    const anchors = new Set(await Promise.all(fresh.map(nearestExistingParent)));
    if (closed) return;
    // chokidar.unwatch left an ignore rule for the path itself; adding the path is what lifts it.
    const lifted = fresh.filter((path) => unwatchedInChokidar.delete(path));
    const toAdd = [...anchors, ...lifted];
    if (toAdd.length > 0) chokidar.add(toAdd);
  };

  const ready = new Promise<void>((resolveReady) => chokidar.once('ready', resolveReady));
  const initial = options.paths.map((path) => resolve(path));
  await startWatching(initial);
  if (initial.length > 0) await ready;

  return {
    add(paths) {
      if (closed) return;
      startWatching(paths).catch((error: unknown) => {
        if (!closed) options.onError(describeWatchError(error));
      });
    },
    unwatch(paths) {
      if (closed) return;
      const gone = paths.map((path) => resolve(path)).filter((path) => roots.delete(path));
      for (const path of gone) {
        // Events below it are filtered from now on; the OS watches are released only when no other
        // watched path shares them (chokidar.unwatch ignores the whole tree).
        const shared = [...roots].some((root) => isWithin(root, path) || isWithin(path, root));
        if (!shared) {
          chokidar.unwatch(path);
          unwatchedInChokidar.add(path);
        }
      }
    },
    async close() {
      closed = true;
      for (const timer of secondLooks.values()) clearTimeout(timer);
      secondLooks.clear();
      clearTimeout(sweepQuietTimer);
      clearTimeout(sweepMaxTimer);
      await chokidar.close();
    },
  };
}

/** Turns a watching error into one that says what to do about it. */
export function describeWatchError(error: unknown): ComposeError {
  if (error instanceof ComposeError) return error;
  const code = errorProperty(error, 'code');
  const path = errorProperty(error, 'path') ?? errorProperty(error, 'filename');
  const where = path === undefined ? '' : ` ${path}`;
  switch (code) {
    case 'ENOSPC':
      return new ComposeError(`cannot watch${where}: the system limit on inotify watches is reached`, {
        hint:
          'raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (add that setting to /etc/sysctl.conf to keep it), ' +
          'or add big folders such as node_modules to the rule’s ignore',
        cause: error,
      });
    case 'EMFILE':
    case 'ENFILE':
      return new ComposeError(`cannot watch${where}: too many open files or inotify instances`, {
        hint:
          'raise `ulimit -n` and `sudo sysctl fs.inotify.max_user_instances=1024` (and fs.inotify.max_user_watches if needed), ' +
          'or watch fewer files with ignore',
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new ComposeError(`cannot watch${where}: permission denied`, {
        hint: 'make it readable for the user running berth, or add it to the rule’s ignore',
        cause: error,
      });
    default:
      return new ComposeError(
        `watching files failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
  }
}

function errorProperty(error: unknown, key: 'code' | 'path' | 'filename'): string | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value: unknown = (error as Record<typeof key, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

async function entriesOf(folder: string): Promise<Dirent[]> {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch {
    return []; // gone or unreadable: chokidar reports that
  }
}

/** Whether an entry is a folder, following symbolic links as chokidar does; undefined when it is gone. */
async function isFolder(entry: Dirent, path: string): Promise<boolean | undefined> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

/** The closest folder above `path` that exists (the path itself only when it is the file system root). */
async function nearestExistingParent(path: string): Promise<string> {
  let folder = dirname(path);
  if (folder === path) return path;
  for (;;) {
    try {
      if ((await stat(folder)).isDirectory()) return folder;
    } catch {
      // missing: look higher
    }
    const parent = dirname(folder);
    if (parent === folder) return folder;
    folder = parent;
  }
}
