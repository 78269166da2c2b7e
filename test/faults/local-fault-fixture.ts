/**
 * The harness of the in-process engine's fault suites: a project in a temporary folder with a
 * private state folder, driven through the real CLI on host networking, whose service processes all
 * carry a unique marker in their command line. What a test leaves (processes, mounts, folders) is
 * taken away after it, and `leftovers()` tells what is still there, so each test can assert that
 * nothing was left before the clean-up had to kill it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { execa, type ResultPromise } from 'execa';

import { type BerthRun, berthBin, runBerth, tempProject } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { rssKiB, sleep, until } from '../support/polling.js';
import { killQuietly, psRows, type PsRow } from '../support/processes.js';

export { killQuietly, rssKiB, sleep, until };

export const PROJECT = 'faults';

/** A CLI child left running, without stdin. */
export type Spawned = ResultPromise<{ reject: false; stdin: 'ignore' }>;

export interface FaultProject {
  dir: string;
  stateDir: string;
  marker: string;
  /** `state.json`, `supervisor.pid` ... of the project. */
  projectDir: string;
  berth(args: string[], timeoutMs?: number): Promise<BerthRun>;
  /** The CLI left running (attached `up`, a command to interrupt); killed after the test if alive. */
  spawn(args: string[]): Spawned;
  /** Rows of `ps -a --format json`. */
  ps(): Promise<PsRow[]>;
  /** Live (non-zombie) processes of the project: services by marker, supervisor and watchdog by state folder. */
  leftovers(): Promise<number[]>;
  /** The live supervisor (or watchdog-less host) of the project, found by its command line. */
  supervisorPid(): Promise<number | undefined>;
}

interface Options {
  files?: Record<string, string>;
  /** Before the clean-up's `down`: make the state folder writable again. */
  beforeDown?: () => Promise<void>;
  /** After the project's processes are gone: unmount what the test mounted over the state folder. */
  afterDown?: () => Promise<void>;
}

/** Defers a clean-up to after the current test (latest first), even when the test fails. */
export const afterTest = cleanupsAfterEach(60_000);

/** `compose` with every `MARKER` replaced by the project's marker. */
export async function faultProject(compose: string, options: Options = {}): Promise<FaultProject> {
  const marker = `berthfault${randomBytes(5).toString('hex')}`;
  const project = await tempProject({
    'compose.yaml': compose.replaceAll('MARKER', marker),
    ...options.files,
  });
  // Short and outside the project: the control socket path must fit in sun_path.
  const stateDir = await mkdtemp(path.join(tmpdir(), 'bfs-'));
  const env = { BERTH_STATE_DIR: stateDir, BERTH_NETWORKING: 'host' };
  const globals = ['-p', PROJECT, '--networking', 'host'];
  const children: Spawned[] = [];
  const berth = (args: string[], timeoutMs = 30_000): Promise<BerthRun> =>
    runBerth([...globals, ...args], { cwd: project.dir, env, timeoutMs });
  const leftovers = async (): Promise<number[]> => [
    ...(await liveProcessesWith(marker)),
    ...(await liveProcessesWith(stateDir)),
  ];
  const p: FaultProject = {
    dir: project.dir,
    stateDir,
    marker,
    projectDir: path.join(stateDir, 'projects', PROJECT),
    berth,
    spawn(args) {
      const child = execa(process.execPath, ['--', berthBin, ...globals, ...args], {
        cwd: project.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project.dir, ...env },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
      children.push(child);
      return child;
    },
    async ps() {
      const run = await berth(['ps', '-a', '--format', 'json']);
      if (run.exitCode !== 0) throw new Error(`ps failed:\n${run.stderr}`);
      return psRows(run.stdout);
    },
    leftovers,
    async supervisorPid() {
      const found = await liveProcessesWith(stateDir, 'supervisor-main.js');
      return found[0];
    },
  };
  afterTest(async () => {
    try {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(children);
      await options.beforeDown?.();
      await berth(['down', '-t', '0'], 20_000).catch(() => undefined);
      for (let i = 0; i < 30 && (await leftovers()).length > 0; i++) await sleep(100);
      for (const pid of await leftovers()) killQuietly(pid);
      await options.afterDown?.();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
      await project.cleanup();
    }
  });
  return p;
}

/**
 * Live processes whose command line contains every one of `parts` (this process excluded). Zombies
 * do not count: an orphan reparented to a PID 1 that reaps slowly is dead all the same.
 */
export async function liveProcessesWith(...parts: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (parts.every((part) => cmdline.includes(part)) && isLive(Number(name))) found.push(Number(name));
  }
  return found;
}

/** Alive and not a zombie. */
export function isLive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** State, process group and session of a process, from /proc/<pid>/stat. */
export function procStat(pid: number): { state: string; pgrp: number; session: number } | undefined {
  let text: string;
  try {
    // Synchronous on purpose: a snapshot of one process, taken at once.
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), session: Number(fields[3]) };
}

/** Live processes in process group `pgid` or session `sid`. */
export async function membersOf(pgidOrSid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.state !== 'Z' && (stat.pgrp === pgidOrSid || stat.session === pgidOrSid)) {
      found.push(Number(name));
    }
  }
  return found;
}

/** `pid: command line` of each process, for a failure message. */
export async function describeProcesses(pids: number[]): Promise<string> {
  const lines: string[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '(gone)');
    lines.push(`${pid}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return lines.join('\n');
}

/** Waits (bounded) until nothing of the project is left; fails naming what is. */
export async function expectNothingLeft(p: FaultProject, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await p.leftovers();
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`left behind after ${what}:\n${await describeProcesses(left)}`);
    }
    await sleep(50);
  }
}

/** A small seeded generator (mulberry32), so that a failing run's moments can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: BERTH_FAULT_SEED, else a fresh one (printed by the suites that use it). */
export function faultSeed(): number {
  const given = Number(process.env.BERTH_FAULT_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}

/** No stack trace in what the CLI printed. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+:\d+:\d+\)?\n/.test(text);
}
