/**
 * Load on the in-process engine, bounded for CI (bench/load.mjs is the long version): rounds of
 * `up -d` and `down` of a generated project through the real CLI, with host and isolated networking,
 * and a long-lived supervisor scaled down to nothing and up again. After every `down` nothing of the
 * project may be left (test/support/leaks.ts), and the supervisor's memory and descriptors stay flat.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { describe, expect, test } from 'vitest';

import { ownerTag } from '../../src/engine/local/network/bridge.js';
import { IP } from '../../src/engine/local/network/ip-command.js';
import { runBerth, tempProject, type BerthRun } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { isolation } from '../support/isolation.js';
import {
  diff,
  recordedInterfaces,
  snapshot,
  supervisorFigures,
  supervisorPidOf,
  type LeakScope,
  type Snapshot,
  type SupervisorFigures,
} from '../support/leaks.js';
import { freePort, killQuietly, psRows } from '../support/processes.js';
import { loadCompose, loadServiceNames, publishedPorts, type LoadProjectOptions } from './load-project.js';

const ROUNDS = 3;
const SERVICES = 60;
const SERVERS = 3;
/** The long-lived supervisor's rounds scale every service twice: fewer keep the suite short. */
const LONG_LIVED_SERVICES = 30;
const TEST_TIMEOUT_MS = 150_000;

type Networking = 'host' | 'isolated';

const isolatedRuns = isolation.ok || process.env.CI === 'true';
if (!isolatedRuns) process.stderr.write(`skipping isolated load rounds: ${isolation.reason}\n`);

const defer = cleanupsAfterEach(60_000);

interface LoadProject {
  scope: LeakScope;
  berth(args: string[], timeoutMs?: number): Promise<BerthRun>;
  /** Runs berth and fails the test with its stderr unless it succeeds. */
  must(args: string[], timeoutMs?: number): Promise<BerthRun>;
  /** Services running now, by `ps`. */
  running(): Promise<number>;
  /** Remembers the interfaces the state records now, so that the leak scope covers them. */
  record(): void;
  /** The supervisor's figures now. */
  supervisor(): SupervisorFigures;
  snapshot(): Snapshot;
}

async function loadProject(networking: Networking, services = SERVICES): Promise<LoadProject> {
  const name = `load${randomBytes(4).toString('hex')}`;
  const stateDir = await mkdtemp(path.join(tmpdir(), 'berth-load-'));
  // The state root as berth leaves it between projects: its (empty) projects and volumes folders.
  for (const folder of ['projects', 'volumes']) await mkdir(path.join(stateDir, folder));
  const ports: number[] = [];
  while (ports.length < 2 * SERVERS) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const options: LoadProjectOptions = {
    name,
    services,
    servers: SERVERS,
    ports,
    marker: stateDir,
    node: process.execPath,
  };
  const temp = await tempProject({ 'compose.yaml': loadCompose(options) });
  const env = { BERTH_STATE_DIR: stateDir, BERTH_NETWORKING: networking, NO_COLOR: '1' };
  const interfaces = new Set<string>();
  const scope: LeakScope = {
    marker: stateDir,
    stateDir,
    owner: ownerTag(stateDir, name),
    interfaces,
    ports: publishedPorts(options),
  };
  const berth = (args: string[], timeoutMs = 60_000): Promise<BerthRun> =>
    runBerth(['--progress', 'quiet', ...args], { cwd: temp.dir, env, timeoutMs });
  const project: LoadProject = {
    scope,
    berth,
    async must(args, timeoutMs) {
      const run = await berth(args, timeoutMs);
      expect(run.exitCode, `berth ${args.join(' ')}:\n${run.stderr}`).toBe(0);
      return run;
    },
    async running() {
      const run = await project.must(['ps', '--format', 'json']);
      return psRows(run.stdout).filter((row) => row.State === 'running').length;
    },
    record() {
      for (const link of recordedInterfaces(stateDir, name)) interfaces.add(link);
    },
    supervisor() {
      const pid = supervisorPidOf(stateDir, name);
      const figures = pid === undefined ? undefined : supervisorFigures(pid);
      expect(figures, 'the supervisor is running').toBeDefined();
      return figures!;
    },
    snapshot: () => snapshot({ ...scope, supervisorPid: supervisorPidOf(stateDir, name) }),
  };
  defer(async () => {
    try {
      await berth(['down', '-v', '-t', '1'], 90_000).catch(() => undefined);
      // Whatever is still there was leaked (and failed the test): remove it by force.
      const left = snapshot(scope);
      for (const line of left.processes) killQuietly(Number(line.split(' ')[0]));
      for (const link of left.interfaces) await execa(IP, ['link', 'del', 'dev', link], { reject: false });
    } finally {
      await rm(stateDir, { recursive: true, force: true });
      await temp.cleanup();
    }
  });
  return project;
}

/** The last round's figure may exceed the first by half, plus a little (allocator and GC noise). */
function expectFlat(what: string, series: number[], slack: number): void {
  const [first, last] = [series[0]!, series.at(-1)!];
  expect(last, `${what} per round: ${series.join(', ')}`).toBeLessThanOrEqual(first * 1.5 + slack);
}

describe('load on the in-process engine', () => {
  for (const networking of ['host', 'isolated'] as const) {
    const runs = networking === 'host' || isolatedRuns;
    test.runIf(runs)(
      `${networking} networking: ${ROUNDS} rounds of up -d and down of ${SERVICES} services leave nothing behind`,
      async () => {
        const project = await loadProject(networking);
        const before = project.snapshot();
        const rss: number[] = [];
        const fds: number[] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          await project.must(['up', '-d'], 90_000);
          expect(await project.running()).toBe(SERVICES);
          project.record();
          const figures = project.supervisor();
          rss.push(figures.rssKiB);
          fds.push(figures.fds);
          await project.must(['down', '-t', '1'], 90_000);
          expect(diff(before, project.snapshot()), `leaked by round ${round}`).toEqual([]);
        }
        process.stdout.write(
          `load ${networking}: ${ROUNDS} rounds of ${SERVICES} services, leaks 0, supervisor RSS KiB ${rss.join(' ')}, fds ${fds.join(' ')}\n`,
        );
        expectFlat('supervisor RSS KiB', rss, 20 * 1024);
        expectFlat('supervisor fds', fds, 16);
      },
      TEST_TIMEOUT_MS,
    );
  }

  test(
    `a long-lived supervisor: ${ROUNDS} rounds of scaling ${LONG_LIVED_SERVICES} services to 0 and back leave it flat`,
    async () => {
      const project = await loadProject(isolatedRuns ? 'isolated' : 'host', LONG_LIVED_SERVICES);
      const names = loadServiceNames(LONG_LIVED_SERVICES);
      const before = project.snapshot();
      await project.must(['up', '-d'], 90_000);
      project.record();
      const idle: Snapshot[] = [];
      const rss: number[] = [];
      const fds: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        await project.must(['scale', ...names.map((n) => `${n}=0`)], 90_000);
        idle.push(project.snapshot());
        await project.must(['scale', ...names.map((n) => `${n}=1`)], 90_000);
        expect(await project.running()).toBe(LONG_LIVED_SERVICES);
        project.record();
        const figures = project.supervisor();
        rss.push(figures.rssKiB);
        fds.push(figures.fds);
      }
      // With nothing running, each round leaves the host as the first did (the supervisor's sockets included).
      for (const later of idle.slice(1)) expect(diff(idle[0]!, later)).toEqual([]);
      const idleFds = idle.map((s) => s.supervisor?.fds ?? Number.NaN);
      process.stdout.write(
        `load long-lived supervisor: ${ROUNDS} rounds of scale ${LONG_LIVED_SERVICES}->0->${LONG_LIVED_SERVICES}, ` +
          `supervisor RSS KiB ${rss.join(' ')}, fds ${fds.join(' ')}, fds at 0 ${idleFds.join(' ')}\n`,
      );
      expectFlat('supervisor RSS KiB', rss, 20 * 1024);
      expectFlat('supervisor fds', fds, 16);
      expectFlat('supervisor fds with nothing running', idleFds, 4);
      const pid = idle[0]!.supervisor?.pid;
      await project.must(['down', '-t', '1'], 90_000);
      expect(diff(before, project.snapshot()), 'leaked after down').toEqual([]);
      expect(
        pid === undefined ? undefined : supervisorFigures(pid),
        'the supervisor is gone',
      ).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );
});
