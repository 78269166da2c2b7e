/**
 * The detached supervisor, launched for real: a small test entry hosts a tiny engine (through the
 * real hostEngine: pid file, watchdog, control socket) whose containers are real process groups.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { RemoteEngine } from '../../../src/engine/local/control-client.js';
import { isProcessAlive, isProcessGroupAlive } from '../../../src/engine/local/process-liveness.js';
import { cleanStaleState, detectStaleSupervisor } from '../../../src/engine/local/stale-cleanup.js';
import { projectPaths } from '../../../src/engine/local/state-dir.js';
import { readProjectState } from '../../../src/engine/local/state-store.js';
import {
  connectSupervisor,
  launchSupervisor,
  shutdownSupervisor,
} from '../../../src/engine/local/supervisor-launch.js';
import type { ContainerCreateRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import { transpileSources, type Transpiled } from './transpile.js';

let compiled: Transpiled;
let root: string;
let entry: string;
const clients: RemoteEngine[] = [];
const pids = new Set<number>();
const groups = new Set<number>();

beforeAll(async () => {
  compiled = await transpileSources([
    'engine/local/supervisor-main.ts',
    'engine/local/watchdog-main.ts',
    'engine/local/state-store.ts',
  ]);
  entry = path.join(compiled.dir, 'test-supervisor.mjs');
  await writeFile(entry, testSupervisor());
});
afterAll(async () => {
  await compiled?.cleanup();
});
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'berth-sup-'));
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const pgid of groups) kill(-pgid);
  for (const pid of pids) kill(pid);
  groups.clear();
  pids.clear();
  await rm(root, { recursive: true, force: true });
});

function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Pids of processes whose command line contains every one of `parts` (Linux /proc). */
async function processesWith(parts: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (parts.every((part) => cmdline.split('\0').includes(part))) found.push(Number(name));
  }
  return found;
}

/** The engine the test supervisor hosts: plain data plus real process groups for containers. */
function testSupervisor(): string {
  return `import { spawn } from 'node:child_process';
import { runSupervisor } from ${JSON.stringify(compiled.js('engine/local/supervisor-main.ts'))};
import { writeProjectState } from ${JSON.stringify(compiled.js('engine/local/state-store.ts'))};

if (process.env.TEST_SUPERVISOR_FAIL) throw new Error('cannot start: ' + process.env.TEST_SUPERVISOR_FAIL);

class TinyEngine {
  kind = 'local';
  children = new Map();
  constructor(stateRoot, project) {
    this.stateFile = stateRoot + '/projects/' + project + '/state.json';
    this.state = { version: 1, project, workingDir: '', configFiles: [], containers: [], networks: [], volumes: [] };
  }
  save() { return writeProjectState(this.stateFile, this.state); }
  info(r) { return { id: r.id, name: r.name, status: r.state.status, exitCode: r.state.exitCode, pid: r.state.pid }; }
  find(id) { const r = this.state.containers.find((c) => c.id === id); if (!r) throw new Error('no such container ' + id); return r; }
  async listContainers() { return this.state.containers.map((r) => this.info(r)); }
  async createContainer(request) {
    const r = { id: 'id-' + request.name, name: request.name, project: this.state.project, service: request.serviceName,
      number: request.number, oneoff: false, labels: {}, configHash: '', created: new Date().toISOString(), dir: '',
      spec: {}, state: { status: 'created', exitCode: 0, restartCount: 0, failingStreak: 0, stoppedByUser: false, boundPorts: [] } };
    this.state.containers.push(r);
    await this.save();
    return this.info(r);
  }
  async startContainer(id) {
    const r = this.find(id);
    const child = spawn('sh', ['-c', 'sleep 300 & sleep 300; wait'], { detached: true, stdio: 'ignore' });
    this.children.set(id, child);
    Object.assign(r.state, { status: 'running', pid: child.pid, pgid: child.pid, startedAt: new Date().toISOString() });
    child.once('exit', (code, signal) => {
      Object.assign(r.state, { status: 'exited', exitCode: code ?? 128 + 15, pid: undefined, pgid: undefined });
      void this.save();
    });
    await this.save();
  }
  async stopContainer(id) {
    const child = this.children.get(id);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
    await this.save();
  }
  async shutdown() {
    for (const r of this.state.containers) await this.stopContainer(r.id);
  }
  async close() {}
}

await runSupervisor(process.argv.slice(2), async ({ stateRoot, project }) => new TinyEngine(stateRoot, project));
process.exit(0);
`;
}

async function launch(env: NodeJS.ProcessEnv = process.env): Promise<RemoteEngine> {
  const client = await launchSupervisor({ stateRoot: root, project: 'app', entry, env, timeoutMs: 10_000 });
  clients.push(client);
  pids.add((await client.ping()).pid);
  return client;
}

function request(name: string): ContainerCreateRequest {
  return { name, serviceName: 'web', number: 1 } as ContainerCreateRequest;
}

async function startService(client: RemoteEngine): Promise<number> {
  const created = await client.createContainer(request('app-web-1'));
  await client.startContainer(created.id);
  const [info] = await client.listContainers({ project: 'app' });
  expect(info).toMatchObject({ name: 'app-web-1', status: 'running' });
  groups.add(info!.pid!);
  return info!.pid!;
}

describe('supervisor', () => {
  it('starts detached, is found again, and stops on shutdown leaving nothing behind', async () => {
    const paths = projectPaths(root, 'app');
    expect(await connectSupervisor({ stateRoot: root, project: 'app' })).toBeUndefined();
    const client = await launch();
    const { pid } = await client.ping();
    expect(pid).not.toBe(process.pid);
    expect((await readFile(paths.pidFile, 'utf8')).split('\n')[0]).toBe(String(pid));
    expect((await stat(paths.socket)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.dir)).mode & 0o777).toBe(0o700);

    const again = await connectSupervisor({ stateRoot: root, project: 'app' });
    clients.push(again!);
    expect((await again!.ping()).pid).toBe(pid);
    expect((await (await launch()).ping()).pid).toBe(pid);

    const pgid = await startService(client);
    expect(isProcessGroupAlive(pgid)).toBe(true);
    await client.stopContainer('id-app-web-1');
    expect(isProcessGroupAlive(pgid)).toBe(false);

    await shutdownSupervisor(client, { stateRoot: root, project: 'app' });
    expect(isProcessAlive(pid)).toBe(false);
    await expect(stat(paths.socket)).rejects.toThrow(/ENOENT/);
    await expect(stat(paths.pidFile)).rejects.toThrow(/ENOENT/);
    expect(await connectSupervisor({ stateRoot: root, project: 'app' })).toBeUndefined();
    expect(await detectStaleSupervisor(root, 'app')).toBeUndefined();
    expect(await readFile(paths.logFile, 'utf8')).toMatch(/serving .*supervisor\.sock[\s\S]*stopped/);
  });

  it('stops its containers on SIGTERM', async () => {
    const client = await launch();
    const { pid } = await client.ping();
    const pgid = await startService(client);
    process.kill(pid, 'SIGTERM');
    await until(() => !isProcessAlive(pid), 'the supervisor to exit');
    expect(isProcessGroupAlive(pgid)).toBe(false);
    expect(await detectStaleSupervisor(root, 'app')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')(
    'starts only one supervisor when several commands launch at once',
    async () => {
      const launched = await Promise.all([launch(), launch(), launch()]);
      const answered = await Promise.all(launched.map((client) => client.ping()));
      expect(new Set(answered.map((p) => p.pid)).size).toBe(1);
      // The losers exited: only the winner still runs.
      await until(async () => (await processesWith([entry, root])).length === 1, 'the losers to exit');
    },
  );

  it('reports a supervisor that fails to start, with the end of its log', async () => {
    const error = await launch({ ...process.env, TEST_SUPERVISOR_FAIL: 'the engine is broken' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ComposeError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /the berth supervisor of project "app" did not start: it exited before answering/,
    );
    expect(message).toContain('cannot start: the engine is broken');
    expect(message).toContain(`see ${projectPaths(root, 'app').logFile}`);
  });

  it('leaves no service process behind when SIGKILLed; the next command reports and cleans', async () => {
    const paths = projectPaths(root, 'app');
    const client = await launch();
    const { pid } = await client.ping();
    const pgid = await startService(client);
    kill(pid);
    await until(() => !isProcessGroupAlive(pgid), 'the watchdog to kill the service group');

    const stale = await detectStaleSupervisor(root, 'app');
    expect(stale).toEqual({
      project: 'app',
      pid,
      pidFile: paths.pidFile,
      socket: paths.socket,
      containers: ['app-web-1'],
    });
    const actions = await cleanStaleState(root, 'app');
    expect(actions.map((a) => a.kind)).toEqual(['marked-exited', 'removed-file', 'removed-file']);
    expect(actions[0]!.message).toBe('app-web-1 marked exited (137): its supervisor had died');
    const record = (await readProjectState(paths.stateFile))!.containers[0]!;
    expect(record.state).toMatchObject({ status: 'exited', exitCode: 137 });
    expect(record.state.pgid).toBeUndefined();
    expect(await detectStaleSupervisor(root, 'app')).toBeUndefined();
    expect(await readFile(paths.logFile, 'utf8')).toContain(`killed process group ${pgid} of app-web-1`);
  });

  it.runIf(process.platform === 'linux')(
    'cleans a dead supervisor’s leftovers itself when launching a new one',
    async () => {
      const first = await launch();
      const { pid } = await first.ping();
      const pgid = await startService(first);
      // Kill the supervisor and its watchdog at once: the service group outlives both.
      const watchdogs = await processesWith([
        compiled.js('engine/local/watchdog-main.ts'),
        projectPaths(root, 'app').stateFile,
      ]);
      expect(watchdogs).toHaveLength(1);
      for (const watchdog of watchdogs) kill(watchdog);
      kill(pid);
      await until(() => !isProcessAlive(pid), 'the supervisor to die');
      let cleaned: string[] = [];
      const second = await launchSupervisor({
        stateRoot: root,
        project: 'app',
        entry,
        onStaleCleaned: (actions) => (cleaned = actions.map((a) => a.message)),
      });
      clients.push(second);
      pids.add((await second.ping()).pid);
      expect((await second.ping()).pid).not.toBe(pid);
      expect(cleaned).toContain('app-web-1 marked exited (137): its supervisor had died');
      expect(cleaned).toContain(`killed process group ${pgid} of app-web-1`);
      await until(() => !isProcessGroupAlive(pgid), 'the service group to be gone');
    },
  );
});
