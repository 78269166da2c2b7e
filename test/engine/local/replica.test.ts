import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { logFilePath } from '../../../src/engine/local/log-store.js';
import { Replica } from '../../../src/engine/local/replica.js';
import { hasOrphanProtection } from '../../../src/engine/local/replica-process.js';
import type { ContainerRecord, ContainerRuntimeState, RuntimeSpec } from '../../../src/engine/local/types.js';
import type { EngineEvent } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import { isProcessAlive as isAlive } from '../../../src/engine/local/process-liveness.js';
import { runtimeSpec } from './runtime-spec-fixture.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;
const replicas: Replica[] = [];
const strays: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-replica-'));
});

afterEach(async () => {
  for (const replica of replicas.splice(0)) {
    await replica.stop(0).catch(() => undefined);
  }
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;

function makeRecord(spec: Partial<RuntimeSpec> & { argv: string[] }): ContainerRecord {
  counter += 1;
  const id = `${'abc'.repeat(4)}${String(counter).padStart(4, '0')}`;
  return {
    id,
    name: `proj-web-${counter}`,
    project: 'proj',
    service: 'web',
    number: counter,
    oneoff: false,
    labels: { 'com.docker.compose.project': 'proj', 'com.docker.compose.service': 'web' },
    configHash: 'hash',
    created: new Date().toISOString(),
    dir: path.join(dir, 'containers', id),
    spec: runtimeSpec(spec.argv, { cwd: dir, image: 'node', ...spec }),
    state: {
      status: 'created',
      exitCode: 0,
      restartCount: 0,
      failingStreak: 0,
      stoppedByUser: false,
      boundPorts: [],
    },
  };
}

interface Harness {
  replica: Replica;
  record: ContainerRecord;
  events: EngineEvent[];
  actions: () => string[];
  saved: ContainerRuntimeState[];
}

function makeReplica(spec: Partial<RuntimeSpec> & { argv: string[] }): Harness {
  const record = makeRecord(spec);
  const events: EngineEvent[] = [];
  const saved: ContainerRuntimeState[] = [];
  const replica = new Replica({
    record,
    persist: () => {
      saved.push(structuredClone(record.state));
    },
    onEvent: (event) => events.push(event),
    onError: (error) => {
      throw error;
    },
  });
  replicas.push(replica);
  return { replica, record, events, saved, actions: () => events.map((e) => e.action) };
}

function node(script: string): string[] {
  return [process.execPath, '-e', script];
}

const READY_THEN_WAIT = `console.log('ready'); setInterval(() => {}, 1000);`;

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

async function logTexts(replica: Replica): Promise<string[]> {
  const texts: string[] = [];
  for await (const entry of replica.logs()) texts.push(`${entry.stream}: ${entry.text}`);
  return texts;
}

async function waitForLog(replica: Replica, text: string): Promise<void> {
  await poll(
    async () => (await logTexts(replica)).some((line) => line.endsWith(text)),
    `"${text}" in the log`,
  );
}

describe('Replica lifecycle', () => {
  it('starts, stops gracefully, keeps the exit code and announces each step', async () => {
    const { replica, record, actions, saved, events } = makeReplica({
      argv: node(`process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); ${READY_THEN_WAIT}`),
    });
    expect(await replica.wait()).toBe(0); // created: nothing to wait for
    await replica.start();
    expect(record.state).toMatchObject({
      status: 'running',
      pid: expect.any(Number),
      startedAt: expect.any(String),
    });
    expect(record.state.pgid).toBe(record.state.pid);
    await waitForLog(replica, 'ready');
    const waiting = replica.wait();
    await replica.stop();
    expect(await waiting).toBe(0);
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 0, stoppedByUser: true });
    expect(record.state.pid).toBeUndefined();
    expect(actions()).toEqual(['start', 'kill', 'die', 'stop']);
    expect(events.find((e) => e.action === 'die')!.attributes).toMatchObject({
      exitCode: '0',
      name: record.name,
      image: 'node',
      'com.docker.compose.service': 'web',
    });
    expect(saved.map((s) => s.status)).toContain('running');
    expect(saved.at(-1)!.status).toBe('exited');
    expect(await logTexts(replica)).toEqual(['stdout: ready', 'stdout: bye']);
  });

  it('SIGKILLs a process that ignores the stop signal after the grace period', async () => {
    const { replica, record } = makeReplica({
      argv: node(`process.on('SIGTERM', () => console.log('ignored')); ${READY_THEN_WAIT}`),
      stopGracePeriodMs: 300,
    });
    await replica.start();
    await waitForLog(replica, 'ready');
    await replica.stop();
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 137 });
    expect(await logTexts(replica)).toContain('stdout: ignored');
  });

  it('uses the configured stop signal', async () => {
    const { replica, record } = makeReplica({
      argv: node(`process.on('SIGINT', () => process.exit(42)); ${READY_THEN_WAIT}`),
      stopSignal: 'INT',
    });
    await replica.start();
    await waitForLog(replica, 'ready');
    await replica.stop();
    expect(record.state.exitCode).toBe(42);
  });

  it('keeps the exit code of a process that ends on its own', async () => {
    const { replica, record, actions } = makeReplica({
      argv: node(`console.error('failing'); process.exit(3)`),
    });
    await replica.start();
    expect(await replica.wait()).toBe(3);
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 3, stoppedByUser: false });
    expect(actions()).toEqual(['start', 'die']);
    expect(await logTexts(replica)).toEqual(['stderr: failing']);
  });

  it('ends as exited with 127 and a log line when the command does not exist', async () => {
    const { replica, record, actions } = makeReplica({ argv: ['no-such-command-xyz', '--flag'] });
    const error = await replica.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as Error).message).toContain(
      'exec: "no-such-command-xyz": executable file not found in $PATH',
    );
    expect((error as Error).message).toContain('service "web"');
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 127 });
    expect(actions()).toEqual(['die']);
    expect(await replica.wait()).toBe(127);
    expect(await logTexts(replica)).toEqual([
      'stderr: exec: "no-such-command-xyz": executable file not found in $PATH',
    ]);
  });

  it('ends as exited with 126 when the command is not executable', async () => {
    await writeFile(path.join(dir, 'script.sh'), 'echo hi\n');
    const { replica, record } = makeReplica({ argv: ['./script.sh'] });
    await expect(replica.start()).rejects.toThrow(/permission denied/);
    expect(record.state.exitCode).toBe(126);
  });

  it('kills what the main process left behind when it exits', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
      console.log(child.pid);
      child.unref();
      setTimeout(() => process.exit(0), 100);
    `;
    const { replica } = makeReplica({ argv: node(script) });
    await replica.start();
    expect(await replica.wait()).toBe(0);
    const [line] = await logTexts(replica);
    const grandchild = Number(line!.slice('stdout: '.length));
    strays.push(grandchild);
    await poll(() => !isAlive(grandchild), 'the grandchild to be killed');
  });

  it('kills with SIGKILL by default, and the restart policy does not bring it back', async () => {
    const { replica, record, actions } = makeReplica({
      argv: ['sleep', '1000'],
      restart: { policy: 'always' },
    });
    await replica.start();
    await replica.kill();
    expect(await replica.wait()).toBe(137);
    expect(record.state).toMatchObject({ status: 'exited', stoppedByUser: true, restartCount: 0 });
    expect(actions()).toEqual(['start', 'kill', 'die']);
    await expect(replica.kill()).rejects.toThrow(/is not running/);
  });

  it('delivers other signals to the whole group', async () => {
    const { replica, record } = makeReplica({
      argv: node(
        `process.on('SIGUSR1', () => { console.log('usr1'); process.exit(7); }); ${READY_THEN_WAIT}`,
      ),
    });
    await replica.start();
    await waitForLog(replica, 'ready');
    await replica.kill('USR1');
    expect(await replica.wait()).toBe(7);
    expect(record.state.stoppedByUser).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('pauses and unpauses, and stops a paused replica', async () => {
    const { replica, record, actions } = makeReplica({ argv: ['sleep', '1000'] });
    await replica.start();
    const pid = record.state.pid!;
    await replica.pause();
    expect(record.state.status).toBe('paused');
    await poll(() => processState(pid) === 'T', 'the process to be stopped');
    await expect(replica.pause()).rejects.toThrow(/already paused/);
    await expect(replica.start()).rejects.toThrow(/unpause/);
    await replica.unpause();
    expect(record.state.status).toBe('running');
    await poll(() => processState(pid) !== 'T', 'the process to continue');
    await replica.pause();
    await replica.stop();
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 143 });
    expect(actions()).toEqual(['start', 'pause', 'unpause', 'pause', 'kill', 'die', 'stop']);
  });

  it('restarts with a new process', async () => {
    const { replica, record, actions } = makeReplica({ argv: ['sleep', '1000'] });
    await replica.start();
    const first = record.state.pid!;
    await replica.restart();
    expect(record.state.status).toBe('running');
    expect(record.state.pid).not.toBe(first);
    expect(isAlive(first)).toBe(false);
    expect(actions()).toEqual(['start', 'kill', 'die', 'stop', 'start', 'restart']);
  });

  it('follows its logs until it stops', async () => {
    const { replica } = makeReplica({
      argv: node(
        `let n = 0; const t = setInterval(() => { console.log('tick ' + n); if (++n === 5) clearInterval(t); }, 30);`,
      ),
    });
    await replica.start();
    const seen: string[] = [];
    for await (const entry of replica.logs({ follow: true })) seen.push(entry.text);
    expect(seen).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4']);
    expect(replica.status).toBe('exited');
  });

  it('keeps a last line without newline', async () => {
    const { replica } = makeReplica({ argv: node(`process.stdout.write('partial')`) });
    await replica.start();
    await replica.wait();
    const raw = await readFile(logFilePath(replica.record.dir, replica.id), 'utf8');
    expect(JSON.parse(raw.trim())).toMatchObject({ log: 'partial', stream: 'stdout' });
  });
});

describe('Replica restart policies', () => {
  it('no: stays exited', async () => {
    const { replica, record } = makeReplica({ argv: node('process.exit(1)') });
    await replica.start();
    expect(await replica.wait()).toBe(1);
    expect(record.state.restartCount).toBe(0);
  });

  it('on-failure:2 restarts a failing replica twice, with back-off, then gives up', async () => {
    const { replica, record, actions, saved } = makeReplica({
      argv: node('process.exit(1)'),
      restart: { policy: 'on-failure', maxRetries: 2 },
    });
    await replica.start();
    expect(await replica.wait()).toBe(1);
    expect(record.state).toMatchObject({ status: 'exited', restartCount: 2, exitCode: 1 });
    expect(actions()).toEqual(['start', 'die', 'start', 'die', 'start', 'die']);
    expect(saved.filter((s) => s.status === 'restarting').map((s) => s.restartCount)).toEqual([1, 2]);
  });

  it('on-failure does not restart after a success', async () => {
    const { replica, record } = makeReplica({
      argv: node('process.exit(0)'),
      restart: { policy: 'on-failure' },
    });
    await replica.start();
    expect(await replica.wait()).toBe(0);
    expect(record.state.restartCount).toBe(0);
  });

  it('always restarts after any exit, until the user stops it', async () => {
    const { replica, record } = makeReplica({ argv: node('process.exit(0)'), restart: { policy: 'always' } });
    await replica.start();
    await poll(() => record.state.restartCount >= 3, 'three restarts');
    const waiting = replica.wait();
    await replica.stop();
    expect(await waiting).toBe(0);
    expect(record.state).toMatchObject({ status: 'exited', stoppedByUser: true });
    const count = record.state.restartCount;
    await new Promise((r) => setTimeout(r, 300));
    expect(record.state).toMatchObject({ status: 'exited', restartCount: count });
    expect(replica.isLive()).toBe(false);
  });

  it('a user start resets the restart count', async () => {
    const { replica, record } = makeReplica({
      argv: node('process.exit(2)'),
      restart: { policy: 'on-failure', maxRetries: 1 },
    });
    await replica.start();
    await replica.wait();
    expect(record.state.restartCount).toBe(1);
    await replica.start();
    await replica.wait();
    expect(record.state.restartCount).toBe(1);
  });

  it('unless-stopped restarts a replica killed from outside', async () => {
    const { replica, record, events } = makeReplica({
      argv: ['sleep', '1000'],
      restart: { policy: 'unless-stopped' },
    });
    await replica.start();
    const first = record.state.pid!;
    process.kill(first, 'SIGKILL');
    await poll(() => record.state.status === 'running' && record.state.pid !== first, 'the restart');
    expect(record.state.restartCount).toBe(1);
    expect(events.find((e) => e.action === 'die')!.attributes.exitCode).toBe('137');
  });

  it('a stop while waiting to restart cancels the restart', async () => {
    const { replica, record, actions } = makeReplica({
      argv: node('process.exit(1)'),
      restart: { policy: 'always' },
    });
    await replica.start();
    await poll(() => record.state.status === 'restarting', 'the restarting state');
    const waiting = replica.wait();
    await replica.stop();
    expect(await waiting).toBe(1);
    expect(record.state.status).toBe('exited');
    expect(actions().at(-1)).toBe('stop');
    await new Promise((r) => setTimeout(r, 300));
    expect(record.state.status).toBe('exited');
  });

  it('a crash-looping replica does not hold up another one', async () => {
    const looping = makeReplica({ argv: node('process.exit(1)'), restart: { policy: 'always' } });
    const other = makeReplica({ argv: node(READY_THEN_WAIT) });
    await looping.replica.start();
    await other.replica.start();
    await waitForLog(other.replica, 'ready');
    await other.replica.stop();
    expect(other.record.state.status).toBe('exited');
    expect(looping.record.state.status).not.toBe('exited');
  });

  it('recovers a record whose engine went away', () => {
    const { replica, record } = makeReplica({ argv: ['sleep', '1'], restart: { policy: 'unless-stopped' } });
    Object.assign(record.state, { status: 'running', pid: 999_999, pgid: 999_999 });
    expect(replica.recoverAfterEngineLoss()).toBe(true);
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 137 });
    expect(record.state.pid).toBeUndefined();
  });
});

describe('Replica health', () => {
  it('turns healthy and says so; the health ends with the run', async () => {
    const { replica, record, actions } = makeReplica({
      argv: ['sleep', '1000'],
      healthcheck: {
        test: ['CMD-SHELL', 'test -n "$PATH"'],
        intervalMs: 30,
        timeoutMs: 5000,
        retries: 3,
        startPeriodMs: 0,
        startIntervalMs: 0,
      },
    });
    await replica.start();
    expect(record.state.health).toBe('starting');
    await poll(() => record.state.health === 'healthy', 'healthy');
    expect(actions()).toContain('health_status: healthy');
    await replica.stop();
    expect(record.state.health).toBeUndefined();
    expect(replica.healthDetails?.log.length).toBeGreaterThan(0);
  });

  it('turns unhealthy after its retries', async () => {
    const { replica, record, actions } = makeReplica({
      argv: ['sleep', '1000'],
      healthcheck: {
        test: ['CMD', 'false'],
        intervalMs: 20,
        timeoutMs: 5000,
        retries: 2,
        startPeriodMs: 0,
        startIntervalMs: 0,
      },
    });
    await replica.start();
    await poll(() => record.state.health === 'unhealthy', 'unhealthy');
    expect(record.state.failingStreak).toBeGreaterThanOrEqual(2);
    expect(actions()).toContain('health_status: unhealthy');
  });
});

describe('Replica resources', () => {
  it('keeps the engine memory bounded while a replica floods its log', async () => {
    // 50 MB of output as fast as the process can write it.
    const script = `const line = 'z'.repeat(1023) + '\\n'; let n = 0;
      const more = () => { while (n < 51200) { n++; if (!process.stdout.write(line)) return process.stdout.once('drain', more); } };
      more();`;
    const { replica } = makeReplica({
      argv: node(script),
      logging: { maxSizeBytes: 8 * 1024 * 1024, maxFiles: 2 },
    });
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      await replica.start();
      expect(await replica.wait()).toBe(0);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - baseline).toBeLessThan(100 * 1024 * 1024);
    const last: string[] = [];
    for await (const entry of replica.logs({ tail: 1 })) last.push(entry.text);
    expect(last).toEqual(['z'.repeat(1023)]);
  });
});

/** Transpiles a module and the relative modules it imports at run time into `outDir`, for plain node. */
async function transpileForNode(entry: string, outDir: string): Promise<void> {
  const pending = [path.join(repoRoot, entry)];
  const done = new Set<string>();
  while (pending.length > 0) {
    const source = pending.pop()!;
    if (done.has(source)) continue;
    done.add(source);
    const { outputText } = ts.transpileModule(await readFile(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const target = path.join(outDir, path.relative(repoRoot, source)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, outputText);
    for (const match of outputText.matchAll(/(?:from|import)\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      pending.push(path.resolve(path.dirname(source), `${match[1]}.ts`));
    }
  }
  await writeFile(path.join(outDir, 'package.json'), '{"type":"module"}');
}

// Without setpriv on a developer machine this is skipped; in CI (.ci/run installs it) it must run.
describe.runIf(hasOrphanProtection() || process.env.CI === 'true')('Replica orphan protection', () => {
  it('a replica dies with the engine that started it, even when that engine is SIGKILLed', async () => {
    const build = path.join(dir, 'build');
    await transpileForNode('src/engine/local/replica.ts', build);
    const record = makeRecord({ argv: ['sleep', '1000'] });
    await writeFile(
      path.join(build, 'engine.mjs'),
      `import { Replica } from './src/engine/local/replica.js';
       const replica = new Replica({ record: ${JSON.stringify(record)}, persist: () => {}, onEvent: () => {} });
       await replica.start();
       console.log(replica.record.state.pid);
       setInterval(() => {}, 1000);`,
    );
    const engine = spawn(process.execPath, [path.join(build, 'engine.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      engine.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await poll(() => /^\d+\n/.test(out), 'the engine to start the replica');
      const pid = Number(out.trim());
      strays.push(pid);
      expect(isAlive(pid)).toBe(true);
      engine.kill('SIGKILL');
      await poll(() => !isAlive(pid), 'the replica to die with its engine');
    } finally {
      engine.kill('SIGKILL');
    }
  });
});
