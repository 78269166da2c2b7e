/**
 * Stopping and logs under stress on the Docker engine, on a dockerd of the test's own: Ctrl-C while an
 * attached `up` is still starting the project, and once it is attached; a service that ignores SIGTERM
 * (killed once its grace period is over); a service that writes logs as fast as it can, followed by
 * `logs -f`, which must deliver every line, in order, and keep its memory bounded.
 */
import { createInterface } from 'node:readline';

import { expect, it } from 'vitest';

import { describeSecondDockerd } from '../support/second-dockerd.js';
import {
  dockerFaultProject,
  LONG,
  reportFigure,
  rssKiB,
  sleep,
  sleeper,
  TEST_IMAGE,
  until,
  useSecondDockerd,
} from './docker-fault-fixture.js';

/** Ignores SIGTERM (a shell as PID 1 that traps nothing would too; this says so). */
const stubborn = `["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]`;

const COMPOSE = `services:
  base:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    healthcheck: { test: ["CMD", "true"], interval: 1s }
  stubborn:
    image: ${TEST_IMAGE}
    command: ${stubborn}
    stop_grace_period: 2s
    depends_on: { base: { condition: service_healthy } }
  polite:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { base: { condition: service_healthy } }
`;

/** Lines with consecutive numbers, as fast as the shell can print them. */
const FLOOD = `services:
  flood:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "i=0; while :; do echo \\"n=$$i some padding to make the line longer\\"; i=$$((i+1)); done"]
`;

/** A generous bound for a CLI that streams logs: Node itself takes about 60 MiB, berth's logs -f 110. */
const RSS_LIMIT_KIB = 256 * 1024;

describeSecondDockerd('faults: stopping and log floods on the Docker engine', () => {
  const daemon = useSecondDockerd();

  it('Ctrl-C while attached up waits for a health check: exits 130, nothing of the project runs', async () => {
    const p = await dockerFaultProject(daemon(), COMPOSE);
    const up = p.spawn(['up']);
    await until(
      async () =>
        up.child.exitCode !== null || (await p.containers()).get(`${p.name}-base-1`)?.State === 'running',
      `base running\n${up.errors()}`,
    );
    up.child.kill('SIGINT');
    await up.child;
    expect(up.child.exitCode, up.errors()).toBe(130);
    expect(up.errors()).toMatch(/Gracefully stopping/);
    expect(up.errors()).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|this is a bug in berth/);
    // Whatever the converge was doing when Ctrl-C came, it stopped, and what it started is stopped.
    await sleep(1_000);
    const running = [...(await p.containers())].filter(([, c]) => c.State === 'running').map(([n]) => n);
    expect(running).toEqual([]);
    const down = await p.berth(['down', '-t', '0']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await daemon().leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  }, 90_000);

  it('Ctrl-C once attached stops every container; one ignoring SIGTERM is killed after its grace period', async () => {
    const p = await dockerFaultProject(daemon(), COMPOSE);
    const up = p.spawn(['up']);
    await until(
      () => /Attaching to/.test(up.output()) || up.child.exitCode !== null,
      `attached\n${up.output()}${up.errors()}`,
      60_000,
    );
    await until(
      async () => [...(await p.containers()).values()].filter((c) => c.State === 'running').length === 3,
      'three running containers',
    );
    up.child.kill('SIGINT');
    await up.child;
    expect(up.child.exitCode, up.errors()).toBe(130);
    const stubbornOne = await daemon().docker.getContainer(`${p.name}-stubborn-1`).inspect();
    const politeOne = await daemon().docker.getContainer(`${p.name}-polite-1`).inspect();
    expect(stubbornOne.State.Running).toBe(false);
    expect(stubbornOne.State.ExitCode).toBe(137);
    expect(politeOne.State.Running).toBe(false);
    expect(politeOne.State.ExitCode).toBe(0);

    // The same through `stop`, with a container that has its own grace period.
    const start = await p.berth(['start']);
    expect(start.exitCode, start.stderr).toBe(0);
    const stop = await p.berth(['stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const stopped = await daemon().docker.getContainer(`${p.name}-stubborn-1`).inspect();
    expect(stopped.State.ExitCode).toBe(137);
    // The engine knows the grace period (the typings miss StopTimeout).
    expect((stopped.Config as { StopTimeout?: number }).StopTimeout).toBe(2);
  }, 120_000);

  it('logs -f under a log flood and a stalled reader: lines once and in order, bounded memory', async () => {
    const p = await dockerFaultProject(daemon(), FLOOD);
    const up = await p.berth(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const follow = p.spawn(['logs', '-f', '--no-log-prefix', 'flood']);
    let next = 0;
    let broken: string | undefined;
    const lines = createInterface({ input: follow.child.stdout });
    lines.on('line', (line) => {
      const match = /^n=(\d+) /.exec(line);
      if (match === null || Number(match[1]) !== next) broken ??= `after n=${next - 1}: ${line.slice(0, 80)}`;
      next++;
    });
    let peak = 0;
    const pid = follow.child.pid ?? 0;
    const began = Date.now();
    const floodMs = LONG ? 60_000 : 6_000;
    // A reader that stalls for a while in the middle (a pager, a slow pipe): berth must wait for it,
    // not hold what it cannot write yet.
    const stall = { from: floodMs / 3, to: floodMs / 3 + 3_000 };
    while (Date.now() - began < floodMs && follow.child.exitCode === null) {
      const at = Date.now() - began;
      if (at >= stall.from && at < stall.to) lines.pause();
      else lines.resume();
      peak = Math.max(peak, (await rssKiB(pid)) ?? 0);
      await sleep(200);
    }
    lines.resume();
    const seenAtStop = next;
    // No trap: the shell as PID 1 ignores SIGTERM, so the grace period ends it.
    const stop = await p.berth(['stop', '-t', '1']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const tail = (await daemon().docker.getContainer(`${p.name}-flood-1`).logs({
      stdout: true,
      stderr: true,
      tail: 1,
    })) as Buffer;
    // A multiplexed frame: 8 bytes of header, then the line.
    const last = Number(/n=(\d+) /.exec(tail.subarray(8).toString())?.[1]);
    expect(Number.isInteger(last), tail.toString()).toBe(true);
    await until(
      () => next > last || follow.child.exitCode !== null,
      `logs -f to reach n=${last} (at n=${next})`,
      120_000,
    );
    peak = Math.max(peak, (await rssKiB(pid)) ?? 0);
    follow.child.kill('SIGINT');
    await follow.child;
    expect(follow.errors()).not.toMatch(/error/i);
    expect(broken).toBeUndefined();
    // berth reads only as fast as its reader takes lines (bounded memory). dockerd 20.10 ends a
    // following log stream soon after the container stops even when its reader is behind, so the last
    // lines may never come: `docker logs -f` with a slow reader loses them the same way (measured here:
    // 375772 of 1479890 lines). What did come is every line up to there, once and in order.
    expect(next).toBeGreaterThanOrEqual(seenAtStop);
    expect(next).toBeLessThanOrEqual(last + 1);
    expect(peak).toBeLessThan(RSS_LIMIT_KIB);
    const seconds = (Date.now() - began) / 1000;
    await reportFigure(
      'docker logs -f under a flood',
      `${next} lines in order (${seenAtStop} while flooding ${floodMs / 1000} s, ${Math.round(next / seconds)} lines/s), peak RSS ${Math.round(peak / 1024)} MiB`,
    );
  }, 240_000);
});
