/**
 * The harness of the Docker-engine fault suites: one second dockerd per test file (started before its
 * tests, destroyed after them), and projects in temporary folders driven through the real CLI with
 * `--engine docker` and DOCKER_HOST on that daemon. After each test the CLIs it left are killed, the
 * daemon is thawed and started if the test stopped it, and everything in it is removed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type Dockerode from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';

import { type BerthRun, berthBin, runBerth, tempProject } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { type SecondDockerd, startSecondDockerd } from '../support/second-dockerd.js';

export { TEST_IMAGE } from '../support/docker.js';
import { rssKiB, sleep, until } from '../support/polling.js';
export { rssKiB, sleep, until };

/** The long versions (bench/docker-faults.mjs) set this; the suite runs the bounded ones. */
export const LONG = process.env.BERTH_DOCKER_FAULTS === 'long';

/**
 * A service command that runs until stopped and ends at once on SIGTERM (a shell as PID 1 ignores
 * signals it does not trap).
 */
export const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

/** The second dockerd of the calling test file: started before its tests, destroyed after them. */
export function useSecondDockerd(): () => SecondDockerd {
  let daemon: SecondDockerd | undefined;
  beforeAll(async () => {
    daemon = await startSecondDockerd();
  }, 120_000);
  afterAll(async () => {
    await daemon?.destroy();
  }, 120_000);
  return () => {
    if (daemon === undefined) throw new Error('the second dockerd did not start');
    return daemon;
  };
}

/** The CLI started with `env`, left running, its output read as it comes. */
function spawnCli(args: string[], cwd: string, env: Record<string, string>) {
  return execa(process.execPath, ['--', berthBin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
}

export interface Spawned {
  child: ReturnType<typeof spawnCli>;
  output: () => string;
  errors: () => string;
}

export interface DockerFaultProject {
  name: string;
  dir: string;
  env: Record<string, string>;
  berth: (args: string[], timeoutMs?: number, extraEnv?: Record<string, string>) => Promise<BerthRun>;
  /** The CLI left running; killed after the test if still alive. */
  spawn: (args: string[], extraEnv?: Record<string, string>) => Spawned;
  /** The project's containers on the daemon, by name (every state). */
  containers: () => Promise<Map<string, Dockerode.ContainerInfo>>;
}

const defer = cleanupsAfterEach(120_000);

let counter = 0;

/** A project named `faults<n>` on `daemon` (every `NAME` in `compose` is replaced by the name). */
export async function dockerFaultProject(
  daemon: SecondDockerd,
  compose: string,
): Promise<DockerFaultProject> {
  const name = `faults${++counter}`;
  const temp = await tempProject({ 'compose.yaml': compose.replaceAll('NAME', name) });
  const state = await mkdtemp(path.join(tmpdir(), 'berth-state-'));
  const env = { BERTH_STATE_DIR: state, DOCKER_HOST: daemon.host };
  const globals = ['--engine', 'docker', '-p', name];
  const children: Spawned['child'][] = [];

  defer(async () => {
    try {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(children);
      daemon.freeze(false);
      if (daemon.pid() === undefined) await daemon.start();
      // The daemon is this file's alone and its tests run one at a time: everything in it goes.
      const list = await daemon.docker.listContainers({ all: true });
      await Promise.all(list.map((c) => daemon.docker.getContainer(c.Id).remove({ force: true, v: true })));
      const left = await daemon.leftovers();
      for (const network of left.networks) {
        // One whose endpoints dockerd miscounted cannot go until the daemon restarts (see docker-load).
        await daemon.docker
          .getNetwork(network)
          .remove()
          .catch((error: unknown) => {
            if (!/active endpoints/.test(String(error))) throw error;
          });
      }
      for (const volume of left.volumes) await daemon.docker.getVolume(volume).remove({ force: true });
    } finally {
      await rm(state, { recursive: true, force: true });
      await temp.cleanup();
    }
  });

  return {
    name,
    dir: temp.dir,
    env,
    berth: (args, timeoutMs = 60_000, extraEnv = {}) =>
      runBerth([...globals, ...args], { cwd: temp.dir, env: { ...env, ...extraEnv }, timeoutMs }),
    spawn: (args, extraEnv = {}) => {
      const child = spawnCli([...globals, ...args], temp.dir, { ...env, ...extraEnv });
      children.push(child);
      let out = '';
      let err = '';
      // The first megabyte only: a flood of logs must neither fill nor slow down the test.
      child.stdout.on('data', (chunk: Buffer) => {
        if (out.length < 1_000_000) out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      return { child, output: () => out, errors: () => err };
    },
    containers: async () => {
      const list = await daemon.docker.listContainers({
        all: true,
        filters: { label: [`com.docker.compose.project=${name}`] },
      });
      return new Map(list.map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c]));
    },
  };
}

/**
 * A Node preload that writes the process's peak resident memory (KiB) to `$BERTH_PEAK_RSS_FILE` as it
 * exits: the peak of a short-lived CLI, which sampling from outside would miss.
 */
export async function peakRssRecorder(): Promise<{
  env: (file: string) => Record<string, string>;
  read: (file: string) => Promise<number>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-rss-'));
  const preload = path.join(dir, 'peak-rss.mjs');
  await writeFile(
    preload,
    [
      "import { writeFileSync } from 'node:fs';",
      "process.on('exit', () => writeFileSync(process.env.BERTH_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)));",
      '',
    ].join('\n'),
  );
  return {
    env: (file) => ({ NODE_OPTIONS: `--import=${preload}`, BERTH_PEAK_RSS_FILE: path.join(dir, file) }),
    read: async (file) => Number(await readFile(path.join(dir, file), 'utf8')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Figures for the report: printed, and appended to $BERTH_FIGURES_FILE for bench/docker-faults.mjs. */
export async function reportFigure(name: string, value: string): Promise<void> {
  process.stdout.write(`figure: ${name}: ${value}\n`);
  const file = process.env.BERTH_FIGURES_FILE;
  if (file !== undefined && file !== '') {
    await writeFile(file, `${JSON.stringify({ name, value })}\n`, { flag: 'a' });
  }
}
