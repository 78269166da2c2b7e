import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  readLockHolder,
  tryAcquireLockFile,
  withProjectLock,
} from '../../../src/engine/local/project-lock.js';
import { projectPaths } from '../../../src/engine/local/state-dir.js';
import { ComposeError } from '../../../src/project/errors.js';
import { transpileSources, type Transpiled } from './transpile.js';

let root: string;
let compiled: Transpiled;
const children: ChildProcess[] = [];

beforeAll(async () => {
  compiled = await transpileSources(['engine/local/project-lock.ts']);
});
afterAll(async () => {
  await compiled?.cleanup();
});
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'berth-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

function runNode(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before answering`)));
  });
}

describe('withProjectLock', () => {
  it('runs one command at a time within a process', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstEntered!: () => void;
    const entered = new Promise<void>((resolve) => (firstEntered = resolve));
    const first = withProjectLock(root, 'app', async () => {
      order.push('first in');
      firstEntered();
      await firstHolds;
      order.push('first out');
    });
    await entered;
    let waited = false;
    const second = withProjectLock(
      root,
      'app',
      async () => {
        order.push('second in');
      },
      { onWait: () => (waited = true) },
    );
    // The second must be waiting: give it a chance to (wrongly) enter before the first leaves.
    await new Promise((resolve) => setTimeout(resolve, 200));
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(waited).toBe(true);
  });

  it('releases the lock when the command fails', async () => {
    await expect(withProjectLock(root, 'app', () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await withProjectLock(root, 'app', () => Promise.resolve(42), { waitMs: 0 })).toBe(42);
  });

  it('fails clearly when another process keeps the lock', async () => {
    const holder = runNode(
      `import { withProjectLock } from ${JSON.stringify(compiled.js('engine/local/project-lock.ts'))};
await withProjectLock(process.argv[1], 'app', async () => {
  process.stdout.write('locked\\n');
  await new Promise(() => setInterval(() => undefined, 1000));
});`,
      [root],
    );
    expect(await firstLine(holder)).toBe('locked');
    const lockFile = projectPaths(root, 'app').lockFile;
    const error = await withProjectLock(root, 'app', () => Promise.resolve(), { waitMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as Error).message).toBe(
      `another berth command is changing project "app" (pid ${holder.pid}); wait for it or remove ${lockFile} if that process is gone`,
    );
  });

  it('takes over a lock whose process is gone', async () => {
    const lockFile = projectPaths(root, 'app').lockFile;
    await withProjectLock(root, 'app', () => Promise.resolve()); // creates the folder
    const pid = await deadPid();
    await writeFile(lockFile, `${pid}\nsome-token\n`);
    expect(await readLockHolder(lockFile)).toEqual({ pid, alive: false });
    expect(await withProjectLock(root, 'app', () => Promise.resolve('ran'), { waitMs: 0 })).toBe('ran');
    expect(await readLockHolder(lockFile)).toBeUndefined();
  });

  it('takes over a lock left by a process that was SIGKILLed while holding it', async () => {
    const holder = runNode(
      `import { withProjectLock } from ${JSON.stringify(compiled.js('engine/local/project-lock.ts'))};
await withProjectLock(process.argv[1], 'app', async () => {
  process.stdout.write('locked\\n');
  await new Promise(() => setInterval(() => undefined, 1000));
});`,
      [root],
    );
    expect(await firstLine(holder)).toBe('locked');
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(await withProjectLock(root, 'app', () => Promise.resolve('ran'), { waitMs: 2_000 })).toBe('ran');
  });

  it('keeps processes racing for a stale lock mutually exclusive', async () => {
    const lockFile = projectPaths(root, 'app').lockFile;
    await withProjectLock(root, 'app', () => Promise.resolve());
    await writeFile(lockFile, `${await deadPid()}\nstale\n`);
    const counter = path.join(root, 'counter');
    await writeFile(counter, '0');
    // Each process increments the counter with a pause between read and write: a lost update
    // (two holders at once) would show as a total below the number of increments.
    const script = `import { withProjectLock } from ${JSON.stringify(compiled.js('engine/local/project-lock.ts'))};
import { readFile, writeFile } from 'node:fs/promises';
const [root, counter] = process.argv.slice(1);
for (let i = 0; i < 5; i++) {
  await withProjectLock(root, 'app', async () => {
    const n = Number(await readFile(counter, 'utf8'));
    await new Promise((r) => setTimeout(r, 5));
    await writeFile(counter, String(n + 1));
  }, { waitMs: 15000 });
}
process.stdout.write('done\\n');`;
    const racers = Array.from({ length: 6 }, () => runNode(script, [root, counter]));
    const codes = await Promise.all(
      racers.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve))),
    );
    expect(codes).toEqual(racers.map(() => 0));
    expect(Number(await readFile(counter, 'utf8'))).toBe(30);
  });
});

describe('lock files', () => {
  it('hold the owner pid and are removed only by their owner', async () => {
    const file = path.join(root, 'supervisor.pid');
    const handle = await tryAcquireLockFile(file);
    expect(handle).toBeDefined();
    expect((await readFile(file, 'utf8')).split('\n')[0]).toBe(String(process.pid));
    expect(await tryAcquireLockFile(file)).toBeUndefined(); // we are alive: not taken over
    await handle!.release();
    expect(await readLockHolder(file)).toBeUndefined();
  });

  it('treat a pid that was reused after the file was written as gone (Linux)', async () => {
    if (process.platform !== 'linux') return;
    const file = path.join(root, 'supervisor.pid');
    // Our own pid, in a file dated an hour before we started: it cannot be ours.
    await writeFile(file, `${process.pid}\nold\n`);
    const anHourAgo = new Date(Date.now() - 3_600_000 - process.uptime() * 1000);
    const { utimes } = await import('node:fs/promises');
    await utimes(file, anHourAgo, anHourAgo);
    expect(await readLockHolder(file)).toEqual({ pid: process.pid, alive: false });
  });
});
