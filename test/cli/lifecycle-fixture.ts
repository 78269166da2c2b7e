/**
 * The harness of the lifecycle command tests (stop, start, run, kill, rm, scale, exec ...): a
 * project in a temporary folder with its own state folder, driven through the real CLI, and taken
 * down after every test of the file that imports this module, with every process it started.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { execa, type ResultPromise } from 'execa';
import { afterEach, expect } from 'vitest';

import { type BerthRun, berthBin, runBerth, tempProject } from './helpers.js';
import { type PsRow, psRows } from '../support/processes.js';

/** A service command that runs until stopped, with the marker in its command line. */
export const sleeper = `["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]`;

/** A project in a temporary folder with its own state folder; every process carries `marker`. */
export interface Fixture {
  dir: string;
  marker: string;
  berth: (args: string[]) => Promise<BerthRun>;
  /** The CLI left running (foreground `up`, `run`), killed at the end of the test if still alive. */
  spawn: (args: string[]) => ResultPromise;
}

// Modules are evaluated once per test file (vitest isolates files), so this hook belongs to the
// file that imports this module and runs after each of its tests.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Creates the fixture for `compose`, where `MARKER` is replaced by a unique word starting with
 * `berth-<prefix>-`; it is taken down after the test.
 */
export async function fixture(prefix: string, compose: string): Promise<Fixture> {
  const marker = `berth-${prefix}-${randomBytes(4).toString('hex')}`;
  const project = await tempProject({ 'compose.yaml': compose.replaceAll('MARKER', marker) });
  const state = await mkdtemp(path.join(tmpdir(), 'berth-state-'));
  const berth = (args: string[]): Promise<BerthRun> =>
    runBerth(['-p', 'demo', ...args], { cwd: project.dir, env: { BERTH_STATE_DIR: state } });
  const spawned: ResultPromise[] = [];
  const spawn = (args: string[]): ResultPromise => {
    const child = execa(process.execPath, ['--', berthBin, '-p', 'demo', ...args], {
      cwd: project.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project.dir, BERTH_STATE_DIR: state },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    spawned.push(child);
    return child;
  };
  cleanups.push(async () => {
    try {
      for (const child of spawned) {
        if (child.exitCode === null) child.kill('SIGKILL');
        await child;
      }
      // One-off containers outlive `down` (as in compose), and so would their supervisor: remove them first.
      await berth(['rm', '-s', '-f']);
      await berth(['down', '-t', '1']);
      // The supervisor may take a moment to exit once `down` has returned.
      const leftovers = async (): Promise<number[]> => [
        ...(await processesOf(marker)),
        ...(await processesOf(state)),
      ];
      let left = await leftovers();
      for (let i = 0; i < 30 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = await leftovers();
      }
      for (const pid of left) process.kill(pid, 'SIGKILL');
      expect(left, 'processes left behind').toEqual([]);
    } finally {
      await rm(state, { recursive: true, force: true });
      await project.cleanup();
    }
  });
  return { dir: project.dir, marker, berth, spawn };
}

export async function processesOf(marker: string): Promise<number[]> {
  const found = await execa('pgrep', ['-f', marker], { reject: false });
  return found.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/** One row of `berth ps --format json`. */
export type PsEntry = PsRow;

export async function ps(f: Fixture): Promise<Record<string, PsEntry>> {
  const run = await f.berth(['ps', '-a', '--format', 'json']);
  expect(run.exitCode).toBe(0);
  return Object.fromEntries(psRows(run.stdout).map((e) => [e.Name, e]));
}

export function expectBefore(text: string, first: string, second: string): void {
  const a = text.indexOf(first);
  const b = text.indexOf(second);
  expect(a, `"${first}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  expect(b, `"${second}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  expect(a, `"${first}" before "${second}" in:\n${text}`).toBeLessThan(b);
}

/** Polls `check` until it holds (bounded), for what happens while or after a command runs. */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
