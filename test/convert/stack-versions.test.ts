import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  LATEST_STACK_VERSION,
  STACK_VERSIONS,
  firstVersionSupporting,
  parseStackVersion,
  stackKeyTable,
  stackSupports,
} from '../../src/convert/stack-versions.js';
import { ComposeError } from '../../src/project/errors.js';
import { describeStackCli, stackCli } from '../support/stack-cli.js';

const run = promisify(execFile);

describe('parseStackVersion', () => {
  it.each([
    ['3.0', '3.0'],
    ['3.8', '3.8'],
    ['3.10', '3.10'],
    ['3.13', '3.13'],
    [' 3.8 ', '3.8'],
    // docker stack reads a bare "3" as the newest 3.x it knows (docker/cli schema.normalizeVersion).
    ['3', LATEST_STACK_VERSION],
  ])('%j -> %s', (text, version) => {
    expect(parseStackVersion(text)).toBe(version);
  });

  it.each(['2.4', '3.14', '3.08', '3.', '4', 'x', '', '3.1.0'])(
    'refuses %j with the versions as hint',
    (text) => {
      let caught: unknown;
      try {
        parseStackVersion(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ComposeError);
      const error = caught as ComposeError;
      expect(error.problem).toBe(`unsupported stack file version "${text}"`);
      expect(error.hint).toContain('3.0, 3.1, 3.2');
      expect(error.hint).toContain('3.13');
    },
  );

  it('lists the versions in numeric order', () => {
    expect(STACK_VERSIONS).toHaveLength(14);
    expect(STACK_VERSIONS[9]).toBe('3.9');
    expect(STACK_VERSIONS[10]).toBe('3.10');
    expect(LATEST_STACK_VERSION).toBe('3.13');
  });
});

describe('stackSupports', () => {
  it.each<[string[], string | undefined]>([
    [['version'], '3.0'],
    [['services', '*', 'build'], '3.0'],
    [['services', '*', 'build', 'context'], '3.0'],
    [['services', '*', 'build', 'ssh'], '3.11'],
    [['services', '*', 'init'], '3.7'],
    [['services', '*', 'deploy', 'resources', 'limits', 'pids'], '3.9'],
    [['services', '*', 'deploy', 'rollback_config', 'order'], '3.7'],
    [['services', '*', 'healthcheck', 'start_interval'], '3.12'],
    [['services', '*', 'oom_score_adj'], '3.13'],
    [['services', '*', 'networks', '*', 'driver_opts', '*'], '3.13'],
    [['networks', '*', 'name'], '3.5'],
    [['volumes', '*', 'name'], '3.4'],
    [['secrets'], '3.1'],
    [['configs', '*', 'template_driver'], '3.8'],
    [['services', '*', 'develop'], undefined],
    [['services', '*', 'pull_policy'], undefined],
    [['services', '*', 'deploy', 'resources', 'limits', 'devices'], undefined],
    [['networks', '*', 'enable_ipv6'], undefined],
    [['services', '*', 'labels', '*', 'deeper'], undefined],
  ])('%j first in %s', (keyPath, first) => {
    expect(firstVersionSupporting(keyPath)).toBe(first);
    for (const version of STACK_VERSIONS) {
      const expected = first !== undefined && Number(version.slice(2)) >= Number(first.slice(2));
      expect(stackSupports(version, keyPath), version).toBe(expected);
    }
  });

  it('compares versions numerically', () => {
    const startInterval = ['services', '*', 'healthcheck', 'start_interval'];
    expect(stackSupports('3.2', startInterval)).toBe(false);
    expect(stackSupports('3.10', startInterval)).toBe(false);
    expect(stackSupports('3.12', startInterval)).toBe(true);
  });

  it('takes list items with or without an index', () => {
    expect(firstVersionSupporting(['services', '*', 'ports', 'published'])).toBe('3.2');
    expect(firstVersionSupporting(['services', '*', 'ports', '0', 'published'])).toBe('3.2');
    expect(firstVersionSupporting(['services', '*', 'ports', '*', 'published'])).toBe('3.2');
    expect(firstVersionSupporting(['services', '*', 'volumes', '2', 'tmpfs', 'size'])).toBe('3.6');
    expect(firstVersionSupporting(['services', '*', 'ports', '0'])).toBe('3.0');
    expect(firstVersionSupporting(['services', '*', 'ports', '0', 'host_ip'])).toBeUndefined();
    expect(firstVersionSupporting(['services', '*', 'environment', '0'])).toBe('3.0');
  });

  it('takes literal names where names go', () => {
    expect(firstVersionSupporting(['services', 'web', 'init'])).toBe('3.7');
    expect(firstVersionSupporting(['services', '*', 'labels', 'com.example.team'])).toBe('3.0');
    expect(firstVersionSupporting(['services', '*', 'ulimits', 'nofile', 'soft'])).toBe('3.0');
  });

  it('allows x- keys where the schema level does', () => {
    expect(firstVersionSupporting(['x-common'])).toBe('3.4');
    expect(firstVersionSupporting(['x-common', 'anything', 'below'])).toBe('3.4');
    for (const top of ['services', 'networks', 'volumes', 'secrets', 'configs']) {
      expect(firstVersionSupporting([top, '*', 'x-meta']), top).toBe('3.7');
    }
    expect(firstVersionSupporting(['volumes', '*', 'x-cluster-spec', 'access_mode', 'scope'])).toBe('3.7');
    expect(firstVersionSupporting(['services', '*', 'deploy', 'x-meta'])).toBeUndefined();
    expect(firstVersionSupporting(['services', '*', 'healthcheck', 'x-meta'])).toBeUndefined();
    // build is an open object from 3.11 on, so any key, x- or not, is allowed there.
    expect(firstVersionSupporting(['services', '*', 'build', 'x-meta'])).toBe('3.11');
  });

  it('refuses an unknown version', () => {
    expect(() => stackSupports('3.14', ['services'])).toThrow(ComposeError);
  });

  it('has every parent of an entry in the table', () => {
    const patterns = new Set(stackKeyTable().map((entry) => entry.pattern.replaceAll('[]', '')));
    for (const pattern of patterns) {
      const parent = pattern.split('.').slice(0, -1).join('.');
      if (parent !== '') expect(patterns.has(parent), pattern).toBe(true);
    }
  });
});

/**
 * A value each table entry can take in a file `docker stack config` accepts. Names (`*`), open keys (`?`)
 * and extension keys (`x-*`) are replaced by the names in SAMPLE_NAMES below.
 */
const SAMPLES: Readonly<Record<string, unknown>> = {
  version: undefined, // set for every file
  'x-*': { anchors: ['a'] },

  services: { a: { image: 'busybox' } },
  'services.*': { image: 'busybox' },
  'services.*.x-*': { team: 'core' },
  'services.*.build': '.',
  'services.*.build.?': 'default',
  'services.*.build.context': '.',
  'services.*.build.dockerfile': 'Dockerfile',
  'services.*.build.args': { A: '1' },
  'services.*.build.args.*': '1',
  'services.*.build.cache_from': ['busybox'],
  'services.*.build.labels': { a: 'b' },
  'services.*.build.labels.*': 'b',
  'services.*.build.network': 'host',
  'services.*.build.target': 'prod',
  'services.*.build.shm_size': '64m',
  'services.*.build.extra_hosts': ['h:10.0.0.1'],
  'services.*.build.extra_hosts.*': '10.0.0.1',
  'services.*.cap_add': ['NET_ADMIN'],
  'services.*.cap_drop': ['ALL'],
  'services.*.cgroup_parent': 'parent',
  'services.*.cgroupns_mode': 'host',
  'services.*.command': ['sh'],
  'services.*.configs': ['c'],
  'services.*.configs[].?': 'x',
  'services.*.configs[].source': 'c',
  'services.*.configs[].target': '/c',
  'services.*.configs[].uid': '0',
  'services.*.configs[].gid': '0',
  'services.*.configs[].mode': 0o444,
  'services.*.container_name': 'a',
  'services.*.credential_spec': { file: 'spec.json' },
  'services.*.credential_spec.file': 'spec.json',
  'services.*.credential_spec.registry': 'spec',
  'services.*.credential_spec.config': 'spec',
  'services.*.depends_on': ['b'],
  'services.*.deploy': { replicas: 1 },
  'services.*.deploy.mode': 'replicated',
  'services.*.deploy.endpoint_mode': 'vip',
  'services.*.deploy.replicas': 2,
  'services.*.deploy.labels': { a: 'b' },
  'services.*.deploy.labels.*': 'b',
  'services.*.deploy.update_config': { parallelism: 1 },
  'services.*.deploy.update_config.parallelism': 1,
  'services.*.deploy.update_config.delay': '10s',
  'services.*.deploy.update_config.failure_action': 'pause',
  'services.*.deploy.update_config.monitor': '5s',
  'services.*.deploy.update_config.max_failure_ratio': 0.5,
  'services.*.deploy.update_config.order': 'start-first',
  'services.*.deploy.rollback_config': { parallelism: 1 },
  'services.*.deploy.rollback_config.parallelism': 1,
  'services.*.deploy.rollback_config.delay': '10s',
  'services.*.deploy.rollback_config.failure_action': 'pause',
  'services.*.deploy.rollback_config.monitor': '5s',
  'services.*.deploy.rollback_config.max_failure_ratio': 0.5,
  'services.*.deploy.rollback_config.order': 'stop-first',
  'services.*.deploy.resources': { limits: { memory: '64M' } },
  'services.*.deploy.resources.limits': { memory: '64M' },
  'services.*.deploy.resources.limits.cpus': '0.5',
  'services.*.deploy.resources.limits.memory': '64M',
  'services.*.deploy.resources.limits.pids': 100,
  'services.*.deploy.resources.reservations': { memory: '32M' },
  'services.*.deploy.resources.reservations.cpus': '0.25',
  'services.*.deploy.resources.reservations.memory': '32M',
  'services.*.deploy.resources.reservations.generic_resources': [
    { discrete_resource_spec: { kind: 'gpu', value: 1 } },
  ],
  'services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec': {
    kind: 'gpu',
    value: 1,
  },
  'services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec.kind': 'gpu',
  'services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec.value': 1,
  'services.*.deploy.restart_policy': { condition: 'on-failure' },
  'services.*.deploy.restart_policy.condition': 'on-failure',
  'services.*.deploy.restart_policy.delay': '5s',
  'services.*.deploy.restart_policy.max_attempts': 3,
  'services.*.deploy.restart_policy.window': '2m',
  'services.*.deploy.placement': { constraints: ['node.role == manager'] },
  'services.*.deploy.placement.constraints': ['node.role == manager'],
  'services.*.deploy.placement.preferences': [{ spread: 'node.labels.zone' }],
  'services.*.deploy.placement.preferences[].spread': 'node.labels.zone',
  'services.*.deploy.placement.max_replicas_per_node': 1,
  'services.*.devices': ['/dev/null:/dev/null'],
  'services.*.dns': '10.0.0.53',
  'services.*.dns_search': 'example.com',
  'services.*.domainname': 'example.com',
  'services.*.entrypoint': ['sh', '-c'],
  'services.*.env_file': 'app.env',
  'services.*.environment': { A: '1' },
  'services.*.environment.*': '1',
  'services.*.expose': ['80'],
  'services.*.external_links': ['other:db'],
  'services.*.extra_hosts': ['h:10.0.0.1'],
  'services.*.extra_hosts.*': '10.0.0.1',
  'services.*.healthcheck': { test: ['CMD', 'true'] },
  'services.*.healthcheck.disable': false,
  'services.*.healthcheck.interval': '30s',
  'services.*.healthcheck.retries': 3,
  'services.*.healthcheck.test': ['CMD', 'true'],
  'services.*.healthcheck.timeout': '5s',
  'services.*.healthcheck.start_period': '10s',
  'services.*.healthcheck.start_interval': '1s',
  'services.*.hostname': 'a',
  'services.*.image': 'busybox',
  'services.*.init': true,
  'services.*.ipc': 'host',
  'services.*.isolation': 'default',
  'services.*.labels': { a: 'b' },
  'services.*.labels.*': 'b',
  'services.*.links': ['b'],
  'services.*.logging': { driver: 'json-file' },
  'services.*.logging.driver': 'json-file',
  'services.*.logging.options': { 'max-size': '10m' },
  'services.*.logging.options.*': '10m',
  'services.*.mac_address': '02:42:ac:11:00:02',
  'services.*.network_mode': 'host',
  'services.*.networks': ['n1'],
  'services.*.networks.*': null,
  'services.*.networks.*.aliases': ['alias'],
  'services.*.networks.*.ipv4_address': '10.5.0.2',
  'services.*.networks.*.ipv6_address': 'fd00::2',
  'services.*.networks.*.driver_opts': { opt: 'v' },
  'services.*.networks.*.driver_opts.*': 'v',
  'services.*.oom_score_adj': 100,
  'services.*.pid': 'host',
  'services.*.ports': ['8080:80'],
  'services.*.ports[].mode': 'host',
  'services.*.ports[].target': 80,
  'services.*.ports[].published': 8080,
  'services.*.ports[].protocol': 'tcp',
  'services.*.privileged': true,
  'services.*.read_only': true,
  'services.*.restart': 'always',
  'services.*.secrets': ['s'],
  'services.*.secrets[].?': 'x',
  'services.*.secrets[].source': 's',
  'services.*.secrets[].target': 't',
  'services.*.secrets[].uid': '0',
  'services.*.secrets[].gid': '0',
  'services.*.secrets[].mode': 0o400,
  'services.*.security_opt': ['no-new-privileges'],
  'services.*.shm_size': '64m',
  'services.*.stdin_open': true,
  'services.*.stop_grace_period': '10s',
  'services.*.stop_signal': 'SIGTERM',
  'services.*.sysctls': { 'net.core.somaxconn': '1024' },
  'services.*.sysctls.*': '1024',
  'services.*.tmpfs': '/run',
  'services.*.tty': true,
  'services.*.ulimits': { nproc: 65535 },
  'services.*.ulimits.*': 65535,
  'services.*.ulimits.*.soft': 1024,
  'services.*.ulimits.*.hard': 2048,
  'services.*.user': 'nobody',
  'services.*.userns_mode': 'host',
  'services.*.volumes': ['/tmp:/data'],
  'services.*.volumes[].type': 'volume',
  'services.*.volumes[].source': 'v',
  'services.*.volumes[].target': '/data',
  'services.*.volumes[].read_only': true,
  'services.*.volumes[].consistency': 'cached',
  'services.*.volumes[].bind': { propagation: 'rprivate' },
  'services.*.volumes[].bind.?': 'x',
  'services.*.volumes[].bind.propagation': 'rprivate',
  'services.*.volumes[].volume': { nocopy: true },
  'services.*.volumes[].volume.?': 'x',
  'services.*.volumes[].volume.nocopy': true,
  'services.*.volumes[].tmpfs': { size: 1024 },
  'services.*.volumes[].tmpfs.?': 'x',
  'services.*.volumes[].tmpfs.size': 1024,
  'services.*.working_dir': '/app',

  networks: { n1: {} },
  'networks.*': { driver: 'overlay' },
  'networks.*.x-*': { team: 'core' },
  'networks.*.name': 'net',
  'networks.*.driver': 'overlay',
  'networks.*.driver_opts': { opt: 'v' },
  'networks.*.driver_opts.*': 'v',
  'networks.*.ipam': { driver: 'default' },
  'networks.*.ipam.driver': 'default',
  'networks.*.ipam.config': [{ subnet: '10.5.0.0/24' }],
  'networks.*.ipam.config[].subnet': '10.5.0.0/24',
  'networks.*.external': true,
  'networks.*.external.name': 'net',
  'networks.*.internal': true,
  'networks.*.attachable': true,
  'networks.*.labels': { a: 'b' },
  'networks.*.labels.*': 'b',

  volumes: { v: {} },
  'volumes.*': { driver: 'local' },
  'volumes.*.x-*': { team: 'core' },
  'volumes.*.name': 'vol',
  'volumes.*.driver': 'local',
  'volumes.*.driver_opts': { type: 'tmpfs' },
  'volumes.*.driver_opts.*': 'tmpfs',
  'volumes.*.external': true,
  'volumes.*.external.name': 'vol',
  'volumes.*.labels': { a: 'b' },
  'volumes.*.labels.*': 'b',

  secrets: { s: { file: './secret.txt' } },
  'secrets.*': { file: './secret.txt' },
  'secrets.*.x-*': { team: 'core' },
  'secrets.*.name': 'sec',
  'secrets.*.file': './secret.txt',
  'secrets.*.external': true,
  'secrets.*.external.?': 'x',
  'secrets.*.external.name': 'sec',
  'secrets.*.labels': { a: 'b' },
  'secrets.*.labels.*': 'b',
  'secrets.*.driver': 'vault',
  'secrets.*.driver_opts': { path: 'p' },
  'secrets.*.driver_opts.*': 'p',
  'secrets.*.template_driver': 'golang',

  configs: { c: { file: './config.txt' } },
  'configs.*': { file: './config.txt' },
  'configs.*.x-*': { team: 'core' },
  'configs.*.name': 'conf',
  'configs.*.file': './config.txt',
  'configs.*.external': true,
  'configs.*.external.?': 'x',
  'configs.*.external.name': 'conf',
  'configs.*.labels': { a: 'b' },
  'configs.*.labels.*': 'b',
  'configs.*.template_driver': 'golang',
};

/** The key standing for a wildcard segment, chosen so that the name pattern of its place accepts it. */
function sampleKey(segment: string, parent: string | undefined): string {
  if (segment === 'x-*') return 'x-sample';
  if (segment === '?') return 'extra_key';
  if (segment !== '*') return segment;
  if (parent === 'services') return 'a';
  if (parent === 'ulimits') return 'nofile';
  if (parent === 'sysctls') return 'net.core.somaxconn';
  return 'n1';
}

/** Objects an entry's parent must hold besides it (schema `required`). */
const SIBLINGS: Readonly<Record<string, Record<string, unknown>>> = {
  'services.*.ulimits.*': { soft: 1024, hard: 2048 },
  'services.*.volumes[]': { type: 'volume' },
};

type Json = Record<string, unknown>;

/** A minimal stack file of `version` holding the table entry `pattern` with its sample value. */
function sampleFile(pattern: string, version: string): Json {
  const file: Json = { version, services: { a: { image: 'busybox' } } };
  const segments = pattern.split('.');
  let container: Json = file;
  let prefix = '';
  segments.forEach((raw, i) => {
    const list = raw.endsWith('[]');
    const bare = list ? raw.slice(0, -2) : raw;
    const key = sampleKey(bare, i > 0 ? segments[i - 1]!.replace('[]', '') : undefined);
    prefix = prefix === '' ? raw : `${prefix}.${raw}`;
    if (i === segments.length - 1) {
      if (pattern !== 'version') container[key] = SAMPLES[pattern];
      return;
    }
    const next: Json = { ...(SIBLINGS[prefix] ?? {}) };
    const existing = container[key];
    if (list) {
      container[key] = [next];
    } else if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
      Object.assign(next, existing);
      container[key] = next;
    } else {
      container[key] = next;
    }
    container = next;
  });
  return file;
}

function previous(version: string): string {
  return STACK_VERSIONS[STACK_VERSIONS.indexOf(version) - 1]!;
}

describeStackCli('the table against the real docker stack config', () => {
  let dir = '';
  let counter = 0;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-stack-versions-'));
    writeFileSync(path.join(dir, 'secret.txt'), 'secret\n');
    writeFileSync(path.join(dir, 'config.txt'), 'config\n');
    writeFileSync(path.join(dir, 'app.env'), 'A=1\n');
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  async function check(pattern: string, version: string): Promise<{ ok: boolean; output: string }> {
    counter += 1;
    const file = path.join(dir, `stack-${counter}.json`);
    writeFileSync(file, JSON.stringify(sampleFile(pattern, version), null, 2));
    try {
      await run(stackCli.path!, ['stack', 'config', '-c', file], { cwd: dir, timeout: 30_000 });
      return { ok: true, output: '' };
    } catch (error) {
      const failed = error as { stderr?: string; code?: unknown };
      if (typeof failed.code !== 'number') throw error;
      return { ok: false, output: failed.stderr ?? '' };
    }
  }

  it('has a sample for every entry and an entry for every sample', () => {
    const patterns = stackKeyTable().map((entry) => entry.pattern);
    expect(Object.keys(SAMPLES).sort()).toEqual([...patterns].sort());
  });

  it.concurrent.each(stackKeyTable().map((entry) => [entry.pattern, entry.since] as const))(
    '%s first allowed in %s',
    async (pattern, since) => {
      const first = firstVersionSupporting(pattern.replaceAll('[]', '').split('.'));
      expect(first).toBe(since);
      const accepted = await check(pattern, since);
      expect(accepted.output, `rejected at ${since}`).toBe('');
      expect(accepted.ok).toBe(true);
      if (since !== LATEST_STACK_VERSION) {
        const latest = await check(pattern, LATEST_STACK_VERSION);
        expect(latest.output, `rejected at ${LATEST_STACK_VERSION}`).toBe('');
      }
      if (since !== STACK_VERSIONS[0]) {
        const before = previous(since);
        const rejected = await check(pattern, before);
        expect(rejected.ok, `accepted at ${before}`).toBe(false);
        expect(rejected.output).toMatch(/Additional property|must be a|is not allowed/);
      }
    },
  );
});
