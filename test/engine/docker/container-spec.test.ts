/**
 * containerSpec as a pure mapping: services read by the real loader, requests made by the real request
 * builder, and the parts of the create body (and the warnings) each attribute group must produce.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { containerSpec, type SpecContext } from '../../../src/engine/docker/container-spec.js';
import type { ContainerCreateRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import { loadProject } from '../../../src/project/load.js';
import { containerCreateRequest } from '../../../src/reconcile/create-request.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-spec-'));
  await writeFile(join(dir, 'secret.txt'), 's3cret');
  await writeFile(join(dir, 'seccomp.json'), '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A request for replica 1 of `service` in a project named `app` made of `yaml`. */
async function requestFor(yaml: string, service = 'web', number = 1): Promise<ContainerCreateRequest> {
  await writeFile(join(dir, 'compose.yaml'), `name: app\n${yaml}`);
  const { project } = await loadProject({ cwd: dir, env: {} });
  return containerCreateRequest(project, service, number);
}

async function specFor(yaml: string, context: Partial<SpecContext> = {}, service = 'web') {
  return containerSpec(await requestFor(yaml, service), { apiVersion: '1.41', hostEnv: {}, ...context });
}

interface Case {
  name: string;
  yaml: string;
  context?: Partial<SpecContext>;
  /** Parts of the create body; a function of the project folder where paths depend on it. */
  expected: Record<string, unknown> | ((dir: string) => Record<string, unknown>);
  /** Fields of the create body that must not be sent. */
  absent?: string[];
  warnings?: RegExp[];
}

const CASES: Case[] = [
  {
    name: 'image, name, labels and the defaults compose sets',
    yaml: 'services:\n  web:\n    image: busybox\n    labels: { tier: front }\n',
    expected: {
      name: 'app-web-1',
      Image: 'busybox',
      AttachStdout: true,
      AttachStderr: true,
      Labels: expect.objectContaining({
        tier: 'front',
        'com.docker.compose.project': 'app',
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': '1',
        'com.docker.compose.oneoff': 'False',
      }),
    },
  },
  {
    name: 'a built image is named <project>-<service>',
    yaml: 'services:\n  web:\n    build: .\n',
    expected: { Image: 'app-web' },
  },
  {
    name: 'command, entrypoint, working_dir, user, hostname, domainname',
    yaml:
      'services:\n  web:\n    image: busybox\n    command: sleep "1 0"\n    entrypoint: [/bin/sh, -c]\n' +
      '    working_dir: /srv\n    user: "1000:1000"\n    hostname: h\n    domainname: example.org\n',
    expected: {
      Cmd: ['sleep', '1 0'],
      Entrypoint: ['/bin/sh', '-c'],
      WorkingDir: '/srv',
      User: '1000:1000',
      Hostname: 'h',
      Domainname: 'example.org',
    },
  },
  {
    name: 'an empty entrypoint clears the image one; an empty command keeps the image CMD',
    yaml: 'services:\n  web:\n    image: busybox\n    entrypoint: []\n    command: []\n',
    expected: { Entrypoint: [] },
    absent: ['Cmd'],
  },
  {
    name: 'a null entrypoint is unset and keeps the image one',
    yaml: 'services:\n  web:\n    image: busybox\n    entrypoint: null\n',
    expected: {},
    absent: ['Entrypoint'],
  },
  {
    name: 'environment: unset (null) variables are left out',
    yaml: 'services:\n  web:\n    image: busybox\n    environment: { A: "1", B: null, C: "" }\n',
    expected: { Env: ['A=1', 'C='] },
  },
  {
    name: 'ports (host_ip, ranges, protocols) and expose',
    yaml:
      'services:\n  web:\n    image: busybox\n    expose: ["3000", "4000-4001/udp"]\n' +
      '    ports: ["8080:80", "127.0.0.1:9000-9001:90-91/udp", "5000-5005:53", "7000"]\n',
    expected: {
      ExposedPorts: {
        '3000/tcp': {},
        '4000/udp': {},
        '4001/udp': {},
        '80/tcp': {},
        '90/udp': {},
        '91/udp': {},
        '53/tcp': {},
        '7000/tcp': {},
      },
      HostConfig: expect.objectContaining({
        PortBindings: {
          '80/tcp': [{ HostIp: '', HostPort: '8080' }],
          '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
          '91/udp': [{ HostIp: '127.0.0.1', HostPort: '9001' }],
          '53/tcp': [{ HostIp: '', HostPort: '5000-5005' }],
          '7000/tcp': [{ HostIp: '', HostPort: '' }],
        },
      }),
    },
  },
  {
    name: 'mounts: binds with options, create_host_path: false, named, anonymous, tmpfs, nocopy',
    yaml:
      'services:\n  web:\n    image: busybox\n    volumes:\n' +
      '      - ./data:/data:ro,z\n' +
      '      - { type: bind, source: /srv, target: /srv, bind: { propagation: rshared } }\n' +
      '      - { type: bind, source: /etc, target: /host-etc, read_only: true, bind: { create_host_path: false } }\n' +
      '      - { type: bind, source: /opt, target: /opt, bind: { recursive: disabled } }\n' +
      '      - data:/var/lib/data:nocopy\n' +
      '      - /anon\n' +
      '      - { type: tmpfs, target: /scratch, tmpfs: { size: 1048576, mode: 0o1777 } }\n' +
      '      - { type: volume, source: data, target: /cached, consistency: cached }\n' +
      '    tmpfs: [/run, "/tmp:size=1m,mode=1777"]\n' +
      '    volume_driver: local\n' +
      'volumes:\n  data:\n',
    expected: (dir) => ({
      HostConfig: expect.objectContaining({
        Binds: [`${dir}/data:/data:ro,z`, '/srv:/srv:rshared'],
        Mounts: [
          { Type: 'bind', Source: '/etc', Target: '/host-etc', ReadOnly: true },
          { Type: 'bind', Source: '/opt', Target: '/opt', BindOptions: { NonRecursive: true } },
          { Type: 'volume', Source: 'app_data', Target: '/var/lib/data', VolumeOptions: { NoCopy: true } },
          { Type: 'volume', Target: '/anon' },
          { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
          { Type: 'volume', Source: 'app_data', Target: '/cached' },
        ],
        Tmpfs: { '/run': '', '/tmp': 'size=1m,mode=1777' },
        VolumeDriver: 'local',
      }),
    }),
  },
  {
    name: 'recreate: anonymous volumes are taken over; image VOLUMEs too, unless a service mount covers them',
    yaml: 'services:\n  web:\n    image: busybox\n    volumes: [/anon, ./cfg:/etc/app]\n',
    context: { inheritedVolumes: { '/anon': 'vol-anon', '/image-vol': 'vol-image', '/etc/app': 'vol-x' } },
    expected: (dir) => ({
      HostConfig: expect.objectContaining({
        Binds: [`${dir}/cfg:/etc/app`],
        Mounts: [
          { Type: 'volume', Source: 'vol-image', Target: '/image-vol' },
          { Type: 'volume', Source: 'vol-anon', Target: '/anon' },
        ],
      }),
    }),
  },
  {
    name: 'volume subpath needs API 1.45',
    yaml:
      'services:\n  web:\n    image: busybox\n    volumes:\n' +
      '      - { type: volume, source: data, target: /d, volume: { subpath: sub } }\n' +
      'volumes:\n  data:\n',
    expected: {
      HostConfig: expect.objectContaining({ Mounts: [{ Type: 'volume', Source: 'app_data', Target: '/d' }] }),
    },
    warnings: [/service "web": volumes\[0\]\.volume\.subpath needs Docker Engine API 1\.45/],
  },
  {
    name: 'volume subpath on API 1.45',
    yaml:
      'services:\n  web:\n    image: busybox\n    volumes:\n' +
      '      - { type: volume, source: data, target: /d, volume: { subpath: sub } }\n' +
      'volumes:\n  data:\n',
    context: { apiVersion: '1.45' },
    expected: {
      HostConfig: expect.objectContaining({
        Mounts: [{ Type: 'volume', Source: 'app_data', Target: '/d', VolumeOptions: { Subpath: 'sub' } }],
      }),
    },
  },
  {
    name: 'volumes_from: services resolve to their first container, container: to itself',
    yaml:
      'services:\n  web:\n    image: busybox\n    volumes_from: [db, "db:ro", "container:other:rw"]\n' +
      '  db:\n    image: busybox\n',
    expected: {
      HostConfig: expect.objectContaining({ VolumesFrom: ['app-db-1', 'app-db-1:ro', 'other:rw'] }),
    },
  },
  {
    name: 'networks: priority orders them; aliases; static addresses; links; the rest is connected later',
    yaml:
      'services:\n  web:\n    image: busybox\n    links: ["db:database"]\n    external_links: [legacy, "ext:e"]\n' +
      '    networks:\n' +
      '      front: { aliases: [www], ipv4_address: 172.30.0.10, link_local_ips: [169.254.1.1], driver_opts: { a: b } }\n' +
      '      back: { priority: 10, ipv6_address: "fd00::10" }\n' +
      '  db:\n    image: busybox\n    networks: [back]\n' +
      'networks:\n  front:\n  back:\n',
    context: { serviceContainers: { db: ['app-db-1', 'app-db-2'] } },
    expected: {
      HostConfig: expect.objectContaining({
        NetworkMode: 'app_back',
        Links: [
          'app-db-1:database',
          'app-db-1:app-db-1',
          'app-db-1:db-1',
          'app-db-2:database',
          'app-db-2:app-db-2',
          'app-db-2:db-2',
          'legacy:legacy',
          'ext:e',
        ],
      }),
      NetworkingConfig: {
        EndpointsConfig: {
          app_back: expect.objectContaining({
            Aliases: ['app-web-1', 'web'],
            IPAMConfig: { IPv6Address: 'fd00::10' },
            Links: expect.arrayContaining(['app-db-1:database', 'ext:e']),
          }),
        },
      },
    },
  },
  {
    name: 'without networks in the project the container has none',
    yaml: 'services:\n  web:\n    image: busybox\n    network_mode: host\n',
    expected: { HostConfig: expect.objectContaining({ NetworkMode: 'host' }) },
  },
  {
    name: "network_mode service:NAME shares that service's first container",
    yaml: 'services:\n  web:\n    image: busybox\n    network_mode: "service:db"\n  db:\n    image: busybox\n',
    context: { serviceContainers: { db: ['custom-db'] } },
    expected: { HostConfig: expect.objectContaining({ NetworkMode: 'container:custom-db' }) },
  },
  {
    name: 'network_mode container:NAME and none pass through',
    yaml: 'services:\n  web:\n    image: busybox\n    network_mode: "container:abc"\n',
    expected: { HostConfig: expect.objectContaining({ NetworkMode: 'container:abc' }) },
  },
  {
    name: 'mac_address before API 1.44 is container-wide',
    yaml: 'services:\n  web:\n    image: busybox\n    mac_address: "02:42:ac:11:00:99"\n',
    expected: { MacAddress: '02:42:ac:11:00:99' },
  },
  {
    name: 'from API 1.44 every network is in the create request and mac_address is per endpoint',
    yaml:
      'services:\n  web:\n    image: busybox\n    mac_address: "02:42:ac:11:00:99"\n' +
      '    networks: { a: {}, b: { gw_priority: 5 } }\nnetworks:\n  a:\n  b:\n',
    context: { apiVersion: '1.44' },
    expected: {
      NetworkingConfig: {
        EndpointsConfig: {
          app_a: { Aliases: ['app-web-1', 'web'], MacAddress: '02:42:ac:11:00:99' },
          app_b: { Aliases: ['app-web-1', 'web'] },
        },
      },
    },
    warnings: [/networks\.b\.gw_priority needs Docker Engine API 1\.48/],
  },
  {
    name: 'healthcheck: durations in nanoseconds, start_interval needs API 1.44',
    yaml:
      'services:\n  web:\n    image: busybox\n    healthcheck:\n      test: ["CMD", "true"]\n' +
      '      interval: 1m30s\n      timeout: 500ms\n      retries: 4\n      start_period: 2s\n      start_interval: 1s\n',
    expected: {
      Healthcheck: { Test: ['CMD', 'true'], Interval: 90e9, Timeout: 500e6, Retries: 4, StartPeriod: 2e9 },
    },
    warnings: [/healthcheck\.start_interval needs Docker Engine API 1\.44/],
  },
  {
    name: 'healthcheck: a string test runs in a shell; start_interval on API 1.44',
    yaml: 'services:\n  web:\n    image: busybox\n    healthcheck:\n      test: "true"\n      start_interval: 1s\n',
    context: { apiVersion: '1.44' },
    expected: { Healthcheck: { Test: ['CMD-SHELL', 'true'], StartInterval: 1e9 } },
  },
  {
    name: 'healthcheck: disable is NONE',
    yaml: 'services:\n  web:\n    image: busybox\n    healthcheck: { disable: true }\n',
    expected: { Healthcheck: { Test: ['NONE'] } },
  },
  {
    name: 'restart on-failure with a count',
    yaml: 'services:\n  web:\n    image: busybox\n    restart: on-failure:3\n',
    expected: {
      HostConfig: expect.objectContaining({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }),
    },
  },
  {
    name: 'deploy.restart_policy wins over restart; any is always; delay cannot be honoured',
    yaml:
      'services:\n  web:\n    image: busybox\n    restart: "no"\n' +
      '    deploy: { restart_policy: { condition: any, delay: 5s } }\n',
    expected: { HostConfig: expect.objectContaining({ RestartPolicy: { Name: 'always' } }) },
    warnings: [/deploy\.restart_policy\.delay/],
  },
  {
    name: 'resources: service attributes',
    yaml:
      'services:\n  web:\n    image: busybox\n    mem_limit: 64m\n    memswap_limit: 128m\n    mem_reservation: 32m\n' +
      '    mem_swappiness: 10\n    cpus: 1.5\n    cpu_shares: 512\n    cpu_quota: 50000\n    cpu_period: 100000\n' +
      '    cpuset: "0"\n    cpu_rt_runtime: 950\n    cpu_rt_period: 1000\n    pids_limit: 100\n    oom_kill_disable: true\n' +
      '    oom_score_adj: 500\n    shm_size: 64m\n    cgroup_parent: berth.slice\n' +
      '    blkio_config:\n      weight: 300\n      weight_device: [{ path: /dev/sda, weight: 400 }]\n' +
      '      device_read_bps: [{ path: /dev/sda, rate: 12mb }]\n      device_write_iops: [{ path: /dev/sda, rate: 30 }]\n',
    expected: {
      HostConfig: expect.objectContaining({
        Memory: 64 * 1024 * 1024,
        MemorySwap: 128 * 1024 * 1024,
        MemoryReservation: 32 * 1024 * 1024,
        MemorySwappiness: 10,
        NanoCpus: 1.5e9,
        CpuShares: 512,
        CpuQuota: 50000,
        CpuPeriod: 100000,
        CpusetCpus: '0',
        CpuRealtimeRuntime: 950,
        CpuRealtimePeriod: 1000,
        PidsLimit: 100,
        OomKillDisable: true,
        OomScoreAdj: 500,
        ShmSize: 64 * 1024 * 1024,
        CgroupParent: 'berth.slice',
        BlkioWeight: 300,
        BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 400 }],
        BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 12 * 1024 * 1024 }],
        BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 30 }],
      }),
    },
  },
  {
    name: 'resources: deploy.resources limits and reservations, devices, gpus',
    yaml:
      'services:\n  web:\n    image: busybox\n    gpus: all\n' +
      '    deploy:\n      resources:\n        limits: { cpus: "0.5", memory: 50M, pids: 20 }\n' +
      '        reservations:\n          memory: 20M\n          cpus: "0.25"\n' +
      '          devices: [{ capabilities: [gpu], driver: nvidia, count: 1 }]\n',
    expected: {
      HostConfig: expect.objectContaining({
        NanoCpus: 0.5e9,
        Memory: 50 * 1024 * 1024,
        PidsLimit: 20,
        MemoryReservation: 20 * 1024 * 1024,
        DeviceRequests: [
          { Capabilities: [['gpu']], Driver: 'nvidia', Count: 1 },
          { Capabilities: [['gpu']], Count: -1 },
        ],
      }),
    },
    warnings: [/deploy\.resources\.reservations\.cpus/],
  },
  {
    name: 'devices long and short, CDI names, device_cgroup_rules, ulimits',
    yaml:
      'services:\n  web:\n    image: busybox\n    devices:\n      - /dev/null:/dev/xnull:r\n' +
      '      - { source: /dev/zero, target: /dev/zero, permissions: rw }\n      - vendor.com/gpu=all\n' +
      '    device_cgroup_rules: ["c 1:3 mr"]\n    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 64 }\n',
    expected: {
      HostConfig: expect.objectContaining({
        Devices: [
          { PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'r' },
          { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rw' },
        ],
        DeviceRequests: [{ Driver: 'cdi', DeviceIDs: ['vendor.com/gpu=all'] }],
        DeviceCgroupRules: ['c 1:3 mr'],
        Ulimits: [
          { Name: 'nofile', Soft: 1024, Hard: 2048 },
          { Name: 'nproc', Soft: 64, Hard: 64 },
        ],
      }),
    },
  },
  {
    name: 'security, namespaces and runtime options',
    yaml:
      'services:\n  web:\n    image: busybox\n    cap_add: [NET_ADMIN]\n    cap_drop: [MKNOD]\n    privileged: true\n' +
      '    read_only: true\n    security_opt: [no-new-privileges, systempaths=unconfined, "seccomp=./seccomp.json"]\n' +
      '    sysctls: { net.core.somaxconn: 1024 }\n    ipc: "service:db"\n    pid: host\n    uts: host\n' +
      '    userns_mode: host\n    cgroup: private\n    group_add: [audio]\n    init: true\n    runtime: runc\n' +
      '    storage_opt: { size: 1G }\n    isolation: default\n' +
      '  db:\n    image: busybox\n',
    expected: {
      HostConfig: expect.objectContaining({
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['MKNOD'],
        Privileged: true,
        ReadonlyRootfs: true,
        SecurityOpt: ['no-new-privileges', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'],
        MaskedPaths: [],
        ReadonlyPaths: [],
        Sysctls: { 'net.core.somaxconn': '1024' },
        IpcMode: 'container:app-db-1',
        PidMode: 'host',
        UTSMode: 'host',
        UsernsMode: 'host',
        CgroupnsMode: 'private',
        GroupAdd: ['audio'],
        Init: true,
        Runtime: 'runc',
        StorageOpt: { size: '1G' },
        Isolation: 'default',
      }),
    },
  },
  {
    name: 'dns, extra_hosts (host-gateway passes through)',
    yaml:
      'services:\n  web:\n    image: busybox\n    dns: [1.1.1.1]\n    dns_search: [example.org]\n' +
      '    dns_opt: [ndots:2]\n    extra_hosts: ["gw:host-gateway", "v6=::1", "db:10.0.0.2"]\n',
    expected: {
      HostConfig: expect.objectContaining({
        Dns: ['1.1.1.1'],
        DnsSearch: ['example.org'],
        DnsOptions: ['ndots:2'],
        ExtraHosts: ['gw:host-gateway', 'v6:::1', 'db:10.0.0.2'],
      }),
    },
  },
  {
    name: 'tty, stdin_open, stop_signal, stop_grace_period, logging, platform',
    yaml:
      'services:\n  web:\n    image: busybox\n    tty: true\n    stdin_open: true\n    stop_signal: SIGINT\n' +
      '    stop_grace_period: 1m30s\n    logging: { driver: json-file, options: { max-size: 1m } }\n' +
      '    platform: linux/amd64\n',
    expected: {
      Tty: true,
      OpenStdin: true,
      StopSignal: 'SIGINT',
      StopTimeout: 90,
      platform: 'linux/amd64',
      HostConfig: expect.objectContaining({ LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } } }),
    },
  },
  {
    name: 'annotations need API 1.43',
    yaml: 'services:\n  web:\n    image: busybox\n    annotations: { a: b }\n',
    expected: { HostConfig: expect.not.objectContaining({ Annotations: expect.anything() }) },
    warnings: [/service "web": annotations needs Docker Engine API 1\.43/],
  },
  {
    name: 'annotations on API 1.43',
    yaml: 'services:\n  web:\n    image: busybox\n    annotations: { a: b }\n',
    context: { apiVersion: '1.43' },
    expected: { HostConfig: expect.objectContaining({ Annotations: { a: 'b' } }) },
  },
];

describe('containerSpec', () => {
  it.each(CASES)('$name', async ({ yaml, context, expected, absent, warnings }) => {
    const spec = await specFor(yaml, context);
    expect(spec.options).toMatchObject(typeof expected === 'function' ? expected(dir) : expected);
    for (const key of absent ?? []) expect(spec.options).not.toHaveProperty(key);
    expect(spec.warnings).toHaveLength(warnings?.length ?? 0);
    for (const [i, pattern] of (warnings ?? []).entries()) expect(spec.warnings[i]).toMatch(pattern);
  });
});

describe('containerSpec: secrets and configs', () => {
  const YAML =
    'services:\n  web:\n    image: busybox\n' +
    '    secrets: [token, { source: key, target: custom, mode: 0o400, uid: "5", gid: "6" }, { source: api, target: /etc/api }]\n' +
    '    configs: [conf, { source: inline, target: etc/inline.conf, mode: 0o440 }]\n' +
    'secrets:\n  token: { file: ./secret.txt }\n  key: { environment: KEY }\n  api: { environment: API }\n' +
    'configs:\n  conf: { file: ./secret.txt }\n  inline: { content: "a=1" }\n';

  it('binds file sources read-only and copies the others with their mode and owner', async () => {
    const spec = await specFor(YAML, { hostEnv: { KEY: 'k3y', API: 'x' } });
    expect(spec.options.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: join(dir, 'secret.txt'), Target: '/run/secrets/token', ReadOnly: true },
      { Type: 'bind', Source: join(dir, 'secret.txt'), Target: '/conf', ReadOnly: true },
    ]);
    expect(spec.files).toEqual([
      { path: '/run/secrets/custom', content: Buffer.from('k3y'), mode: 0o400, uid: 5, gid: 6 },
      { path: '/etc/api', content: Buffer.from('x'), mode: 0o400, uid: 0, gid: 0 },
      { path: '/etc/inline.conf', content: Buffer.from('a=1'), mode: 0o440, uid: 0, gid: 0 },
    ]);
    expect(spec.warnings).toEqual([]);
  });

  it('warns that a file source cannot take a mode, and lets a service mount win', async () => {
    const spec = await specFor(
      'services:\n  web:\n    image: busybox\n    volumes: ["./x:/run/secrets/token"]\n' +
        '    secrets: [token]\n    configs: [{ source: conf, mode: 0o400 }]\n' +
        'secrets:\n  token: { file: ./secret.txt }\nconfigs:\n  conf: { file: ./secret.txt }\n',
    );
    expect(spec.options.HostConfig?.Binds).toEqual([`${dir}/x:/run/secrets/token`]);
    expect(spec.options.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: join(dir, 'secret.txt'), Target: '/conf', ReadOnly: true },
    ]);
    expect(spec.warnings).toEqual([
      'service "web": config "conf" comes from a file, which is bind-mounted as it is: its uid, gid and mode are ignored',
    ]);
  });

  it('says which variable is missing for an environment source', async () => {
    await expect(specFor(YAML, { hostEnv: {} })).rejects.toThrow(
      /secret "key": environment variable KEY is not set \(set KEY before running berth\)/,
    );
  });

  it('refuses external secrets with a hint', async () => {
    const error = await specFor(
      'services:\n  web:\n    image: busybox\n    secrets: [ext]\nsecrets:\n  ext: { external: true }\n',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).problem).toBe(
      'secret "ext" is external, and only Swarm has a secret store',
    );
  });
});

describe('containerSpec: run requests and errors', () => {
  it('one-off containers: request overrides, name-only alias, no restart policy, links to the replicas', async () => {
    const request = await requestFor(
      'services:\n  web:\n    image: busybox\n    command: a\n    restart: always\n    environment: { A: "1" }\n',
    );
    const spec = containerSpec(
      {
        ...request,
        name: 'app-web-run-0123456789ab',
        oneoff: true,
        command: ['sh'],
        entrypoint: ['/bin/env'],
        workingDir: '/w',
        user: 'nobody',
        environment: { A: '2', B: '3' },
      },
      { apiVersion: '1.41', serviceContainers: { web: ['app-web-1'] } },
    );
    expect(spec.options).toMatchObject({
      name: 'app-web-run-0123456789ab',
      Cmd: ['sh'],
      Entrypoint: ['/bin/env'],
      WorkingDir: '/w',
      User: 'nobody',
      Env: ['A=2', 'B=3'],
      NetworkingConfig: {
        EndpointsConfig: {
          app_default: {
            Aliases: ['app-web-run-0123456789ab'],
            Links: ['app-web-1:web', 'app-web-1:app-web-1', 'app-web-1:web-1'],
          },
        },
      },
    });
    expect(spec.options.HostConfig?.RestartPolicy).toBeUndefined();
  });

  it('network_mode service:NAME without a container of it is an error naming both', async () => {
    await expect(
      specFor(
        'services:\n  web:\n    image: busybox\n    network_mode: "service:db"\n  db:\n    image: busybox\n',
        {
          serviceContainers: {},
        },
      ),
    ).rejects.toThrow(/service "web" uses network_mode service:db, which has no container/);
  });

  it('a mac_address that contradicts the primary network is an error', async () => {
    await expect(
      specFor(
        'services:\n  web:\n    image: busybox\n    mac_address: "02:00:00:00:00:01"\n' +
          '    networks: { a: { mac_address: "02:00:00:00:00:02" } }\nnetworks:\n  a:\n',
      ),
    ).rejects.toThrow(/mac_address 02:00:00:00:00:01 differs from networks\.a\.mac_address/);
  });

  it('an unreadable seccomp profile is an error with a hint', async () => {
    await expect(
      specFor('services:\n  web:\n    image: busybox\n    security_opt: ["seccomp:./missing.json"]\n'),
    ).rejects.toThrow(/cannot read the seccomp profile .*missing\.json.*\(point seccomp= at/);
  });
});
