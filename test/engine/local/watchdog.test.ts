/**
 * The watchdog with real processes: a host process starts it and a service process group, records
 * the group in state.json like the engine does, and is then SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { isProcessAlive, isProcessGroupAlive } from '../../../src/engine/local/process-liveness.js';
import { emptyProjectState } from '../../../src/engine/local/state-store.js';
import type { ContainerRecord } from '../../../src/engine/local/types.js';
import { killRecordedGroups } from '../../../src/engine/local/watchdog.js';
import { runtimeSpec } from './runtime-spec-fixture.js';
import { transpileSources, type Transpiled } from './transpile.js';

let compiled: Transpiled;
let dir: string;
const pids: number[] = [];
const groups: number[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  compiled = await transpileSources(['engine/local/watchdog.ts', 'engine/local/watchdog-main.ts']);
});
afterAll(async () => {
  await compiled?.cleanup();
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-watchdog-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const pgid of groups.splice(0)) signal(-pgid);
  for (const pid of pids.splice(0)) signal(pid);
  await rm(dir, { recursive: true, force: true });
});

function signal(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function record(name: string, pgid: number): ContainerRecord {
  return {
    id: `id-${name}`,
    name,
    project: 'app',
    service: 'web',
    number: 1,
    oneoff: false,
    labels: {},
    configHash: 'h',
    created: new Date().toISOString(),
    dir,
    spec: runtimeSpec(['sh'], { env: {}, cwd: dir, stopGracePeriodMs: 1000, image: 'sh' }),
    state: {
      status: 'running',
      pid: pgid,
      pgid,
      exitCode: 0,
      restartCount: 0,
      failingStreak: 0,
      stoppedByUser: false,
      boundPorts: [],
      startedAt: new Date().toISOString(),
    },
  };
}

interface HostReport {
  watchdog: number;
  pgid?: number;
}

/** Starts a host script; resolves with the first JSON line it prints. */
async function startHost(
  mode: 'service' | 'release' | 'idle',
): Promise<{ host: ChildProcess; report: HostReport }> {
  const script = path.join(dir, 'host.mjs');
  await writeFile(
    script,
    `import { spawn } from 'node:child_process';
import { startWatchdog } from ${JSON.stringify(compiled.js('engine/local/watchdog.ts'))};
import { writeProjectState } from ${JSON.stringify(compiled.js('engine/local/state-store.ts'))};
const [stateFile, logFile, entry, mode, recordJson] = process.argv.slice(2);
const watchdog = startWatchdog({ stateFile, logFile, entry });
if (mode === 'idle') {
  process.stdout.write(JSON.stringify({ watchdog: watchdog.pid }) + '\\n');
} else {
  // A service whose shell has a child of its own: the whole group must go.
  const service = spawn('sh', ['-c', 'sleep 300 & sleep 300; wait'], { detached: true, stdio: 'ignore' });
  const record = JSON.parse(recordJson);
  record.state.pid = record.state.pgid = service.pid;
  const state = { version: 1, project: 'app', workingDir: '', configFiles: [], containers: [record], networks: [], volumes: [] };
  await writeProjectState(stateFile, state);
  process.stdout.write(JSON.stringify({ watchdog: watchdog.pid, pgid: service.pid }) + '\\n');
  if (mode === 'release') {
    // A normal stop: the engine stops its containers, records it, then releases the watchdog.
    process.kill(-service.pid, 'SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
    record.state.status = 'exited';
    delete record.state.pid;
    delete record.state.pgid;
    await writeProjectState(stateFile, state);
    watchdog.release();
    const keepAlive = setInterval(() => undefined, 1000); // the watchdog itself does not hold us
    process.stdout.write('watchdog exited ' + (await watchdog.exited) + '\\n');
    clearInterval(keepAlive);
  } else {
    setInterval(() => undefined, 1000);
  }
}
`,
  );
  const host = spawn(
    process.execPath,
    [
      script,
      path.join(dir, 'state.json'),
      path.join(dir, 'supervisor.log'),
      compiled.js('engine/local/watchdog-main.ts'),
      mode,
      JSON.stringify(record('app-web-1', 0)),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(host);
  const report = await new Promise<HostReport>((resolve, reject) => {
    host.stdout!.once('data', (chunk: Buffer) =>
      resolve(JSON.parse(chunk.toString().split('\n')[0]!) as HostReport),
    );
    host.once('exit', (code) => reject(new Error(`host exited with ${code}`)));
  });
  pids.push(report.watchdog);
  if (report.pgid) groups.push(report.pgid);
  return { host, report };
}

describe('watchdog', () => {
  it('kills the recorded process groups when its host is SIGKILLed', async () => {
    const { host, report } = await startHost('service');
    expect(isProcessGroupAlive(report.pgid!)).toBe(true);
    host.kill('SIGKILL');
    await until(() => !isProcessGroupAlive(report.pgid!), 'the service group to be killed');
    await until(() => !isProcessAlive(report.watchdog), 'the watchdog to exit');
    const log = await readFile(path.join(dir, 'supervisor.log'), 'utf8');
    expect(log).toContain(`killed process group ${report.pgid} of app-web-1`);
  });

  it('exits, killing nothing, when its host releases it after a normal stop', async () => {
    const { host } = await startHost('release');
    const output = await new Promise<string>((resolve) => {
      let text = '';
      host.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
      host.once('exit', () => resolve(text));
    });
    expect(output).toContain('watchdog exited 0');
    await expect(readFile(path.join(dir, 'supervisor.log'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('does not keep its host alive, and exits when the host ends', async () => {
    const { host, report } = await startHost('idle');
    const code = await new Promise((resolve) => host.once('exit', resolve));
    expect(code).toBe(0);
    await until(() => !isProcessAlive(report.watchdog), 'the watchdog to exit');
  });

  it('leaves alone a group whose number was reused after the state was written (Linux)', async () => {
    if (process.platform !== 'linux') return;
    const service = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    children.push(service);
    groups.push(service.pid!);
    const state = emptyProjectState('app');
    state.containers.push(record('app-web-1', service.pid!));
    // The state claims to have been written an hour before this process started.
    expect(killRecordedGroups(state, Date.now() - 3_600_000)).toEqual([]);
    expect(isProcessGroupAlive(service.pid!)).toBe(true);
    expect(killRecordedGroups(state, Date.now())).toEqual([
      { container: 'app-web-1', pgid: service.pid, result: 'killed' },
    ]);
    await until(() => !isProcessGroupAlive(service.pid!), 'the group to die');
  });
});
