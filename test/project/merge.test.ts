import { describe, expect, it } from 'vitest';
import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeError } from '../../src/project/errors.js';
import { mergeModels, mergeService } from '../../src/project/merge.js';
import { OverrideTag, ResetTag } from '../../src/project/tags.js';

const reset = new ResetTag();
const override = (value: unknown): OverrideTag => new OverrideTag(value);

/** Merges `web` of two one-service models and returns the merged `web`. */
function mergeWeb(base: ComposeDict, over: ComposeDict): unknown {
  const merged = mergeModels({ services: { web: base } }, { services: { web: over } });
  return (merged.services as ComposeDict).web;
}

const port = (target: number, published?: string, extra: ComposeDict = {}): ComposeDict => ({
  target,
  ...(published === undefined ? {} : { published }),
  protocol: 'tcp',
  mode: 'ingress',
  ...extra,
});

describe('mergeModels: the Compose Specification merge examples', () => {
  it('mapping: missing entries added, conflicting ones merged', () => {
    expect(
      mergeModels(
        { services: { foo: { key1: 'value1', key2: 'value2' } } },
        { services: { foo: { key2: 'VALUE', key3: 'value3' } } },
      ),
    ).toEqual({ services: { foo: { key1: 'value1', key2: 'VALUE', key3: 'value3' } } });
  });

  it('sequence: values appended', () => {
    expect(
      mergeModels({ services: { foo: { DNS: ['1.1.1.1'] } } }, { services: { foo: { DNS: ['8.8.8.8'] } } }),
    ).toEqual({
      services: { foo: { DNS: ['1.1.1.1', '8.8.8.8'] } },
    });
  });

  it('shell commands: replaced', () => {
    expect(mergeWeb({ command: ['echo', 'foo'] }, { command: ['echo', 'bar'] })).toEqual({
      command: ['echo', 'bar'],
    });
  });

  it('unique resources: volumes by target', () => {
    expect(
      mergeWeb(
        { volumes: [{ type: 'volume', source: 'foo', target: '/work' }] },
        { volumes: [{ type: 'volume', source: 'bar', target: '/work' }] },
      ),
    ).toEqual({ volumes: [{ type: 'volume', source: 'bar', target: '/work' }] });
  });

  it('reset value: !reset [] and !reset null remove', () => {
    expect(
      mergeWeb(
        { image: 'myapp', ports: [port(80, '8080')], environment: { FOO: 'BAR' } },
        { image: 'myapp', ports: reset, environment: { FOO: reset } },
      ),
    ).toEqual({ image: 'myapp', environment: {} });
  });

  it('replace value: !override replaces the sequence', () => {
    expect(
      mergeWeb({ image: 'myapp', ports: [port(80, '8080')] }, { ports: override([port(443, '8443')]) }),
    ).toEqual({ image: 'myapp', ports: [port(443, '8443')] });
  });
});

describe('mergeModels: per-attribute rules', () => {
  it.each<[string, ComposeDict, ComposeDict, unknown]>([
    ['scalars replace', { image: 'a', restart: 'no' }, { image: 'b' }, { image: 'b', restart: 'no' }],
    ['a null override keeps the base', { image: 'a' }, { image: null }, { image: 'a' }],
    [
      'a null base takes the override',
      { networks: { front: null } },
      { networks: { front: { aliases: ['x'] } } },
      { networks: { front: { aliases: ['x'] } } },
    ],
    ['entrypoint replaces', { entrypoint: ['a', 'b'] }, { entrypoint: ['c'] }, { entrypoint: ['c'] }],
    ['command: null override replaces too', { command: ['a'] }, { command: null }, { command: null }],
    [
      'healthcheck.test replaces, other healthcheck keys merge',
      { healthcheck: { test: ['CMD', 'a'], interval: '5s' } },
      { healthcheck: { test: ['CMD-SHELL', 'b'], retries: 3 } },
      { healthcheck: { test: ['CMD-SHELL', 'b'], interval: '5s', retries: 3 } },
    ],
    [
      'environment by key, null (unset) replaces',
      { environment: { A: '1', B: '2', C: '3' } },
      { environment: { B: 'x', C: null, D: '4' } },
      { environment: { A: '1', B: 'x', C: null, D: '4' } },
    ],
    [
      'environment in list form is read by key',
      { environment: ['A=1', 'B=2'] },
      { environment: ['B=3', 'C'] },
      { environment: { A: '1', B: '3', C: null } },
    ],
    ['labels by key', { labels: { a: '1', b: '2' } }, { labels: { b: '3' } }, { labels: { a: '1', b: '3' } }],
    [
      'annotations by key',
      { annotations: { a: '1' } },
      { annotations: { a: '2' } },
      { annotations: { a: '2' } },
    ],
    [
      'sysctls by key',
      { sysctls: { 'net.a': '1' } },
      { sysctls: { 'net.b': '0' } },
      { sysctls: { 'net.a': '1', 'net.b': '0' } },
    ],
    [
      'extra_hosts: addresses of a host are united',
      { extra_hosts: { db: ['10.0.0.1'], cache: ['10.0.0.3'] } },
      { extra_hosts: { db: ['10.0.0.2', '10.0.0.1'], web: ['10.0.0.4'] } },
      { extra_hosts: { db: ['10.0.0.1', '10.0.0.2'], cache: ['10.0.0.3'], web: ['10.0.0.4'] } },
    ],
    [
      'ulimits: each limit replaced as a whole',
      { ulimits: { nofile: { soft: 1, hard: 2 }, nproc: 10 } },
      { ulimits: { nofile: { soft: 5, hard: 6 } } },
      { ulimits: { nofile: { soft: 5, hard: 6 }, nproc: 10 } },
    ],
    [
      'ulimits: a number replaces a mapping',
      { ulimits: { nofile: { soft: 1, hard: 2 } } },
      { ulimits: { nofile: 100 } },
      { ulimits: { nofile: 100 } },
    ],
    [
      'logging: same driver merges options',
      { logging: { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } } },
      { logging: { driver: 'json-file', options: { 'max-size': '5m' } } },
      { logging: { driver: 'json-file', options: { 'max-size': '5m', 'max-file': '3' } } },
    ],
    [
      'logging: another driver replaces',
      { logging: { driver: 'json-file', options: { 'max-size': '1m' } } },
      { logging: { driver: 'syslog', options: { 'syslog-address': 'udp://x' } } },
      { logging: { driver: 'syslog', options: { 'syslog-address': 'udp://x' } } },
    ],
    [
      'logging: no driver in the override merges options',
      { logging: { driver: 'json-file', options: { a: '1' } } },
      { logging: { options: { b: '2' } } },
      { logging: { driver: 'json-file', options: { a: '1', b: '2' } } },
    ],
    [
      'depends_on by service, each entry merged',
      {
        depends_on: {
          db: { condition: 'service_started', required: true },
          cache: { condition: 'service_started', required: true },
        },
      },
      {
        depends_on: {
          db: { condition: 'service_healthy', required: true },
          api: { condition: 'service_started', required: false },
        },
      },
      {
        depends_on: {
          db: { condition: 'service_healthy', required: true },
          cache: { condition: 'service_started', required: true },
          api: { condition: 'service_started', required: false },
        },
      },
    ],
    [
      'depends_on: a list is the long form with defaults',
      { depends_on: ['db'] },
      { depends_on: { db: { condition: 'service_healthy' } } },
      { depends_on: { db: { condition: 'service_healthy', required: true } } },
    ],
    [
      'networks by key, aliases appended once',
      { networks: { front: { aliases: ['a', 'b'] }, back: null } },
      { networks: { front: { aliases: ['b', 'c'], priority: 5 }, extra: null, back: null } },
      { networks: { front: { aliases: ['a', 'b', 'c'], priority: 5 }, back: null, extra: null } },
    ],
    [
      'networks: a list of names is a mapping',
      { networks: ['front'] },
      { networks: ['back'] },
      { networks: { front: null, back: null } },
    ],
    [
      'build: a string is its context, args by key',
      { build: '.' },
      { build: { dockerfile: 'Dockerfile.dev', args: { A: '1' } } },
      { build: { context: '.', dockerfile: 'Dockerfile.dev', args: { A: '1' } } },
    ],
    [
      'build: args and labels by key, tags once',
      { build: { context: '.', args: { A: '1', B: '2' }, labels: { l: 'x' }, tags: ['a:1'] } },
      { build: { context: 'sub', args: { B: '3' }, labels: { l: 'y' }, tags: ['a:1', 'b:2'] } },
      { build: { context: 'sub', args: { A: '1', B: '3' }, labels: { l: 'y' }, tags: ['a:1', 'b:2'] } },
    ],
    [
      'deploy merges deeply, deploy.labels by key, constraints appended',
      {
        deploy: {
          replicas: 1,
          labels: { a: '1' },
          resources: { limits: { cpus: 1 } },
          placement: { constraints: ['a'] },
        },
      },
      {
        deploy: {
          replicas: 2,
          labels: { b: '2' },
          resources: { limits: { memory: 10 } },
          placement: { constraints: ['b'] },
        },
      },
      {
        deploy: {
          replicas: 2,
          labels: { a: '1', b: '2' },
          resources: { limits: { cpus: 1, memory: 10 } },
          placement: { constraints: ['a', 'b'] },
        },
      },
    ],
    [
      'ports: an identical entry kept once, others appended',
      { ports: [port(80, '8080'), port(443, '8443')] },
      { ports: [port(80, '8080'), port(80, '9090'), port(53, '53', { protocol: 'udp' })] },
      { ports: [port(80, '8080'), port(443, '8443'), port(80, '9090'), port(53, '53', { protocol: 'udp' })] },
    ],
    [
      'ports: host_ip and protocol are part of the identity, mode is not',
      { ports: [port(80, '8080', { host_ip: '127.0.0.1' }), port(80, '8080')] },
      { ports: [port(80, '8080', { mode: 'host' }), port(80, '8080', { protocol: 'udp' })] },
      {
        ports: [
          port(80, '8080', { host_ip: '127.0.0.1' }),
          port(80, '8080', { mode: 'host' }),
          port(80, '8080', { protocol: 'udp' }),
        ],
      },
    ],
    [
      'volumes by target: replaced in place, new ones appended',
      {
        volumes: [
          { type: 'bind', source: './a', target: '/a' },
          { type: 'volume', source: 'v', target: '/v' },
        ],
      },
      {
        volumes: [
          { type: 'bind', source: './b', target: '/a', read_only: true },
          { type: 'tmpfs', target: '/t' },
        ],
      },
      {
        volumes: [
          { type: 'bind', source: './b', target: '/a', read_only: true },
          { type: 'volume', source: 'v', target: '/v' },
          { type: 'tmpfs', target: '/t' },
        ],
      },
    ],
    [
      'devices by target',
      {
        devices: [
          { source: '/dev/a', target: '/dev/x', permissions: 'rwm' },
          { source: '/dev/b', target: '/dev/b', permissions: 'rwm' },
        ],
      },
      { devices: [{ source: '/dev/c', target: '/dev/x', permissions: 'r' }] },
      {
        devices: [
          { source: '/dev/c', target: '/dev/x', permissions: 'r' },
          { source: '/dev/b', target: '/dev/b', permissions: 'rwm' },
        ],
      },
    ],
    [
      'secrets by target, which defaults to /run/secrets/<source>',
      {
        secrets: [
          { source: 'a' },
          { source: 'b', target: '/run/secrets/b' },
          { source: 'c', target: '/etc/c' },
        ],
      },
      {
        secrets: [
          { source: 'a', mode: 0o400 },
          { source: 'b', uid: '1' },
          { source: 'd', target: '/etc/c' },
        ],
      },
      {
        secrets: [
          { source: 'a', mode: 0o400 },
          { source: 'b', uid: '1' },
          { source: 'd', target: '/etc/c' },
        ],
      },
    ],
    [
      'configs by target, which defaults to /<source>',
      { configs: [{ source: 'a' }, { source: 'b', target: '/b' }] },
      {
        configs: [
          { source: 'x', target: '/a' },
          { source: 'b', target: '/etc/b' },
        ],
      },
      {
        configs: [
          { source: 'x', target: '/a' },
          { source: 'b', target: '/b' },
          { source: 'b', target: '/etc/b' },
        ],
      },
    ],
    [
      'env_file by path, the later entry wins',
      {
        env_file: [
          { path: 'a.env', required: true },
          { path: 'b.env', required: true },
        ],
      },
      {
        env_file: [
          { path: 'a.env', required: false },
          { path: 'c.env', required: true },
        ],
      },
      {
        env_file: [
          { path: 'a.env', required: false },
          { path: 'b.env', required: true },
          { path: 'c.env', required: true },
        ],
      },
    ],
    [
      'string lists appended without repeats',
      {
        dns: ['1.1.1.1'],
        dns_search: ['a'],
        dns_opt: ['x'],
        cap_add: ['NET_ADMIN'],
        cap_drop: ['ALL'],
        profiles: ['dev'],
        links: ['db'],
      },
      {
        dns: ['1.1.1.1', '8.8.8.8'],
        dns_search: ['a'],
        dns_opt: ['y'],
        cap_add: ['NET_ADMIN', 'SYS_TIME'],
        cap_drop: ['ALL'],
        profiles: ['dev', 'test'],
        links: ['db:database'],
      },
      {
        dns: ['1.1.1.1', '8.8.8.8'],
        dns_search: ['a'],
        dns_opt: ['x', 'y'],
        cap_add: ['NET_ADMIN', 'SYS_TIME'],
        cap_drop: ['ALL'],
        profiles: ['dev', 'test'],
        links: ['db', 'db:database'],
      },
    ],
    [
      'expose appended once',
      { expose: ['80', '443'] },
      { expose: ['80', '8080'] },
      { expose: ['80', '443', '8080'] },
    ],
    [
      'tmpfs by path before "="-options',
      { tmpfs: ['/run', '/tmp'] },
      { tmpfs: ['/run', '/cache'] },
      { tmpfs: ['/run', '/tmp', '/cache'] },
    ],
    [
      'other sequences simply append',
      { security_opt: ['a'], group_add: ['g'] },
      { security_opt: ['a'], group_add: ['h'] },
      { security_opt: ['a', 'a'], group_add: ['g', 'h'] },
    ],
    [
      'x-* keys merge like any mapping',
      { 'x-meta': { a: 1, b: 2 } },
      { 'x-meta': { b: 3 } },
      { 'x-meta': { a: 1, b: 3 } },
    ],
  ])('%s', (_name, base, over, expected) => {
    expect(mergeWeb(base, over)).toEqual(expected);
  });

  it('a single model is copied as is: no deduplication within one file', () => {
    const only = { services: { web: { ports: [port(80, '8080'), port(80, '8080')], dns: ['a', 'a'] } } };
    expect(mergeModels({}, only)).toEqual(only);
  });
});

describe('mergeModels: top level', () => {
  it('name replaces, resources merge by key and as mappings, x-* and include too', () => {
    const base = {
      name: 'one',
      services: { web: { image: 'a' } },
      networks: { front: { driver: 'bridge', labels: { a: '1' } }, back: null },
      volumes: { data: { driver: 'local' } },
      secrets: { s: { file: './s' } },
      configs: { c: { file: './c' } },
      'x-common': { a: 1 },
      include: [{ path: ['a.yaml'] }],
    };
    const over = {
      name: 'two',
      services: { db: { image: 'b' } },
      networks: { front: { labels: { b: '2' } }, back: { internal: true } },
      volumes: { data: { labels: { x: 'y' } }, logs: null },
      secrets: { s: { file: './t' } },
      'x-common': { b: 2 },
      include: [{ path: ['b.yaml'] }],
    };
    expect(mergeModels(base, over)).toEqual({
      name: 'two',
      services: { web: { image: 'a' }, db: { image: 'b' } },
      networks: { front: { driver: 'bridge', labels: { a: '1', b: '2' } }, back: { internal: true } },
      volumes: { data: { driver: 'local', labels: { x: 'y' } }, logs: null },
      secrets: { s: { file: './t' } },
      configs: { c: { file: './c' } },
      'x-common': { a: 1, b: 2 },
      include: [{ path: ['a.yaml'] }, { path: ['b.yaml'] }],
    });
  });

  it('ipam pools merge by subnet', () => {
    const merged = mergeModels(
      {
        networks: {
          n: {
            ipam: {
              driver: 'default',
              config: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }, { subnet: '10.1.0.0/24' }],
            },
          },
        },
      },
      {
        networks: {
          n: {
            ipam: {
              config: [{ subnet: '10.0.0.0/24', ip_range: '10.0.0.128/25' }, { subnet: '10.2.0.0/24' }],
            },
          },
        },
      },
    );
    expect(merged).toEqual({
      networks: {
        n: {
          ipam: {
            driver: 'default',
            config: [
              { subnet: '10.0.0.0/24', gateway: '10.0.0.1', ip_range: '10.0.0.128/25' },
              { subnet: '10.1.0.0/24' },
              { subnet: '10.2.0.0/24' },
            ],
          },
        },
      },
    });
  });

  it('keeps the base key order, new keys follow', () => {
    const merged = mergeModels({ services: { b: {}, a: {} } }, { services: { c: {}, a: { image: 'x' } } });
    expect(Object.keys(merged.services as ComposeDict)).toEqual(['b', 'a', 'c']);
  });
});

describe('mergeModels: !reset and !override', () => {
  it.each<[string, ComposeDict, ComposeDict, unknown]>([
    ['!reset removes a scalar', { image: 'a', user: 'root' }, { user: reset }, { image: 'a' }],
    ['!reset removes a mapping', { image: 'a', build: { context: '.' } }, { build: reset }, { image: 'a' }],
    [
      '!reset removes one label',
      { labels: { a: '1', b: '2' } },
      { labels: { a: reset } },
      { labels: { b: '2' } },
    ],
    [
      '!reset removes one extra host',
      { extra_hosts: { a: ['1.1.1.1'], b: ['2.2.2.2'] } },
      { extra_hosts: { a: reset } },
      { extra_hosts: { b: ['2.2.2.2'] } },
    ],
    [
      '!reset removes a network of the service',
      { networks: { a: null, b: null } },
      { networks: { b: reset } },
      { networks: { a: null } },
    ],
    ['!reset on command removes it', { command: ['a'] }, { command: reset }, {}],
    ['!reset on an absent key adds nothing', { image: 'a' }, { ports: reset }, { image: 'a' }],
    ['!reset items of a new sequence are dropped', {}, { dns: ['a', reset, 'b'] }, { dns: ['a', 'b'] }],
    [
      '!override replaces a mapping without merging',
      { environment: { A: '1', B: '2' } },
      { environment: override({ C: '3' }) },
      { environment: { C: '3' } },
    ],
    [
      '!override replaces volumes',
      { volumes: [{ type: 'volume', source: 'a', target: '/a' }] },
      { volumes: override([{ type: 'volume', source: 'b', target: '/b' }]) },
      { volumes: [{ type: 'volume', source: 'b', target: '/b' }] },
    ],
    ['!override of a scalar', { image: 'a' }, { image: override('b') }, { image: 'b' }],
    [
      '!override on an absent key',
      {},
      { logging: override({ driver: 'syslog' }) },
      { logging: { driver: 'syslog' } },
    ],
    [
      '!override of a different kind of value',
      { command: ['a'], dns: ['x'] },
      { dns: override('8.8.8.8') },
      { command: ['a'], dns: '8.8.8.8' },
    ],
    [
      'nested markers inside an !override value resolve',
      { environment: { A: '1' } },
      { environment: override({ B: '2', C: reset }) },
      { environment: { B: '2' } },
    ],
    [
      'nested markers inside a new key resolve',
      {},
      { deploy: { labels: { a: reset, b: '1' } } },
      { deploy: { labels: { b: '1' } } },
    ],
  ])('%s', (_name, base, over, expected) => {
    expect(mergeWeb(base, over)).toEqual(expected);
  });

  it('!reset removes a whole service', () => {
    expect(
      mergeModels({ services: { web: { image: 'a' }, db: { image: 'b' } } }, { services: { db: reset } }),
    ).toEqual({
      services: { web: { image: 'a' } },
    });
  });

  it('markers in the first model just resolve', () => {
    const first = {
      services: { web: { image: override('a'), ports: reset, environment: { A: reset, B: '1' } } },
    };
    expect(mergeModels({}, first)).toEqual({ services: { web: { image: 'a', environment: { B: '1' } } } });
    // and as the base of a merge
    expect(mergeModels(first, { services: { web: { user: 'x' } } })).toEqual({
      services: { web: { image: 'a', environment: { B: '1' }, user: 'x' } },
    });
    expect(mergeModels(first, { services: { web: { ports: [port(80)] } } })).toEqual({
      services: { web: { image: 'a', environment: { B: '1' }, ports: [port(80)] } },
    });
  });

  it('the result holds no markers', () => {
    const merged = mergeModels(
      { services: { web: { labels: { a: override('1') }, dns: [reset, 'x'] } } },
      { services: { web: { labels: { b: reset }, dns: [override('y')] } } },
    );
    expect(merged).toEqual({ services: { web: { labels: { a: '1' }, dns: ['x', 'y'] } } });
  });
});

describe('mergeModels: inputs are left untouched', () => {
  it('does not mutate or share its inputs', () => {
    const base = {
      services: { web: { ports: [port(80, '80')], environment: { A: '1' }, deploy: { labels: { a: 'b' } } } },
    };
    const over = {
      services: {
        web: {
          ports: [port(81, '81')],
          environment: { B: '2' },
          volumes: [{ type: 'volume', target: '/x' }],
        },
      },
    };
    const baseCopy = structuredClone(base);
    const overCopy = structuredClone(over);
    const merged = mergeModels(base, over);
    expect(base).toEqual(baseCopy);
    expect(over).toEqual(overCopy);
    const web = (merged.services as ComposeDict).web as ComposeDict;
    expect(web.ports).not.toBe(base.services.web.ports);
    expect((web.ports as unknown[])[0]).not.toBe(base.services.web.ports[0]);
    expect(web.deploy).not.toBe(base.services.web.deploy);
    expect(web.volumes).not.toBe(over.services.web.volumes);
  });

  it('keeps a __proto__ key as data', () => {
    const over = JSON.parse('{"services": {"web": {"labels": {"__proto__": "x"}}}}') as ComposeDict;
    const merged = mergeModels({ services: { web: { labels: { a: '1' } } } }, over);
    const labels = ((merged.services as ComposeDict).web as ComposeDict).labels as ComposeDict;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['a', '__proto__']);
  });
});

describe('mergeModels: errors', () => {
  it.each<[string, ComposeDict, ComposeDict, string]>([
    [
      'a mapping onto a sequence',
      { deploy: { placement: { constraints: ['a'] } } },
      { deploy: { placement: { constraints: { a: 1 } } } },
      'services.web.deploy.placement.constraints: cannot merge a mapping into a sequence',
    ],
    [
      'a scalar onto a mapping',
      { healthcheck: { interval: '1s' } },
      { healthcheck: 'none' },
      'services.web.healthcheck: cannot merge a string ("none") into a mapping',
    ],
    [
      'a mapping onto a port list',
      { ports: [port(80)] },
      { ports: { a: 1 } },
      'services.web.ports: cannot merge a mapping into a sequence',
    ],
    [
      'a number onto labels',
      { labels: { a: '1' } },
      { labels: 5 },
      'services.web.labels: cannot merge a number (5) into a mapping',
    ],
  ])('%s', (_name, base, over, message) => {
    let error: unknown;
    try {
      mergeWeb(base, over);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).message).toBe(
      `${message} (use the same kind of value in both files, or "!override" to replace it)`,
    );
    expect((error as ComposeError).keyPath?.[1]).toBe('web');
  });
});

describe('mergeService', () => {
  it('applies the service rules (as used by extends)', () => {
    expect(
      mergeService(
        {
          image: 'a',
          command: ['x'],
          environment: { A: '1' },
          ports: [port(80, '80')],
          volumes: [{ type: 'bind', source: '.', target: '/app' }],
        },
        {
          command: ['y'],
          environment: { B: '2' },
          ports: [port(80, '80')],
          volumes: [{ type: 'bind', source: './src', target: '/app' }],
        },
      ),
    ).toEqual({
      image: 'a',
      command: ['y'],
      environment: { A: '1', B: '2' },
      ports: [port(80, '80')],
      volumes: [{ type: 'bind', source: './src', target: '/app' }],
    });
  });

  it('applies markers and names the service in errors', () => {
    expect(mergeService({ image: 'a', ports: [port(80)] }, { ports: reset })).toEqual({ image: 'a' });
    expect(() => mergeService({ dns: ['a'] }, { dns: { x: 1 } }, 'api')).toThrow(
      /^services\.api\.dns: cannot merge/,
    );
  });
});
