/**
 * berth's Docker engine and Debian's docker-compose 1.29 on the same dockerd: a project started by one
 * is listed and removed by the other, as the issue asks ("as far as that older client's labels allow").
 *
 * What 1.29 and berth (which follows docker compose v2) do differently, as these tests observe it:
 * - Container names: 1.29 names replicas `<project>_<service>_<n>`, berth `<project>-<service>-<n>`.
 *   Each tool finds the other's containers by the labels only (com.docker.compose.project, service,
 *   container-number, oneoff=False), so each lists and removes them under their own names. Networks
 *   (`<project>_default`) and volumes (`<project>_<name>`) are named alike by both.
 * - Labels: both set project, service, container-number, oneoff (`False`), config-hash, version,
 *   project.working_dir and project.config_files; 1.29 writes config_files as given on the command
 *   line (`compose.yaml`), berth as absolute paths; com.docker.compose.version is 1.29.2 on 1.29's and
 *   the docker compose version berth follows (2.40.0) on berth's; only berth writes
 *   com.docker.compose.depends_on and com.docker.compose.image, as docker compose v2 does. Networks
 *   and volumes carry the same labels from both (project, network/volume, version), so each tool
 *   adopts the other's without a warning and removes them with its `down` (volumes with -v).
 * - Config hash: each tool hashes the service differently (1.29 hashes its own config dictionary,
 *   berth the canonical service as docker compose v2 does), so the hashes never match: `up` by one tool
 *   on containers the other made recreates every one of them, keeping their numbers, under its own
 *   naming; after that a second `up` by the same tool changes nothing.
 * - Network aliases: berth gives a replica its container name, service name and short id, 1.29 only
 *   the service name and short id.
 */
import { randomBytes } from 'node:crypto';

import { execa } from 'execa';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { TEST_IMAGE, describeDocker } from '../support/docker.js';
import { type BerthRun, runBerth, tempProject } from './helpers.js';

// `sleep & wait`: the trapped TERM interrupts `wait` at once, so stopping takes no grace period.
const COMMAND = `["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]`;
const compose = `
services:
  web:
    image: ${TEST_IMAGE}
    command: ${COMMAND}
    deploy:
      replicas: 2
  store:
    image: ${TEST_IMAGE}
    command: ${COMMAND}
    volumes:
      - data:/data
volumes:
  data: {}
`;

const TIMEOUT_MS = 120_000;
const DEPENDS_ON = 'com.docker.compose.depends_on';
const IMAGE = 'com.docker.compose.image';

let name = '';
let dir = '';
let removeDir: () => Promise<void> = () => Promise.resolve();

beforeEach(async () => {
  name = `berthtest-${randomBytes(4).toString('hex')}`;
  ({ dir, cleanup: removeDir } = await tempProject({ 'compose.yaml': compose }));
});

afterEach(async () => {
  const label = `label=com.docker.compose.project=${name}`;
  const ids = async (...args: string[]): Promise<string[]> =>
    (await docker(...args)).stdout.split('\n').filter((line) => line !== '');
  const containers = await ids('ps', '-aq', '--filter', label);
  if (containers.length > 0) await docker('rm', '-f', '-v', ...containers);
  const networks = new Set([...(await ids('network', 'ls', '-q', '--filter', label))]);
  for (const network of await ids('network', 'ls', '-q', '--filter', `name=^${name}_`)) networks.add(network);
  if (networks.size > 0) await docker('network', 'rm', ...networks);
  const volumes = new Set([...(await ids('volume', 'ls', '-q', '--filter', label))]);
  for (const volume of await ids('volume', 'ls', '-q', '--filter', `name=^${name}_`)) volumes.add(volume);
  if (volumes.size > 0) await docker('volume', 'rm', '-f', ...volumes);
  await removeDir();
});

function docker(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execa('docker', args, { timeout: 60_000 });
}

async function berth(...args: string[]): Promise<BerthRun> {
  const run = await runBerth(
    ['--engine', 'docker', '--progress', 'plain', '-p', name, '-f', 'compose.yaml', ...args],
    {
      cwd: dir,
      env: { BERTH_STATE_DIR: `${dir}/state`, NO_COLOR: '1' },
      timeoutMs: 90_000,
    },
  );
  if (run.exitCode !== 0) throw new Error(`berth ${args.join(' ')} exited ${run.exitCode}:\n${run.stderr}`);
  return run;
}

/** docker-compose 1.29 writes its progress to stderr; both streams are returned, stderr is checked. */
async function dockerCompose(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await execa(
    'docker-compose',
    ['--ansi', 'never', '-p', name, '-f', 'compose.yaml', ...args],
    {
      cwd: dir,
      timeout: 90_000,
      reject: false,
    },
  );
  if (result.exitCode !== 0) {
    throw new Error(`docker-compose ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** The project's containers on the engine, by name, with the labels that matter here. */
async function containers(): Promise<{ name: string; service: string; number: string; state: string }[]> {
  const format =
    '{{.Names}}\t{{.Label "com.docker.compose.service"}}\t{{.Label "com.docker.compose.container-number"}}\t{{.State}}';
  const { stdout } = await docker(
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${name}`,
    '--format',
    format,
  );
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [containerName = '', service = '', number = '', state = ''] = line.split('\t');
      return { name: containerName, service, number, state };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function labels(container: string): Promise<Record<string, string>> {
  const { stdout } = await docker('inspect', '--format', '{{json .Config.Labels}}', container);
  return JSON.parse(stdout) as Record<string, string>;
}

async function ids(): Promise<string[]> {
  const { stdout } = await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${name}`);
  return stdout.split('\n').filter(Boolean).sort();
}

async function names(): Promise<string[]> {
  return (await containers()).map((c) => c.name);
}

async function networkExists(): Promise<boolean> {
  const { stdout } = await docker('network', 'ls', '-q', '--filter', `name=^${name}_default$`);
  return stdout.trim() !== '';
}

async function volumeExists(): Promise<boolean> {
  const { stdout } = await docker('volume', 'ls', '-q', '--filter', `name=^${name}_data$`);
  return stdout.trim() !== '';
}

const dashed = (): string[] => [`${name}-store-1`, `${name}-web-1`, `${name}-web-2`];
const underscored = (): string[] => [`${name}_store_1`, `${name}_web_1`, `${name}_web_2`];

describeDocker('berth --engine docker and docker-compose 1.29 on the same project', () => {
  it(
    "docker-compose ps lists berth's containers and docker-compose down removes them",
    async () => {
      await berth('up', '-d');
      expect(await names()).toEqual(dashed());

      // 1.29 finds them by label and shows them under berth's names.
      const ps = await dockerCompose('ps');
      const rows = ps.stdout.split('\n').filter((line) => line.startsWith(name));
      expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual(dashed());
      for (const row of rows) expect(row).toMatch(/\sUp\s/);
      expect((await dockerCompose('ps', '--services')).stdout.split('\n').filter(Boolean).sort()).toEqual([
        'store',
        'web',
      ]);

      await dockerCompose('down', '-v');
      expect(await names()).toEqual([]);
      expect(await networkExists()).toBe(false);
      expect(await volumeExists()).toBe(false);
    },
    TIMEOUT_MS,
  );

  it(
    "docker-compose up recreates berth's containers under its own names: the config hashes differ",
    async () => {
      await berth('up', '-d');
      const berths = await labels(`${name}-web-1`);
      const up = await dockerCompose('up', '-d');
      expect(up.stderr).toMatch(new RegExp(`Recreating ${name}-web-1`));
      // Recreated by 1.29 with the same numbers: `_` names, the volume and network reused as they are.
      const after = await containers();
      expect(after.map((c) => c.name)).toEqual(underscored());
      expect(after.map((c) => `${c.service}-${c.number}-${c.state}`)).toEqual([
        'store-1-running',
        'web-1-running',
        'web-2-running',
      ]);
      expect(up.stderr).not.toMatch(/Creating volume/);
      expect(up.stderr).not.toMatch(/Creating network/);
      // Once they are its own, 1.29 leaves them alone.
      expect((await dockerCompose('up', '-d')).stderr).toMatch(new RegExp(`${name}_web_1 is up-to-date`));

      // The labels side by side: the same keys but two that only berth (like docker compose v2) writes.
      const composes = await labels(`${name}_web_1`);
      const { [DEPENDS_ON]: dependsOn, [IMAGE]: image, ...shared } = berths;
      expect(dependsOn).toBe('');
      expect(image).toBe(TEST_IMAGE);
      expect(Object.keys(composes).sort()).toEqual(Object.keys(shared).sort());
      expect(composes).toMatchObject({
        'com.docker.compose.project': name,
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': '1',
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.version': '1.29.2',
        'com.docker.compose.project.config_files': 'compose.yaml',
        'com.docker.compose.project.working_dir': dir,
      });
      expect(shared).toMatchObject({
        'com.docker.compose.project': name,
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': '1',
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.project.config_files': `${dir}/compose.yaml`,
        'com.docker.compose.project.working_dir': dir,
      });
      expect(shared['com.docker.compose.version']).not.toBe('1.29.2');
      expect(shared['com.docker.compose.config-hash']).not.toBe(composes['com.docker.compose.config-hash']);
    },
    TIMEOUT_MS,
  );

  it(
    "berth up recreates docker-compose's containers under its own names, then leaves them alone",
    async () => {
      await dockerCompose('up', '-d');
      await berth('up', '-d');
      const after = await containers();
      expect(after.map((c) => c.name)).toEqual(dashed());
      expect(after.map((c) => `${c.service}-${c.number}-${c.state}`)).toEqual([
        'store-1-running',
        'web-1-running',
        'web-2-running',
      ]);
      const before = await ids();
      await berth('up', '-d');
      expect(await ids()).toEqual(before);
      // The network and volume 1.29 made are berth's too: its down removes them.
      await berth('down', '-v');
      expect(await names()).toEqual([]);
      expect(await networkExists()).toBe(false);
      expect(await volumeExists()).toBe(false);
    },
    TIMEOUT_MS,
  );

  it(
    "berth ps lists docker-compose's containers and berth down removes them and the network",
    async () => {
      await dockerCompose('up', '-d');
      expect(await names()).toEqual(underscored());

      // berth finds them by label and shows them under 1.29's names.
      const ps = await berth('ps', '--format', 'json');
      const rows = ps.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { Name: string; Service: string; State: string });
      expect(rows.map((r) => r.Name).sort()).toEqual(underscored());
      expect(rows.map((r) => `${r.Service} ${r.State}`).sort()).toEqual([
        'store running',
        'web running',
        'web running',
      ]);
      const table = await berth('ps');
      for (const containerName of underscored()) expect(table.stdout).toContain(containerName);

      await berth('down');
      expect(await names()).toEqual([]);
      expect(await networkExists()).toBe(false);
      // As with docker compose, named volumes stay without -v; berth down -v removes 1.29's volume too.
      expect(await volumeExists()).toBe(true);
      await berth('down', '-v');
      expect(await volumeExists()).toBe(false);
    },
    TIMEOUT_MS,
  );
});
