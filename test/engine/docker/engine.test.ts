/**
 * The Docker engine against the real dockerd, with the local busybox image: listing and inspecting
 * labelled containers (ports, health), the lifecycle calls, logs, exec, top, events, networks and
 * volumes. Containers here are made directly with dockerode, so these tests do not depend on the
 * service mapping (container-spec); engine-create.test.ts covers createContainer from a loaded project.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { connectDocker } from '../../../src/engine/docker/connection.js';
import { DockerEngine } from '../../../src/engine/docker/engine.js';
import { Labels } from '../../../src/engine/labels.js';
import { ResourceInUseError } from '../../../src/engine/resource-in-use.js';
import type { EngineEvent } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import { describeDocker, removeProjectContainers, TEST_IMAGE } from '../../support/docker.js';
import { sink } from '../../support/sink.js';

const docker = new Dockerode();
const project = `berthtest-${randomBytes(4).toString('hex')}`;
let engine: DockerEngine;

interface Made {
  service: string;
  number?: number;
  cmd: string;
  oneoff?: boolean;
  tty?: boolean;
  extra?: Partial<Dockerode.ContainerCreateOptions>;
  start?: boolean;
}

/** A container labelled as a replica of `service` in this suite's project. */
async function make(options: Made): Promise<string> {
  const number = options.number ?? 1;
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    name: `${project}-${options.service}-${options.oneoff ? `run-${randomBytes(6).toString('hex')}` : number}`,
    Entrypoint: ['sh', '-c'],
    Cmd: [options.cmd],
    Tty: options.tty === true,
    Labels: {
      [Labels.project]: project,
      [Labels.service]: options.service,
      [Labels.containerNumber]: String(number),
      [Labels.oneoff]: options.oneoff ? 'True' : 'False',
      [Labels.configHash]: 'hash-' + options.service,
      [Labels.configFiles]: '/tmp/compose.yaml',
    },
    ...options.extra,
  });
  if (options.start !== false) await container.start();
  return container.id;
}

async function collect<T>(source: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function removeAll(): Promise<void> {
  await removeProjectContainers(docker, project);
  const networks = await docker.listNetworks({ filters: { label: [`${Labels.project}=${project}`] } });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${Labels.project}=${project}`] } });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
}

describeDocker('DockerEngine', () => {
  beforeAll(async () => {
    engine = new DockerEngine(await connectDocker(process.env));
  });

  afterAll(async () => {
    await engine?.close();
    await removeAll();
  });

  it('lists and inspects labelled containers: names, labels, command, ports and health', async () => {
    const id = await make({
      service: 'web',
      cmd: 'while :; do sleep 1; done',
      extra: {
        ExposedPorts: { '80/tcp': {}, '90/udp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
        Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 200_000_000, Retries: 3 },
      },
    });
    await make({ service: 'job', oneoff: true, cmd: 'exit 0', start: false });
    await make({ service: 'db', cmd: 'exit 4' });
    await until(async () => (await engine.inspectContainer(id)).health === 'healthy', 'healthy');

    const all = await engine.listContainers({ project, all: true });
    expect(all.map((c) => c.service)).toEqual(['db', 'job', 'web']);
    const web = all.find((c) => c.service === 'web')!;
    expect(web).toMatchObject({
      id,
      name: `${project}-web-1`,
      project,
      service: 'web',
      number: 1,
      oneoff: false,
      configHash: 'hash-web',
      image: TEST_IMAGE,
      command: "sh -c 'while :; do sleep 1; done'",
      status: 'running',
      health: 'healthy',
      exitCode: 0,
      restartCount: 0,
    });
    expect(web.pid).toBeGreaterThan(0);
    expect(Date.parse(web.startedAt!)).toBeGreaterThan(0);
    expect(web.finishedAt).toBeUndefined();
    const published = web.publishers.find((p) => p.TargetPort === 80)!;
    expect(published).toMatchObject({ URL: '127.0.0.1', Protocol: 'tcp' });
    expect(published.PublishedPort).toBeGreaterThan(0);
    expect(web.publishers).toContainEqual({ URL: '', TargetPort: 90, PublishedPort: 0, Protocol: 'udp' });

    const imageId = (await docker.getImage(TEST_IMAGE).inspect()).Id;
    expect(web.imageId).toBe(imageId);
    expect(await engine.imageIds([TEST_IMAGE, 'berthtest/no-such-image:never', TEST_IMAGE])).toEqual({
      [TEST_IMAGE]: imageId,
    });
    const inspected = await engine.inspectContainer(id);
    expect(inspected.imageId).toBe(imageId);
    expect(inspected.publishers).toEqual(web.publishers);
    expect(inspected.command).toBe(web.command);

    await until(
      async () => (await engine.inspectContainer(`${project}-db-1`)).status === 'exited',
      'db exit',
    );
    const db = (await engine.listContainers({ project, services: ['db'] }))[0]!;
    expect(db).toMatchObject({ status: 'exited', exitCode: 4 });
    expect(db.finishedAt).toBeDefined();

    const job = (await engine.listContainers({ project, oneoff: true }))[0]!;
    expect(job).toMatchObject({ service: 'job', oneoff: true, status: 'created' });
    expect((await engine.listContainers({ project, oneoff: false })).map((c) => c.service)).toEqual([
      'db',
      'web',
    ]);
    expect((await engine.listContainers({ project, all: false })).map((c) => c.service)).toEqual(['web']);
    expect((await engine.listContainers({ project, services: ['web', 'db'] })).length).toBe(2);

    const projects = await engine.listProjects();
    expect(projects.find((p) => p.name === project)).toEqual({
      name: project,
      status: 'exited(1), running(1)',
      configFiles: '/tmp/compose.yaml',
    });

    for (const c of all) await engine.removeContainer(c.id, { force: true });
    expect(await engine.listContainers({ project })).toEqual([]);
  });

  it('stops with SIGTERM, and kills what ignores it after the timeout', async () => {
    const polite = await make({ service: 'polite', cmd: "trap 'exit 0' TERM; while :; do sleep 1; done" });
    const stubborn = await make({ service: 'stubborn', cmd: "trap '' TERM; while :; do sleep 1; done" });
    await Promise.all([engine.stopContainer(polite), engine.stopContainer(stubborn, 1)]);
    expect(await engine.inspectContainer(polite)).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(await engine.inspectContainer(stubborn)).toMatchObject({ status: 'exited', exitCode: 137 });
    // Stopping a stopped container is not an error, as with docker.
    await engine.stopContainer(polite);
    // Neither is starting a started one.
    await engine.startContainer(polite);
    await engine.startContainer(polite);
    await engine.restartContainer(polite, 1);
    expect((await engine.inspectContainer(polite)).status).toBe('running');
    await engine.removeContainer(polite, { force: true });
    await engine.removeContainer(stubborn);
  });

  it('kills with a signal, pauses, unpauses, renames and waits for the exit code', async () => {
    const id = await make({ service: 'worker', cmd: "trap 'exit 7' USR1; while :; do sleep 1; done" });
    await engine.pauseContainer(id);
    expect((await engine.inspectContainer(id)).status).toBe('paused');
    await expect(engine.pauseContainer(id)).rejects.toThrow(ComposeError);
    await engine.unpauseContainer(id);
    expect((await engine.inspectContainer(id)).status).toBe('running');

    await engine.renameContainer(id, `${project}-worker-9`);
    expect((await engine.inspectContainer(id)).name).toBe(`${project}-worker-9`);

    const exited = engine.waitContainer(id);
    await engine.killContainer(id, 'SIGUSR1');
    expect(await exited).toBe(7);
    await expect(engine.killContainer(id)).rejects.toThrow(/is not running/);
    await expect(engine.removeContainer('berthtest-no-such-container')).rejects.toThrow(/no such container/);

    const quick = await make({ service: 'quick', cmd: 'exit 3' });
    expect(await engine.waitContainer(quick)).toBe(3);
    const running = await make({ service: 'running', cmd: 'sleep 100' });
    await expect(engine.removeContainer(running)).rejects.toThrow(/is running.*remove it with force/);
    await engine.killContainer(running);
    expect(await engine.waitContainer(running)).toBe(137);
    for (const c of [id, quick, running]) await engine.removeContainer(c);
  });

  it('reports a taken host port by address when starting', async () => {
    const first = await make({
      service: 'porta',
      cmd: 'sleep 100',
      extra: {
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      },
    });
    const port = (await engine.inspectContainer(first)).publishers[0]!.PublishedPort;
    const second = await make({
      service: 'portb',
      cmd: 'sleep 100',
      start: false,
      extra: {
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      },
    });
    const error = await engine.startContainer(second).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).message).toContain(
      `container ${project}-portb-1: port already in use: 127.0.0.1:${port}`,
    );
    await engine.removeContainer(first, { force: true });
    await engine.removeContainer(second, { force: true });
  });

  it('reads logs: streams, tail, since, several containers by time', async () => {
    const a = await make({ service: 'loga', cmd: 'echo one; echo err >&2; echo two; printf partial' });
    await engine.waitContainer(a);
    const lines = await collect(engine.logs([a], {}));
    // The engine reads stdout and stderr apart: their relative order is that of arrival.
    const texts = (stream: string): string[] => lines.filter((l) => l.stream === stream).map((l) => l.text);
    expect(texts('stdout')).toEqual(['one', 'two', 'partial']);
    expect(texts('stderr')).toEqual(['err']);
    expect(lines[0]).toMatchObject({ container: `${project}-loga-1`, service: 'loga', number: 1 });
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect((await collect(engine.logs([a], { tail: 1 }))).map((l) => l.text)).toEqual(['partial']);

    const b = await make({ service: 'logb', cmd: 'echo first; sleep 1.2; echo second' });
    await engine.waitContainer(b);
    const bLines = await collect(engine.logs([b], {}));
    expect(bLines.map((l) => l.text)).toEqual(['first', 'second']);
    const later = await collect(engine.logs([b], { since: bLines[1]!.time }));
    expect(later.map((l) => l.text)).toEqual(['second']);
    const earlier = await collect(
      engine.logs([b], { until: new Date(Date.parse(bLines[1]!.time) - 500).toISOString() }),
    );
    expect(earlier.map((l) => l.text)).toEqual(['first']);

    const both = await collect(engine.logs([b, a], {}));
    // By time across containers: all of `a` ran before `b`, whatever order they were asked in.
    expect(both.map((l) => `${l.service}:${l.text}`)).toEqual([
      ...lines.map((l) => `loga:${l.text}`),
      'logb:first',
      'logb:second',
    ]);
    await engine.removeContainer(a);
    await engine.removeContainer(b);
  });

  it('follows logs until the container stops, and stops cleanly when the consumer breaks', async () => {
    const id = await make({
      service: 'follow',
      cmd: 'i=0; while [ $i -lt 3 ]; do echo tick $i; i=$((i+1)); sleep 0.3; done',
    });
    const lines = await collect(engine.logs([id], { follow: true }));
    expect(lines.map((l) => l.text)).toEqual(['tick 0', 'tick 1', 'tick 2']);

    const forever = await make({ service: 'forever', cmd: 'while :; do echo beat; sleep 0.2; done' });
    const other = await make({ service: 'quiet', cmd: 'sleep 100' });
    const first = await collect(engine.logs([forever, other], { follow: true }), 2);
    expect(first.map((l) => l.text)).toEqual(['beat', 'beat']);

    // A consumer may stop while a read is still waiting on a quiet container, and on a quiet event stream.
    const waiting = engine.logs([other], { follow: true })[Symbol.asyncIterator]();
    const pending = waiting.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await waiting.return?.();
    expect((await pending).done).toBe(true);
    const events = engine.events({ project: `${project}-quiet` })[Symbol.asyncIterator]();
    const nextEvent = events.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await events.return?.();
    expect((await nextEvent).done).toBe(true);
    for (const c of [id, forever, other]) await engine.removeContainer(c, { force: true });
  });

  it('reads the logs of a TTY container', async () => {
    const id = await make({ service: 'tty', tty: true, cmd: 'echo hello; echo world >&2' });
    await engine.waitContainer(id);
    const lines = await collect(engine.logs([id], {}));
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'hello'],
      ['stdout', 'world'],
    ]);
    await engine.removeContainer(id);
  });

  it('runs exec with environment, user, working dir and exit code; attached with stdin; and top', async () => {
    const id = await make({ service: 'shell', cmd: 'while :; do sleep 1; done' });
    expect((await engine.exec(id, { command: ['sh', '-c', 'exit 5'] })).exitCode).toBe(5);
    expect((await engine.exec(id, { command: ['sh', '-c', 'sleep 5'], detach: true })).exitCode).toBe(0);

    const out = sink();
    const err = sink();
    const result = await engine.execAttached(
      id,
      {
        command: ['sh', '-c', 'echo "$GREETING"; id -u; pwd; echo oops >&2; exit 2'],
        environment: { GREETING: 'hi there' },
        user: '1234',
        workingDir: '/tmp',
      },
      { stdout: out.stream, stderr: err.stream },
    );
    expect(result.exitCode).toBe(2);
    expect(out.text()).toBe('hi there\n1234\n/tmp\n');
    expect(err.text()).toBe('oops\n');

    const stdin = new PassThrough();
    const echoed = sink();
    const running = engine.execAttached(
      id,
      { command: ['cat'] },
      { stdin, stdout: echoed.stream, stderr: sink().stream },
    );
    stdin.write('line one\n');
    stdin.end('line two\n');
    expect((await running).exitCode).toBe(0);
    expect(echoed.text()).toBe('line one\nline two\n');

    const tty = sink();
    expect(
      (
        await engine.execAttached(
          id,
          { command: ['sh', '-c', 'echo tty; exit 1'], tty: true },
          { stdout: tty.stream, stderr: sink().stream },
        )
      ).exitCode,
    ).toBe(1);
    expect(tty.text()).toBe('tty\r\n');

    await expect(engine.prepareExec(id)).rejects.toThrow(ComposeError);

    const top = await engine.top(id);
    expect(top.titles).toContain('PID');
    expect(top.processes.some((row) => row.join(' ').includes('sleep'))).toBe(true);

    await engine.stopContainer(id, 0);
    await expect(engine.exec(id, { command: ['true'] })).rejects.toThrow(/is not running/);
    await engine.removeContainer(id);
  });

  it('streams the project’s events: create, start, die with the exit code', async () => {
    const events = engine.events({ project })[Symbol.asyncIterator]();
    const id = await make({ service: 'evented', cmd: 'exit 6' });
    const seen: EngineEvent[] = [];
    while (!seen.some((e) => e.action === 'die')) {
      const next = await events.next();
      if (next.done === true) break;
      seen.push(next.value);
    }
    await events.return?.();
    expect(seen.map((e) => e.action)).toEqual(expect.arrayContaining(['create', 'start', 'die']));
    const die = seen.find((e) => e.action === 'die')!;
    expect(die).toMatchObject({ type: 'container', id, name: `${project}-evented-1` });
    expect(die.attributes).toMatchObject({ exitCode: '6', image: TEST_IMAGE, [Labels.service]: 'evented' });
    expect(die.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    await engine.removeContainer(id);
  });

  it('creates, finds and removes networks and volumes; one in use is a ResourceInUseError', async () => {
    const netName = `${project}_back`;
    const labels = { [Labels.project]: project, [Labels.network]: 'back' };
    const network = await engine.createNetwork({
      name: netName,
      key: 'back',
      project,
      labels,
      definition: {
        name: netName,
        driver: 'bridge',
        driver_opts: { 'com.docker.network.bridge.enable_icc': 'true' },
        internal: true,
        attachable: true,
        ipam: {
          config: [
            {
              subnet: '10.213.0.0/16',
              ip_range: '10.213.5.0/24',
              gateway: '10.213.0.1',
              aux_addresses: { router: '10.213.0.2' },
            },
          ],
        },
        labels: {},
      },
    });
    expect(network).toMatchObject({ name: netName, labels });
    const raw = await docker.getNetwork(netName).inspect();
    expect(raw).toMatchObject({ Internal: true, Attachable: true, Driver: 'bridge' });
    expect(raw.IPAM?.Config?.[0]).toMatchObject({
      Subnet: '10.213.0.0/16',
      IPRange: '10.213.5.0/24',
      Gateway: '10.213.0.1',
    });
    expect(raw.Options?.['com.docker.network.bridge.enable_icc']).toBe('true');
    // Creating again returns the existing one.
    expect(
      (
        await engine.createNetwork({
          name: netName,
          key: 'back',
          project,
          labels,
          definition: { name: netName },
        })
      ).id,
    ).toBe(network.id);
    expect(await engine.inspectNetwork(netName)).toEqual(network);
    expect(await engine.inspectNetwork(`${project}_missing`)).toBeUndefined();
    expect(await engine.listNetworks(project)).toEqual([network]);

    const volName = `${project}_data`;
    const volLabels = { [Labels.project]: project, [Labels.volume]: 'data' };
    const volume = await engine.createVolume({
      name: volName,
      key: 'data',
      project,
      labels: volLabels,
      definition: { name: volName, driver_opts: { type: 'tmpfs', device: 'tmpfs' } },
    });
    expect(volume).toMatchObject({ name: volName, labels: volLabels });
    expect(volume.mountpoint).toContain(volName);
    expect(await engine.inspectVolume(volName)).toEqual(volume);
    expect(await engine.inspectVolume(`${project}_missing`)).toBeUndefined();
    expect(await engine.listVolumes(project)).toEqual([volume]);

    const user = await make({
      service: 'user',
      cmd: 'sleep 100',
      extra: { HostConfig: { NetworkMode: netName, Binds: [`${volName}:/data`] } },
    });
    const netError = await engine.removeNetwork(netName).catch((e: unknown) => e);
    expect(netError).toBeInstanceOf(ResourceInUseError);
    expect((netError as Error).message).toContain(
      `network ${netName} is in use by container ${project}-user-1`,
    );
    const volError = await engine.removeVolume(volName).catch((e: unknown) => e);
    expect(volError).toBeInstanceOf(ResourceInUseError);
    expect((volError as Error).message).toContain(
      `volume ${volName} is in use by container ${project}-user-1`,
    );

    await engine.removeContainer(user, { force: true });
    await engine.removeNetwork(netName);
    await engine.removeVolume(volName);
    // Missing ones are fine.
    await engine.removeNetwork(netName);
    await engine.removeVolume(volName);
    expect(await engine.listNetworks(project)).toEqual([]);
    expect(await engine.listVolumes(project)).toEqual([]);
  });
});
