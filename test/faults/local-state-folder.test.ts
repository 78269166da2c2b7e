/**
 * A state folder berth cannot write to: made read-only (a read-only bind mount, since root ignores
 * modes) or full (a small tmpfs, filled). Commands fail with a clear error and no stack trace, what
 * runs keeps running, the state file is never half-written (it parses, and is the old state or the
 * new one), and once the folder is writable again the project is managed as before.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { ComposeError } from '../../src/project/errors.js';
import {
  emptyProjectState,
  readProjectState,
  writeProjectState,
} from '../../src/engine/local/state-store.js';
import { expectCleanFailure } from '../cli/helpers.js';
import { afterTest, type FaultProject, faultProject, PROJECT, until } from './local-fault-fixture.js';

const COMPOSE = `
services:
  web:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
`;

const runsAsRoot = process.getuid?.() === 0;
// Mounting needs root; CI runs as root, so there the suite never skips.
const describeRoot = runsAsRoot || process.env.CI === 'true' ? describe : describe.skip;
if (!runsAsRoot && process.env.CI !== 'true') {
  process.stderr.write('skipping the state-folder fault suite: it mounts file systems and needs root\n');
}

async function sh(command: string, args: string[]): Promise<void> {
  const run = await execa(command, args, { reject: false });
  if (run.exitCode !== 0) throw new Error(`${command} ${args.join(' ')}: ${run.stderr}`);
}

async function isMountPoint(dir: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === dir);
}

/** Unmounts every mount stacked on `dir` (bounded: a busy one is detached lazily). */
async function unmountAll(dir: string): Promise<void> {
  for (let i = 0; i < 5 && (await isMountPoint(dir)); i++) {
    const run = await execa('umount', [dir], { reject: false });
    if (run.exitCode !== 0) await execa('umount', ['-l', dir], { reject: false });
  }
}

/** The state file parses as the engine's state, and names these running containers. */
async function expectIntactState(p: FaultProject, names: string[]): Promise<void> {
  const state = JSON.parse(await readFile(path.join(p.projectDir, 'state.json'), 'utf8')) as {
    version: number;
    containers: { name: string; state: { status: string } }[];
  };
  expect(state.version).toBe(1);
  expect(state.containers.map((c) => c.name).sort()).toEqual(names);
}

async function runningNames(p: FaultProject): Promise<string[]> {
  return (await p.ps()).filter((r) => r.State === 'running').map((r) => r.Name);
}

/** What a failing command must leave: the old state, the old replicas running, no temporary file. */
async function expectNothingHarmed(p: FaultProject): Promise<void> {
  await expectIntactState(p, [`${PROJECT}-web-1`]);
  expect(await runningNames(p)).toEqual([`${PROJECT}-web-1`]);
  expect((await readdir(p.projectDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
}

/** Scale up now that the folder is writable again, then take everything down. */
async function expectManageable(p: FaultProject): Promise<void> {
  const up = await p.berth(['up', '-d', '--scale', 'web=2']);
  expect(up.exitCode, up.stderr).toBe(0);
  expect(await runningNames(p)).toEqual([`${PROJECT}-web-1`, `${PROJECT}-web-2`]);
  await expectIntactState(p, [`${PROJECT}-web-1`, `${PROJECT}-web-2`]);
  const down = await p.berth(['down']);
  expect(down.exitCode, down.stderr).toBe(0);
  await until(async () => (await p.leftovers()).length === 0, 'nothing left after down');
}

describeRoot('an unwritable or full state folder (in-process engine)', () => {
  it('read-only: a clear error, nothing half-written, and the project is managed again once writable', async () => {
    let stateDir = '';
    const p = await faultProject(COMPOSE, { beforeDown: () => unmountAll(stateDir) });
    stateDir = p.stateDir;
    const up = await p.berth(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);

    await sh('mount', ['--bind', stateDir, stateDir]);
    await sh('mount', ['-o', 'remount,bind,ro', stateDir]);
    for (const args of [['up', '-d', '--scale', 'web=2'], ['scale', 'web=2'], ['down']]) {
      const run = await p.berth(args);
      expectCleanFailure(run);
      expect(run.stderr, args.join(' ')).toMatch(/read-only/i);
      process.stderr.write(
        `read-only state folder, ${args.join(' ')}: ${run.stderr.trim().split('\n').at(-1)}\n`,
      );
      await expectNothingHarmed(p);
    }
    await unmountAll(stateDir);
    await expectManageable(p);
  }, 60_000);

  it('read-only before the first up: a clear error and nothing started', async () => {
    let stateDir = '';
    const p = await faultProject(COMPOSE, { beforeDown: () => unmountAll(stateDir) });
    stateDir = p.stateDir;
    await sh('mount', ['--bind', stateDir, stateDir]);
    await sh('mount', ['-o', 'remount,bind,ro', stateDir]);
    const run = await p.berth(['up', '-d']);
    expectCleanFailure(run);
    expect(await p.leftovers()).toEqual([]);
    await unmountAll(stateDir);
    const up = await p.berth(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    await expectManageable(p);
  }, 60_000);

  it('full: a clear error, nothing half-written, and the project is managed again once there is room', async () => {
    let stateDir = '';
    const filler = (): string => path.join(stateDir, 'filler');
    const p = await faultProject(COMPOSE, {
      beforeDown: () => rm(filler(), { force: true }),
      afterDown: () => unmountAll(stateDir),
    });
    stateDir = p.stateDir;
    await sh('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', stateDir]);
    const up = await p.berth(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);

    // Fill every block; dd ends with "No space left on device".
    await execa('dd', ['if=/dev/zero', `of=${filler()}`, 'bs=64k'], { reject: false });
    for (const args of [['up', '-d', '--scale', 'web=2'], ['scale', 'web=2'], ['down']]) {
      const run = await p.berth(args);
      expectCleanFailure(run);
      expect(run.stderr, args.join(' ')).toMatch(/no space left/i);
      process.stderr.write(`full state folder, ${args.join(' ')}: ${run.stderr.trim().split('\n').at(-1)}\n`);
      await expectNothingHarmed(p);
    }
    await rm(filler());
    await expectManageable(p);
  }, 60_000);

  it('a state write that runs out of space keeps the old state file and leaves no partial copy', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bfs-store-'));
    afterTest(async () => {
      await unmountAll(dir);
      await rm(dir, { recursive: true, force: true });
    });
    await sh('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
    const file = path.join(dir, 'state.json');
    const old = emptyProjectState('full', '/somewhere', ['compose.yaml']);
    await writeProjectState(file, old);
    // What is left of the 64 KiB can hold the old state, not a new one of about 1 MiB.
    await writeFile(path.join(dir, 'filler'), Buffer.alloc(32 * 1024));
    const bigger = { ...old, configFiles: Array.from({ length: 20_000 }, (_, i) => `compose-${i}.yaml`) };
    const failed = await writeProjectState(file, bigger).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ComposeError);
    expect((failed as ComposeError).message).toMatch(/no space left on device/);
    expect(await readProjectState(file)).toEqual(old);
    expect(await readdir(dir)).toEqual(['filler', 'state.json']);
  });
});
