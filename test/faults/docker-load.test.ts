/**
 * Load on the Docker engine, on a dockerd of the test's own: rounds of `up -d` and `down -v` of a
 * 30-service project. After each round nothing is left in the daemon (container, network, volume) nor
 * on the host (interfaces, mounts), and berth's peak memory stays flat from round to round. The figures
 * are printed; bench/docker-faults.mjs runs more rounds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeSecondDockerd } from '../support/second-dockerd.js';
import {
  dockerFaultProject,
  LONG,
  peakRssRecorder,
  reportFigure,
  sleeper,
  TEST_IMAGE,
  useSecondDockerd,
} from './docker-fault-fixture.js';

const SERVICES = 30;
const ROUNDS = LONG ? 10 : 3;

/** 30 services: every fifth on a second network, every seventh with a named volume. */
function compose(): string {
  const lines = ['services:'];
  for (let i = 1; i <= SERVICES; i++) {
    lines.push(`  s${i}:`, `    image: ${TEST_IMAGE}`, `    command: ${sleeper}`);
    if (i % 5 === 0) lines.push('    networks: [default, back]');
    if (i % 7 === 0) lines.push('    volumes: [data:/data]');
  }
  lines.push('networks:', '  back: {}', 'volumes:', '  data: {}', '');
  return lines.join('\n');
}

/** Host interfaces and mounts: a daemon that leaks bridges, veths or overlays shows here. */
function hostCounts(): { interfaces: number; mounts: number } {
  const interfaces = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).trim().split('\n').length;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length;
  return { interfaces, mounts };
}

describeSecondDockerd('load: rounds of up and down of 30 services on the Docker engine', () => {
  const daemon = useSecondDockerd();
  let rss: Awaited<ReturnType<typeof peakRssRecorder>>;
  beforeAll(async () => {
    rss = await peakRssRecorder();
  });
  afterAll(async () => {
    await rss.cleanup();
  });

  it(`${ROUNDS} rounds: no leaked container, network, volume, interface or mount; memory flat`, async () => {
    const p = await dockerFaultProject(daemon(), compose());
    const before = hostCounts();
    const rounds: { up: number; down: number; upRss: number; downRss: number }[] = [];
    const leaks: string[] = [];
    const staleNetworks: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      let began = Date.now();
      const up = await p.berth(['up', '-d'], 120_000, rss.env(`up-${round}`));
      const upSeconds = (Date.now() - began) / 1000;
      expect(up.exitCode, up.stderr).toBe(0);
      const running = [...(await p.containers()).values()].filter((c) => c.State === 'running');
      expect(running.length).toBe(SERVICES);
      began = Date.now();
      const down = await p.berth(['down', '-v', '-t', '1'], 120_000, rss.env(`down-${round}`));
      const downSeconds = (Date.now() - began) / 1000;
      expect(down.exitCode, down.stderr).toBe(0);
      const left = await daemon().leftovers();
      for (const network of left.networks) {
        // dockerd 20.10 sometimes miscounts a network's endpoints under parallel container calls (the
        // docker CLI alone does it too): it refuses the removal with no container attached, and berth
        // warns. Counted apart; the next round's up reuses that network.
        const inspect = (await daemon().docker.getNetwork(network).inspect()) as { Containers?: object };
        const stale = Object.keys(inspect.Containers ?? {}).length === 0 && /still in use/.test(down.stderr);
        if (!stale) leaks.push(`round ${round}: network ${network}`);
        else if (!staleNetworks.includes(network)) staleNetworks.push(network);
      }
      for (const kind of ['containers', 'volumes'] as const) {
        if (left[kind].length > 0) leaks.push(`round ${round}: ${kind} ${left[kind].join(', ')}`);
      }
      rounds.push({
        up: upSeconds,
        down: downSeconds,
        upRss: await rss.read(`up-${round}`),
        downRss: await rss.read(`down-${round}`),
      });
    }
    const after = hostCounts();
    // A network dockerd could not remove keeps its bridge.
    if (after.interfaces !== before.interfaces + staleNetworks.length)
      leaks.push(`interfaces: ${before.interfaces} -> ${after.interfaces}`);
    if (after.mounts !== before.mounts) leaks.push(`mounts: ${before.mounts} -> ${after.mounts}`);

    const mib = (kib: number): string => (kib / 1024).toFixed(1);
    for (const [i, r] of rounds.entries()) {
      await reportFigure(
        `docker load round ${i + 1}`,
        `up ${r.up.toFixed(1)} s (peak RSS ${mib(r.upRss)} MiB), down ${r.down.toFixed(1)} s (peak RSS ${mib(r.downRss)} MiB)`,
      );
    }
    const first = rounds[0]!;
    const last = rounds[rounds.length - 1]!;
    await reportFigure('docker load leaks found', String(leaks.length));
    await reportFigure(
      'networks dockerd refused to remove (its endpoint count race)',
      String(staleNetworks.length),
    );
    expect(leaks).toEqual([]);
    // Flat: the last round's peaks within a margin of the first's (collection timing varies).
    expect(last.upRss).toBeLessThan(first.upRss * 1.3 + 16 * 1024);
    expect(last.downRss).toBeLessThan(first.downRss * 1.3 + 16 * 1024);
  }, 600_000);
});
