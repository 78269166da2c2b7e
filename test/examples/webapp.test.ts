/**
 * examples/webapp end to end, through the real CLI (run `npm run build` first): frontend -> api -> kv
 * with healthchecks, a one-shot migration, a secret and a named volume that outlives `down` but not
 * `down -v`. Its internal ports (kv 7000, api 8080, frontend 3000) are fixed by the example.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type * as Berth from '../../src/index.js';
import { repoRoot, runBerth } from '../cli/helpers.js';
import { assertPortFree, freePort, killQuietly, processesMatching, psRows } from '../support/processes.js';
import { isProcessAlive as isAlive } from '../../src/engine/local/process-liveness.js';

const exampleDir = path.join(repoRoot, 'examples', 'webapp');
const distIndex = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
let berth: typeof Berth;
let stateDir: string;
let env: Record<string, string>;
let frontendPort: number;
const pids = new Set<number>();
/** What ran, for the report of a failed test: a hang is otherwise only a timeout. */
const steps: string[] = [];

beforeAll(async () => {
  if (!existsSync(distIndex)) throw new Error('dist/ is missing: run "npm run build" first');
  berth = (await import(distIndex)) as typeof Berth;
});

beforeEach(async () => {
  // The example's services listen on fixed ports: a peer holding one would only show as a hang.
  for (const port of [7000, 8080, 3000]) await assertPortFree(port, 'examples/webapp');
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-webapp-'));
  frontendPort = await freePort();
  env = { BERTH_STATE_DIR: stateDir, FRONTEND_PORT: String(frontendPort), NO_COLOR: '1' };
});

afterEach(async ({ task }) => {
  try {
    if (task.result?.state === 'fail') await reportState();
    await berthRun(['down', '-v']).catch(() => undefined);
    const left = [...pids].filter(isAlive).concat(processesMatching(stateDir));
    for (const pid of left) killQuietly(pid);
    expect(left, 'processes left after down').toEqual([]);
  } finally {
    pids.clear();
    steps.length = 0;
    await rm(stateDir, { recursive: true, force: true });
  }
});

describe('examples/webapp', () => {
  it('runs with up --wait, counts visits in its volume, and leaves nothing after down -v', async () => {
    await expectOk(berthRun(['up', '-d', '--wait', '--wait-timeout', '40']));

    const first = await visits();
    expect(first.schema).toBe(3);
    expect((await visits()).visits).toBe(first.visits + 1);

    const running = psRows((await expectOk(berthRun(['ps', '--format', 'json']))).stdout);
    expect(running.map((c) => c.Name)).toEqual(['webapp-api-1', 'webapp-frontend-1', 'webapp-kv-1']);
    expect(running.map((c) => [c.Service, c.State, c.Health])).toEqual([
      ['api', 'running', 'healthy'],
      ['frontend', 'running', 'healthy'],
      ['kv', 'running', 'healthy'],
    ]);
    const frontend = running.find((c) => c.Service === 'frontend')!;
    expect(frontend.Publishers).toContainEqual(
      expect.objectContaining({ PublishedPort: frontendPort, TargetPort: 3000, Protocol: 'tcp' }),
    );
    // The migration ran once, to completion, before the api started.
    const all = psRows((await expectOk(berthRun(['ps', '-a', '--format', 'json']))).stdout);
    expect(all.find((c) => c.Service === 'migrate')).toMatchObject({ State: 'exited', ExitCode: 0 });

    const port = await expectOk(berthRun(['port', 'frontend', '3000']));
    expect(port.stdout.trim().split('\n')[0]).toMatch(new RegExp(`:${frontendPort}$`));
    const logs = await expectOk(berthRun(['logs', 'migrate', 'api']));
    expect(logs.stdout).toMatch(/^migrate-1 +\| migrated schema to version 3$/m);
    expect(logs.stdout).toMatch(/^api-1 +\| api listening on 8080$/m);

    await rememberPids();
    await expectOk(berthRun(['down']));
    expect([...pids].filter(isAlive), 'service processes after down').toEqual([]);
    expect(psRows((await expectOk(berthRun(['ps', '-a', '--format', 'json']))).stdout)).toEqual([]);

    // `down` keeps the named volume: the counter goes on where it was.
    await expectOk(berthRun(['up', '-d', '--wait', '--wait-timeout', '40']));
    expect((await visits()).visits).toBe(first.visits + 2);
    await rememberPids();

    await expectOk(berthRun(['down', '-v']));
    expect([...pids].filter(isAlive), 'service processes after down -v').toEqual([]);
    expect(existsSync(path.join(stateDir, 'volumes', 'webapp_kv-data'))).toBe(false);
    expect(processesMatching(stateDir), 'supervisor after down -v').toEqual([]);
    await expect(
      fetch(`http://127.0.0.1:${frontendPort}/`, { signal: AbortSignal.timeout(3_000) }),
    ).rejects.toThrow();
  }, 90_000);
});

async function berthRun(args: string[]): ReturnType<typeof runBerth> {
  const start = Date.now();
  steps.push(`${new Date(start).toISOString()} berth ${args.join(' ')}`);
  const result = await runBerth(['--progress', 'plain', ...args], {
    cwd: exampleDir,
    env,
    timeoutMs: 45_000,
  });
  steps.push(`  -> exit ${result.exitCode} after ${Date.now() - start} ms`);
  return result;
}

/** The steps, the containers and their last log lines, on stderr. */
async function reportState(): Promise<void> {
  const ps = await runBerth(['ps', '-a'], { cwd: exampleDir, env }).catch((e: unknown) => ({
    stdout: String(e),
  }));
  const logs = await runBerth(['logs', '-n', '15'], { cwd: exampleDir, env }).catch((e: unknown) => ({
    stdout: String(e),
  }));
  process.stderr.write(`webapp test failed; steps:\n${steps.join('\n')}\n${ps.stdout}\n${logs.stdout}\n`);
}

async function expectOk(run: ReturnType<typeof runBerth>): Promise<Awaited<ReturnType<typeof runBerth>>> {
  const result = await run;
  expect(result.exitCode, result.stderr).toBe(0);
  return result;
}

/** The frontend's page, read as soon as it answers (up --wait does not wait for it: it has no healthcheck). */
async function visits(): Promise<{ visits: number; schema: number }> {
  let last = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      steps.push(`${new Date().toISOString()} GET frontend`);
      const response = await fetch(`http://127.0.0.1:${frontendPort}/`, {
        signal: AbortSignal.timeout(3_000),
      });
      last = await response.text();
      const match = /visits: (\d+)<\/p><p>schema: (\d+)/.exec(last);
      if (response.ok && match) return { visits: Number(match[1]), schema: Number(match[2]) };
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  throw new Error(`the frontend did not answer: ${last}`);
}

/** The service processes, through the library, to check after `down` that none survived. */
async function rememberPids(): Promise<void> {
  for (const c of await berth.ps({ projectName: 'webapp', env, all: true })) {
    if (c.pid !== undefined) pids.add(c.pid);
  }
}
