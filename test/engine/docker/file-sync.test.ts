/**
 * DockerEngine.syncFiles against the real dockerd: copies through the archive API (files, folders,
 * modes, symlinks, ownership, big files, many files), deletions through `rm -rf` in the container,
 * vanished sources, order within a batch, stopped and read-only containers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { DockerEngine, openDockerEngine } from '../../../src/engine/docker/engine.js';
import { Labels } from '../../../src/engine/labels.js';
import { ComposeError } from '../../../src/project/errors.js';
import { describeDocker, removeProjectContainers, TEST_IMAGE } from '../../support/docker.js';

const docker = new Dockerode();
const project = `berthsync${randomBytes(4).toString('hex')}`;
let engine: DockerEngine;
let host: string;
let running: string;

/** A `sleep 3600` container labelled with this suite's project. */
async function make(
  name: string,
  extra: Partial<Dockerode.ContainerCreateOptions> = {},
  start = true,
): Promise<string> {
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    name: `${project}-${name}-1`,
    Cmd: ['sleep', '3600'],
    Labels: {
      [Labels.project]: project,
      [Labels.service]: name,
      [Labels.containerNumber]: '1',
      [Labels.oneoff]: 'False',
    },
    StopTimeout: 1,
    ...extra,
  });
  if (start) await container.start();
  return container.id;
}

/** What `command` prints in the container, and its exit code. */
async function run(id: string, command: string[]): Promise<{ out: string; code: number }> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const { exitCode } = await engine.execAttached(id, { command }, { stdout: out, stderr: discard });
  return { out: Buffer.concat(chunks).toString('utf8'), code: exitCode };
}

async function exists(id: string, path: string): Promise<boolean> {
  return (await run(id, ['test', '-e', path])).code === 0;
}

async function hostFile(relative: string, content: string | Buffer, mode?: number): Promise<string> {
  const path = join(host, relative);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  if (mode !== undefined) await chmod(path, mode);
  return path;
}

async function removeAll(): Promise<void> {
  await removeProjectContainers(docker, project);
}

describeDocker('DockerEngine.syncFiles', () => {
  beforeAll(async () => {
    host = await mkdtemp(join(tmpdir(), 'berth-sync-'));
    engine = await openDockerEngine(process.env);
    running = await make('app');
  });

  afterAll(async () => {
    await engine?.close();
    await removeAll();
    if (host) await rm(host, { recursive: true, force: true });
  });

  it('copies a new file and replaces it', async () => {
    const source = await hostFile('new.txt', 'first\n');
    await engine.syncFiles(running, [{ source, target: '/srv/new.txt' }]);
    expect((await run(running, ['cat', '/srv/new.txt'])).out).toBe('first\n');

    await writeFile(source, 'second, longer\n');
    await engine.syncFiles(running, [{ source, target: '/srv/new.txt' }]);
    expect((await run(running, ['cat', '/srv/new.txt'])).out).toBe('second, longer\n');
  });

  it('creates nested folders, keeps file modes and copies symlinks', async () => {
    const folder = join(host, 'tree');
    await mkdir(join(folder, 'a', 'b'), { recursive: true });
    await chmod(join(folder, 'a'), 0o750);
    const script = await hostFile('tree/a/b/run.sh', '#!/bin/sh\necho hi\n', 0o751);
    const link = join(folder, 'a', 'link');
    await symlink('b/run.sh', link);
    await engine.syncFiles(running, [
      { source: folder, target: '/tree' },
      { source: join(folder, 'a'), target: '/tree/a' },
      { source: join(folder, 'a', 'b'), target: '/tree/a/b' },
      { source: script, target: '/tree/a/b/run.sh' },
      { source: link, target: '/tree/a/link' },
      // No entries for its parents: the engine makes them.
      { source: script, target: '/deep/er/still/run.sh' },
    ]);
    expect((await run(running, ['stat', '-c', '%a', '/tree/a', '/tree/a/b/run.sh'])).out).toBe('750\n751\n');
    expect((await run(running, ['readlink', '/tree/a/link'])).out).toBe('b/run.sh\n');
    expect((await run(running, ['/tree/a/link'])).out).toBe('hi\n');
    expect((await run(running, ['cat', '/deep/er/still/run.sh'])).out).toBe('#!/bin/sh\necho hi\n');
  });

  it('deletes a file and a folder, in the order given', async () => {
    const source = await hostFile('gone/one.txt', 'one');
    await engine.syncFiles(running, [
      { source: join(host, 'gone'), target: '/gone' },
      { source, target: '/gone/one.txt' },
      { source, target: '/single.txt' },
    ]);
    expect(await exists(running, '/gone/one.txt')).toBe(true);

    await engine.syncFiles(running, [{ target: '/gone' }, { target: '/single.txt' }]);
    expect(await exists(running, '/gone')).toBe(false);
    expect(await exists(running, '/single.txt')).toBe(false);

    // Copy then delete leaves nothing; delete then copy leaves the file.
    await engine.syncFiles(running, [{ source, target: '/order.txt' }, { target: '/order.txt' }]);
    expect(await exists(running, '/order.txt')).toBe(false);
    await engine.syncFiles(running, [{ target: '/order.txt' }, { source, target: '/order.txt' }]);
    expect((await run(running, ['cat', '/order.txt'])).out).toBe('one');
  });

  it('deletes the target of a source that vanished', async () => {
    const source = await hostFile('vanishing.txt', 'here');
    await engine.syncFiles(running, [{ source, target: '/vanishing.txt' }]);
    expect(await exists(running, '/vanishing.txt')).toBe(true);
    await rm(source);
    await engine.syncFiles(running, [{ source, target: '/vanishing.txt' }]);
    expect(await exists(running, '/vanishing.txt')).toBe(false);
  });

  it("gives copies the container's numeric user, else root", async () => {
    const withGroup = await make('owned', { User: '1234:2345' });
    const uidOnly = await make('uid', { User: '1234' });
    const named = await make('named', { User: 'root' });
    const source = await hostFile('owned.txt', 'mine');
    for (const id of [withGroup, uidOnly, named]) {
      await engine.syncFiles(id, [{ source, target: '/tmp/owned.txt' }]);
    }
    expect((await run(withGroup, ['stat', '-c', '%u:%g', '/tmp/owned.txt'])).out).toBe('1234:2345\n');
    expect((await run(uidOnly, ['stat', '-c', '%u:%g', '/tmp/owned.txt'])).out).toBe('1234:0\n');
    expect((await run(named, ['stat', '-c', '%u:%g', '/tmp/owned.txt'])).out).toBe('0:0\n');
    // Deletions run as root, whatever the container's user.
    await engine.syncFiles(uidOnly, [{ target: '/tmp/owned.txt' }]);
    expect(await exists(uidOnly, '/tmp/owned.txt')).toBe(false);
  });

  it('copies a 3 MB file and 500 small files in one call', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const bigSource = await hostFile('big.bin', big);
    const smalls = await Promise.all(
      Array.from({ length: 500 }, (_, i) => hostFile(`many/f${i}.txt`, `file ${i}\n`)),
    );
    await engine.syncFiles(running, [
      { source: bigSource, target: '/big.bin' },
      { source: join(host, 'many'), target: '/many' },
      ...smalls.map((source, i) => ({ source, target: `/many/f${i}.txt` })),
    ]);
    const sum = createHash('sha256').update(big).digest('hex');
    expect((await run(running, ['sha256sum', '/big.bin'])).out).toBe(`${sum}  /big.bin\n`);
    expect((await run(running, ['sh', '-c', 'ls /many | wc -l'])).out.trim()).toBe('500');
    expect((await run(running, ['cat', '/many/f0.txt', '/many/f499.txt'])).out).toBe('file 0\nfile 499\n');
  });

  it('copies into a stopped container and refuses deletions there', async () => {
    const stopped = await make('stopped', {}, false);
    const source = await hostFile('stopped.txt', 'while stopped');
    await engine.syncFiles(stopped, [{ source, target: '/stopped.txt' }]);

    const refused = engine.syncFiles(stopped, [{ source, target: '/copied-first.txt' }, { target: '/x' }]);
    await expect(refused).rejects.toBeInstanceOf(ComposeError);
    await expect(refused).rejects.toThrow(/cannot delete \/x in container .*-stopped-1: it is not running/);

    await docker.getContainer(stopped).start();
    expect((await run(stopped, ['cat', '/stopped.txt'])).out).toBe('while stopped');
    // A refused batch changes nothing.
    expect(await exists(stopped, '/copied-first.txt')).toBe(false);
  });

  it('reports what the engine and rm refuse, naming the container', async () => {
    const readOnly = await make('readonly', { HostConfig: { ReadonlyRootfs: true } });
    const source = await hostFile('ro.txt', 'no');
    const copy = engine.syncFiles(readOnly, [{ source, target: '/etc/ro.txt' }]);
    await expect(copy).rejects.toBeInstanceOf(ComposeError);
    await expect(copy).rejects.toThrow(/container .*-readonly-1/);

    const deletion = engine.syncFiles(readOnly, [{ target: '/etc/passwd' }]);
    await expect(deletion).rejects.toThrow(
      /cannot delete \/etc\/passwd in container .*-readonly-1: rm exited with code 1/,
    );

    await expect(engine.syncFiles('berth-no-such-container', [{ target: '/x' }])).rejects.toThrow(
      /no such container/,
    );
  });
});
