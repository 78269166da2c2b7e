/**
 * Pulls by pull_policy through the Engine API, from a tiny registry on 127.0.0.1 serving the local test
 * image: progress, once per shared image, the policies, credentials from the docker config file, and
 * clear errors for a missing tag and an unreachable registry.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

import { inspectLocalImage, pullPolicy, removeImage } from '../../../src/engine/docker/images.js';
import { humanSize, layerProgress, pullQuery } from '../../../src/engine/docker/image-pull.js';
import { normalizedImage } from '../../../src/engine/docker/image-reference.js';
import type { ImageProgress, ImagesRequest } from '../../../src/engine/types.js';
import { ComposeError } from '../../../src/project/errors.js';
import type { Service } from '../../../src/project/types.js';
import { describeDocker, TEST_IMAGE } from '../../support/docker.js';
import { startTinyRegistry, type TinyRegistry } from '../../support/tiny-registry.js';
import { failure as failureOf, prepare as prepareWith } from './prepare-images.js';

const docker = new Dockerode();
const run = `berthtest-${Math.random().toString(36).slice(2, 8)}`;
const repository = `berthtest/busybox-${run}`;

function request(services: Record<string, Service>, extra: Partial<ImagesRequest> = {}): ImagesRequest {
  return { project: { name: run, workingDir: os.tmpdir() }, services, build: 'missing', ...extra };
}

const prepare = (req: ImagesRequest): Promise<ImageProgress[]> => prepareWith(docker, req);
const failure = (req: ImagesRequest): Promise<{ error: ComposeError; events: ImageProgress[] }> =>
  failureOf(docker, req);

const messages = (events: ImageProgress[]): string[] =>
  events.map((e) =>
    e.type === 'warning' ? `warning ${e.message}` : `${e.resource} ${e.status} ${e.message}`,
  );

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeDocker('pulling images by pull_policy', () => {
  let registry: TinyRegistry;
  const pulled = new Set<string>();
  const pull = (tag: string): string => {
    const ref = registry.reference(tag);
    pulled.add(ref);
    return ref;
  };

  beforeAll(async () => {
    registry = await startTinyRegistry(docker, { image: TEST_IMAGE, repository, tags: ['x', 'y'] });
  });

  afterEach(async () => {
    for (const ref of pulled)
      await docker
        .getImage(ref)
        .remove()
        .catch(() => undefined);
    pulled.clear();
    registry.requests.length = 0;
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('pulls a missing image with progress, and not again once present (missing)', async () => {
    const image = pull('x');
    const events = await prepare(request({ web: { image } }));
    const lines = messages(events);
    expect(lines[0]).toBe(`Image ${image} working Pulling`);
    expect(lines.at(-1)).toBe(`Image ${image} done Pulled`);
    expect(lines.some((line) => /working [0-9a-f]{12}: /.test(line))).toBe(true);
    expect(await inspectLocalImage(docker, image)).toBeDefined();
    expect(registry.requests.some((r) => r.endsWith(`/v2/${repository}/manifests/x`))).toBe(true);

    registry.requests.length = 0;
    expect(await prepare(request({ web: { image } }))).toEqual([]);
    expect(registry.requests).toEqual([]);
  });

  it('pulls an image that services share once, quietly without layer lines', async () => {
    const image = pull('x');
    const events = await prepare(request({ a: { image }, b: { image }, c: { image } }, { quiet: true }));
    expect(messages(events)).toEqual([`Image ${image} working Pulling`, `Image ${image} done Pulled`]);
    // One pull: the engine resolves the tag once (a HEAD, sometimes followed by a GET).
    const resolved = registry.requests.filter((r) => r.includes('/manifests/'));
    expect(resolved.length).toBeGreaterThanOrEqual(1);
    expect(resolved.filter((r) => r.startsWith('HEAD')).length).toBeLessThanOrEqual(1);
    expect(resolved.filter((r) => r.startsWith('GET')).length).toBeLessThanOrEqual(1);
  });

  it('pulls a present image again with always (and with --pull always)', async () => {
    const image = pull('x');
    await prepare(request({ web: { image } }));
    registry.requests.length = 0;
    const events = await prepare(request({ web: { image, pull_policy: 'always' } }, { quiet: true }));
    expect(messages(events)).toEqual([`Image ${image} working Pulling`, `Image ${image} done Pulled`]);
    expect(registry.requests.some((r) => r.includes('/manifests/'))).toBe(true);

    registry.requests.length = 0;
    await prepare(request({ web: { image } }, { pull: 'always', quiet: true }));
    expect(registry.requests.some((r) => r.includes('/manifests/'))).toBe(true);
  });

  it('never pulls with never: a missing image is an error naming service and image', async () => {
    const image = pull('x');
    const { error } = await failure(request({ web: { image, pull_policy: 'never' } }));
    expect(error.message).toContain('service "web"');
    expect(error.message).toContain(`image "${image}" is not present locally`);
    expect(error.hint).toMatch(/pull/);
    expect(registry.requests).toEqual([]);

    await prepare(request({ web: { image } }));
    registry.requests.length = 0;
    expect(await prepare(request({ web: { image, pull_policy: 'never' } }))).toEqual([]);
    expect(registry.requests).toEqual([]);
  });

  it('pulls with daily when missing, not when recent; every_<d> once the image is older than d', async () => {
    const image = pull('y');
    const first = await prepare(request({ web: { image, pull_policy: 'daily' } }, { quiet: true }));
    expect(messages(first).at(-1)).toBe(`Image ${image} done Pulled`);
    registry.requests.length = 0;
    expect(await prepare(request({ web: { image, pull_policy: 'daily' } }))).toEqual([]);
    expect(await prepare(request({ web: { image, pull_policy: 'weekly' } }))).toEqual([]);
    expect(registry.requests).toEqual([]);

    // The age is measured from the image's LastTagTime (its creation when never tagged here).
    const local = await inspectLocalImage(docker, image);
    const age = Date.now() - local!.taggedAt.getTime();
    const stale = await prepare(
      request(
        { web: { image, pull_policy: `every_${Math.max(1, Math.floor(age / 2))}ms` } },
        { quiet: true },
      ),
    );
    expect(messages(stale).at(-1)).toBe(`Image ${image} done Pulled`);
  });

  it('says clearly when the tag does not exist', async () => {
    const image = pull('nope');
    const { error, events } = await failure(request({ web: { image } }));
    expect(error.message).toMatch(
      /^service "web": cannot pull image ".*:nope": .*(manifest unknown|not found)/,
    );
    expect(error.hint).toMatch(/check the image name and tag/);
    expect(error.stack).toBeDefined();
    expect(messages(events).at(-1)).toMatch(new RegExp(`^Image ${image.replace(/[.]/g, '\\.')} error `));
  });

  it('says clearly when the registry cannot be reached', async () => {
    const image = `127.0.0.1:${await freePort()}/${repository}:x`;
    const { error } = await failure(request({ web: { image }, api: { image } }));
    expect(error.message).toContain(`services "web", "api": cannot pull image "${image}"`);
    expect(error.message).toMatch(/connection refused/);
    expect(error.hint).toMatch(/cannot be reached/);
  });

  it('sends the credentials from the docker config file', async () => {
    const secured = await startTinyRegistry(docker, {
      image: TEST_IMAGE,
      repository,
      tags: ['x'],
      credentials: { username: 'berth', password: 's3cret' },
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), `${run}-config-`));
    const saved = process.env.DOCKER_CONFIG;
    const image = secured.reference('x');
    pulled.add(image);
    try {
      process.env.DOCKER_CONFIG = dir;
      const denied = await failure(request({ web: { image } }));
      expect(denied.error.message).toMatch(/cannot pull image/);
      const auth = Buffer.from('berth:s3cret').toString('base64');
      await writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({ auths: { [`http://${secured.host}`]: { auth } } }),
      );
      const events = await prepare(request({ web: { image } }, { quiet: true }));
      expect(messages(events).at(-1)).toBe(`Image ${image} done Pulled`);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
      await secured.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes an image by name: true when it was there, false when not', async () => {
    const image = pull('x');
    await prepare(request({ web: { image } }, { quiet: true }));
    expect(await removeImage(docker, image)).toBe(true);
    expect(await inspectLocalImage(docker, image)).toBeUndefined();
    expect(await removeImage(docker, image)).toBe(false);
  });

  it('refuses to remove an image a container uses, naming the container', async () => {
    const image = pull('x');
    await prepare(request({ web: { image } }, { quiet: true }));
    const container = await docker.createContainer({ name: `${run}-user`, Image: image, Cmd: ['true'] });
    try {
      const refused = await removeImage(docker, image).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ComposeError);
      expect((refused as ComposeError).message).toBe(
        `cannot remove image "${image}": container ${run}-user uses it (remove the containers that use it first (berth down, or docker rm))`,
      );
      expect(await inspectLocalImage(docker, image)).toBeDefined();
    } finally {
      await container.remove({ force: true });
    }
  });
});

describeDocker('pull_policy values', () => {
  it('reads every value compose knows, and --pull wins', () => {
    expect(pullPolicy('s', {})).toEqual({ kind: 'missing' });
    expect(pullPolicy('s', { pull_policy: 'if_not_present' })).toEqual({ kind: 'missing' });
    expect(pullPolicy('s', { pull_policy: 'build' })).toEqual({ kind: 'build' });
    expect(pullPolicy('s', { pull_policy: 'daily' })).toEqual({ kind: 'refresh', maxAgeMs: 86_400_000 });
    expect(pullPolicy('s', { pull_policy: 'weekly' })).toEqual({ kind: 'refresh', maxAgeMs: 604_800_000 });
    expect(pullPolicy('s', { pull_policy: 'every_12h' })).toEqual({ kind: 'refresh', maxAgeMs: 43_200_000 });
    expect(pullPolicy('s', { pull_policy: 'every_1d12h' })).toEqual({
      kind: 'refresh',
      maxAgeMs: 129_600_000,
    });
    expect(pullPolicy('s', { pull_policy: 'never' }, 'always')).toEqual({ kind: 'always' });
    expect(() => pullPolicy('web', { pull_policy: 'sometimes' })).toThrow(
      /service "web": invalid pull_policy "sometimes"/,
    );
    expect(() => pullPolicy('web', { pull_policy: 'every_x' })).toThrow(ComposeError);
  });

  it('maps references, queries and progress as the engine and the docker CLI do', () => {
    expect(normalizedImage('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizedImage('127.0.0.1:5000/a/b')).toBe('127.0.0.1:5000/a/b:latest');
    expect(normalizedImage('localhost/app:1')).toBe('localhost/app:1');
    expect(pullQuery('127.0.0.1:5000/a/b')).toEqual({ fromImage: '127.0.0.1:5000/a/b', tag: 'latest' });
    expect(pullQuery('a/b:2')).toEqual({ fromImage: 'a/b', tag: '2' });
    expect(pullQuery('a@sha256:00')).toEqual({ fromImage: 'a', tag: 'sha256:00' });
    expect(humanSize(3_245_000)).toBe('3.245MB');
    expect(humanSize(512)).toBe('512B');
    expect(
      layerProgress({
        id: '3f5ef9003cef',
        status: 'Downloading',
        progressDetail: { current: 3_200_000, total: 10_000_000 },
      }),
    ).toBe('3f5ef9003cef: Downloading 3.2MB/10MB');
    expect(layerProgress({ id: 'x', status: 'Pulling from berthtest/busybox' })).toBeUndefined();
  });
});
