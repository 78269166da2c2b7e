/**
 * The harness of the security suites: a compose project in a temporary folder (traversable by other
 * users, so that only berth's own modes keep them out) with a state root of its own, driven through
 * the real CLI with only the environment given; and running code as another user (nobody). Every
 * project is taken down after the test with every process it started, even when the test failed.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { execa } from 'execa';

import { type BerthRun, berthBin, runBerth } from '../cli/helpers.js';
import { killQuietly } from '../support/processes.js';

export const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

export interface SecurityProject {
  /** The temporary folder: holds `project/` and `state/`. */
  root: string;
  /** The project folder (compose.yaml and the other files). */
  dir: string;
  /** The project's BERTH_STATE_DIR (created by berth). */
  state: string;
  name: string;
  /** In every service's command line (the compose text's MARKER), to find what is left. */
  marker: string;
  /** Passed to every run, with PATH and HOME. */
  env: Record<string, string>;
  berth(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<BerthRun>;
  /** `<state>/projects/<name>`. */
  projectDir: string;
  /** The detached supervisor's pid (supervisor.pid's first line). */
  supervisorPid(): Promise<number>;
}

/**
 * A project named `name` from `files` (`MARKER` replaced in each); `defer` is the file's clean-up
 * registry (cleanupsAfterEach).
 */
export async function securityProject(
  files: Record<string, string>,
  defer: (cleanup: () => Promise<void>) => void,
  options: { name?: string; env?: Record<string, string>; stateSubdir?: string } = {},
): Promise<SecurityProject> {
  const marker = `berthsec${randomBytes(5).toString('hex')}`;
  const root = await mkdtemp(path.join(tmpdir(), 'berth-sec-'));
  await chmod(root, 0o755);
  const dir = path.join(root, 'project');
  await mkdir(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text.replaceAll('MARKER', marker));
  }
  const name = options.name ?? 'sec';
  const state = path.join(root, options.stateSubdir ?? 'state');
  const env = { BERTH_STATE_DIR: state, ...options.env };
  const berth = (args: string[], o: { env?: Record<string, string>; timeoutMs?: number } = {}) =>
    runBerth(['-p', name, ...args], {
      cwd: dir,
      env: { ...env, ...o.env },
      timeoutMs: o.timeoutMs ?? 30_000,
    });
  defer(async () => {
    try {
      await berth(['down', '-v', '-t', '1']).catch(() => undefined);
    } finally {
      for (let i = 0; i < 40; i++) {
        const left = [...(await processesWith(marker)), ...(await processesWith(state))];
        if (left.length === 0) break;
        if (i >= 20) for (const pid of left) killQuietly(pid);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await rm(root, { recursive: true, force: true });
    }
  });
  const projectDir = path.join(state, 'projects', name);
  return {
    root,
    dir,
    state,
    name,
    marker,
    env,
    berth,
    projectDir,
    async supervisorPid() {
      const text = await readFile(path.join(projectDir, 'supervisor.pid'), 'utf8');
      return Number.parseInt(text.split('\n')[0] ?? '', 10);
    },
  };
}

/** Pids of live processes whose command line contains `text` (Linux /proc), this one excluded. */
export async function processesWith(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(entry));
  }
  return found;
}

/** Runs `node -e script` as nobody (no groups) and returns its stdout, trimmed. */
export async function asNobody(script: string, args: string[] = []): Promise<string> {
  const run = await execa(
    'setpriv',
    [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      '--clear-groups',
      '--',
      process.execPath,
      '-e',
      script,
      '--',
      ...args,
    ],
    { reject: false, timeout: 15_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, extendEnv: false },
  );
  if (run.exitCode !== 0) throw new Error(`as nobody: exit ${run.exitCode}: ${run.stderr}`);
  return run.stdout.trim();
}

/** The real CLI run as nobody against `p`'s state (HOME: the project folder, which nobody can read). */
export async function berthAsNobody(p: SecurityProject, args: string[]): Promise<BerthRun> {
  const run = await execa(
    'setpriv',
    [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      '--clear-groups',
      '--',
      process.execPath,
      '--',
      berthBin,
      '-p',
      p.name,
      ...args,
    ],
    {
      cwd: p.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: p.dir, ...p.env },
      extendEnv: false,
      reject: false,
      timeout: 20_000,
    },
  );
  return { exitCode: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr };
}
