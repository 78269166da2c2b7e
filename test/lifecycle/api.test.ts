/**
 * The library API (`import { up, down, ps, logs } from 'berth'`) against real processes: it runs the
 * built dist/ (run `npm run build` first), because `up` starts a detached supervisor, a Node program
 * that cannot run TypeScript sources.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type * as Berth from '../../src/index.js';
import { freePort, killQuietly, processesMatching } from '../support/processes.js';

const distIndex = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
let berth: typeof Berth;
let dir: string;
let env: Record<string, string | undefined>;
let marker: string;

beforeAll(async () => {
  if (!existsSync(distIndex)) throw new Error('dist/index.js is missing: run "npm run build" first');
  berth = (await import(distIndex)) as typeof Berth;
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-api-'));
  marker = path.basename(dir);
  env = { PATH: process.env.PATH, HOME: dir, BERTH_STATE_DIR: path.join(dir, 'state') };
});

afterEach(async () => {
  try {
    await berth.down({ projectName: 'apitest', env, volumes: true }).catch(() => undefined);
    // Whatever survived is a bug of berth: reported by the test, and killed so that nothing leaks.
    const left = processesMatching(marker);
    for (const pid of left) killQuietly(pid);
    expect(left, 'processes left after down').toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('library API', () => {
  it('starts a project, waits until healthy, reads a published port, stops it', async () => {
    const port = await freePort();
    await writeCompose(`
services:
  web:
    command: ['node', '-e', ${JSON.stringify(httpServer())}]
    environment:
      PORT: '${port}'
    ports: ['${port}']
    healthcheck:
      test: ['CMD', 'node', '-e', ${JSON.stringify(`fetch('http://127.0.0.1:${port}/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`)}]
      interval: 300ms
      retries: 30
  job:
    command: ['node', '-e', "console.log('job done') // ${marker}"]
    restart: 'no'
`);
    const events: string[] = [];
    const { project, containers } = await berth.up({
      cwd: dir,
      env,
      wait: true,
      waitTimeoutMs: 15_000,
      onEvent: (event) => {
        if (event.type === 'operation' && event.status === 'done')
          events.push(`${event.resource} ${event.message}`);
      },
    });
    expect(project.name).toBe('apitest');
    expect(events).toContain('Container apitest-web-1 Started');
    const web = containers.find((c) => c.service === 'web')!;
    expect({ status: web.status, health: web.health }).toEqual({ status: 'running', health: 'healthy' });
    // A one-shot job that exited 0 counts as done for `wait`.
    const job = containers.find((c) => c.service === 'job')!;
    expect({ status: job.status, exitCode: job.exitCode }).toEqual({ status: 'exited', exitCode: 0 });

    const published = berth.publishedPort(containers, 'web', port);
    expect(published).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${published}/`);
    expect(await response.text()).toBe('hello from web\n');
    expect(() => berth.publishedPort(containers, 'job', 80)).toThrow(/does not publish port 80\/tcp/);

    const running = await berth.ps({ cwd: dir, env });
    expect(running.map((c) => c.name)).toEqual(['apitest-web-1']);
    const all = await berth.ps({ project, env, all: true });
    expect(all.map((c) => c.name)).toEqual(['apitest-job-1', 'apitest-web-1']);

    const lines: string[] = [];
    for await (const line of berth.logs({ project, env, services: ['job'] }))
      lines.push(`${line.container} ${line.text}`);
    expect(lines).toEqual(['apitest-job-1 job done']);
    // Following ends when the caller stops iterating.
    for await (const line of berth.logs({ project, env, services: ['web'], follow: true })) {
      expect(line.text).toBe(`listening on ${port}`);
      break;
    }

    await berth.down({ project, env });
    expect(await berth.ps({ projectName: 'apitest', env, all: true })).toEqual([]);
    expect(processesMatching(marker)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${published}/`)).rejects.toThrow();
  });

  it('names the containers that are not ready when the wait times out', async () => {
    await writeCompose(`
services:
  stuck:
    command: ['node', '-e', "setInterval(() => {}, 1000) // ${marker}"]
    healthcheck:
      test: ['CMD', 'node', '-e', 'process.exit(1)']
      interval: 200ms
      retries: 1000
  fine:
    command: ['node', '-e', "setInterval(() => {}, 1000) // ${marker}"]
`);
    const error = await berth
      .up({ cwd: dir, env, wait: true, waitTimeoutMs: 1_500 })
      .catch((e: unknown) => e);
    expect(berth.isComposeError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /timed out waiting for the project to be ready: apitest-stuck-1 \(health: starting\)/,
    );
    expect((error as Error).message).not.toMatch(/apitest-fine-1/);
    // The wait failing leaves the project up, as docker compose does; down ends it.
    expect((await berth.ps({ projectName: 'apitest', env })).map((c) => c.name)).toEqual([
      'apitest-fine-1',
      'apitest-stuck-1',
    ]);
  });

  it('fails the wait when a container exits with an error', async () => {
    // `slow` keeps the wait going (its first probe runs after 1 s) while `broken` exits.
    await writeCompose(`
services:
  broken:
    command: ['node', '-e', "console.error('cannot start') /* ${marker} */; process.exit(3)"]
    restart: 'no'
  slow:
    command: ['node', '-e', "setInterval(() => {}, 1000) // ${marker}"]
    healthcheck:
      test: ['CMD', 'node', '-e', '']
      interval: 1s
`);
    const error = await berth
      .up({ cwd: dir, env, wait: true, waitTimeoutMs: 15_000 })
      .catch((e: unknown) => e);
    expect(berth.isComposeError(error)).toBe(true);
    expect((error as Error).message).toMatch(/container apitest-broken-1 exited \(3\)/);
    expect((error as Error).message).toMatch(/berth logs broken/);
    const all = await berth.ps({ projectName: 'apitest', env, all: true });
    expect(all.map((c) => [c.name, c.status, c.exitCode])).toEqual([
      ['apitest-broken-1', 'exited', 3],
      ['apitest-slow-1', 'running', 0],
    ]);
  });

  it('brings up only the selected services with their dependencies, and scales', async () => {
    await writeCompose(`
services:
  base:
    command: ['node', '-e', "setInterval(() => {}, 1000) // ${marker}"]
  app:
    command: ['node', '-e', "setInterval(() => {}, 1000) // ${marker}"]
    depends_on: [base]
  other:
    command: ['node', '-e', "setInterval(() => {}, 1000) // ${marker}"]
`);
    const { containers } = await berth.up({
      cwd: dir,
      env,
      services: ['app'],
      scale: { app: 2 },
      wait: true,
    });
    expect(containers.map((c) => c.name)).toEqual(['apitest-app-1', 'apitest-app-2', 'apitest-base-1']);
    const engine = await berth.createEngine({ projectName: 'apitest', env });
    try {
      const observed = await berth.observe(engine.engine, 'apitest');
      expect(observed.containers.map((c) => c.status)).toEqual(['running', 'running', 'running']);
    } finally {
      await engine.release();
    }
  });

  it('reports an engine it cannot use before touching anything', async () => {
    await writeCompose(`
services:
  web:
    command: ['sleep', '5']
`);
    const error = await berth.up({ cwd: dir, env, engine: 'dockr' }).catch((e: unknown) => e);
    expect(berth.isComposeError(error)).toBe(true);
    expect((error as Error).message).toMatch(/unknown engine "dockr"/);
    expect(existsSync(path.join(dir, 'state'))).toBe(false);
    const socket = path.join(dir, 'no-engine.sock');
    const unreachable = await berth
      .up({ cwd: dir, env: { ...env, DOCKER_HOST: `unix://${socket}` }, engine: 'docker' })
      .catch((e: unknown) => e);
    expect(berth.isComposeError(unreachable)).toBe(true);
    expect((unreachable as Error).message).toContain(
      `cannot connect to the Docker engine at unix://${socket}`,
    );
  });
});

/** Every service gets an image, as compose requires; berth runs its command on the host. */
function writeCompose(body: string): Promise<void> {
  const withImages = body.replace(/^ {2}(\w+):\n/gm, '  $1:\n    image: node:20-alpine\n');
  return writeFile(path.join(dir, 'compose.yaml'), `name: apitest\n${withImages}`);
}

function httpServer(): string {
  return `// ${marker}
require('node:http').createServer((q, s) => s.end('hello from web\\n')).listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => process.exit(0));`;
}
