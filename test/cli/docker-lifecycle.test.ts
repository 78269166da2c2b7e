/**
 * stop, start, restart, kill, pause, unpause, rm and scale on the Docker engine, through the real CLI
 * against the real dockerd: the same scenarios as the in-process engine's lifecycle suites.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { expect, it } from 'vitest';

import {
  type DockerProject,
  TEST_IMAGE,
  dockerProject,
  healthyDb,
  expectBefore,
  ok,
  ps,
  sleeper,
  states,
  until,
} from './docker-fixture.js';
import { expectCleanFailure } from './helpers.js';
import { describeDocker } from '../support/docker.js';

const stack = `
services:
${healthyDb}  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; trap 'echo got usr1' USR1; while true; do sleep 1 & wait; done"]
    restart: always
    depends_on:
      db: { condition: service_healthy }
  solo:
    image: ${TEST_IMAGE}
    command: ${sleeper}
`;

async function started(): Promise<DockerProject> {
  const p = await dockerProject(stack);
  await ok(p, ['up', '-d', '--wait', '--wait-timeout', '30']);
  return p;
}

const all = (p: DockerProject, state: string): Record<string, string> => ({
  [`${p.name}-db-1`]: state,
  [`${p.name}-solo-1`]: state,
  [`${p.name}-web-1`]: state,
});

describeDocker('berth stop, start and restart on the Docker engine', () => {
  it('stops dependents first, starts in dependency order waiting for conditions, restarts', async () => {
    const p = await started();
    const stop = await ok(p, ['stop', '-t', '2']);
    expectBefore(stop.stderr, `Container ${p.name}-web-1  Stopped`, `Container ${p.name}-db-1  Stopping`);
    expect(await states(p)).toEqual(all(p, 'exited'));

    const start = await ok(p, ['start']);
    expectBefore(start.stderr, 'Service db  Healthy', `Container ${p.name}-web-1  Starting`);
    expectBefore(start.stderr, `Container ${p.name}-db-1  Started`, `Container ${p.name}-web-1  Started`);
    expect(await states(p)).toEqual(all(p, 'running'));

    // Only the named services.
    const stopSolo = await ok(p, ['stop', 'solo']);
    expect(stopSolo.stderr).toBe(
      ` Container ${p.name}-solo-1  Stopping\n Container ${p.name}-solo-1  Stopped\n`,
    );
    expect((await states(p))[`${p.name}-solo-1`]).toBe('exited');
    expect((await states(p))[`${p.name}-web-1`]).toBe('running');
    const startSolo = await ok(p, ['start', 'solo']);
    expect(startSolo.stderr).toContain(`Container ${p.name}-solo-1  Started`);

    // restart takes the dependents along, in order.
    const before = await p.inspect(`${p.name}-web-1`);
    const restart = await ok(p, ['restart', '-t', '1', 'db']);
    expectBefore(
      restart.stderr,
      `Container ${p.name}-db-1  Started`,
      `Container ${p.name}-web-1  Restarting`,
    );
    expect(restart.stderr).not.toContain('solo');
    const after = await p.inspect(`${p.name}-web-1`);
    expect(after.Id).toBe(before.Id);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
    expect(await states(p)).toEqual(all(p, 'running'));

    // --no-deps restarts stopped containers too, and only the named one.
    await ok(p, ['stop', 'db', 'web']);
    const noDeps = await ok(p, ['restart', '--no-deps', 'db']);
    expect(noDeps.stderr).toBe(` Container ${p.name}-db-1  Restarting\n Container ${p.name}-db-1  Started\n`);
    const now = await states(p);
    expect(now[`${p.name}-db-1`]).toBe('running');
    expect(now[`${p.name}-web-1`]).toBe('exited');
  }, 60_000);

  it('refuses to start what was never created, unknown services and bad timeouts; stop with nothing is quiet', async () => {
    const p = await dockerProject(stack);
    const stop = await ok(p, ['stop']);
    expect(stop.stderr).toBe('');
    const start = await p.berth(['start']);
    expectCleanFailure(start);
    expect(start.stderr).toContain('no containers to start');
    const unknown = await p.berth(['stop', 'nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    expectCleanFailure(await p.berth(['stop', '-t', 'soon']));
  });
});

describeDocker('berth pause and unpause on the Docker engine', () => {
  it('freezes and resumes the running containers, and stops paused ones', async () => {
    const p = await started();
    const pause = await ok(p, ['pause', 'web', 'solo']);
    expect(pause.stderr).toContain(` Container ${p.name}-web-1  Paused\n`);
    let now = await states(p);
    expect(now[`${p.name}-web-1`]).toBe('paused');
    expect(now[`${p.name}-solo-1`]).toBe('paused');
    expect(now[`${p.name}-db-1`]).toBe('running');
    expect((await p.inspect(`${p.name}-web-1`)).State.Paused).toBe(true);

    const unpause = await ok(p, ['unpause']);
    expect(unpause.stderr).toContain(` Container ${p.name}-solo-1  Unpaused\n`);
    expect(unpause.stderr).not.toContain(`${p.name}-db-1`);
    expect(await states(p)).toEqual(all(p, 'running'));

    // Only the services without a healthcheck: dockerd 20.10 hangs 15-30 s unpausing or stopping a
    // container paused while a healthcheck exec was starting (seen with the docker CLI alone too).
    await ok(p, ['pause', 'web', 'solo']);
    await ok(p, ['stop', '-t', '1', 'web', 'solo']);
    now = await states(p);
    expect(now[`${p.name}-web-1`]).toBe('exited');
    expect(now[`${p.name}-solo-1`]).toBe('exited');
  }, 60_000);
});

describeDocker('berth kill on the Docker engine', () => {
  it('kills with SIGKILL (the restart policy does not bring them back), or the signal given with -s', async () => {
    const p = await started();
    const usr1 = await ok(p, ['kill', '-s', 'USR1', 'web']);
    expect(usr1.stderr).not.toContain(`${p.name}-db-1`);
    await until(async () => (await p.berth(['logs', 'web'])).stdout.includes('got usr1'), 'the signal');
    expect((await states(p))[`${p.name}-web-1`]).toBe('running');
    const invalid = await p.berth(['kill', '-s', 'NOPE']);
    expectCleanFailure(invalid);
    // Soft: the wording is checked without hiding what the rest of the test finds.
    expect.soft(invalid.stderr.match(/^error: .*invalid signal "NOPE"/gm)).toHaveLength(1);

    const kill = await ok(p, ['kill']);
    expect(kill.stderr).toContain(` Container ${p.name}-web-1  Killing\n`);
    expect(kill.stderr).toContain(` Container ${p.name}-db-1  Killed\n`);
    await until(
      async () => Object.values(await ps(p)).every((c) => c.State === 'exited' && c.ExitCode === 137),
      'every container exited with 137',
    );
    // restart: always does not revive a killed container (as docker does for a user's kill).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await states(p))[`${p.name}-web-1`]).toBe('exited');

    const none = await ok(p, ['kill']);
    expect(none.stderr).toContain('no container to kill');
  }, 60_000);

  it('removes containers of services no longer in the file with --remove-orphans', async () => {
    const p = await started();
    await writeFile(
      path.join(p.dir, 'compose.yaml'),
      `services:\n  db:\n    image: ${TEST_IMAGE}\n    command: ${sleeper}\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 300ms\n`,
    );
    const kill = await ok(p, ['kill', '--remove-orphans']);
    expect(kill.stderr).toContain(` Container ${p.name}-web-1  Removed\n`);
    expect(kill.stderr).toContain(` Container ${p.name}-db-1  Killed\n`);
    expect(Object.keys(await states(p))).toEqual([`${p.name}-db-1`]);
  }, 60_000);
});

describeDocker('berth rm on the Docker engine', () => {
  it('removes stopped containers only; -s stops and removes in order; one-offs of run too', async () => {
    const p = await started();
    const none = await ok(p, ['rm']);
    expect(none.stderr).toContain('No stopped containers');
    expect(Object.keys(await states(p))).toHaveLength(3);

    await ok(p, ['stop', 'solo']);
    const rmSolo = await ok(p, ['rm']);
    expect(rmSolo.stderr).toContain(`Going to remove ${p.name}-solo-1\n`);
    expect(rmSolo.stderr).toContain(` Container ${p.name}-solo-1  Removed\n`);
    expect(Object.keys(await states(p)).sort()).toEqual([`${p.name}-db-1`, `${p.name}-web-1`]);

    const oneoff = await ok(p, ['run', '--no-deps', 'solo', 'true']);
    expect(oneoff.stderr).not.toMatch(/^error/m);
    const rmRun = await ok(p, ['rm', '-f', 'solo']);
    expect(rmRun.stderr).toMatch(new RegExp(` Container ${p.name}-solo-run-[0-9a-f]{12} {2}Removed\\n`));

    const rmAll = await ok(p, ['rm', '-s', '-f', '-v']);
    expectBefore(rmAll.stderr, `Container ${p.name}-web-1  Stopped`, `Container ${p.name}-db-1  Stopping`);
    expect(await states(p)).toEqual({});
    expect((await p.containers()).size).toBe(0);

    const unknown = await p.berth(['rm', '-f', 'nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
  }, 60_000);
});

describeDocker('berth scale on the Docker engine', () => {
  const scaleStack = `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${sleeper}
  web:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: [db]
`;

  it('adds replicas, removes the highest numbers first, several services at once, with or without deps', async () => {
    const p = await dockerProject(scaleStack);
    const withDeps = await ok(p, ['scale', 'web=3']);
    expect(withDeps.stderr).toContain(` Container ${p.name}-web-3  Started\n`);
    expect(await states(p)).toEqual({
      [`${p.name}-db-1`]: 'running',
      [`${p.name}-web-1`]: 'running',
      [`${p.name}-web-2`]: 'running',
      [`${p.name}-web-3`]: 'running',
    });

    const one = await ok(p, ['scale', 'web=1', 'db=2']);
    expect(one.stderr).toContain(` Container ${p.name}-web-3  Removed\n`);
    expect(one.stderr).toContain(` Container ${p.name}-web-2  Removed\n`);
    expect(Object.keys(await states(p)).sort()).toEqual([
      `${p.name}-db-1`,
      `${p.name}-db-2`,
      `${p.name}-web-1`,
    ]);
    await ok(p, ['scale', 'web=0']);
    expect(Object.keys(await states(p)).sort()).toEqual([`${p.name}-db-1`, `${p.name}-db-2`]);

    const noDeps = await dockerProject(scaleStack);
    await ok(noDeps, ['scale', '--no-deps', 'web=1']);
    expect(Object.keys(await states(noDeps))).toEqual([`${noDeps.name}-web-1`]);

    const malformed = await p.berth(['scale', 'web']);
    expectCleanFailure(malformed);
    expect(malformed.stderr).toContain('invalid scale specifier: web');
    const unknown = await p.berth(['scale', 'nope=2']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
  }, 60_000);
});
