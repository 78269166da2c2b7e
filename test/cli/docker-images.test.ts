/**
 * Images and the connection on the Docker engine, through the real CLI against the real dockerd:
 * `build:` through the API (args, .dockerignore, dockerfile_inline, --build, --no-build), missing
 * images under each pull_policy, and an engine that does not answer. Nothing is ever pulled from
 * the internet here: a pull fails at once, which is what the missing-image cases rely on.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { expect, it } from 'vitest';

import { TEST_IMAGE, docker, dockerProject, ok } from './docker-fixture.js';
import { expectCleanFailure, runBerth } from './helpers.js';
import { describeDocker } from '../support/docker.js';

const dockerfile = `FROM ${TEST_IMAGE}
ARG GREETING=default
RUN echo "$GREETING" > /greeting
COPY . /ctx/
CMD ["sh", "-c", "cat /greeting /ctx/version.txt; trap 'exit 0' TERM; sleep 3600 & wait"]
`;

const compose = `
services:
  app:
    build:
      context: .
      args: { GREETING: hi }
  inline:
    image: NAME-inline:dev
    build:
      context: .
      dockerfile_inline: |
        FROM ${TEST_IMAGE}
        RUN echo inline > /inline
        CMD ["sh", "-c", "cat /inline; trap 'exit 0' TERM; sleep 3600 & wait"]
`;

async function imageExists(name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

describeDocker('berth build on the Docker engine', () => {
  it('builds from the context (args, .dockerignore, dockerfile_inline), tags <project>-<service>, --build and --no-build', async () => {
    const p = await dockerProject(compose, {
      Dockerfile: dockerfile,
      '.dockerignore': 'ignored.txt\n',
      'version.txt': 'v1\n',
      'ignored.txt': 'not sent\n',
    });
    // Nothing built yet, and --no-build forbids it.
    const refused = await p.berth(['up', '-d', '--no-build', 'app']);
    expectCleanFailure(refused);
    expect(await imageExists(`${p.name}-app`)).toBe(false);

    await ok(p, ['up', '-d']);
    expect(await imageExists(`${p.name}-app`)).toBe(true);
    expect(await imageExists(`${p.name}-inline:dev`)).toBe(true);
    expect((await p.inspect(`${p.name}-app-1`)).Config.Image).toBe(`${p.name}-app`);
    expect((await ok(p, ['logs', '--no-log-prefix', 'app'])).stdout).toBe('hi\nv1\n');
    expect((await ok(p, ['logs', '--no-log-prefix', 'inline'])).stdout).toBe('inline\n');
    const context = (await ok(p, ['exec', 'app', 'ls', '-a', '/ctx'])).stdout.split('\n');
    expect(context).toContain('version.txt');
    expect(context).toContain('Dockerfile');
    expect(context).not.toContain('ignored.txt');

    const built = await docker.getImage(`${p.name}-app`).inspect();
    p.trackImage(built.Id);

    // A changed context is not rebuilt while the image exists, nor with --no-build ...
    await p.write('version.txt', 'v2\n');
    const first = (await p.containers()).get(`${p.name}-app-1`)?.Id;
    const again = await ok(p, ['--progress', 'plain', 'up', '-d']);
    expect(again.stderr).not.toMatch(/Recreate|Creat|Start/);
    await ok(p, ['up', '-d', '--no-build']);
    expect((await p.containers()).get(`${p.name}-app-1`)?.Id).toBe(first);
    expect((await ok(p, ['exec', 'app', 'cat', '/ctx/version.txt'])).stdout).toBe('v1\n');

    // ... and is with --build, which recreates the container on the new image.
    await ok(p, ['up', '-d', '--build', 'app']);
    expect((await docker.getImage(`${p.name}-app`).inspect()).Id).not.toBe(built.Id);
    expect((await p.containers()).get(`${p.name}-app-1`)?.Id).not.toBe(first);
    expect((await ok(p, ['exec', 'app', 'cat', '/ctx/version.txt'])).stdout).toBe('v2\n');
    expect(await readFile(path.join(p.dir, 'version.txt'), 'utf8')).toBe('v2\n');
  }, 90_000);
});

describeDocker('missing images and engines on the Docker engine', () => {
  it('fails clearly for an image that is not there, whatever the pull_policy, and creates nothing', async () => {
    const image = 'berthtest/absent:1';
    const p = await dockerProject(`
services:
  never:
    image: ${image}
    pull_policy: never
    command: ["true"]
  missing:
    image: ${image}
    pull_policy: missing
    command: ["true"]
  plain:
    image: ${image}
    command: ["true"]
`);
    for (const service of ['never', 'missing', 'plain']) {
      const run = await p.berth(['up', '-d', service]);
      expectCleanFailure(run);
      expect(run.stderr, service).toContain(image);
    }
    const pullNever = await p.berth(['up', '-d', '--pull', 'never', 'plain']);
    expectCleanFailure(pullNever);
    expect(pullNever.stderr).toContain(image);
    const run = await p.berth(['run', '--rm', 'plain']);
    expectCleanFailure(run);
    expect(run.stderr).toContain(image);
    expect((await p.containers()).size).toBe(0);
  }, 60_000);

  it('says where it looked when no engine answers, with --engine docker or BERTH_ENGINE', async () => {
    const p = await dockerProject(`services:\n  a:\n    image: ${TEST_IMAGE}\n    command: ["true"]\n`);
    const socket = 'unix:///nonexistent.sock';
    for (const args of [['up', '-d'], ['ps'], ['down']]) {
      const run = await p.berth(args, { env: { DOCKER_HOST: socket } });
      expectCleanFailure(run);
      expect(run.stderr).toContain(`cannot connect to the Docker engine at ${socket}`);
    }
    const flag = await runBerth(['--engine', 'docker', '-p', p.name, 'ps'], {
      cwd: p.dir,
      env: { BERTH_STATE_DIR: p.env.BERTH_STATE_DIR!, DOCKER_HOST: socket },
    });
    expectCleanFailure(flag);
    expect(flag.stderr).toContain(`cannot connect to the Docker engine at ${socket}`);

    // The flag alone, with the default socket, reaches dockerd.
    const reached = await runBerth(['--engine', 'docker', '-p', p.name, 'up', '-d'], {
      cwd: p.dir,
      env: { BERTH_STATE_DIR: p.env.BERTH_STATE_DIR! },
      timeoutMs: 30_000,
    });
    expect(reached.exitCode, reached.stderr).toBe(0);
    expect((await p.containers()).has(`${p.name}-a-1`)).toBe(true);
  }, 60_000);
});
