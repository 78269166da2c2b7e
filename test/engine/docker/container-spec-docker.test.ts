/**
 * containerSpec against the real dockerd: containers created (not started) from realistic requests of a
 * rich project, their extra networks connected as the engine will, then inspected to check the engine
 * holds what the service asked for. Everything made here is removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { containerSpec, type DockerContainerSpec } from '../../../src/engine/docker/container-spec.js';
import { Labels } from '../../../src/engine/labels.js';
import type { Project } from '../../../src/project/types.js';
import { loadProject } from '../../../src/project/load.js';
import { containerCreateRequest } from '../../../src/reconcile/create-request.js';
import { describeDocker, TEST_IMAGE } from '../../support/docker.js';

const PROJECT = `berthtest-${randomBytes(4).toString('hex')}`;
const SUBNET = '10.213.77.0/24';

const COMPOSE = `
name: ${PROJECT}
services:
  db:
    image: ${TEST_IMAGE}
    command: sleep 1000
    ipc: shareable
    volumes: [data:/var/lib/db]
    networks: [back]
  side:
    image: ${TEST_IMAGE}
    command: sleep 1000
    network_mode: "service:db"
  web:
    image: ${TEST_IMAGE}
    command: ["sleep", "1000"]
    entrypoint: ["/bin/env", "--"]
    working_dir: /srv
    user: "1000:1000"
    hostname: webhost
    domainname: example.org
    labels: { tier: front }
    environment: { A: "1", UNSET: null }
    ports: ["18080:80", "127.0.0.1:19000-19001:90-91/udp", "7000"]
    expose: ["3000"]
    volumes:
      - ./site:/srv/site:ro
      - data:/data
      - /anon
      - { type: tmpfs, target: /scratch, tmpfs: { size: 1048576 } }
    tmpfs: ["/run:size=2m"]
    volumes_from: ["db:ro"]
    secrets: [token]
    links: ["db:database"]
    networks:
      front: { aliases: [www], ipv4_address: 10.213.77.10 }
      back: { priority: 10 }
    healthcheck:
      test: ["CMD", "true"]
      interval: 1m30s
      timeout: 5s
      retries: 4
      start_period: 2s
    restart: on-failure:3
    mem_limit: 64m
    cpus: 0.5
    cpu_shares: 512
    pids_limit: 100
    shm_size: 32m
    oom_score_adj: 100
    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 64 }
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    devices: ["/dev/null:/dev/xnull:r"]
    dns: [10.213.77.53]
    dns_search: [example.org]
    dns_opt: ["ndots:2"]
    extra_hosts: ["gw:host-gateway", "db.local:10.0.0.2"]
    sysctls: { net.core.somaxconn: 1024 }
    ipc: "service:db"
    group_add: ["100"]
    security_opt: [no-new-privileges]
    logging: { driver: json-file, options: { max-size: 1m } }
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    init: true
    tty: true
    stdin_open: true
volumes:
  data:
networks:
  front:
    ipam: { config: [{ subnet: ${SUBNET} }] }
  back:
secrets:
  token: { file: ./token.txt }
`;

describeDocker('containerSpec on a real dockerd', () => {
  const docker = new Dockerode();
  let dir = '';
  let project: Project;
  const containers: string[] = [];
  const inspected: Record<string, Dockerode.ContainerInspectInfo> = {};
  const specs: Record<string, DockerContainerSpec> = {};

  async function create(service: string, serviceContainers: Record<string, string[]>): Promise<void> {
    const request = containerCreateRequest(project, service, 1);
    const spec = containerSpec(request, { apiVersion: '1.41', serviceContainers, hostEnv: {} });
    specs[service] = spec;
    const container = await docker.createContainer(spec.options);
    containers.push(container.id);
    for (const { network, endpoint } of spec.connect) {
      await docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: endpoint });
    }
    inspected[service] = await container.inspect();
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-spec-docker-'));
    await mkdir(join(dir, 'site'));
    await writeFile(join(dir, 'token.txt'), 't0ken');
    await writeFile(join(dir, 'compose.yaml'), COMPOSE);
    project = (await loadProject({ cwd: dir, env: {} })).project;
    for (const [key, network] of Object.entries(project.networks)) {
      await docker.createNetwork({
        Name: network.name,
        Labels: { [Labels.project]: PROJECT, [Labels.network]: key },
        ...(key === 'front' ? { IPAM: { Config: [{ Subnet: SUBNET }] } } : {}),
      });
    }
    await docker.createVolume({
      Name: project.volumes.data!.name,
      Labels: { [Labels.project]: PROJECT, [Labels.volume]: 'data' },
    });
    const names = { db: [`${PROJECT}-db-1`] };
    await create('db', names);
    await create('side', names);
    await create('web', names);
  }, 60_000);

  afterAll(async () => {
    for (const id of containers.reverse()) {
      await docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    }
    for (const network of Object.values(project?.networks ?? {})) {
      await docker
        .getNetwork(network.name)
        .remove()
        .catch(() => undefined);
    }
    for (const volume of Object.values(project?.volumes ?? {})) {
      await docker
        .getVolume(volume.name)
        .remove()
        .catch(() => undefined);
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('creates the containers with no warning', () => {
    expect(Object.values(specs).flatMap((s) => s.warnings)).toEqual([]);
    expect(inspected.web?.Name).toBe(`/${PROJECT}-web-1`);
  });

  it('holds the command line, environment, identity, labels and terminal settings', () => {
    const config = inspected.web!.Config;
    expect(config.Cmd).toEqual(['sleep', '1000']);
    expect(config.Entrypoint).toEqual(['/bin/env', '--']);
    expect(config.Env).toContain('A=1');
    expect(config.Env.some((e) => e.startsWith('UNSET'))).toBe(false);
    expect(config.WorkingDir).toBe('/srv');
    expect(config.User).toBe('1000:1000');
    expect(config.Hostname).toBe('webhost');
    expect(config.Domainname).toBe('example.org');
    expect(config.Labels).toMatchObject({
      tier: 'front',
      [Labels.project]: PROJECT,
      [Labels.service]: 'web',
      [Labels.containerNumber]: '1',
    });
    expect(config.Tty).toBe(true);
    expect(config.OpenStdin).toBe(true);
    expect(config.Image).toBe(TEST_IMAGE);
  });

  it('holds ports, exposed ports and port bindings', () => {
    expect(Object.keys(inspected.web!.Config.ExposedPorts).sort()).toEqual(
      ['3000/tcp', '7000/tcp', '80/tcp', '90/udp', '91/udp'].sort(),
    );
    expect(inspected.web!.HostConfig.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '18080' }],
      '90/udp': [{ HostIp: '127.0.0.1', HostPort: '19000' }],
      '91/udp': [{ HostIp: '127.0.0.1', HostPort: '19001' }],
      '7000/tcp': [{ HostIp: '', HostPort: '' }],
    });
  });

  it('holds the mounts: bind, named, anonymous and tmpfs volumes, tmpfs, secrets, volumes_from', () => {
    const host = inspected.web!.HostConfig;
    expect(host.Binds).toEqual([`${dir}/site:/srv/site:ro`]);
    expect(host.Tmpfs).toEqual({ '/run': 'size=2m' });
    expect(host.VolumesFrom).toEqual([`${PROJECT}-db-1:ro`]);
    const mounts = inspected.web!.Mounts;
    const at = (target: string) => mounts.find((m) => m.Destination === target);
    expect(at('/srv/site')).toMatchObject({ Type: 'bind', Source: `${dir}/site`, RW: false });
    expect(at('/data')).toMatchObject({ Type: 'volume', Name: project.volumes.data!.name, RW: true });
    expect(at('/anon')).toMatchObject({ Type: 'volume', RW: true });
    expect(at('/run/secrets/token')).toMatchObject({ Type: 'bind', Source: `${dir}/token.txt`, RW: false });
    // volumes_from: db's volume, read-only.
    expect(at('/var/lib/db')).toMatchObject({ Type: 'volume', Name: project.volumes.data!.name, RW: false });
    const tmpfs = (host as { Mounts?: { Type: string; Target: string; TmpfsOptions?: unknown }[] }).Mounts;
    expect(tmpfs?.find((m) => m.Target === '/scratch')).toMatchObject({
      Type: 'tmpfs',
      TmpfsOptions: { SizeBytes: 1048576 },
    });
  });

  it('holds resources, ulimits, devices and the restart policy', () => {
    const host = inspected.web!.HostConfig;
    expect(host).toMatchObject({
      Memory: 64 * 1024 * 1024,
      NanoCpus: 0.5e9,
      CpuShares: 512,
      PidsLimit: 100,
      ShmSize: 32 * 1024 * 1024,
      OomScoreAdj: 100,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'r' }],
    });
    expect(host.Ulimits).toEqual([
      { Name: 'nofile', Soft: 1024, Hard: 2048 },
      { Name: 'nproc', Soft: 64, Hard: 64 },
    ]);
  });

  it('holds capabilities, security, namespaces, dns, extra hosts and sysctls', () => {
    const host = inspected.web!.HostConfig;
    expect(host.CapAdd).toEqual(['NET_ADMIN']);
    expect(host.CapDrop).toEqual(['MKNOD']);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    // The engine records the container it resolved the name to.
    expect(host.IpcMode).toBe(`container:${inspected.db!.Id}`);
    expect(host.GroupAdd).toEqual(['100']);
    expect(host.Dns).toEqual(['10.213.77.53']);
    expect(host.DnsSearch).toEqual(['example.org']);
    expect(host.DnsOptions).toEqual(['ndots:2']);
    expect(host.ExtraHosts).toEqual(['gw:host-gateway', 'db.local:10.0.0.2']);
    expect(host.Sysctls).toEqual({ 'net.core.somaxconn': '1024' });
    expect(inspected.side!.HostConfig.NetworkMode).toBe(`container:${inspected.db!.Id}`);
  });

  it('holds logging, the healthcheck, the stop signal and timeout, and init', () => {
    const host = inspected.web!.HostConfig;
    expect(host.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1m' } });
    expect(host.Init).toBe(true);
    const config = inspected.web!.Config as Dockerode.ContainerInspectInfo['Config'] & {
      Healthcheck?: unknown;
      StopTimeout?: number;
      StopSignal?: string;
    };
    expect(config.Healthcheck).toEqual({
      Test: ['CMD', 'true'],
      Interval: 90e9,
      Timeout: 5e9,
      StartPeriod: 2e9,
      Retries: 4,
    });
    expect(config.StopSignal).toBe('SIGINT');
    expect(config.StopTimeout).toBe(90);
  });

  it('joins both networks, the higher priority one first, with aliases, address and links', () => {
    const networks = inspected.web!.NetworkSettings.Networks;
    const front = networks[`${PROJECT}_front`] as Dockerode.EndpointSettings | undefined;
    const back = networks[`${PROJECT}_back`] as Dockerode.EndpointSettings | undefined;
    expect(inspected.web!.HostConfig.NetworkMode).toBe(`${PROJECT}_back`);
    expect(specs.web!.connect.map((c) => c.network)).toEqual([`${PROJECT}_front`]);
    expect(back?.Aliases).toEqual(expect.arrayContaining([`${PROJECT}-web-1`, 'web']));
    expect(front?.Aliases).toEqual(expect.arrayContaining([`${PROJECT}-web-1`, 'web', 'www']));
    expect(front?.IPAMConfig?.IPv4Address).toBe('10.213.77.10');
    expect(back?.Links).toEqual(expect.arrayContaining([`${PROJECT}-db-1:database`]));
  });

  it('starts: the links, shared namespaces and mounts all resolve', async () => {
    await docker.getContainer(inspected.db!.Id).start();
    await docker.getContainer(inspected.web!.Id).start();
    await docker.getContainer(inspected.side!.Id).start();
    for (const service of ['db', 'web', 'side']) {
      const state = (await docker.getContainer(inspected[service]!.Id).inspect()).State;
      expect({ service, running: state.Running }).toEqual({ service, running: true });
    }
  }, 30_000);
});
