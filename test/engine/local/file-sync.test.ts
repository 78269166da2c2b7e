/**
 * `watch` sync on the in-process engine: real files copied through hand-made mount plans, and once
 * through a real LocalEngine whose replica reads the synced file from its working directory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createLocalEngine } from '../../../src/engine/local/engine.js';
import { syncIntoMounts } from '../../../src/engine/local/file-sync.js';
import type { MountPlan } from '../../../src/engine/local/types.js';
import { ComposeError, ComposeErrors } from '../../../src/project/errors.js';
import { loadProject } from '../../../src/project/load.js';
import { containerCreateRequest } from '../../../src/reconcile/create-request.js';

let dir: string;
/** The replica's private folder (mounted at `/`) and the host side of the watched files. */
let rootfs: string;
let src: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-file-sync-'));
  rootfs = path.join(dir, 'rootfs');
  src = path.join(dir, 'src');
  await mkdir(rootfs);
  await mkdir(src);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function privateMount(readOnly = false): MountPlan {
  return { kind: 'private', containerPath: '/', hostPath: rootfs, readOnly };
}

async function folder(name: string): Promise<string> {
  const made = path.join(dir, name);
  await mkdir(made, { recursive: true });
  return made;
}

async function source(name: string, content: string): Promise<string> {
  const file = path.join(src, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function syncError(
  mounts: MountPlan[],
  changes: { target: string; source?: string }[],
): Promise<ComposeError> {
  const error = await syncIntoMounts(mounts, changes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ComposeError);
  return error as ComposeError;
}

describe('syncIntoMounts', () => {
  it('copies a file into the private folder, creating its parent folders', async () => {
    const file = await source('a.txt', 'hello');
    await syncIntoMounts([privateMount()], [{ target: '/app/deep/a.txt', source: file }]);
    expect(await readFile(path.join(rootfs, 'app/deep/a.txt'), 'utf8')).toBe('hello');
  });

  it('copies through a bind mount, a named volume and the longest covering mount', async () => {
    const bind = await folder('bind');
    const volume = await folder('volume/_data');
    const mounts: MountPlan[] = [
      privateMount(),
      { kind: 'bind', containerPath: '/app', hostPath: bind, readOnly: false },
      {
        kind: 'volume',
        containerPath: '/app/node_modules',
        hostPath: volume,
        readOnly: false,
        volumeName: 'p_m',
      },
    ];
    const file = await source('a.txt', 'A');
    await syncIntoMounts(mounts, [
      { target: '/app/a.txt', source: file },
      { target: '/app/node_modules/pkg/index.js', source: file },
    ]);
    expect(await readFile(path.join(bind, 'a.txt'), 'utf8')).toBe('A');
    expect(await readFile(path.join(volume, 'pkg/index.js'), 'utf8')).toBe('A');
    expect(existsSync(path.join(bind, 'node_modules'))).toBe(false);
    expect(await readdir(rootfs)).toEqual([]);
  });

  it('does nothing where the target is the source itself through a bind mount, even via a symlinked path', async () => {
    const file = await source('a.txt', 'same');
    const before = await stat(file);
    const linked = path.join(dir, 'linked-src');
    await symlink(src, linked);
    for (const hostPath of [src, linked]) {
      for (const readOnly of [false, true]) {
        const mounts: MountPlan[] = [
          privateMount(),
          { kind: 'bind', containerPath: '/app', hostPath, readOnly },
        ];
        await syncIntoMounts(mounts, [
          { target: '/app/a.txt', source: file },
          { target: '/app', source: src },
        ]);
      }
    }
    const after = await stat(file);
    expect(after.ino).toBe(before.ino);
    expect(await readdir(src)).toEqual(['a.txt']);
    // The user deleted a file of a same-files bind: it is already gone, which is fine (read-only too).
    await rm(file);
    const readOnly: MountPlan[] = [
      privateMount(),
      { kind: 'bind', containerPath: '/app', hostPath: src, readOnly: true },
    ];
    await syncIntoMounts(readOnly, [{ target: '/app/a.txt' }]);
  });

  it('refuses a read-only mount that is not the source, naming the target', async () => {
    const bind = await folder('ro');
    const file = await source('a.txt', 'x');
    const mounts: MountPlan[] = [
      privateMount(),
      { kind: 'bind', containerPath: '/app', hostPath: bind, readOnly: true },
    ];
    const error = await syncError(mounts, [{ target: '/app/a.txt', source: file }]);
    expect(error.problem).toContain('/app/a.txt');
    expect(error.problem).toContain('read-only');
    expect(error.hint).toBe('mount it read-write or sync to another target');
    expect(await readdir(bind)).toEqual([]);

    await writeFile(path.join(bind, 'b.txt'), 'keep');
    expect((await syncError(mounts, [{ target: '/app/b.txt' }])).problem).toContain('read-only');
    expect(await readFile(path.join(bind, 'b.txt'), 'utf8')).toBe('keep');

    const sealed = await syncError([privateMount(true)], [{ target: '/etc/a.txt', source: file }]);
    expect(sealed.problem).toContain('read_only');
  });

  it('deletes files and folders recursively; a missing one is fine', async () => {
    await mkdir(path.join(rootfs, 'app/dir/sub'), { recursive: true });
    await writeFile(path.join(rootfs, 'app/dir/sub/x'), 'x');
    await writeFile(path.join(rootfs, 'app/a.txt'), 'a');
    await syncIntoMounts(
      [privateMount()],
      [
        { target: '/app/a.txt' },
        { target: '/app/dir' },
        { target: '/app/never-there' },
        { target: '/nope/x' },
      ],
    );
    expect(await readdir(path.join(rootfs, 'app'))).toEqual([]);
  });

  it('treats a source that vanished before the copy as a deletion', async () => {
    await mkdir(path.join(rootfs, 'app'));
    await writeFile(path.join(rootfs, 'app/gone.txt'), 'old');
    await syncIntoMounts([privateMount()], [{ target: '/app/gone.txt', source: path.join(src, 'gone.txt') }]);
    expect(existsSync(path.join(rootfs, 'app/gone.txt'))).toBe(false);
  });

  it("keeps the source's mode and replaces the file atomically, leaving no temporary file", async () => {
    const script = await source('run.sh', '#!/bin/sh\necho new\n');
    await chmod(script, 0o750);
    await mkdir(path.join(rootfs, 'app'));
    const host = path.join(rootfs, 'app/run.sh');
    await writeFile(host, 'old');
    const old = await stat(host);
    await syncIntoMounts([privateMount()], [{ target: '/app/run.sh', source: script }]);
    const replaced = await stat(host);
    expect(replaced.mode & 0o777).toBe(0o750);
    // Renamed over, not rewritten in place: a reader sees the old file or the new one, never half.
    expect(replaced.ino).not.toBe(old.ino);
    expect(await readFile(host, 'utf8')).toBe('#!/bin/sh\necho new\n');
    expect(await readdir(path.join(rootfs, 'app'))).toEqual(['run.sh']);
  });

  it('creates a folder without its contents, recreates a symlink, and replaces what is in the way', async () => {
    await source('dir/inner.txt', 'inner');
    await chmod(path.join(src, 'dir'), 0o700);
    await symlink('dir/inner.txt', path.join(src, 'link'));
    await mkdir(path.join(rootfs, 'app/link'), { recursive: true });
    await writeFile(path.join(rootfs, 'app/dir'), 'a file in the way');
    await syncIntoMounts(
      [privateMount()],
      [
        { target: '/app/dir', source: path.join(src, 'dir') },
        { target: '/app/link', source: path.join(src, 'link') },
      ],
    );
    const made = await stat(path.join(rootfs, 'app/dir'));
    expect(made.isDirectory()).toBe(true);
    expect(made.mode & 0o777).toBe(0o700);
    expect(await readdir(path.join(rootfs, 'app/dir'))).toEqual([]);
    expect(await readlink(path.join(rootfs, 'app/link'))).toBe('dir/inner.txt');
  });

  it('keeps a hostile target inside the private folder', async () => {
    const name = `berth-sync-test-${randomBytes(6).toString('hex')}`;
    const file = await source('evil.txt', 'evil');
    try {
      await syncIntoMounts([privateMount()], [{ target: `/app/../../etc/${name}`, source: file }]);
      expect(await readFile(path.join(rootfs, 'etc', name), 'utf8')).toBe('evil');
      expect(existsSync(path.join('/etc', name))).toBe(false);
    } finally {
      await rm(path.join('/etc', name), { force: true });
    }
  });

  it('refuses to follow a symbolic link that leads out of the mount', async () => {
    const outside = await folder('outside');
    await mkdir(path.join(rootfs, 'app'));
    await symlink(outside, path.join(rootfs, 'app/escape'));
    const file = await source('a.txt', 'a');
    const error = await syncError([privateMount()], [{ target: '/app/escape/a.txt', source: file }]);
    expect(error.problem).toContain('/app/escape/a.txt');
    await syncError([privateMount()], [{ target: '/app/escape/sub' }]);
    expect(await readdir(outside)).toEqual([]);
    // The link itself is the container's to replace or delete; its target is left alone.
    await syncIntoMounts([privateMount()], [{ target: '/app/escape' }]);
    expect(existsSync(path.join(rootfs, 'app/escape'))).toBe(false);
    expect(existsSync(outside)).toBe(true);
  });

  it('applies every change it can and reports all the failures', async () => {
    const bind = await folder('ro');
    const mounts: MountPlan[] = [
      privateMount(),
      { kind: 'bind', containerPath: '/ro', hostPath: bind, readOnly: true },
    ];
    const file = await source('a.txt', 'a');
    const error = await syncError(mounts, [
      { target: '/ro/1', source: file },
      { target: '/app/a.txt', source: file },
      { target: '/ro/2', source: file },
    ]);
    expect(error).toBeInstanceOf(ComposeErrors);
    expect((error as ComposeErrors).errors.map((e) => e.problem)).toEqual([
      expect.stringContaining('/ro/1'),
      expect.stringContaining('/ro/2'),
    ]);
    expect(await readFile(path.join(rootfs, 'app/a.txt'), 'utf8')).toBe('a');
  });

  it('empties a mount point it is asked to delete, and keeps the mount point', async () => {
    const bind = await folder('bind');
    await writeFile(path.join(bind, 'x'), 'x');
    await syncIntoMounts(
      [privateMount(), { kind: 'bind', containerPath: '/app', hostPath: bind, readOnly: false }],
      [{ target: '/app' }],
    );
    expect(await readdir(bind)).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    "gives new files and folders to the replica's user when berth is root",
    async () => {
      const file = await source('a.txt', 'a');
      await syncIntoMounts(
        [privateMount()],
        [
          { target: '/home/app/new/a.txt', source: file },
          { target: '/home/app/dir', source: src },
        ],
        { uid: 4321, gid: 4322 },
      );
      for (const made of ['home', 'home/app', 'home/app/new', 'home/app/new/a.txt', 'home/app/dir']) {
        const info = await lstat(path.join(rootfs, made));
        expect([made, info.uid, info.gid]).toEqual([made, 4321, 4322]);
      }
    },
  );
});

describe('LocalEngine.syncFiles', () => {
  it('syncs into a created container, then a running one, whose process reads it from its working dir', async () => {
    const project = path.join(dir, 'project');
    await mkdir(project);
    const idle = JSON.stringify([process.execPath, '-e', 'setInterval(() => {}, 1000)']);
    await writeFile(
      path.join(project, 'compose.yaml'),
      `name: demo\nservices:\n  web:\n    image: local\n    working_dir: /app\n    command: ${idle}\n`,
    );
    const loaded = await loadProject({ cwd: project, env: { PATH: process.env.PATH } });
    const engine = await createLocalEngine({ stateRoot: path.join(dir, 'state'), project: 'demo' });
    let id: string | undefined;
    try {
      id = (await engine.createContainer(containerCreateRequest(loaded.project, 'web', 1))).id;
      await syncIntoEngine(engine, id, 'x.txt', 'first');
      await engine.startContainer(id);
      expect(await reads(engine, id, 'x.txt', 'first')).toBe(0);
      await syncIntoEngine(engine, id, 'x.txt', 'second');
      expect(await reads(engine, id, 'x.txt', 'second')).toBe(0);
      await engine.syncFiles(id, [{ target: '/app/x.txt' }]);
      expect(await reads(engine, id, 'x.txt', 'second')).not.toBe(0);
      await expect(engine.syncFiles('nope', [])).rejects.toThrow(/no such container/);
    } finally {
      if (id !== undefined) await engine.removeContainer(id, { force: true });
      await engine.shutdown();
    }
  });
});

type LocalEngine = Awaited<ReturnType<typeof createLocalEngine>>;

async function syncIntoEngine(engine: LocalEngine, id: string, name: string, content: string): Promise<void> {
  const file = await source(name, content);
  await engine.syncFiles(id, [{ target: `/app/${name}`, source: file }]);
}

/** Exit code of a command in the replica that checks `name` in its working dir holds `content`. */
async function reads(engine: LocalEngine, id: string, name: string, content: string): Promise<number> {
  const check = [
    `const fs = require('fs'), name = ${JSON.stringify(name)};`,
    `process.exit(fs.existsSync(name) && fs.readFileSync(name, 'utf8') === ${JSON.stringify(content)} ? 0 : 1);`,
  ].join(' ');
  return (await engine.exec(id, { command: [process.execPath, '-e', check] })).exitCode;
}
