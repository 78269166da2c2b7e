import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { openProjectEngine } from '../../src/engine/project-engine.js';
import { executePlan, observe, planDown } from '../../src/reconcile/index.js';
import { berthBin, expectCleanFailure, runBerth, tempProject } from './helpers.js';
import { freePort, processesMatching } from '../support/processes.js';

interface Started {
  dir: string;
  state: string;
  project: string;
}

const started: Started[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  // Whatever a test left running is stopped and removed, then its folders go.
  for (const s of started.splice(0)) {
    const access = await openProjectEngine({
      project: s.project,
      mode: 'existing',
      env: { ...process.env, BERTH_STATE_DIR: s.state },
    });
    try {
      const plan = planDown(null, await observe(access.engine, s.project), {
        volumes: true,
        removeOrphans: true,
      });
      await executePlan(plan, access.engine, { onEvent: () => undefined });
    } finally {
      await access.shutdownHost();
    }
  }
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A project folder with its own state folder; torn down after the test. */
async function project(name: string, compose: string): Promise<Started & { env: Record<string, string> }> {
  const p = await tempProject({ 'compose.yaml': compose });
  cleanups.push(p.cleanup);
  const s = { dir: p.dir, state: path.join(p.dir, '.state'), project: name };
  started.push(s);
  return { ...s, env: { BERTH_STATE_DIR: s.state } };
}

const node = JSON.stringify(process.execPath);

/** An HTTP server on PORT (or the given port) answering its name, as a YAML flow sequence. */
const server = (port: number, body: string): string =>
  JSON.stringify([
    process.execPath,
    '-e',
    `require('http').createServer((q,s)=>s.end(${JSON.stringify(body)})).listen(Number(process.env.PORT||${port}))`,
  ]);

describe('berth up', () => {
  it('-d --wait starts dependencies first, then a second up changes nothing', async () => {
    // Host networking: container ports are host ports too, so the test picks free ones.
    const web = await freePort();
    const inner = await freePort();
    const p = await project(
      'updemo',
      `
name: updemo
services:
  db:
    image: local
    command: ${server(0, 'db')}
    environment: { PORT: "${await freePort()}" }
    healthcheck:
      test: ["CMD", ${node}, "-e", "process.exit(0)"]
      interval: 200ms
  web:
    image: local
    command: ${server(inner, 'web')}
    ports: ["${web}:${inner}"]
    healthcheck:
      test: ${JSON.stringify(['CMD', process.execPath, '-e', `fetch('http://127.0.0.1:${inner}/').then(()=>process.exit(0),()=>process.exit(1))`])}
      interval: 200ms
    depends_on:
      db: { condition: service_healthy }
`,
    );
    const up = await runBerth(['--progress', 'plain', 'up', '-d', '--wait'], { cwd: p.dir, env: p.env });
    expect(up.stderr).toContain('Container updemo-db-1  Started');
    expect(up.exitCode).toBe(0);
    const order = up.stderr.split('\n');
    const dbStarted = order.findIndex((l) => l.includes('updemo-db-1  Started'));
    const webStarted = order.findIndex((l) => l.includes('updemo-web-1  Started'));
    expect(dbStarted).toBeGreaterThanOrEqual(0);
    expect(webStarted).toBeGreaterThan(dbStarted);
    expect(await (await fetch(`http://127.0.0.1:${web}/`)).text()).toBe('web');

    const again = await runBerth(['--progress', 'plain', 'up', '-d'], { cwd: p.dir, env: p.env });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toMatch(/Created|Started|Recreate/);
  });

  it('--dry-run prints the plan and creates nothing', async () => {
    const p = await project(
      'dry',
      `name: dry\nservices:\n  a:\n    image: local\n    command: ["sleep", "30"]\n`,
    );
    const run = await runBerth(['up', '--dry-run'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/dry-a-1/);
    const stateFile = path.join(p.state, 'projects', 'dry', 'state.json');
    const state = existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { containers: unknown[] })
      : undefined;
    expect(state?.containers ?? []).toEqual([]);
  });

  it('attached: prefixes the output, ends when the containers end, --exit-code-from gives the code', async () => {
    const p = await project(
      'attached',
      `
name: attached
services:
  job:
    image: local
    command: [${node}, "-e", "console.log('working'); process.exit(3)"]
  helper:
    image: local
    command: [${node}, "-e", "console.log('helping'); setTimeout(() => {}, 60000)"]
`,
    );
    const run = await runBerth(['--progress', 'quiet', 'up', '--exit-code-from', 'job'], {
      cwd: p.dir,
      env: p.env,
      timeoutMs: 30_000,
    });
    expect(run.stdout).toMatch(/^job-1 +\| working$/m);
    expect(run.stdout).toMatch(/job-1 exited with code 3/);
    expect(run.exitCode).toBe(3);
  });

  it('Ctrl-C stops the project gracefully and exits 130, leaving nothing running', async () => {
    const p = await project(
      'ctrlc',
      `name: ctrlc\nservices:\n  a:\n    image: local\n    command: [${node}, "-e", "console.log('up ctrlc-marker'); setInterval(() => {}, 1000)"]\n`,
    );
    const child = spawn(process.execPath, ['--', berthBin, '--progress', 'quiet', 'up'], {
      cwd: p.dir,
      env: { PATH: process.env.PATH ?? '', HOME: p.dir, ...p.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < 100 && !out.includes('ctrlc-marker'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('ctrlc-marker');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out).toMatch(/a-1 exited with code/);
    expect(processesMatching('ctrlc-marker')).toEqual([]);
  });

  it('a service with nothing to run is a clear error naming it', async () => {
    const p = await project('norun', `name: norun\nservices:\n  web:\n    image: nginx:1.27\n`);
    const run = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
    expectCleanFailure(run);
    expect(run.stderr).toMatch(/service "web" has no command to run/);
  });

  it('a published port already in use is a clear error naming service and port', async () => {
    const blocker = createServer().listen(0, '0.0.0.0');
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const p = await project(
        'taken',
        `name: taken\nservices:\n  web:\n    image: local\n    command: ${server(8080, 'x')}\n    ports: ["${taken}:8080"]\n`,
      );
      const run = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
      expectCleanFailure(run);
      expect(run.stderr).toContain(`service "web": port ${taken} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('two up -d at once: the second waits, and each replica exists once', async () => {
    const p = await project(
      'twice',
      `name: twice\nservices:\n  a:\n    image: local\n    command: [${node}, "-e", "setInterval(() => {}, 1000)"]\n    scale: 3\n`,
    );
    const [first, second] = await Promise.all([
      runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env }),
      runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env }),
    ]);
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    const state = JSON.parse(readFileSync(path.join(p.state, 'projects', 'twice', 'state.json'), 'utf8')) as {
      containers: { name: string }[];
    };
    expect(state.containers.map((c) => c.name).sort()).toEqual(['twice-a-1', 'twice-a-2', 'twice-a-3']);
  });

  it('a SIGKILLed supervisor leaves no service process, and the next command cleans its state', async () => {
    const p = await project(
      'killed',
      `name: killed\nservices:\n  a:\n    image: local\n    command: [${node}, "-e", "setInterval(() => {}, 1000) // killed-marker"]\n    scale: 2\n`,
    );
    const up = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
    expect(up.exitCode).toBe(0);
    expect(processesMatching('killed-marker')).toHaveLength(2);
    const pid = Number(
      readFileSync(path.join(p.state, 'projects', 'killed', 'supervisor.pid'), 'utf8').split(/\s/)[0],
    );
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && processesMatching('killed-marker').length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(processesMatching('killed-marker')).toEqual([]);
    const next = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
    expect(next.exitCode).toBe(0);
    expect(next.stderr).toContain(`project "killed": its supervisor (pid ${pid}) is no longer running`);
    expect(processesMatching('killed-marker')).toHaveLength(2);
  });

  it('a missing secret file is a clear error naming the secret and the file', async () => {
    const p = await project(
      'nosecret',
      `name: nosecret\nservices:\n  a:\n    image: local\n    command: ["sleep", "30"]\n    secrets: [tok]\nsecrets:\n  tok:\n    file: ./missing.txt\n`,
    );
    const run = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
    expectCleanFailure(run);
    expect(run.stderr).toContain(`secret "tok": file ${path.join(p.dir, 'missing.txt')} does not exist`);
  });

  it('--wait gives up after --wait-timeout on a healthcheck that never passes, naming the container', async () => {
    const p = await project(
      'never',
      `name: never\nservices:\n  a:\n    image: local\n    command: ["sleep", "30"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 200ms\n      retries: 1000\n`,
    );
    const run = await runBerth(['--progress', 'quiet', 'up', '-d', '--wait', '--wait-timeout', '2'], {
      cwd: p.dir,
      env: p.env,
    });
    expectCleanFailure(run);
    expect(run.stderr).toContain(
      'timed out waiting for the project to be ready: never-a-1 (health: starting)',
    );
  });

  it('uses an external volume that exists, and names one that does not', async () => {
    const p = await project(
      'ext',
      `name: ext\nservices:\n  a:\n    image: local\n    command: ["sleep", "30"]\n    volumes: ["shared:/data"]\nvolumes:\n  shared:\n    external: true\n    name: berth-shared-test\n`,
    );
    const missing = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
    expectCleanFailure(missing);
    expect(missing.stderr).toContain('external volume "berth-shared-test" not found');

    // Another project (same state folder) creates it; then this one uses it and leaves it on down -v.
    const owner = await tempProject({
      'compose.yaml': `name: owner\nservices:\n  o:\n    image: local\n    command: ["sleep", "30"]\n    volumes: ["v:/v"]\nvolumes:\n  v:\n    name: berth-shared-test\n`,
    });
    cleanups.push(owner.cleanup);
    started.push({ dir: owner.dir, state: p.state, project: 'owner' });
    expect(
      (await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: owner.dir, env: p.env })).exitCode,
    ).toBe(0);
    const up = await runBerth(['--progress', 'quiet', 'up', '-d'], { cwd: p.dir, env: p.env });
    expect(up.stderr).toBe('');
    expect(up.exitCode).toBe(0);
    expect((await runBerth(['--progress', 'quiet', 'down', '-v'], { cwd: p.dir, env: p.env })).exitCode).toBe(
      0,
    );
    expect(existsSync(path.join(p.state, 'volumes', 'berth-shared-test', '_data'))).toBe(true);
  });

  it('--engine docker where no engine answers says where it looked, without a stack trace', async () => {
    const p = await project(
      'eng',
      `name: eng\nservices:\n  a:\n    image: local\n    command: ["sleep", "1"]\n`,
    );
    const socket = path.join(p.dir, 'no-such-docker.sock');
    const run = await runBerth(['--engine', 'docker', 'up', '-d'], {
      cwd: p.dir,
      env: { ...p.env, DOCKER_HOST: `unix://${socket}` },
    });
    expectCleanFailure(run);
    expect(run.stderr).toContain(`cannot connect to the Docker engine at unix://${socket}: no such socket`);
    const unknown = await runBerth(['--engine', 'dockr', 'ps'], { cwd: p.dir, env: p.env });
    expectCleanFailure(unknown);
    expect(unknown.stderr).toMatch(/unknown engine "dockr"/);
  });
});
