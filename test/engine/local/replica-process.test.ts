import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  ReplicaProcess,
  resolveExecutable,
  signalExitCode,
  type ExecFailure,
} from '../../../src/engine/local/replica-process.js';
import type { RuntimeSpec } from '../../../src/engine/local/types.js';
import { normalizeSignal } from '../../../src/engine/signals.js';
import { ComposeError } from '../../../src/project/errors.js';
import { isProcessAlive as isAlive } from '../../../src/engine/local/process-liveness.js';
import { runtimeSpec } from './runtime-spec-fixture.js';

let dir: string;
const started: ReplicaProcess[] = [];
const strays: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-proc-'));
});

afterEach(async () => {
  for (const proc of started.splice(0)) proc.signalGroup('SIGKILL');
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

function spec(argv: string[], extra: Partial<RuntimeSpec> = {}): RuntimeSpec {
  return runtimeSpec(argv, { cwd: dir, ...extra });
}

function node(script: string): string[] {
  return [process.execPath, '-e', script];
}

async function start(s: RuntimeSpec): Promise<ReplicaProcess> {
  const proc = await ReplicaProcess.start(s);
  if (!(proc instanceof ReplicaProcess)) throw new Error(`did not start: ${proc.message}`);
  started.push(proc);
  return proc;
}

function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] ?? '?';
}

async function poll(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function collect(proc: ReplicaProcess): { text: () => string } {
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => (out += chunk));
  return { text: () => out };
}

describe('resolveExecutable', () => {
  it('finds a command in the PATH of the environment', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'hello'), '#!/bin/sh\necho hello\n');
    await chmod(path.join(bin, 'hello'), 0o755);
    expect(await resolveExecutable('hello', { PATH: `/nonexistent:${bin}` }, dir)).toEqual({
      path: path.join(bin, 'hello'),
    });
  });

  it('reports a missing command like Docker, with 127', async () => {
    expect(await resolveExecutable('no-such-cmd-xyz', { PATH: '/usr/bin:/bin' }, dir)).toEqual({
      exitCode: 127,
      message: 'exec: "no-such-cmd-xyz": executable file not found in $PATH',
    });
    const missing = await resolveExecutable('./nope', {}, dir);
    expect(missing).toMatchObject({ exitCode: 127 });
    expect((missing as ExecFailure).message).toContain('no such file or directory');
  });

  it('reports a file that is not executable, or a directory, with 126', async () => {
    await writeFile(path.join(dir, 'script'), 'echo');
    expect(await resolveExecutable('./script', {}, dir)).toMatchObject({ exitCode: 126 });
    expect(await resolveExecutable(dir, {}, dir)).toEqual({
      exitCode: 126,
      message: `exec: "${dir}": is a directory`,
    });
  });
});

describe('normalizeSignal', () => {
  it('accepts names with or without SIG, any case, and numbers', () => {
    expect(normalizeSignal('SIGTERM')).toBe('SIGTERM');
    expect(normalizeSignal('term')).toBe('SIGTERM');
    expect(normalizeSignal('9')).toBe('SIGKILL');
    expect(normalizeSignal(2)).toBe('SIGINT');
    expect(() => normalizeSignal('SIGNOPE')).toThrow(ComposeError);
    expect(signalExitCode('SIGKILL')).toBe(137);
  });
});

describe('ReplicaProcess', () => {
  it('runs in its own process group with the given environment and working directory', async () => {
    const proc = await start(
      spec(node('console.log(process.env.GREETING, process.cwd()); setTimeout(() => {}, 200)'), {
        env: { PATH: '/usr/bin:/bin', GREETING: 'hi' },
      }),
    );
    const out = collect(proc);
    expect(proc.pgid).toBe(proc.pid);
    expect((await proc.exited).exitCode).toBe(0);
    expect(out.text().trim()).toBe(`hi ${dir}`);
  });

  it('keeps the exit code', async () => {
    const proc = await start(spec(node('process.exit(3)')));
    expect(await proc.exited).toEqual({ exitCode: 3 });
    expect(proc.isRunning).toBe(false);
  });

  it('does not start a missing command or working directory, and says why', async () => {
    expect(await ReplicaProcess.start(spec(['no-such-cmd-xyz']))).toEqual({
      exitCode: 127,
      message: 'exec: "no-such-cmd-xyz": executable file not found in $PATH',
    });
    const noCwd = await ReplicaProcess.start(spec(['sleep', '1'], { cwd: path.join(dir, 'gone') }));
    expect(noCwd).toMatchObject({ exitCode: 127 });
    expect((noCwd as ExecFailure).message).toContain('does not exist');
  });

  it('stops gracefully with the stop signal', async () => {
    const proc = await start(
      spec(
        node(
          `process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);`,
        ),
      ),
    );
    const out = collect(proc);
    await poll(() => out.text().includes('ready'), 'the process to be ready');
    expect(await proc.stop('SIGTERM', 10_000)).toEqual({ exitCode: 0 });
    expect(out.text()).toContain('bye');
  });

  it('SIGKILLs a process that ignores the stop signal once the grace period is over', async () => {
    const proc = await start(
      spec(node(`process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);`)),
    );
    const out = collect(proc);
    await poll(() => out.text().includes('ready'), 'the process to be ready');
    expect(await proc.stop('SIGTERM', 300)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('leaves nothing of its group behind when the main process exits', async () => {
    // The main process starts a grandchild that would outlive it, prints its pid and exits.
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
      console.log(child.pid);
      child.unref();
      setTimeout(() => process.exit(0), 100);
    `;
    const proc = await start(spec(node(script)));
    const out = collect(proc);
    await poll(() => /\d+\n/.test(out.text()), 'the grandchild pid');
    const grandchild = Number(out.text().trim());
    strays.push(grandchild);
    expect((await proc.exited).exitCode).toBe(0);
    await poll(() => !isAlive(grandchild), 'the grandchild to be killed');
  });

  it('stops the whole group, not only the main process', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
      console.log(child.pid);
      setInterval(() => {}, 1000);
    `;
    const proc = await start(spec(node(script)));
    const out = collect(proc);
    await poll(() => /\d+\n/.test(out.text()), 'the grandchild pid');
    const grandchild = Number(out.text().trim());
    strays.push(grandchild);
    expect((await proc.stop('SIGTERM', 5_000)).exitCode).toBe(143);
    await poll(() => !isAlive(grandchild), 'the grandchild to be stopped');
  });

  it.skipIf(process.platform !== 'linux')(
    'pauses and resumes the group with SIGSTOP and SIGCONT',
    async () => {
      const proc = await start(spec(['sleep', '1000']));
      expect(proc.signalGroup('SIGSTOP')).toBe(true);
      await poll(() => processState(proc.pid) === 'T', 'the process to be stopped');
      proc.signalGroup('SIGCONT');
      await poll(() => processState(proc.pid) !== 'T', 'the process to continue');
      expect((await proc.stop('SIGTERM', 5_000)).exitCode).toBe(143);
    },
  );

  it.skipIf(process.getuid?.() !== 0)('switches to the given uid and gid', async () => {
    const proc = await start(spec(['sh', '-c', 'echo "$(id -u) $(id -g)"'], { uid: 65534, gid: 65534 }));
    const out = collect(proc);
    expect((await proc.exited).exitCode).toBe(0);
    expect(out.text().trim()).toBe('65534 65534');
  });

  it('keeps stdin open when asked, so a process reading it does not see its end', async () => {
    const proc = await start(
      spec(
        node(
          `process.stdin.resume(); process.stdin.on('end', () => { console.log('eof'); process.exit(5); }); console.log('ready');`,
        ),
        {
          stdinOpen: true,
        },
      ),
    );
    const out = collect(proc);
    await poll(() => out.text().includes('ready'), 'the process to be ready');
    expect(proc.stdin).not.toBeNull();
    expect(proc.isRunning).toBe(true);
    proc.stdin!.end();
    expect((await proc.exited).exitCode).toBe(5);
  });
});
