/**
 * createContainer through the Docker engine from a loaded Compose project, against the real dockerd:
 * the request the reconciler builds (containerCreateRequest) becomes a labelled container on the
 * project's network and volume, with its secret and config files copied in, health, ports and a stop
 * that honours its grace period; a recreate takes over the anonymous volumes; name conflicts and missing
 * images are ComposeErrors with hints.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { DockerEngine, openDockerEngine } from '../../../src/engine/docker/engine.js';
import { Labels } from '../../../src/engine/labels.js';
import type { ContainerCreateRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import { loadProject } from '../../../src/project/load.js';
import type { Project } from '../../../src/project/types.js';
import {
  containerCreateRequest,
  networkCreateRequest,
  volumeCreateRequest,
} from '../../../src/reconcile/create-request.js';
import { describeDocker, TEST_IMAGE } from '../../support/docker.js';
import { sink } from '../../support/sink.js';

const docker = new Dockerode();
const name = `berthtest-${randomBytes(4).toString('hex')}`;
let dir: string;
let engine: DockerEngine;
let project: Project;
/** Anonymous volumes a recreate hands over: mounted by name then, so `rm -v` leaves them, as in Docker. */
const inherited: string[] = [];

const COMPOSE = `
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    stop_grace_period: 2s
    environment:
      GREETING: hello
    ports:
      - "127.0.0.1::8080"
    expose: ["9000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 300ms
    networks: [back]
    volumes:
      - data:/data
      - /cache
    secrets:
      - source: token
        mode: 0400
    configs:
      - source: settings
        target: /etc/app/settings.conf
        uid: "1000"
        gid: "1001"
        mode: 0640
  missing:
    image: berthtest/no-such-image:never
networks:
  back: {}
volumes:
  data: {}
secrets:
  token:
    environment: BERTH_TEST_TOKEN
configs:
  settings:
    content: "level=debug"
`;

async function run(id: string, script: string): Promise<string> {
  const out = sink();
  const result = await engine.execAttached(
    id,
    { command: ['sh', '-c', script] },
    { stdout: out.stream, stderr: out.stream },
  );
  expect(result.exitCode).toBe(0);
  return out.text();
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeDocker('DockerEngine.createContainer', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-docker-create-'));
    await writeFile(path.join(dir, 'compose.yaml'), COMPOSE);
    ({ project } = await loadProject({ cwd: dir, projectName: name, env: { PATH: process.env.PATH ?? '' } }));
    engine = await openDockerEngine({ ...process.env, BERTH_TEST_TOKEN: 's3cret' });
  });

  afterAll(async () => {
    await engine?.close();
    const filters = { label: [`${Labels.project}=${name}`] };
    const quietly = (removal: Promise<unknown>): Promise<unknown> => removal.catch(() => undefined);
    for (const c of await docker.listContainers({ all: true, filters })) {
      await quietly(docker.getContainer(c.Id).remove({ force: true, v: true }));
    }
    for (const n of await docker.listNetworks({ filters })) await quietly(docker.getNetwork(n.Id).remove());
    const { Volumes } = await docker.listVolumes({ filters });
    for (const v of [...(Volumes ?? []).map((v) => v.Name), ...inherited]) {
      await quietly(docker.getVolume(v).remove());
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates, starts and stops a replica as the reconciler asks', async () => {
    await engine.createNetwork(networkCreateRequest(project, 'back'));
    await engine.createVolume(volumeCreateRequest(project, 'data'));
    const request = containerCreateRequest(project, 'web', 1);
    const created = await engine.createContainer(request);
    expect(created).toMatchObject({
      name: `${name}-web-1`,
      project: name,
      service: 'web',
      number: 1,
      oneoff: false,
      configHash: request.labels[Labels.configHash],
      image: TEST_IMAGE,
      status: 'created',
    });
    expect(created.warnings).toEqual(expect.any(Array));
    expect(created.labels[Labels.workingDir]).toBe(dir);

    await engine.startContainer(created.id);
    await until(async () => (await engine.inspectContainer(created.id)).health === 'healthy', 'healthy');
    const [listed] = await engine.listContainers({ project: name, services: ['web'] });
    expect(listed).toMatchObject({ id: created.id, status: 'running', health: 'healthy' });
    const published = listed!.publishers.find((p) => p.TargetPort === 8080);
    expect(published).toMatchObject({ URL: '127.0.0.1', Protocol: 'tcp' });
    expect(published!.PublishedPort).toBeGreaterThan(0);
    expect(listed!.publishers).toContainEqual({
      URL: '',
      TargetPort: 9000,
      PublishedPort: 0,
      Protocol: 'tcp',
    });

    // Secret and config copied in with their mode and owner; parent folders made.
    expect(await run(created.id, 'cat /run/secrets/token; echo; stat -c "%a %u %g" /run/secrets/token')).toBe(
      's3cret\n400 0 0\n',
    );
    expect(
      await run(created.id, 'cat /etc/app/settings.conf; echo; stat -c "%a %u %g" /etc/app/settings.conf'),
    ).toBe('level=debug\n640 1000 1001\n');
    expect(await run(created.id, 'echo "$GREETING"; stat -c %a /etc')).toBe('hello\n755\n');

    // The project's network and volume are in use: down would warn and carry on.
    await expect(engine.removeNetwork(`${name}_back`)).rejects.toThrow(/in use/);

    await engine.stopContainer(created.id);
    expect(await engine.inspectContainer(created.id)).toMatchObject({ status: 'exited', exitCode: 0 });
  });

  it('takes over the anonymous volumes on recreate', async () => {
    const [old] = await engine.listContainers({ project: name, services: ['web'] });
    await engine.startContainer(old!.id);
    await run(old!.id, 'echo kept > /cache/file; echo named > /data/file');
    await engine.stopContainer(old!.id, 0);
    const mounts = (await docker.getContainer(old!.id).inspect()).Mounts;
    inherited.push(...mounts.filter((m) => m.Destination === '/cache').map((m) => m.Name ?? ''));
    await engine.renameContainer(old!.id, `${old!.id.slice(0, 12)}_${old!.name}`);
    const request: ContainerCreateRequest = {
      ...containerCreateRequest(project, 'web', 1),
      inheritVolumesFrom: old!.id,
    };
    const replacement = await engine.createContainer(request);
    await engine.removeContainer(old!.id);
    await engine.startContainer(replacement.id);
    expect(await run(replacement.id, 'cat /cache/file /data/file')).toBe('kept\nnamed\n');
    await engine.removeContainer(replacement.id, { force: true, volumes: true });
  });

  it('says when the name is taken or the image is missing', async () => {
    const request = containerCreateRequest(project, 'web', 1);
    const first = await engine.createContainer(request);
    const taken = await engine.createContainer(request).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ComposeError);
    expect((taken as ComposeError).message).toContain(`container name "${name}-web-1" is already in use`);
    expect((taken as ComposeError).hint).toBeDefined();
    await engine.removeContainer(first.id, { force: true, volumes: true });

    const missing = await engine
      .createContainer(containerCreateRequest(project, 'missing', 1))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ComposeError);
    expect((missing as ComposeError).message).toContain(
      'service "missing": image berthtest/no-such-image:never is not present',
    );
    expect(await engine.listContainers({ project: name, services: ['missing'] })).toEqual([]);
  });
});
