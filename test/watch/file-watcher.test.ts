import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ComposeError } from '../../src/project/errors.js';
import { describeWatchError, type FileWatcher, openFileWatcher } from '../../src/watch/file-watcher.js';
import type { FileChange } from '../../src/watch/types.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('openFileWatcher', () => {
  let dir: string;
  let watcher: FileWatcher | undefined;
  let changes: FileChange[];
  let errors: Error[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-file-watcher-'));
    changes = [];
    errors = [];
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function watch(
    paths: string[],
    ignored: (path: string, isDirectory: boolean) => boolean = () => false,
  ): Promise<FileWatcher> {
    watcher = await openFileWatcher({
      paths,
      ignored,
      onChange: (change) => changes.push(change),
      onError: (error) => errors.push(error),
    });
    return watcher;
  }

  /** Waits (at most 10 s) until the changes seen so far satisfy the condition. */
  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !condition(); i++) await sleep(10);
    expect(condition()).toBe(true);
  }
  const seen = (kind: FileChange['kind'], path: string, since = 0): boolean =>
    changes.some((c) => c.kind === kind && c.path === path && c.time >= since);
  const seenAny = (kinds: FileChange['kind'][], path: string, since = 0): boolean =>
    changes.some((c) => kinds.includes(c.kind) && c.path === path && c.time >= since);

  it('reports adds, changes and removals of files and folders, not what existed before', async () => {
    await writeFile(join(dir, 'old.txt'), 'old');
    await mkdir(join(dir, 'old-dir'));
    await writeFile(join(dir, 'old-dir', 'inner.txt'), 'old');
    await watch([dir]);
    await sleep(50);
    expect(changes).toEqual([]);

    await writeFile(join(dir, 'new.txt'), 'new');
    await until(() => seen('add', join(dir, 'new.txt')));
    await writeFile(join(dir, 'old.txt'), 'changed');
    await until(() => seen('change', join(dir, 'old.txt')));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'a.txt'), 'a');
    await until(() => seen('addDir', join(dir, 'sub')) && seen('add', join(dir, 'sub', 'a.txt')));
    await unlink(join(dir, 'new.txt'));
    await until(() => seen('unlink', join(dir, 'new.txt')));
    await rm(join(dir, 'old-dir'), { recursive: true });
    await until(() => seen('unlinkDir', join(dir, 'old-dir')));
    expect(changes.every((c) => c.time > 0 && c.path.startsWith(dir))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('sees a save by rename (write x.tmp, rename over x) in a watched folder', async () => {
    const file = join(dir, 'x');
    await writeFile(file, 'one');
    await watch([dir], (path) => path.endsWith('.tmp'));
    await writeFile(`${file}.tmp`, 'two');
    await rename(`${file}.tmp`, file);
    await until(() => seenAny(['change', 'add'], file));
    expect(changes.filter((c) => c.path.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps watching a single file replaced by rename, save after save', async () => {
    const file = join(dir, 'compose.yaml');
    await writeFile(file, 'one');
    const other = join(dir, 'src');
    await mkdir(other);
    // With a second watched path, chokidar alone would lose the file once it is deleted.
    await watch([file, other]);
    for (const content of ['two', 'three', 'four']) {
      const since = Date.now();
      await writeFile(`${file}.tmp`, content);
      await rename(`${file}.tmp`, file);
      await until(() => seenAny(['change', 'add'], file, since));
      await sleep(150); // past chokidar's merging of an unlink and an add into one change
    }
    // Deleted, then made again (as some editors save): still followed.
    await unlink(file);
    await until(() => seen('unlink', file));
    const since = Date.now();
    await writeFile(file, 'five');
    await until(() => seenAny(['add', 'change'], file, since));
    expect(changes.filter((c) => c.path !== file)).toEqual([]);
  });

  it('reports a write that follows the previous one within chokidar’s 50 ms', async () => {
    const file = join(dir, 'app.js');
    await writeFile(file, 'one');
    await watch([dir]);
    await writeFile(file, 'two');
    await until(() => seen('change', file));
    const since = Date.now();
    await writeFile(file, 'three and more');
    await until(() => seen('change', file, since));
  });

  it('reports paths that do not exist yet once they are made', async () => {
    const file = join(dir, '.env');
    const folder = join(dir, 'not', 'yet', 'src');
    await watch([file, folder]);
    await writeFile(file, 'A=1');
    await until(() => seen('add', file));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'index.js'), 'x');
    await until(() => seen('add', join(folder, 'index.js')));
    // The folders on the way there are not reported: they are not watched paths.
    expect(changes.some((c) => c.path === join(dir, 'not'))).toBe(false);
  });

  it('reports a burst of 3000 new files', async () => {
    const folder = join(dir, 'many');
    await mkdir(folder);
    await watch([folder]);
    const names = Array.from({ length: 3000 }, (_, i) => join(folder, `f${i}.txt`));
    await Promise.all(names.map((name) => writeFile(name, 'x')));
    const added = (): number => new Set(changes.filter((c) => c.kind === 'add').map((c) => c.path)).size;
    await until(() => added() === 3000);
    expect(errors).toEqual([]);
  });

  it('reports a burst of new folders full of files', async () => {
    await watch([dir]);
    const names = Array.from({ length: 1000 }, (_, i) => join(dir, `d${i % 40}`, `e${i % 3}`, `f${i}.txt`));
    await Promise.all(
      names.map(async (name) => {
        await mkdir(join(name, '..'), { recursive: true });
        await writeFile(name, 'x');
      }),
    );
    const added = (): number => new Set(changes.filter((c) => c.kind === 'add').map((c) => c.path)).size;
    await until(() => added() === 1000);
    expect(new Set(changes.filter((c) => c.kind === 'addDir').map((c) => c.path)).size).toBe(40 + 40 * 3);
  });

  it('follows a watched folder that is deleted and made again', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await watch([src]);
    await rm(src, { recursive: true });
    await until(() => seen('unlinkDir', src));
    await mkdir(src);
    await writeFile(join(src, 'index.js'), 'x');
    await until(() => seen('add', join(src, 'index.js')));
  });

  it('asks ignored with whether the path is a folder, and skips ignored trees', async () => {
    await mkdir(join(dir, 'node_modules', 'pkg'), { recursive: true });
    const asked: [string, boolean][] = [];
    // Like a rule with `include: ["*.js"]`: folders are never ignored, files only when not .js.
    await watch([dir], (path, isDirectory) => {
      asked.push([path, isDirectory]);
      if (path.split('/').includes('node_modules')) return true;
      return !isDirectory && !path.endsWith('.js');
    });
    await mkdir(join(dir, 'src', 'lib'), { recursive: true });
    await writeFile(join(dir, 'src', 'lib', 'a.txt'), 'x');
    await writeFile(join(dir, 'src', 'lib', 'a.js'), 'x');
    await writeFile(join(dir, 'node_modules', 'pkg', 'b.js'), 'x');
    await until(() => seen('add', join(dir, 'src', 'lib', 'a.js')));
    await sleep(200);
    expect(seen('addDir', join(dir, 'src', 'lib'))).toBe(true);
    expect(changes.some((c) => c.path.endsWith('a.txt') || c.path.includes('node_modules'))).toBe(false);
    expect(asked).toContainEqual([join(dir, 'src', 'lib'), true]);
    expect(asked).toContainEqual([join(dir, 'src', 'lib', 'a.js'), false]);
  });

  it('does not crash when a watched path lies inside an ignored folder', async () => {
    const inside = join(dir, 'node_modules', 'pkg');
    await mkdir(inside, { recursive: true });
    const other = join(dir, 'src');
    await mkdir(other);
    await watch([inside, other], (path) => path.split('/').includes('node_modules'));
    await writeFile(join(inside, 'a.js'), 'x');
    await writeFile(join(other, 'b.js'), 'x');
    await until(() => seen('add', join(other, 'b.js')));
    await sleep(100);
    expect(changes.some((c) => c.path.includes('node_modules'))).toBe(false);
    expect(errors).toEqual([]);
  });

  it('adds and unwatches paths while running', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await mkdir(a);
    await mkdir(b);
    const w = await watch([a]);
    w.add([b]);
    await sleep(200); // add() does not wait for the scan
    await writeFile(join(b, 'one.txt'), '1');
    await until(() => seen('add', join(b, 'one.txt')));

    w.unwatch([a]);
    await writeFile(join(a, 'ignored-now.txt'), '1');
    await writeFile(join(b, 'two.txt'), '2');
    await until(() => seen('add', join(b, 'two.txt')));
    await sleep(100);
    expect(seen('add', join(a, 'ignored-now.txt'))).toBe(false);

    w.add([a]);
    await sleep(200);
    await writeFile(join(a, 'three.txt'), '3');
    await until(() => seen('add', join(a, 'three.txt')));
  });

  it('resolves at once with nothing to watch, and reports nothing after close', async () => {
    const w = await watch([]);
    w.add([dir]);
    await sleep(200);
    await w.close();
    await writeFile(join(dir, 'late.txt'), 'x');
    await sleep(100);
    expect(changes).toEqual([]);
  });
});

describe('describeWatchError', () => {
  const errno = (code: string, message: string): Error =>
    Object.assign(new Error(message), { code, path: '/p/src' });

  it('says to raise fs.inotify.max_user_watches when inotify watches run out', () => {
    const error = describeWatchError(
      errno('ENOSPC', 'ENOSPC: System limit for number of file watchers reached'),
    );
    expect(error).toBeInstanceOf(ComposeError);
    expect(error.message).toContain('/p/src');
    expect(error.message).toContain('fs.inotify.max_user_watches');
  });

  it('says what to raise on EMFILE, and keeps other errors', () => {
    expect(describeWatchError(errno('EMFILE', 'EMFILE: too many open files')).message).toContain(
      'fs.inotify.max_user_instances',
    );
    expect(describeWatchError(errno('EACCES', 'denied')).message).toContain('permission denied');
    expect(describeWatchError(new Error('boom')).message).toContain('boom');
  });
});
