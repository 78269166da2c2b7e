import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  HEALTH_LOG_LENGTH,
  HealthMonitor,
  runProbe,
  type HealthState,
  type ProbeContext,
} from '../../../src/engine/local/health-monitor.js';
import type { HealthcheckSpec } from '../../../src/engine/local/types.js';
import { isProcessAlive as isAlive } from '../../../src/engine/local/process-liveness.js';

let dir: string;
let context: ProbeContext;
const monitors: HealthMonitor[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-health-'));
  context = { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FOO: 'bar' }, cwd: dir };
});

afterEach(async () => {
  for (const monitor of monitors.splice(0)) await monitor.stop();
  await rm(dir, { recursive: true, force: true });
});

function check(test: string[], extra: Partial<HealthcheckSpec> = {}): HealthcheckSpec {
  return {
    test,
    intervalMs: 30,
    timeoutMs: 5_000,
    retries: 3,
    startPeriodMs: 0,
    startIntervalMs: 0,
    ...extra,
  };
}

async function poll(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a monitor and records every update it reports. */
function monitor(
  spec: HealthcheckSpec,
  startedAtMs = Date.now(),
): { updates: { state: HealthState; changed: boolean }[] } {
  const updates: { state: HealthState; changed: boolean }[] = [];
  const m = new HealthMonitor({
    spec,
    context,
    startedAtMs,
    onUpdate: (state, changed) => updates.push({ state, changed }),
  });
  monitors.push(m);
  m.start();
  return { updates };
}

describe('runProbe', () => {
  it('runs CMD as argv in the replica environment and working directory', async () => {
    const result = await runProbe(check(['CMD', 'sh', '-c', 'echo "$FOO $(pwd)"']), context);
    expect(result).toMatchObject({ exitCode: 0, output: `bar ${dir}\n` });
    expect(Date.parse(result.end)).toBeGreaterThanOrEqual(Date.parse(result.start));
  });

  it('runs CMD-SHELL with /bin/sh -c and keeps its exit code and output', async () => {
    const result = await runProbe(check(['CMD-SHELL', 'echo failing >&2; exit 3']), context);
    expect(result).toMatchObject({ exitCode: 3, output: 'failing\n' });
  });

  it('fails a probe that runs past its timeout, and kills it', async () => {
    const pidFile = path.join(dir, 'pid');
    const result = await runProbe(
      check(['CMD-SHELL', `sleep 1000 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 }),
      context,
    );
    expect(result).toMatchObject({ exitCode: -1, output: 'Health check exceeded timeout (300ms)' });
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    await poll(() => !isAlive(sleeper), 'the timed-out probe to be killed');
  });

  it('fails a probe whose command does not exist', async () => {
    const result = await runProbe(check(['CMD', 'no-such-probe-xyz']), context);
    expect(result.exitCode).not.toBe(0);
  });
});

describe('HealthMonitor', () => {
  it('turns healthy on the first success, and says so once', async () => {
    const { updates } = monitor(check(['CMD', 'true']));
    await poll(() => updates.length >= 3, 'three probes');
    expect(updates[0]).toMatchObject({ changed: true, state: { status: 'healthy', failingStreak: 0 } });
    expect(updates.slice(1).every((u) => !u.changed && u.state.status === 'healthy')).toBe(true);
  });

  it('turns unhealthy after `retries` consecutive failures', async () => {
    const { updates } = monitor(check(['CMD-SHELL', 'exit 1'], { retries: 3 }));
    await poll(() => updates.length >= 4, 'four probes');
    expect(updates.slice(0, 4).map((u) => [u.state.status, u.state.failingStreak, u.changed])).toEqual([
      ['starting', 1, false],
      ['starting', 2, false],
      ['unhealthy', 3, true],
      ['unhealthy', 4, false],
    ]);
  });

  it('turns unhealthy when probes time out', async () => {
    const { updates } = monitor(check(['CMD', 'sleep', '1000'], { retries: 1, timeoutMs: 100 }));
    await poll(() => updates.length >= 1, 'one probe');
    expect(updates[0]!.state.status).toBe('unhealthy');
    expect(updates[0]!.state.log[0]).toMatchObject({ exitCode: -1 });
  });

  it('recovers from unhealthy on a success', async () => {
    const flag = path.join(dir, 'ok');
    const { updates } = monitor(check(['CMD-SHELL', `test -f ${flag}`], { retries: 1 }));
    await poll(() => updates.some((u) => u.state.status === 'unhealthy'), 'unhealthy');
    await import('node:fs/promises').then((fs) => fs.writeFile(flag, ''));
    await poll(() => updates.at(-1)!.state.status === 'healthy', 'healthy again');
    expect(updates.filter((u) => u.changed).map((u) => u.state.status)).toEqual(['unhealthy', 'healthy']);
  });

  it('does not count failures during start_period, probing at start_interval', async () => {
    const { updates } = monitor(
      check(['CMD-SHELL', 'exit 1'], {
        retries: 1,
        intervalMs: 60_000,
        startPeriodMs: 60_000,
        startIntervalMs: 20,
      }),
    );
    await poll(() => updates.length >= 5, 'five probes at the start interval');
    expect(updates.every((u) => u.state.status === 'starting' && u.state.failingStreak === 0)).toBe(true);
  });

  it('counts failures during start_period once a probe has succeeded', async () => {
    const marker = path.join(dir, 'succeeded-once');
    const test = ['CMD-SHELL', `if [ -f ${marker} ]; then exit 1; else touch ${marker}; fi`];
    // Once healthy, probes run at the interval (start_interval applies only while starting).
    const { updates } = monitor(
      check(test, { retries: 2, intervalMs: 20, startPeriodMs: 60_000, startIntervalMs: 20 }),
    );
    await poll(() => updates.length >= 3, 'three probes');
    expect(updates.slice(0, 3).map((u) => [u.state.status, u.state.failingStreak])).toEqual([
      ['healthy', 0],
      ['healthy', 1],
      ['unhealthy', 2],
    ]);
  });

  it('keeps the last five results', async () => {
    const { updates } = monitor(check(['CMD-SHELL', 'date +%s%N']));
    await poll(() => updates.length >= HEALTH_LOG_LENGTH + 2, 'seven probes');
    const last = updates.at(-1)!.state.log;
    expect(last).toHaveLength(HEALTH_LOG_LENGTH);
    expect(last.map((r) => r.output)).toEqual(
      updates.slice(-HEALTH_LOG_LENGTH).map((u) => u.state.log.at(-1)!.output),
    );
  });

  it('stops probing when stopped, killing a probe in flight', async () => {
    const pidFile = path.join(dir, 'pid');
    const m = new HealthMonitor({
      spec: check(['CMD-SHELL', `echo $$ > ${pidFile}; exec sleep 1000`], { intervalMs: 10 }),
      context,
      startedAtMs: Date.now(),
      onUpdate: () => {
        throw new Error('no probe should finish');
      },
    });
    m.start();
    let pid = 0;
    await poll(() => {
      try {
        pid = Number(readFileSync(pidFile, 'utf8'));
      } catch {
        return false;
      }
      return pid > 0;
    }, 'the probe to run');
    await m.stop();
    await poll(() => !isAlive(pid), 'the probe to be killed');
    expect(m.current.status).toBe('starting');
  });
});
