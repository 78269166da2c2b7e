import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/project/canonical/index.js';
import type { ComposeDict } from '../../src/project/dict.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { Warnings } from '../../src/project/warnings.js';

function service(attrs: ComposeDict): ComposeDict {
  const positions = new DocumentPositions('compose.yaml');
  positions.set(['services', 'web'], { line: 2, column: 3 });
  const out = canonicalize({ services: { web: attrs } }, { positions, warnings: new Warnings() });
  return (out.services as ComposeDict).web as ComposeDict;
}

/** [attribute, written value, canonical value] */
type Case = [string, unknown, unknown];

describe('service attributes in long syntax', () => {
  it.each<Case>([
    ['expose', [3000, '3000-3005', '3000/udp'], ['3000', '3000-3005', '3000/udp']],
    ['tmpfs', '/run', ['/run']],
    ['tmpfs', ['/run', '/tmp'], ['/run', '/tmp']],
    ['dns', '8.8.8.8', ['8.8.8.8']],
    ['dns_search', 'example.com', ['example.com']],
    ['label_file', './labels', ['./labels']],
    [
      'devices',
      ['/dev/a:/dev/b:rwm', '/dev/c', { source: '/dev/d' }],
      [
        { source: '/dev/a', target: '/dev/b', permissions: 'rwm' },
        { source: '/dev/c', target: '/dev/c', permissions: 'rwm' },
        { source: '/dev/d', target: '/dev/d', permissions: 'rwm' },
      ],
    ],
    [
      'depends_on',
      ['db', 'cache'],
      {
        db: { condition: 'service_started', required: true },
        cache: { condition: 'service_started', required: true },
      },
    ],
    [
      'depends_on',
      { db: { condition: 'service_healthy', restart: true }, cache: { required: false } },
      {
        db: { condition: 'service_healthy', required: true, restart: true },
        cache: { condition: 'service_started', required: false },
      },
    ],
    ['networks', ['front', 'back'], { front: null, back: null }],
    ['networks', { front: null, back: { aliases: ['db'] } }, { front: null, back: { aliases: ['db'] } }],
    [
      'secrets',
      ['token', { source: 'cert', target: '/c', mode: 0o440, uid: 1000 }],
      [{ source: 'token' }, { source: 'cert', target: '/c', mode: 288, uid: '1000' }],
    ],
    ['configs', ['app', { source: 'x', mode: '0440' }], [{ source: 'app' }, { source: 'x', mode: 288 }]],
    ['environment', ['A=1', 'B', 'C=', 'D=a=b'], { A: '1', B: null, C: '', D: 'a=b' }],
    ['environment', { A: 1, B: true, C: null, D: 'x' }, { A: '1', B: 'true', C: null, D: 'x' }],
    ['labels', ['com.example=1', 'flag'], { 'com.example': '1', flag: '' }],
    ['labels', { a: 1, b: null }, { a: '1', b: '' }],
    ['annotations', ['a=b'], { a: 'b' }],
    ['sysctls', ['net.core.somaxconn=1024'], { 'net.core.somaxconn': '1024' }],
    ['sysctls', { 'net.core.somaxconn': 1024 }, { 'net.core.somaxconn': '1024' }],
    ['env_file', '.env', [{ path: '.env', required: true }]],
    [
      'env_file',
      ['a.env', { path: 'b.env', required: false }, { path: 'c.env', format: 'raw' }],
      [
        { path: 'a.env', required: true },
        { path: 'b.env', required: false },
        { path: 'c.env', required: true, format: 'raw' },
      ],
    ],
    [
      'extra_hosts',
      [
        'somehost:162.242.195.82',
        'other=50.31.209.229',
        'v6:::1',
        'v6b=[::2]',
        'multi=1.1.1.1,2.2.2.2',
        'somehost=1.2.3.4',
      ],
      {
        somehost: ['162.242.195.82', '1.2.3.4'],
        other: ['50.31.209.229'],
        v6: ['::1'],
        v6b: ['::2'],
        multi: ['1.1.1.1', '2.2.2.2'],
      },
    ],
    ['extra_hosts', { a: '1.1.1.1', b: ['[::1]', '2.2.2.2'] }, { a: ['1.1.1.1'], b: ['::1', '2.2.2.2'] }],
    ['command', 'npm run "dev server"', ['npm', 'run', 'dev server']],
    ['command', ['npm', 'start'], ['npm', 'start']],
    ['command', null, null],
    ['command', [], []],
    ['entrypoint', '', []],
    ['entrypoint', "sh -c 'echo $X'", ['sh', '-c', 'echo $X']],
    ['stop_grace_period', '90s', '1m30s'],
    ['mem_limit', '1g', 1073741824],
    ['mem_reservation', '512m', 536870912],
    ['memswap_limit', -1, -1],
    ['shm_size', '64mb', 67108864],
    ['cpus', '0.5', 0.5],
    ['cpus', 2, 2],
    [
      'ulimits',
      { nofile: 20000, nproc: { soft: 10, hard: '20' } },
      { nofile: 20000, nproc: { soft: 10, hard: 20 } },
    ],
    ['extends', 'base', { service: 'base' }],
    ['extends', { service: 'base', file: 'common.yml' }, { service: 'base', file: 'common.yml' }],
    ['links', ['db:database', 'cache'], ['db:database', 'cache']],
    ['external_links', ['redis_1'], ['redis_1']],
    ['gpus', 'all', [{ count: -1 }]],
    [
      'gpus',
      [{ driver: 'nvidia' }, { device_ids: ['0'] }],
      [{ driver: 'nvidia', count: -1 }, { device_ids: ['0'] }],
    ],
    [
      'blkio_config',
      {
        weight: 300,
        device_read_bps: [{ path: '/dev/sda', rate: '12mb' }],
        device_read_iops: [{ path: '/dev/sda', rate: 120 }],
      },
      {
        weight: 300,
        device_read_bps: [{ path: '/dev/sda', rate: 12582912 }],
        device_read_iops: [{ path: '/dev/sda', rate: 120 }],
      },
    ],
    [
      'post_start',
      [{ command: 'echo started', environment: ['A=1'] }],
      [{ command: ['echo', 'started'], environment: { A: '1' } }],
    ],
    [
      'develop',
      {
        watch: [
          { path: ['./a', './b'], action: 'sync', target: '/app' },
          { path: './c', action: 'rebuild', ignore: 'x' },
        ],
      },
      {
        watch: [
          { path: './a', action: 'sync', target: '/app' },
          { path: './b', action: 'sync', target: '/app' },
          { path: './c', action: 'rebuild', ignore: ['x'] },
        ],
      },
    ],
    ['x-custom', { anything: ['goes'] }, { anything: ['goes'] }],
    ['image', 'nginx:1.27', 'nginx:1.27'],
  ])('%s: %j', (key, written, canonical) => {
    expect(service({ [key]: written })[key]).toEqual(canonical);
  });
});

describe('build', () => {
  it.each<[unknown, unknown]>([
    // Defaults (context `.`, dockerfile `Dockerfile`) come after merging, in normalize.ts.
    ['./app', { context: './app' }],
    [{ dockerfile: 'Dockerfile.dev' }, { dockerfile: 'Dockerfile.dev' }],
    [
      { context: '.', dockerfile_inline: 'FROM alpine' },
      { context: '.', dockerfile_inline: 'FROM alpine' },
    ],
    [
      { context: '.', args: ['A=1', 'B'], labels: ['l=1'], extra_hosts: ['h:1.2.3.4'], shm_size: '1m' },
      {
        context: '.',
        args: { A: '1', B: null },
        labels: { l: '1' },
        extra_hosts: { h: ['1.2.3.4'] },
        shm_size: 1048576,
      },
    ],
    [
      {
        args: { N: 1 },
        secrets: ['npmrc'],
        ssh: { default: null, key: './id' },
        cache_from: 'x',
        additional_contexts: ['a=./a'],
      },
      {
        args: { N: '1' },
        secrets: [{ source: 'npmrc' }],
        ssh: ['default', 'key=./id'],
        cache_from: ['x'],
        additional_contexts: { a: './a' },
      },
    ],
  ])('%j', (written, canonical) => {
    expect(service({ build: written }).build).toEqual(canonical);
  });
});

describe('healthcheck', () => {
  it('turns a string test into CMD-SHELL and formats durations', () => {
    expect(
      service({
        healthcheck: {
          test: 'curl -f http://localhost',
          interval: '90s',
          timeout: '5s',
          start_period: '1m',
          start_interval: '500ms',
          retries: 3,
        },
      }).healthcheck,
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval: '1m30s',
      timeout: '5s',
      start_period: '1m0s',
      start_interval: '500ms',
      retries: 3,
    });
  });
  it.each([[['NONE']], [['CMD', 'true']]])('keeps the list test %j', (test) => {
    expect(service({ healthcheck: { test } }).healthcheck).toEqual({ test });
  });
  it('keeps disable', () => {
    expect(service({ healthcheck: { disable: true } }).healthcheck).toEqual({ disable: true });
  });
});

describe('deploy', () => {
  it('formats durations, sizes and cpus', () => {
    expect(
      service({
        deploy: {
          replicas: 2,
          labels: ['a=b'],
          restart_policy: { condition: 'on-failure', delay: '5s', window: '120s', max_attempts: 3 },
          update_config: { delay: '10s', monitor: '60s', parallelism: 2 },
          rollback_config: { delay: '0s', monitor: '1m' },
          resources: {
            limits: { cpus: '0.50', memory: '50M', pids: 100 },
            reservations: { memory: '20m', devices: [{ capabilities: ['gpu'], count: 'all' }] },
          },
        },
      }).deploy,
    ).toEqual({
      replicas: 2,
      labels: { a: 'b' },
      restart_policy: { condition: 'on-failure', delay: '5s', window: '2m0s', max_attempts: 3 },
      update_config: { delay: '10s', monitor: '1m0s', parallelism: 2 },
      rollback_config: { delay: '0s', monitor: '1m0s' },
      resources: {
        limits: { cpus: 0.5, memory: 52428800, pids: 100 },
        reservations: { memory: 20971520, devices: [{ capabilities: ['gpu'], count: -1 }] },
      },
    });
  });
});

describe('logging', () => {
  it('folds legacy log_driver and log_opt into logging', () => {
    const web = service({
      log_driver: 'syslog',
      log_opt: { 'syslog-address': 'udp://1.2.3.4:1111', max: 3 },
    });
    expect(web).toEqual({
      logging: { driver: 'syslog', options: { 'syslog-address': 'udp://1.2.3.4:1111', max: '3' } },
    });
  });
  it('turns option values into strings', () => {
    expect(service({ logging: { driver: 'json-file', options: { 'max-file': 3 } } }).logging).toEqual({
      driver: 'json-file',
      options: { 'max-file': '3' },
    });
  });
});

describe('invalid service attributes', () => {
  it.each<[string, unknown, string]>([
    [
      'command',
      'echo "open',
      'services.web.command: cannot split "echo \\"open" into arguments: unterminated double quote',
    ],
    ['entrypoint', { a: 1 }, 'services.web.entrypoint: must be a string or a list of strings'],
    ['environment', ['=x'], 'services.web.environment[0]: invalid entry "=x": empty key'],
    ['environment', { A: { b: 1 } }, 'services.web.environment.A: value must be a string, number or boolean'],
    ['labels', 'a=b', 'services.web.labels: must be a list of KEY=VALUE or a mapping'],
    ['extra_hosts', ['nohost'], 'services.web.extra_hosts[0]: invalid extra host "nohost": missing IP'],
    ['extra_hosts', ['=1.2.3.4'], 'services.web.extra_hosts[0]: bad host name ""'],
    [
      'devices',
      ['/a:/b:xyz'],
      'services.web.devices[0]: invalid device "/a:/b:xyz" (invalid permissions "xyz"',
    ],
    [
      'depends_on',
      { db: { condition: 'service_ready' } },
      'services.web.depends_on.db.condition: unknown condition "service_ready"',
    ],
    ['depends_on', { db: 'yes' }, 'services.web.depends_on.db: invalid dependency: the string "yes"'],
    ['stop_grace_period', '10', 'services.web.stop_grace_period: missing unit in duration "10"'],
    ['stop_grace_period', 'soon', 'services.web.stop_grace_period: invalid duration "soon"'],
    ['mem_limit', '1 gigabyte', 'services.web.mem_limit: invalid size "1 gigabyte"'],
    ['cpus', 'many', 'services.web.cpus: cpus must be a number'],
    ['ulimits', { nofile: { soft: 1 } }, 'services.web.ulimits.nofile: ulimit has no hard limit'],
    ['secrets', [{ target: '/x' }], 'services.web.secrets[0]: no source'],
    ['configs', [{ source: 'x', mode: 'rw' }], 'services.web.configs[0].mode: invalid file mode "rw"'],
    ['env_file', [{ required: true }], 'services.web.env_file[0]: invalid env_file entry'],
    ['build', 42, 'services.web.build: must be a context path or a mapping'],
    ['healthcheck', { test: 1 }, 'services.web.healthcheck.test: test must be a string or a list'],
    ['healthcheck', { interval: '5' }, 'services.web.healthcheck.interval: missing unit in duration "5"'],
    [
      'deploy',
      { resources: { limits: { memory: 'big' } } },
      'services.web.deploy.resources.limits.memory: invalid size "big"',
    ],
    [
      'deploy',
      { restart_policy: { delay: 'x' } },
      'services.web.deploy.restart_policy.delay: invalid duration "x"',
    ],
    [
      'gpus',
      [{ count: 1, device_ids: ['0'] }],
      'services.web.gpus[0]: "count" and "device_ids" cannot be used together',
    ],
    ['networks', 'front', 'services.web.networks: must be a list or a mapping'],
    ['extends', {}, 'services.web.extends: extends has no service'],
  ])('%s: %j', (key, written, message) => {
    expect(() => service({ [key]: written })).toThrow(`compose.yaml:2:3: ${message}`);
  });
});
