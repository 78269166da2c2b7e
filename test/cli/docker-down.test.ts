/**
 * down on the Docker engine, through the real CLI against the real dockerd: reverse dependency
 * order, networks removed, named volumes kept unless -v, orphans, one-off containers, -p alone.
 */
import { expect, it } from 'vitest';

import {
  TEST_IMAGE,
  dockerProject,
  expectBefore,
  networksOf,
  ok,
  sleeper,
  volumesOf,
} from './docker-fixture.js';
import { expectCleanFailure, runBerth, tempProject } from './helpers.js';
import { describeDocker } from '../support/docker.js';

const stack = `
services:
  web:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: [db]
    networks: [default, back]
  db:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    volumes: ["data:/data"]
    networks: [back]
networks:
  back:
volumes:
  data:
`;

describeDocker('berth down on the Docker engine', () => {
  it('stops dependents first, removes containers and networks, keeps named volumes; -v removes them', async () => {
    const p = await dockerProject(stack);
    await ok(p, ['up', '-d']);
    expect(await networksOf(p.name)).toEqual([`${p.name}_back`, `${p.name}_default`]);
    expect(await volumesOf(p.name)).toEqual([`${p.name}_data`]);
    await ok(p, ['exec', 'db', 'sh', '-c', 'echo kept > /data/file']);

    const down = await ok(p, ['--progress', 'plain', 'down', '-t', '2']);
    expectBefore(down.stderr, `Container ${p.name}-web-1  Stopped`, `Container ${p.name}-db-1  Stopping`);
    expect(down.stderr).toContain(`Network ${p.name}_default`);
    expect(down.stderr).toContain(`Network ${p.name}_back`);
    expect(down.stderr).not.toContain(`Volume ${p.name}_data`);
    expect((await p.containers()).size).toBe(0);
    expect(await networksOf(p.name)).toEqual([]);
    expect(await volumesOf(p.name)).toEqual([`${p.name}_data`]);
    expect((await ok(p, ['ps', '-a', '-q'])).stdout).toBe('');

    const again = await ok(p, ['down']);
    expect(again.stderr).toContain(`No resource found to remove for project "${p.name}"`);

    // The volume outlived the down: the next up finds its data.
    await ok(p, ['up', '-d']);
    expect((await ok(p, ['exec', 'db', 'cat', '/data/file'])).stdout).toBe('kept\n');

    const withVolumes = await ok(p, ['--progress', 'plain', 'down', '-v', '-t', '1']);
    expect(withVolumes.stdout).toBe('');
    expect(withVolumes.stderr).toContain(`Volume ${p.name}_data`);
    expect(await volumesOf(p.name)).toEqual([]);
    expect(await networksOf(p.name)).toEqual([]);
    expect((await p.containers()).size).toBe(0);
  }, 60_000);

  it('takes down named services only, warns about orphans and removes them with --remove-orphans', async () => {
    const p = await dockerProject(stack);
    await ok(p, ['up', '-d']);
    await ok(p, ['--progress', 'plain', 'down', '-t', '1', 'web']);
    expect([...(await p.containers()).keys()]).toEqual([`${p.name}-db-1`]);
    expect((await ok(p, ['ps', '-a', '--services'])).stdout).toBe('db\n');

    await ok(p, ['up', '-d']);
    // db leaves the file: its container becomes an orphan.
    await p.write('compose.yaml', `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ${sleeper}\n`);
    const kept = await ok(p, ['--progress', 'plain', 'down', '-t', '1']);
    expect(kept.stderr).toMatch(/orphan/i);
    expect(kept.stderr).toContain(`${p.name}-db-1`);
    expect([...(await p.containers()).keys()]).toEqual([`${p.name}-db-1`]);

    await ok(p, ['--progress', 'plain', 'down', '-t', '1', '--remove-orphans']);
    expect((await p.containers()).size).toBe(0);
    // The file no longer defines "back": like docker compose, down removes the networks it defines.
    expect(await networksOf(p.name)).not.toContain(`${p.name}_default`);
  }, 60_000);

  it('removes the one-off containers of run, and works with -p and no compose file', async () => {
    const p = await dockerProject(stack);
    await ok(p, ['up', '-d']);
    await ok(p, ['run', 'db', 'echo', 'one-off']);
    const oneoff = [...(await p.containers()).keys()].find((n) => n.startsWith(`${p.name}-db-run-`));
    expect(oneoff).toBeDefined();

    const elsewhere = await tempProject({});
    try {
      const down = await runBerth(['-p', p.name, '--progress', 'plain', 'down', '-t', '1'], {
        cwd: elsewhere.dir,
        env: p.env,
        timeoutMs: 30_000,
      });
      expect(down.exitCode, down.stderr).toBe(0);
      expect(down.stderr).toContain(`Container ${oneoff!}  Removed`);
    } finally {
      await elsewhere.cleanup();
    }
    expect((await p.containers()).size).toBe(0);
    expect(await networksOf(p.name)).toEqual([]);
  }, 60_000);

  it('prints the plan with --dry-run and changes nothing; rejects a bad timeout and an unknown service', async () => {
    const p = await dockerProject(stack);
    await ok(p, ['up', '-d']);
    const dry = await ok(p, ['down', '--dry-run', '-v']);
    expect(dry.stdout).toContain(`stop container ${p.name}-web-1\n`);
    expect(dry.stdout).toContain(`remove network ${p.name}_default\n`);
    expect(dry.stdout).toContain(`${p.name}_data`);
    expect((await p.containers()).size).toBe(2);
    expectCleanFailure(await p.berth(['down', '-t', 'soon']));
    const unknown = await p.berth(['down', 'nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    expect([...(await p.containers()).values()].every((c) => c.State === 'running')).toBe(true);
  }, 60_000);
});
