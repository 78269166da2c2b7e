/**
 * A compose project started detached for the tests of commands that look at or stop a running
 * project (down, ps, logs ...): it is started through the built library exactly as `up -d` does
 * (launch a supervisor, observe, plan, execute), independently of the `up` command, and always
 * taken down again with every process it started, even when a test fails.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { execa, type ResultPromise } from 'execa';
import { afterEach, expect } from 'vitest';

import { berthBin, repoRoot, tempProject } from './helpers.js';
import { killQuietly } from '../support/processes.js';

export interface StartedProject {
  dir: string;
  /** Pass to runBerth: the test's own state root. */
  env: Record<string, string>;
  /** In every service process's command line, to find what is left. */
  marker: string;
  /** Starts (or converges) the project detached; throws with the reason on failure. */
  up(services?: string[]): Promise<void>;
  /** Takes everything down, kills what is left, removes the folders. Idempotent. */
  cleanup(): Promise<void>;
}

const UP_SCRIPT = `
const [dist, servicesJson] = process.argv.slice(1);
const { loadProject } = await import(dist + '/project/load.js');
const { openProjectEngine } = await import(dist + '/engine/project-engine.js');
const { observe, planUp, executePlan } = await import(dist + '/reconcile/index.js');
const services = JSON.parse(servicesJson);
const { project } = await loadProject({ cwd: process.cwd(), env: process.env, services });
const access = await openProjectEngine({ project: project.name, mode: 'launch', env: process.env });
try {
  const plan = planUp(project, await observe(access.engine, project.name), { services });
  const result = await executePlan(plan, access.engine, { onEvent: () => undefined });
  if (!result.ok) {
    process.stderr.write(result.failed.map((f) => f.resource + ': ' + f.error.message).join('\\n') + '\\n');
    process.exitCode = 1;
  }
} finally {
  await access.release();
}
`;

const DOWN_SCRIPT = `
const [dist, name] = process.argv.slice(1);
const { openProjectEngine } = await import(dist + '/engine/project-engine.js');
const { observe, planDown, executePlan } = await import(dist + '/reconcile/index.js');
const access = await openProjectEngine({ project: name, mode: 'existing', env: process.env });
try {
  const plan = planDown(null, await observe(access.engine, name), { removeOrphans: true, volumes: true, timeoutSeconds: 2 });
  await executePlan(plan, access.engine, { onEvent: () => undefined });
} finally {
  await access.shutdownHost();
}
`;

/** Other files of the project folder; a state root shared with another project (for `ls`). */
export interface ProjectOptions {
  files?: Record<string, string>;
  stateDir?: string;
}

/**
 * A temporary folder with `compose.yaml` (where `MARKER` is replaced by a unique word to put in each
 * service's command line), other files, and a state root of its own unless one is given.
 */
export async function startedProject(compose: string, options: ProjectOptions = {}): Promise<StartedProject> {
  const marker = `berthmark${randomBytes(5).toString('hex')}`;
  const temp = await tempProject({ 'compose.yaml': compose.replaceAll('MARKER', marker), ...options.files });
  // Projects that share a state root (for `ls`) pass one; it is then the first project's to remove.
  const env = { BERTH_STATE_DIR: options.stateDir ?? path.join(temp.dir, 'state') };
  const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: temp.dir, ...env };
  const dist = path.join(repoRoot, 'dist');
  let cleaned = false;
  return {
    dir: temp.dir,
    env,
    marker,
    async up(services = []) {
      const run = await execa(
        process.execPath,
        ['--input-type=module', '-e', UP_SCRIPT, dist, JSON.stringify(services)],
        {
          cwd: temp.dir,
          env: childEnv,
          extendEnv: false,
          reject: false,
          timeout: 20_000,
        },
      );
      if (run.exitCode !== 0) throw new Error(`starting the project failed:\n${run.stderr}`);
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      try {
        const name = path
          .basename(temp.dir)
          .toLowerCase()
          .replace(/[^a-z0-9_-]/g, '');
        await execa(process.execPath, ['--input-type=module', '-e', DOWN_SCRIPT, dist, name], {
          cwd: temp.dir,
          env: childEnv,
          extendEnv: false,
          reject: false,
          timeout: 20_000,
        });
      } finally {
        // Service processes carry the marker; a supervisor or watchdog left behind, the state root.
        for (const pid of await processesWith(marker)) killQuietly(pid);
        for (const pid of await processesWith(temp.dir)) killQuietly(pid);
        await temp.cleanup();
      }
    },
  };
}

// What the current test started, taken down after it. Modules are evaluated once per test file
// (vitest isolates files), so this hook belongs to the file that imports this module.
const projects: StartedProject[] = [];
const children: ResultPromise<{ reject: false }>[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  // The last created first: projects that share a state root leave it to the first one to remove.
  for (const p of projects.splice(0).reverse()) {
    await p.cleanup();
    expect(await processesWith(p.marker)).toEqual([]);
  }
});

/** A project as `startedProject` makes it (not started yet), taken down after the current test. */
export async function testProject(compose: string, options: ProjectOptions = {}): Promise<StartedProject> {
  const p = await startedProject(compose, options);
  projects.push(p);
  return p;
}

/** A project started detached, taken down after the current test. */
export async function runningProject(compose: string): Promise<StartedProject> {
  const p = await testProject(compose);
  await p.up();
  return p;
}

/** The CLI run in the project's folder and left running (`up`, `logs -f` ...), killed after the test. */
export function spawnBerth(p: StartedProject, args: string[]): ResultPromise<{ reject: false }> {
  const child = execa(process.execPath, ['--', berthBin, ...args], {
    cwd: p.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: p.dir, ...p.env },
    extendEnv: false,
    reject: false,
  });
  children.push(child);
  return child;
}

/** `spawnBerth`, with what the command has written to stdout so far. */
export function followBerth(
  p: StartedProject,
  args: string[],
): { child: ResultPromise<{ reject: false }>; output: () => string } {
  const child = spawnBerth(p, args);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, output: () => out };
}

/** Pids of live processes whose command line contains `text` (Linux /proc), this one excluded. */
export async function processesWith(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(name));
  }
  return found;
}

/** Polls until `check` holds (bounded): for conditions, never for timing. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
