/**
 * examples/queue end to end, through the real CLI (run `npm run build` first): a queue with a
 * healthcheck, a one-shot producer and three worker replicas (deploy.replicas) that share the jobs;
 * then scaled down to one worker. The queue's own port (7100) is fixed by the example.
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

const exampleDir = path.join(repoRoot, 'examples', 'queue');
const distIndex = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
let berth: typeof Berth;
let stateDir: string;
let env: Record<string, string>;
let queuePort: number;
const pids = new Set<number>();

beforeAll(async () => {
  if (!existsSync(distIndex)) throw new Error('dist/ is missing: run "npm run build" first');
  berth = (await import(distIndex)) as typeof Berth;
});

beforeEach(async () => {
  // The queue listens on a fixed port: a peer holding it would only show as a hang.
  await assertPortFree(7100, 'examples/queue');
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-queue-'));
  queuePort = await freePort();
  env = { BERTH_STATE_DIR: stateDir, QUEUE_PORT: String(queuePort), NO_COLOR: '1' };
});

afterEach(async () => {
  try {
    await berthRun(['down', '-v']).catch(() => undefined);
    const left = [...pids].filter(isAlive).concat(processesMatching(stateDir));
    for (const pid of left) killQuietly(pid);
    expect(left, 'processes left after down').toEqual([]);
  } finally {
    pids.clear();
    await rm(stateDir, { recursive: true, force: true });
  }
});

describe('examples/queue', () => {
  it('shares 30 jobs among 3 worker replicas, scales down, and leaves nothing after down -v', async () => {
    await expectOk(berthRun(['up', '-d', '--wait', '--wait-timeout', '30']));

    const stats = await statsWhen((s) => s.done === 30);
    expect(stats.pending).toBe(0);
    expect(Object.keys(stats.perWorker).sort()).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(Object.values(stats.perWorker).reduce((a, b) => a + b, 0)).toBe(30);

    const running = psRows((await expectOk(berthRun(['ps', '--format', 'json']))).stdout);
    expect(running.map((c) => [c.Name, c.State, c.Health])).toEqual([
      ['queue-queue-1', 'running', 'healthy'],
      ['queue-worker-1', 'running', ''],
      ['queue-worker-2', 'running', ''],
      ['queue-worker-3', 'running', ''],
    ]);
    expect(running[0]!.Publishers).toContainEqual(
      expect.objectContaining({ PublishedPort: queuePort, TargetPort: 7100, Protocol: 'tcp' }),
    );
    const all = psRows((await expectOk(berthRun(['ps', '-a', '--format', 'json']))).stdout);
    expect(all.find((c) => c.Service === 'producer')).toMatchObject({ State: 'exited', ExitCode: 0 });

    const logs = await expectOk(berthRun(['logs', 'producer', 'worker']));
    expect(logs.stdout).toMatch(/^producer-1 +\| enqueued 30 jobs$/m);
    for (const n of [1, 2, 3]) {
      expect(logs.stdout).toMatch(new RegExp(`^worker-${n} +\\| worker-${n} finished job \\d+$`, 'm'));
    }
    // The library sees what the CLI started.
    const library = await berth.ps({ projectName: 'queue', env, services: ['worker'] });
    expect(library.map((c) => c.name)).toEqual(['queue-worker-1', 'queue-worker-2', 'queue-worker-3']);
    await rememberPids();

    // Scaling down removes the highest-numbered replicas; the remaining worker takes new jobs alone.
    await expectOk(berthRun(['scale', 'worker=1']));
    const workers = psRows((await expectOk(berthRun(['ps', '-a', '--format', 'json', 'worker']))).stdout);
    expect(workers.map((c) => c.Name)).toEqual(['queue-worker-1']);
    await fetch(`http://127.0.0.1:${queuePort}/jobs`, {
      method: 'POST',
      body: 'one more',
      signal: AbortSignal.timeout(3_000),
    });
    const after = await statsWhen((s) => s.done === 31);
    expect(after.perWorker['worker-1']).toBe((stats.perWorker['worker-1'] ?? 0) + 1);

    await expectOk(berthRun(['down', '-v']));
    expect([...pids].filter(isAlive), 'service processes after down -v').toEqual([]);
    expect(psRows((await expectOk(berthRun(['ps', '-a', '--format', 'json']))).stdout)).toEqual([]);
    expect(processesMatching(stateDir), 'supervisor after down -v').toEqual([]);
    await expect(
      fetch(`http://127.0.0.1:${queuePort}/stats`, { signal: AbortSignal.timeout(3_000) }),
    ).rejects.toThrow();
  }, 60_000);
});

function berthRun(args: string[]): ReturnType<typeof runBerth> {
  return runBerth(['--progress', 'plain', ...args], { cwd: exampleDir, env, timeoutMs: 45_000 });
}

async function expectOk(run: ReturnType<typeof runBerth>): Promise<Awaited<ReturnType<typeof runBerth>>> {
  const result = await run;
  expect(result.exitCode, result.stderr).toBe(0);
  return result;
}

interface Stats {
  pending: number;
  done: number;
  perWorker: Record<string, number>;
}

/** Polls /stats (bounded) until `ready` holds. */
async function statsWhen(ready: (stats: Stats) => boolean): Promise<Stats> {
  let last: Stats | string = '';
  for (let attempt = 0; attempt < 75; attempt++) {
    try {
      const stats = (await (
        await fetch(`http://127.0.0.1:${queuePort}/stats`, { signal: AbortSignal.timeout(3_000) })
      ).json()) as Stats;
      if (ready(stats)) return stats;
      last = stats;
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  throw new Error(`the queue never reached the expected state; last seen: ${JSON.stringify(last)}`);
}

/** The service processes, through the library, to check after `down` that none survived. */
async function rememberPids(): Promise<void> {
  for (const c of await berth.ps({ projectName: 'queue', env, all: true })) {
    if (c.pid !== undefined) pids.add(c.pid);
  }
}
