import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeError, ComposeErrors } from '../../src/project/errors.js';
import type { KeyPath } from '../../src/project/key-path.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { editDistance, suggestKey } from '../../src/project/suggest.js';
import { OverrideTag, ResetTag } from '../../src/project/tags.js';
import { validateSchema } from '../../src/project/validate-schema.js';

/** Parses YAML the simple way (no tags), recording key and item positions the way yaml.ts does. */
function load(text: string): { model: ComposeDict; positions: DocumentPositions } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true });
  const positions = new DocumentPositions('compose.yaml');
  const record = (path: KeyPath, offset: number | undefined): void => {
    if (offset === undefined) return;
    const { line, col } = lineCounter.linePos(offset);
    positions.set(path, { line, column: col });
  };
  const walk = (node: Node | null | undefined, path: KeyPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        record([...path, key], pair.key.range?.[0]);
        walk(pair.value as Node | null, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = item as Node | null;
        record([...path, i], child?.range?.[0]);
        walk(child, [...path, i]);
      });
    }
  };
  walk(doc.contents as Node | null, []);
  return { model: doc.toJS() as ComposeDict, positions };
}

/** The messages validateSchema throws for a file, one string each; [] when the file is valid. */
function problems(text: string): string[] {
  const { model, positions } = load(text);
  try {
    validateSchema(model, positions);
    return [];
  } catch (error) {
    if (error instanceof ComposeErrors) return error.errors.map((e) => e.message);
    if (error instanceof ComposeError) return [error.message];
    throw error;
  }
}

const valid: Record<string, string> = {
  'minimal service': `
services:
  web:
    image: nginx
`,
  'top-level keys and extensions': `
version: "3.9"
name: shop
x-common: &common
  restart: always
include:
  - other/compose.yaml
  - path: [a.yaml, b.yaml]
    env_file: a.env
    project_directory: a
services:
  web:
    <<: *common
    image: nginx
    x-tool: { anything: [1, 2] }
networks:
  front:
  back:
    driver: bridge
    driver_opts: { com.docker.network.bridge.name: br0, mtu: 1500 }
    ipam:
      driver: default
      config:
        - subnet: 172.28.0.0/16
          ip_range: 172.28.5.0/24
          gateway: 172.28.5.254
          aux_addresses: { host1: 172.28.1.5 }
    internal: true
    attachable: true
    enable_ipv6: false
    labels: [a=b]
  outside:
    external: true
    name: real-name
volumes:
  data:
  cache:
    driver: local
    labels: { a: b }
  legacy:
    external:
      name: old-volume
secrets:
  token:
    file: ./token.txt
  env:
    environment: TOKEN
  ext:
    external: true
configs:
  app:
    file: ./app.conf
  inline:
    content: |
      hello
models:
  llm:
    model: ai/smollm2
    context_size: 4096
    runtime_flags: [--verbose]
`,
  'ports: short and long syntax': `
services:
  web:
    image: nginx
    ports:
      - 3000
      - "8080:80"
      - "127.0.0.1:5000-5010:5000-5010/udp"
      - "[::1]:6000:6000"
      - target: 80
        published: "8000-8010"
        host_ip: 0.0.0.0
        protocol: tcp
        mode: host
        name: http
        app_protocol: http
      - target: 443
        published: 8443
`,
  'volumes, tmpfs, devices: short and long syntax': `
services:
  db:
    image: postgres
    volumes:
      - data:/var/lib/postgresql/data
      - ./init:/docker-entrypoint-initdb.d:ro,z
      - /tmp
      - type: bind
        source: ./src
        target: /app
        read_only: true
        bind: { propagation: rprivate, create_host_path: true, selinux: Z, recursive: readonly }
      - type: volume
        source: data
        target: /data
        volume: { nocopy: true, subpath: sub, labels: { a: b } }
      - type: tmpfs
        target: /cache
        tmpfs: { size: 1000000, mode: 1777 }
      - type: image
        source: alpine
        target: /img
        image: { subpath: etc }
    tmpfs: /run
    devices:
      - /dev/ttyUSB0:/dev/ttyUSB0
      - source: /dev/sda
        target: /dev/xvda
        permissions: rwm
volumes:
  data:
`,
  'environment, labels, env_file, build: short and long syntax': `
services:
  a:
    build: ./a
    environment: [A=1, B]
    labels: [com.example=1]
    env_file: .env
  b:
    build:
      context: ./b
      dockerfile: Dockerfile.dev
      args: { VERSION: 1.2, DEBUG: true, EMPTY: null }
      target: dev
      cache_from: [b:cache]
      shm_size: 2g
      extra_hosts: [host:1.2.3.4]
      ssh: [default]
      secrets: [token]
      tags: [b:latest]
      platforms: [linux/amd64]
      ulimits: { nofile: 1024 }
      x-builder: buildx
    environment:
      A: 1
      B: "two"
      C: null
      D: false
    labels: { com.example: one }
    env_file:
      - path: ./b.env
        required: false
      - ./common.env
      - path: ./raw.env
        format: raw
secrets:
  token:
    file: t
`,
  'depends_on, networks, secrets, configs: short and long syntax': `
services:
  web:
    image: web
    depends_on: [db]
    networks: [front]
    secrets: [token]
    configs: [app]
  worker:
    image: worker
    depends_on:
      db:
        condition: service_healthy
        restart: true
        required: false
      migrate:
        condition: service_completed_successfully
    networks:
      front:
        aliases: [w]
        ipv4_address: 172.16.0.5
        priority: 100
      back:
    secrets:
      - source: token
        target: /run/secrets/t
        uid: "103"
        gid: "103"
        mode: 0440
    configs:
      - source: app
        target: /etc/app.conf
networks: { front: {}, back: {} }
secrets: { token: { file: t } }
configs: { app: { file: a } }
`,
  'command, healthcheck, deploy, develop, logging, misc': `
services:
  app:
    image: app
    command: npm start
    entrypoint: [/bin/sh, -c]
    healthcheck:
      test: [CMD, curl, -f, http://localhost]
      interval: 30s
      timeout: 10s
      retries: 3
      start_period: 5s
      start_interval: 1s
    deploy:
      mode: replicated
      replicas: 2
      resources:
        limits: { cpus: "0.5", memory: 512M, pids: 100 }
        reservations:
          cpus: 0.25
          memory: 128M
          devices:
            - capabilities: [gpu]
              driver: nvidia
              count: 1
      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 120s }
      update_config: { parallelism: 2, delay: 10s, order: start-first }
      placement:
        constraints: [node.role == manager]
        preferences: [{ spread: node.labels.zone }]
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app/src
          ignore: [node_modules/]
        - path: package.json
          action: rebuild
        - path: ./conf
          action: sync+exec
          target: /etc/app
          exec:
            command: [kill, -HUP, "1"]
    logging:
      driver: json-file
      options: { max-size: 10m, max-file: 3 }
    ulimits:
      nproc: 65535
      nofile: { soft: 20000, hard: 40000 }
    extra_hosts:
      somehost: 162.242.195.82
      multi: [1.2.3.4, "::1"]
    sysctls: { net.core.somaxconn: 1024 }
    post_start:
      - command: echo started
        user: root
    pre_stop:
      - command: [echo, stopping]
    gpus: all
    profiles: [debug]
    pull_policy: every_12h
    container_name: app-1
    stop_grace_period: 1m30s
    init: true
    tty: true
    stdin_open: true
    read_only: false
    user: "1000:1000"
    working_dir: /app
    extends:
      file: common.yaml
      service: base
    annotations: { a: b }
    cgroup: private
    restart: unless-stopped
`,
  'legacy version 2 file': `
version: "2.4"
services:
  web:
    build: .
    dockerfile: Dockerfile.alt
    mem_limit: 512m
    memswap_limit: 1g
    mem_reservation: 256m
    mem_swappiness: 60
    cpu_shares: 512
    cpu_quota: 50000
    cpu_period: 100000
    cpus: 1.5
    cpuset: "0,1"
    cpu_count: 2
    cpu_percent: 50
    oom_score_adj: -500
    oom_kill_disable: true
    volume_driver: local
    volumes_from: [data:ro]
    links: [db:database]
    external_links: [redis_1]
    group_add: [mail, 1001]
    isolation: default
    shm_size: 64M
    userns_mode: host
    pids_limit: 100
    blkio_config:
      weight: 300
      device_read_bps: [{ path: /dev/sda, rate: 12mb }]
    extends: { service: base, file: base.yml }
    depends_on:
      db:
        condition: service_healthy
    networks:
      net1:
        ipv4_address: 172.16.238.10
        link_local_ips: [57.123.22.11]
  data:
    image: busybox
    log_driver: syslog
    log_opt: { syslog-address: "tcp://192.168.0.42:123" }
    net: host
  db:
    image: postgres
networks:
  net1:
    ipam:
      config:
        - subnet: 172.16.238.0/24
`,
  'legacy version 3 file (unquoted version)': `
version: 3.8
services:
  web:
    image: web
    deploy:
      replicas: 3
      endpoint_mode: vip
      labels: [a=b]
      resources:
        limits: { cpus: "0.5", memory: 50M }
      rollback_config: { parallelism: 1, failure_action: pause, monitor: 10s, max_failure_ratio: 0.1 }
    credential_spec: { file: spec.json }
    stop_signal: SIGUSR1
    secrets: [s]
secrets:
  s:
    external:
      name: real-s
networks:
  default:
    external:
      name: my-net
`,
};

describe('validateSchema: valid files', () => {
  it.each(Object.entries(valid))('%s', (_name, text) => {
    expect(problems(text)).toEqual([]);
  });
});

const invalid: [name: string, text: string, expected: string[]][] = [
  [
    'unknown service key, with a suggestion',
    `
services:
  web:
    imagee: nginx
`,
    ['compose.yaml:4:5: services.web: additional property "imagee" is not allowed (did you mean "image"?)'],
  ],
  [
    'unknown service key, nothing close',
    `
services:
  web:
    image: nginx
    flavour: vanilla
`,
    [
      'compose.yaml:5:5: services.web: additional property "flavour" is not allowed (custom keys must start with "x-")',
    ],
  ],
  [
    'unknown top-level key, with a suggestion',
    `
service:
  web:
    image: nginx
`,
    ['compose.yaml:2:1: additional property "service" is not allowed (did you mean "services"?)'],
  ],
  [
    'a version 1 file',
    `
web:
  image: nginx
`,
    [
      'compose.yaml:2:1: additional property "web" is not allowed (version 1 files are not supported: put services under "services:")',
    ],
  ],
  [
    'wrong scalar type',
    `
services:
  web:
    image: nginx
    restart: [always]
`,
    ['compose.yaml:5:5: services.web.restart: must be a string'],
  ],
  [
    'a port of no known form',
    `
services:
  web:
    image: nginx
    ports:
      - true
`,
    ['compose.yaml:6:9: services.web.ports[0]: must be a number, a string or a port mapping'],
  ],
  [
    'a long-syntax port with a bad mode: the object branch alone is reported',
    `
services:
  web:
    image: nginx
    ports:
      - target: 80
        mode: hots
`,
    [
      'compose.yaml:7:9: services.web.ports[0].mode: invalid value "hots": must be one of "host", "ingress" (did you mean "host"?)',
    ],
  ],
  [
    'a bad depends_on condition',
    `
services:
  web:
    image: nginx
    depends_on:
      db:
        condition: service_ready
  db:
    image: postgres
`,
    [
      'compose.yaml:7:9: services.web.depends_on.db.condition: invalid value "service_ready": must be one of "service_started", "service_healthy", "service_completed_successfully"',
    ],
  ],
  [
    'depends_on entry without its condition',
    `
services:
  web:
    image: nginx
    depends_on:
      db:
        required: false
`,
    ['compose.yaml:6:7: services.web.depends_on.db: missing required property "condition"'],
  ],
  [
    'depends_on of the wrong type',
    `
services:
  web:
    image: nginx
    depends_on: db
`,
    ['compose.yaml:5:5: services.web.depends_on: must be a list of strings or a dependency map'],
  ],
  [
    'a bad volume type',
    `
services:
  web:
    image: nginx
    volumes:
      - type: bnd
        source: .
        target: /app
`,
    [
      'compose.yaml:6:9: services.web.volumes[0].type: invalid value "bnd": must be one of "bind", "volume", "tmpfs", "cluster", "npipe", "image" (did you mean "bind"?)',
    ],
  ],
  [
    'long-syntax volume without its type',
    `
services:
  web:
    image: nginx
    volumes:
      - source: data
        target: /data
`,
    ['compose.yaml:6:9: services.web.volumes[0]: missing required property "type"'],
  ],
  [
    'build of the wrong type',
    `
services:
  web:
    build: 5
`,
    ['compose.yaml:4:5: services.web.build: must be a string or a build configuration'],
  ],
  [
    'typo inside the long form of build',
    `
services:
  web:
    build:
      context: .
      dockerfil: Dockerfile
`,
    [
      'compose.yaml:6:7: services.web.build: additional property "dockerfil" is not allowed (did you mean "dockerfile"?)',
    ],
  ],
  [
    'environment value of the wrong type',
    `
services:
  web:
    image: nginx
    environment:
      LIST: [1, 2]
`,
    ['compose.yaml:6:7: services.web.environment.LIST: must be a string, a number, a boolean or null'],
  ],
  [
    'a duplicate list entry',
    `
services:
  web:
    image: nginx
    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]
`,
    ['compose.yaml:5:36: services.web.cap_add[2]: duplicate entry: same as services.web.cap_add[0]'],
  ],
  [
    'an invalid service name',
    `
services:
  my web:
    image: nginx
`,
    [
      'compose.yaml:3:3: services: invalid name "my web" (names may contain only letters, digits, ".", "_" and "-")',
    ],
  ],
  [
    'a service that is not a mapping',
    `
services:
  web: nginx
`,
    ['compose.yaml:3:3: services.web: must be a mapping'],
  ],
  [
    'a bad service network entry',
    `
services:
  web:
    image: nginx
    networks:
      front: 5
      back:
        aliasses: [b]
`,
    [
      'compose.yaml:6:7: services.web.networks.front: must be a service network or null',
      'compose.yaml:8:9: services.web.networks.back: additional property "aliasses" is not allowed (did you mean "aliases"?)',
    ],
  ],
  [
    'a wrong enum type is reported once',
    `
services:
  web:
    image: nginx
    cgroup: 5
`,
    ['compose.yaml:5:5: services.web.cgroup: must be "host" or "private"'],
  ],
  [
    'a bad container name',
    `
services:
  web:
    image: nginx
    container_name: "my app"
`,
    [
      'compose.yaml:5:5: services.web.container_name: invalid value "my app" (use a letter or digit, then letters, digits, "_", "." or "-")',
    ],
  ],
  [
    'a watch rule with an unknown action',
    `
services:
  web:
    image: nginx
    develop:
      watch:
        - path: .
          action: reload
`,
    [
      'compose.yaml:8:11: services.web.develop.watch[0].action: invalid value "reload": must be one of "rebuild", "sync", "restart", "sync+restart", "sync+exec"',
    ],
  ],
  [
    'a top-level volume with an unknown key',
    `
services:
  web:
    image: nginx
volumes:
  data:
    drivr: local
`,
    ['compose.yaml:7:5: volumes.data: additional property "drivr" is not allowed (did you mean "driver"?)'],
  ],
  [
    'an include entry without a path',
    `
include:
  - project_directory: sub
`,
    ['compose.yaml:3:5: include[0]: missing required property "path"'],
  ],
  [
    'several problems, in file order',
    `
services:
  web:
    image: 5
    ports: [{ target: 80, mode: x }]
  db:
    imag: postgres
`,
    [
      'compose.yaml:4:5: services.web.image: must be a string',
      'compose.yaml:5:27: services.web.ports[0].mode: invalid value "x": must be one of "host", "ingress"',
      'compose.yaml:7:5: services.db: additional property "imag" is not allowed (did you mean "image"?)',
    ],
  ],
];

describe('validateSchema: invalid files', () => {
  it.each(invalid)('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('throws a ComposeError with key path, location and hint', () => {
    const { model, positions } = load('services:\n  web:\n    imagee: nginx\n');
    let caught: unknown;
    try {
      validateSchema(model, positions);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ComposeError);
    expect(caught).not.toBeInstanceOf(ComposeErrors);
    const error = caught as ComposeError;
    expect(error.keyPath).toEqual(['services', 'web']);
    expect(error.location).toEqual({ file: 'compose.yaml', line: 3, column: 5 });
    expect(error.problem).toBe('additional property "imagee" is not allowed');
    expect(error.hint).toBe('did you mean "image"?');
  });

  it('throws a ComposeErrors listing each problem when there are several', () => {
    const { model, positions } = load('services:\n  a:\n    image: 1\n  b:\n    image: 2\n');
    expect(() => validateSchema(model, positions)).toThrow(ComposeErrors);
    try {
      validateSchema(model, positions);
    } catch (error) {
      expect((error as ComposeErrors).errors.map((e) => e.keyPath)).toEqual([
        ['services', 'a', 'image'],
        ['services', 'b', 'image'],
      ]);
    }
  });

  it('falls back to the nearest parent with a known position', () => {
    const positions = new DocumentPositions('over.yaml');
    positions.set(['services', 'web'], { line: 2, column: 3 });
    const model = { services: { web: { ports: [{ target: 80, mode: 'x' }] } } };
    expect(() => validateSchema(model, positions)).toThrow(
      'over.yaml:2:3: services.web.ports[0].mode: invalid value "x": must be one of "host", "ingress"',
    );
  });

  it('sums up beyond 50 problems', () => {
    const services: ComposeDict = {};
    for (let i = 0; i < 60; i++) services[`s${i}`] = { image: i };
    try {
      validateSchema({ services }, new DocumentPositions('big.yaml'));
      expect.unreachable();
    } catch (error) {
      const errors = (error as ComposeErrors).errors;
      expect(errors).toHaveLength(51);
      expect(errors[50]!.message).toBe('big.yaml: 10 more problems not shown');
    }
  });
});

describe('validateSchema: merge tags', () => {
  const positions = new DocumentPositions('compose.override.yaml');

  it('accepts !reset for any key, whatever its type', () => {
    const model: ComposeDict = {
      services: {
        web: { image: new ResetTag(), ports: new ResetTag(), depends_on: { db: new ResetTag() } },
      },
      networks: new ResetTag(),
    };
    expect(() => validateSchema(model, positions)).not.toThrow();
  });

  it('validates the value behind !override', () => {
    expect(() =>
      validateSchema({ services: { web: { image: 'x', ports: new OverrideTag(['80:80']) } } }, positions),
    ).not.toThrow();
    expect(() =>
      validateSchema({ services: { web: { image: 'x', ports: new OverrideTag([true]) } } }, positions),
    ).toThrow('services.web.ports[0]: must be a number, a string or a port mapping');
  });

  it('still reports problems outside the reset values', () => {
    expect(() =>
      validateSchema({ services: { web: { image: new ResetTag(), imagee: 'x' } } }, positions),
    ).toThrow('additional property "imagee" is not allowed');
  });
});

describe('suggestKey', () => {
  const keys = ['image', 'build', 'ports', 'environment', 'depends_on', 'volumes', 'networks'];
  it.each([
    ['imagee', 'image'],
    ['iamge', 'image'],
    ['Image', 'image'],
    ['port', 'ports'],
    ['enviroment', 'environment'],
    ['depend_on', 'depends_on'],
    ['volume', 'volumes'],
    ['network', 'networks'],
    ['command', undefined],
    ['x', undefined],
    ['image', undefined],
  ])('%s -> %s', (unknown, expected) => {
    expect(suggestKey(unknown, keys)).toBe(expected);
  });

  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'acb', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('editDistance(%j, %j) = %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});
