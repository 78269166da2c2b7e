/**
 * The harness of the Docker-engine end-to-end suites: a compose project in a temporary folder with a
 * unique name (`berthtest-<random>`), driven through the real CLI with BERTH_ENGINE=docker against
 * the real dockerd, and looked at through dockerode. After every test of the file that imports this
 * module, every CLI it left running is killed and every container, network, volume and image that
 * carries the project's name or label is removed, even when the test failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { execa } from 'execa';
import { expect } from 'vitest';

import { type BerthRun, berthBin, runBerth, tempProject } from './helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { type PsRow, psRows } from '../support/processes.js';
import { TEST_IMAGE } from '../support/docker.js';

export { TEST_IMAGE };

export const docker = new Dockerode();

/**
 * A service command that runs until stopped and ends at once on SIGTERM: a shell as PID 1 ignores
 * signals it does not trap, so without the trap every stop would wait for the grace period.
 */
export const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

/** A compose fragment: service `db`, a sleeper that turns healthy within a second. */
export const healthyDb = `  db:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    healthcheck:
      test: ["CMD", "true"]
      interval: 300ms
`;

/** `sleeper` that first runs `script` (shell words, no double quotes). */
export const sleeperAfter = (script: string): string =>
  `["sh", "-c", "trap 'exit 0' TERM; ${script}; sleep 3600 & wait"]`;

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** More environment for this run (DOCKER_HOST ...). */
  env?: Record<string, string>;
  /** Leave out `-p <name>` (the project is then named by the folder or the file). */
  noProjectFlag?: boolean;
}

/** The CLI started in `cwd` with `env` (and PATH, HOME), left running. */
function spawnCli(args: string[], cwd: string, env: Record<string, string>) {
  return execa(process.execPath, ['--', berthBin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
}

export type Spawned = ReturnType<typeof spawnCli>;

export interface Followed {
  child: Spawned;
  /** What the command has written to stdout so far. */
  output: () => string;
  /** What the command has written to stderr so far. */
  errors: () => string;
}

export interface DockerProject {
  /** `berthtest-<random>`: the project name, passed with `-p` to every command. */
  name: string;
  dir: string;
  /** The environment of every command: BERTH_ENGINE=docker and a state root of its own. */
  env: Record<string, string>;
  /** Runs `berth -p <name> ...args` in the project folder. */
  berth: (args: string[], options?: RunOptions) => Promise<BerthRun>;
  /** Starts `berth -p <name> ...args` and leaves it running; killed after the test if still alive. */
  follow: (args: string[]) => Followed;
  /** Writes a file of the project folder (`compose.yaml` ...), with `NAME` replaced by the project name. */
  write: (file: string, content: string) => Promise<void>;
  /** The project's containers as dockerd lists them (every state), by name. */
  containers: () => Promise<Map<string, Dockerode.ContainerInfo>>;
  /** Removes this image (an id: a build's earlier image, left untagged by a rebuild) after the test too. */
  trackImage: (id: string) => void;
  /** `docker inspect` of one of the project's containers, by its name. */
  inspect: (container: string) => Promise<Dockerode.ContainerInspectInfo>;
}

// Modules are evaluated once per test file (vitest isolates files), so this hook belongs to the
// file that imports this module and runs after each of its tests.
const defer = cleanupsAfterEach();

/**
 * A project for `compose` (with `NAME` replaced by the project name) and other `files` of its folder;
 * taken down after the current test.
 */
export async function dockerProject(
  compose: string,
  files: Record<string, string | Uint8Array> = {},
): Promise<DockerProject> {
  const name = `berthtest-${randomBytes(4).toString('hex')}`;
  const temp = await tempProject({ 'compose.yaml': compose.replaceAll('NAME', name), ...files });
  // Outside the project folder: a build context of "." must not take the state root in.
  const state = await mkdtemp(path.join(tmpdir(), 'berth-state-'));
  const env = { BERTH_ENGINE: 'docker', BERTH_STATE_DIR: state };
  const children: Spawned[] = [];
  const tracked: string[] = [];

  const berth = (args: string[], options: RunOptions = {}): Promise<BerthRun> =>
    runBerth(options.noProjectFlag === true ? args : ['-p', name, ...args], {
      cwd: temp.dir,
      env: { ...env, ...options.env },
      timeoutMs: options.timeoutMs ?? 20_000,
      ...(options.input === undefined ? {} : { input: options.input }),
    });

  const follow = (args: string[]): Followed => {
    const child = spawnCli(['-p', name, ...args], temp.dir, env);
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    return { child, output: () => out, errors: () => err };
  };

  defer(async () => {
    try {
      for (const child of children) {
        if (child.exitCode === null) child.kill('SIGKILL');
        await child;
      }
    } finally {
      try {
        await removeDockerResources(name);
        for (const id of tracked) await docker.getImage(id).remove({ force: true }).catch(gone);
      } finally {
        await rm(state, { recursive: true, force: true });
        await temp.cleanup();
      }
    }
  });

  return {
    name,
    dir: temp.dir,
    env,
    berth,
    follow,
    write: async (file, content) => {
      const target = path.join(temp.dir, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content.replaceAll('NAME', name));
    },
    containers: () => containersOf(name),
    trackImage: (id) => tracked.push(id),
    inspect: (container) => docker.getContainer(container).inspect(),
  };
}

/** The containers labelled with the project (one-offs included), by name. */
export async function containersOf(project: string): Promise<Map<string, Dockerode.ContainerInfo>> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  return new Map(list.map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c]));
}

/** Names of the networks and volumes of the project, as dockerd has them (by label or by name). */
export async function networksOf(project: string): Promise<string[]> {
  const list = await docker.listNetworks();
  return list
    .filter((n) => n.Labels?.['com.docker.compose.project'] === project || n.Name.startsWith(`${project}_`))
    .map((n) => n.Name)
    .sort();
}

export async function volumesOf(project: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes();
  return (Volumes ?? [])
    .filter((v) => v.Labels?.['com.docker.compose.project'] === project || v.Name.startsWith(`${project}_`))
    .map((v) => v.Name)
    .sort();
}

/** Images tagged `<project>-<service>` (what `build:` makes) or labelled with the project. */
export async function imagesOf(project: string): Promise<string[]> {
  const list = await docker.listImages({ all: false });
  return list
    .filter(
      (i) =>
        i.Labels?.['com.docker.compose.project'] === project ||
        (i.RepoTags ?? []).some((tag) => tag.startsWith(`${project}-`)),
    )
    .map((i) => i.Id);
}

/**
 * Everything of the project in dockerd, whatever state berth left it in: containers by label or by
 * name, then networks, volumes and images. Removal errors of things already gone are ignored.
 */
export async function removeDockerResources(project: string): Promise<void> {
  const containers = await docker.listContainers({ all: true });
  const ours = containers.filter(
    (c) =>
      c.Labels['com.docker.compose.project'] === project ||
      c.Names.some((n) => n.startsWith(`/${project}-`) || n.startsWith(`/${project}_`)),
  );
  await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(gone)));
  for (const network of await networksOf(project)) await docker.getNetwork(network).remove().catch(gone);
  for (const volume of await volumesOf(project)) await docker.getVolume(volume).remove().catch(gone);
  for (const image of await imagesOf(project))
    await docker.getImage(image).remove({ force: true }).catch(gone);
}

function gone(error: unknown): void {
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== 404 && status !== 409) throw error;
}

/** One row of `berth ps --format json`. */
export type PsEntry = PsRow;

/** `berth ps -a --format json`, by container name. */
export async function ps(p: DockerProject, args: string[] = []): Promise<Record<string, PsEntry>> {
  const run = await p.berth(['ps', '-a', '--format', 'json', ...args]);
  expect(run.exitCode, run.stderr).toBe(0);
  return Object.fromEntries(psRows(run.stdout).map((e) => [e.Name, e]));
}

/** `berth ps` states by container name: `{ 'x-web-1': 'running' }`. */
export async function states(p: DockerProject): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await ps(p)).map(([n, e]) => [n, e.State]));
}

/** Runs `berth` and expects it to succeed, with stderr in the failure message. */
export async function ok(p: DockerProject, args: string[], options?: RunOptions): Promise<BerthRun> {
  const run = await p.berth(args, options);
  expect(run.exitCode, `berth ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

export function expectBefore(text: string, first: string, second: string): void {
  const a = text.indexOf(first);
  const b = text.indexOf(second);
  expect(a, `"${first}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  expect(b, `"${second}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  expect(a, `"${first}" before "${second}" in:\n${text}`).toBeLessThan(b);
}

export { fetchText } from '../support/http.js';
import { until } from '../support/polling.js';
export { until };
