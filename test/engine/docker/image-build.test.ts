/**
 * Builds through the Engine API's classic builder from real contexts: .dockerignore (and the
 * Dockerfile-specific one), args, multi-stage target, dockerfile_inline, a custom dockerfile path,
 * labels, tags, extra_hosts, a failing step, --build / --no-build, and builds that start FROM another
 * service's image. Every image is inspected or read back through the API.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { extract, pack } from 'tar-stream';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { packBuildContext } from '../../../src/engine/docker/build-context.js';
import { buildQuery, buildWarnings, dockerfileBaseImages } from '../../../src/engine/docker/image-build.js';
import { inspectLocalImage } from '../../../src/engine/docker/images.js';
import type { ImageProgress, ImagesRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import type { BuildConfig, Service } from '../../../src/project/types.js';
import { describeDocker, TEST_IMAGE } from '../../support/docker.js';
import { failure as failureOf, prepare as prepareWith } from './prepare-images.js';

const docker = new Dockerode();
const run = `berthtest-${Math.random().toString(36).slice(2, 8)}`;
/** Every Dockerfile here labels its first step with this, so intermediate images can be found and removed. */
const RUN_LABEL = `berthtest.run=${run}`;
const HEAD = `FROM ${TEST_IMAGE} AS base\nLABEL berthtest.run=${run}\n`;

let root: string;

async function write(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'ctx-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

function request(services: Record<string, Service>, extra: Partial<ImagesRequest> = {}): ImagesRequest {
  return { project: { name: run, workingDir: root }, services, build: 'missing', ...extra };
}

const prepare = (req: ImagesRequest): Promise<ImageProgress[]> => prepareWith(docker, req);
const failure = (req: ImagesRequest): Promise<{ error: ComposeError; events: ImageProgress[] }> =>
  failureOf(docker, req);

/** Files (path -> content) under `folder` in a container made from `image` (never started). */
async function filesIn(image: string, folder: string): Promise<Map<string, string>> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { 'berthtest.run': run },
  });
  try {
    const stream = await container.getArchive({ path: folder });
    const files = new Map<string, string>();
    const reader = extract();
    reader.on('entry', (header, content, next) => {
      const chunks: Buffer[] = [];
      content.on('data', (chunk: Buffer) => chunks.push(chunk));
      content.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      reader.on('finish', resolve);
      reader.on('error', reject);
      stream.pipe(reader);
    });
    return files;
  } finally {
    await container.remove({ force: true });
  }
}

const image = (name: string): string => `${run}-${name}`;

describeDocker('building images through the Engine API', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), `${run}-`));
  });

  afterAll(async () => {
    // Tagged images first, then the untagged intermediate ones (children before parents).
    const tagged = await docker.listImages({ filters: { reference: [`${run}-*`] } });
    for (const info of tagged) {
      for (const tag of info.RepoTags ?? [])
        await docker
          .getImage(tag)
          .remove({ force: true })
          .catch(() => undefined);
    }
    for (let pass = 0; pass < 10; pass += 1) {
      const left = await docker.listImages({ all: true, filters: { label: [RUN_LABEL] } });
      if (left.length === 0) break;
      for (const info of left.sort((a, b) => b.Created - a.Created)) {
        await docker
          .getImage(info.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('sends the context without what .dockerignore excludes, with args, target, labels and tags', async () => {
    const context = await write({
      Dockerfile: `${HEAD}ARG GREETING=unset\nCOPY . /ctx/\nRUN echo "$GREETING" > /out/greeting || (mkdir /out && echo "$GREETING" > /out/greeting)\nFROM base AS first\nRUN echo first > /out/stage\nFROM base AS last\nRUN echo last > /out/stage\n`,
      '.dockerignore': 'secret.txt\nlogs\ncache/*\n!cache/keep.txt\nDockerfile\n',
      'app.txt': 'app',
      'secret.txt': 'secret',
      'logs/today.log': 'log',
      'cache/drop.txt': 'drop',
      'cache/keep.txt': 'keep',
      'src/main.txt': 'main',
    });
    const build: BuildConfig = {
      context,
      dockerfile: 'Dockerfile',
      args: { GREETING: 'hello', UNSET: null },
      target: 'first',
      labels: { 'com.example.team': 'berth' },
      tags: [`${image('web')}:v1`],
    };
    const events = await prepare(request({ web: { build } }));
    const lines = events.map((e) =>
      e.type === 'image' ? `${e.resource}|${e.status}|${e.message}` : e.message,
    );
    expect(lines[0]).toBe('Service web|working|Building');
    expect(lines.some((line) => line.startsWith('Service web|working|Step '))).toBe(true);
    expect(lines.at(-1)).toBe('Service web|done|Built');

    const files = await filesIn(image('web'), '/ctx');
    // The Dockerfile is sent (the builder needs it) but, being excluded, the engine drops it from the context.
    expect([...files.keys()].sort()).toEqual(
      ['ctx/.dockerignore', 'ctx/app.txt', 'ctx/cache/keep.txt', 'ctx/src/main.txt'].sort(),
    );
    const out = await filesIn(image('web'), '/out');
    expect(out.get('out/greeting')).toBe('hello\n');
    expect(out.get('out/stage')).toBe('first\n');

    const inspected = await docker.getImage(`${image('web')}:v1`).inspect();
    expect(inspected.Config.Labels).toMatchObject({ 'com.example.team': 'berth' });
    expect(inspected.Id).toBe((await docker.getImage(image('web')).inspect()).Id);
  });

  it('builds dockerfile_inline, and a custom dockerfile path with its own .dockerignore', async () => {
    const context = await write({
      'docker/app.Dockerfile': `${HEAD}COPY . /ctx/\n`,
      'docker/app.Dockerfile.dockerignore': 'private\n',
      '.dockerignore': 'public.txt\n',
      'public.txt': 'public',
      'private/key': 'key',
    });
    await prepare(request({ custom: { build: { context, dockerfile: 'docker/app.Dockerfile' } } }));
    const files = [...(await filesIn(image('custom'), '/ctx')).keys()];
    expect(files).toContain('ctx/public.txt');
    expect(files).not.toContain('ctx/private/key');
    expect(files).toContain('ctx/docker/app.Dockerfile');

    const inline = await write({ 'data.txt': 'inline data' });
    await prepare(
      request({
        inline: {
          image: `${image('inline')}:1`,
          build: { context: inline, dockerfile_inline: `${HEAD}COPY data.txt /out/\n` },
        },
      }),
    );
    expect((await filesIn(`${image('inline')}:1`, '/out')).get('out/data.txt')).toBe('inline data');
  });

  it('passes extra_hosts and network to the build steps', async () => {
    const context = await write({ Dockerfile: `${HEAD}RUN grep -q "10.1.2.3.*berth-host" /etc/hosts\n` });
    const events = await prepare(
      request({
        hosts: { build: { context, extra_hosts: { 'berth-host': ['10.1.2.3'] }, network: 'none' } },
      }),
    );
    expect(events.at(-1)).toMatchObject({ status: 'done', message: 'Built' });
  });

  it('reports a failing step with the builder message, naming the service', async () => {
    const context = await write({ Dockerfile: `${HEAD}RUN echo about to fail && exit 3\n` });
    const { error, events } = await failure(request({ broken: { build: { context } } }));
    expect(error.message).toMatch(
      /^services\.broken\.build: service "broken": building image "berthtest-\w+-broken" failed at "Step 3\/3 : RUN echo about to fail && exit 3": The command .* returned a non-zero code: 3/,
    );
    expect(error.hint).toMatch(/fix the Dockerfile/);
    expect(events.some((e) => e.type === 'image' && e.message === 'about to fail')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'image', status: 'error' });
    expect(await inspectLocalImage(docker, image('broken'))).toBeUndefined();
  });

  it('reports a Dockerfile that cannot be read or parsed', async () => {
    const context = await write({ 'other.txt': 'x' });
    const missing = await failure(request({ nofile: { build: { context, dockerfile: 'Nope' } } }));
    expect(missing.error.message).toContain('service "nofile": cannot read the Dockerfile');
    const parse = await failure(
      request({ bad: { build: { context, dockerfile_inline: `${HEAD}NOTANINSTRUCTION x\n` } } }),
    );
    expect(parse.error.message).toMatch(
      /service "bad": building image .* failed: .*(unknown instruction|NOTANINSTRUCTION)/i,
    );
  });

  it('builds only what is missing unless --build; --no-build refuses a missing image', async () => {
    const context = await write({ Dockerfile: `${HEAD}RUN echo once\n` });
    const service: Service = { build: { context } };
    const refused = await failure(request({ lazy: service }, { build: 'never' }));
    expect(refused.error.message).toContain(`service "lazy": image "${image('lazy')}" is missing`);
    expect(refused.error.hint).toBe('run with --build, or without --no-build');

    expect((await prepare(request({ lazy: service }))).at(-1)).toMatchObject({ message: 'Built' });
    expect(await prepare(request({ lazy: service }))).toEqual([]);
    expect(await prepare(request({ lazy: service }, { build: 'never' }))).toEqual([]);
    expect((await prepare(request({ lazy: service }, { build: 'always' }))).at(-1)).toMatchObject({
      message: 'Built',
    });
    const policy = await prepare(request({ lazy: { ...service, pull_policy: 'build' } }));
    expect(policy.at(-1)).toMatchObject({ message: 'Built' });
  });

  it('builds an image FROM another service’s image after that one, and warns about what it cannot honour', async () => {
    const baseContext = await write({ Dockerfile: `${HEAD}RUN echo base > /base.txt\n` });
    const appContext = await write({
      Dockerfile: `ARG BASE=unset\nFROM \${BASE}\nRUN cat /base.txt > /app.txt\n`,
    });
    const events = await prepare(
      request({
        app: { build: { context: appContext, args: { BASE: image('base') }, ssh: ['default'] } },
        base: { build: { context: baseContext } },
      }),
    );
    const order = events.flatMap((e) => (e.type === 'image' && e.status === 'done' ? [e.resource] : []));
    expect(order).toEqual(['Service base', 'Service app']);
    expect(events).toContainEqual({
      type: 'warning',
      message: expect.stringMatching(/^service "app": build\.ssh is ignored/),
    });
    expect(await inspectLocalImage(docker, image('app'))).toBeDefined();
  });

  it('lets the engine fetch a remote (URL) context itself', async () => {
    const tar = pack();
    const chunks: Buffer[] = [];
    tar.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => tar.on('end', resolve));
    tar.entry({ name: 'Dockerfile' }, `${HEAD}RUN echo remote > /remote.txt\n`);
    tar.finalize();
    await ended;
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/x-tar' });
      response.end(Buffer.concat(chunks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/context.tar`;
      const events = await prepare(request({ remote: { build: { context: url } } }));
      expect(events.at(-1)).toMatchObject({ resource: 'Service remote', message: 'Built' });
      expect(await inspectLocalImage(docker, image('remote'))).toBeDefined();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('builds an image it cannot pull, with a warning', async () => {
    const context = await write({ Dockerfile: `${HEAD}RUN echo built\n` });
    const name = `127.0.0.1:9/${run}/unpullable:1`;
    const events = await prepare(request({ both: { image: name, build: { context } } }));
    expect(events).toContainEqual({
      type: 'warning',
      message: expect.stringMatching(/cannot pull image .* it will be built instead/),
    });
    expect(events.at(-1)).toMatchObject({ resource: 'Service both', message: 'Built' });
    await docker.getImage(name).remove();
  });
});

describeDocker('build settings', () => {
  it('maps the build section to the classic builder’s query', () => {
    const build: BuildConfig = {
      context: '/x',
      args: { A: '1', B: null },
      labels: { l: 'v' },
      target: 't',
      network: 'host',
      extra_hosts: { h: ['1.2.3.4', '::1'] },
      shm_size: 67108864,
      no_cache: true,
      pull: true,
      cache_from: ['a:1'],
      ulimits: { nofile: { soft: 10, hard: 20 }, nproc: 5 },
      platforms: ['linux/amd64'],
      tags: ['img:2', 'img'],
    };
    expect(buildQuery({ serviceName: 's', build, image: 'img' })).toEqual({
      t: ['img', 'img:2'],
      rm: true,
      forcerm: true,
      buildargs: '{"A":"1"}',
      labels: '{"l":"v"}',
      target: 't',
      networkmode: 'host',
      extrahosts: ['h:1.2.3.4', 'h:::1'],
      shmsize: 67108864,
      nocache: true,
      pull: true,
      cachefrom: '["a:1"]',
      ulimits: '[{"Name":"nofile","Soft":10,"Hard":20},{"Name":"nproc","Soft":5,"Hard":5}]',
      platform: 'linux/amd64',
    });
    expect(
      buildWarnings('s', {
        context: '/x',
        secrets: [{ source: 'k' }],
        additional_contexts: { a: '/y' },
        cache_to: ['type=local'],
        platforms: ['linux/amd64', 'linux/arm64'],
        privileged: true,
      }).map((w) => w.replace(/ is ignored.*/, '')),
    ).toEqual([
      'service "s": build.secrets',
      'service "s": build.additional_contexts',
      'service "s": build.cache_to',
      'service "s": build.platforms',
      'service "s": build.privileged',
    ]);
  });

  it('finds the images a Dockerfile starts FROM', () => {
    const text =
      'ARG V=1\nFROM --platform=linux/amd64 base:${V} AS one\nFROM one\nFROM \\\n  other AS two\nFROM scratch\n';
    expect(dockerfileBaseImages(text, {})).toEqual(['base:1', 'other']);
    expect(dockerfileBaseImages(text, { V: '2' })).toEqual(['base:2', 'other']);
  });

  it('always sends the Dockerfile, even when .dockerignore excludes everything', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `${run}-pack-`));
    try {
      await mkdir(path.join(dir, 'build'));
      await writeFile(path.join(dir, 'build', 'Dockerfile'), 'FROM x\n');
      await writeFile(path.join(dir, '.dockerignore'), '*\n**\n');
      await writeFile(path.join(dir, 'a.txt'), 'a');
      const packed = await packBuildContext({
        serviceName: 's',
        context: dir,
        dockerfile: 'build/Dockerfile',
      });
      const names: string[] = [];
      const reader = extract();
      reader.on('entry', (header, content, next) => {
        names.push(header.name);
        content.resume();
        content.on('end', () => next());
      });
      await new Promise<void>((resolve, reject) => {
        reader.on('finish', resolve);
        reader.on('error', reject);
        packed.stream.pipe(reader);
      });
      expect(packed.dockerfile).toBe('build/Dockerfile');
      expect(names.sort()).toEqual(['.dockerignore', 'build/Dockerfile']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
