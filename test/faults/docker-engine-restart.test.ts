/**
 * Faults of the Docker engine itself, on a dockerd of the test's own: stopped (SIGTERM) or killed
 * (SIGKILL) at given moments of an `up -d`, with or without coming back at once. berth ends with a
 * clear error (no stack trace) that says the engine went away and how to go on, or succeeds when the
 * engine came back in time; either way a second `up -d` converges: every service running once, no
 * duplicate, no orphan. With the engine down (socket gone, refused, or frozen), every command says
 * it cannot connect, and ends.
 */
import { expect, it } from 'vitest';

import { type BerthRun, expectCleanFailure } from '../cli/helpers.js';
import type { SecondDockerd } from '../support/second-dockerd.js';
import { describeSecondDockerd } from '../support/second-dockerd.js';
import {
  type DockerFaultProject,
  dockerFaultProject,
  LONG,
  reportFigure,
  sleeper,
  TEST_IMAGE,
  until,
  useSecondDockerd,
} from './docker-fault-fixture.js';

/**
 * Two health gates make `up` last a few seconds: base turns healthy after its first check (1 s), then
 * s1 to s4 start; s5 and s6 wait for s1 to be healthy too. s2 is on two networks (one joined after
 * its creation), base keeps data in a named volume.
 */
const COMPOSE = `services:
  base:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    volumes: [data:/data]
    healthcheck: { test: ["CMD", "true"], interval: 1s }
  s1:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { base: { condition: service_healthy } }
    healthcheck: { test: ["CMD", "true"], interval: 1s }
  s2:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { base: { condition: service_healthy } }
    networks: [default, back]
  s3:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { base: { condition: service_healthy } }
  s4:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { base: { condition: service_healthy } }
  s5:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { s1: { condition: service_healthy } }
  s6:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    depends_on: { s1: { condition: service_healthy }, s2: { condition: service_started } }
networks:
  back: {}
volumes:
  data: {}
`;
const SERVICES = ['base', 's1', 's2', 's3', 's4', 's5', 's6'];

type Moment = 'networks made' | 'base waits for health' | 's1 waits for health';
type Fault = { moment: Moment; signal: 'SIGTERM' | 'SIGKILL'; back: 'at once' | 'after berth ended' };

/** Whether the project has reached `moment` on the daemon. */
async function reached(p: DockerFaultProject, daemon: SecondDockerd, moment: Moment): Promise<boolean> {
  if (moment === 'networks made') {
    const networks = await daemon.docker.listNetworks();
    return networks.some((n) => n.Name === `${p.name}_back`);
  }
  const container = (await p.containers()).get(`${p.name}-${moment.split(' ')[0] ?? ''}-1`);
  return container?.State === 'running';
}

/** Runs `up -d`, injects `fault` at its moment, and checks how berth ended; returns its run. */
async function upThroughFault(p: DockerFaultProject, daemon: SecondDockerd, fault: Fault): Promise<BerthRun> {
  const up = p.spawn(['up', '-d']);
  await until(
    async () => up.child.exitCode !== null || (await reached(p, daemon, fault.moment)),
    `${fault.moment}\n${up.errors()}`,
  );
  expect(up.child.exitCode, `up ended before ${fault.moment}:\n${up.errors()}`).toBeNull();
  await daemon.stop(fault.signal);
  if (fault.back === 'at once') await daemon.start();
  const ended = await Promise.race([up.child, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  if (ended === undefined)
    throw new Error(`berth up did not end after the engine went away:\n${up.errors()}`);
  const run = { exitCode: up.child.exitCode ?? -1, stdout: up.output(), stderr: up.errors() };
  if (fault.back === 'after berth ended') {
    expectCleanFailure(run);
    if (fault.signal === 'SIGKILL') {
      // Killed: the engine vanishes mid-call, and berth says so.
      expect(run.stderr).toMatch(/lost the connection to the Docker engine at unix:\/\/.*docker\.sock/);
      expect(run.stderr).toMatch(/run the command again/);
    }
    // Stopped: dockerd first stops the containers, which berth may see exit before the socket closes.
    expect(run.stderr).toMatch(/lost the connection to the Docker engine|exited/);
    await daemon.start();
  } else if (run.exitCode !== 0) {
    // The engine came back while berth was still at work: an error, but a clean one.
    expectCleanFailure(run);
  }
  expect(run.stderr).not.toMatch(/this is a bug in berth|internal error/);
  return run;
}

/** A second `up -d` converges: each service once, running; the project's networks and volume, nothing else. */
async function expectConverged(p: DockerFaultProject, daemon: SecondDockerd): Promise<void> {
  const up = await p.berth(['up', '-d']);
  expect(up.exitCode, up.stderr).toBe(0);
  const containers = await p.containers();
  expect([...containers.keys()].sort()).toEqual(SERVICES.map((s) => `${p.name}-${s}-1`));
  for (const [name, c] of containers) expect(c.State, name).toBe('running');
  const s2 = containers.get(`${p.name}-s2-1`);
  expect(Object.keys(s2?.NetworkSettings.Networks ?? {}).sort()).toEqual([
    `${p.name}_back`,
    `${p.name}_default`,
  ]);
  const left = await daemon.leftovers();
  expect(left.containers).toEqual([...containers.keys()].sort());
  expect(left.networks).toEqual([`${p.name}_back`, `${p.name}_default`]);
  expect(left.volumes).toEqual([`${p.name}_data`]);
  const down = await p.berth(['down', '-v', '-t', '1']);
  expect(down.exitCode, down.stderr).toBe(0);
  expect(await daemon.leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
}

const FAULTS: Fault[] = LONG
  ? (['networks made', 'base waits for health', 's1 waits for health'] as const).flatMap((moment) =>
      (['SIGTERM', 'SIGKILL'] as const).flatMap((signal) =>
        (['at once', 'after berth ended'] as const).map((back) => ({ moment, signal, back })),
      ),
    )
  : [
      { moment: 'base waits for health', signal: 'SIGKILL', back: 'after berth ended' },
      { moment: 's1 waits for health', signal: 'SIGTERM', back: 'after berth ended' },
      { moment: 'networks made', signal: 'SIGTERM', back: 'at once' },
    ];

describeSecondDockerd('faults: the Docker engine goes away', () => {
  const daemon = useSecondDockerd();
  let survived = 0;

  it.each(FAULTS)(
    'dockerd $signal when $moment, back $back: a clean end, then up converges',
    async (fault) => {
      const p = await dockerFaultProject(daemon(), COMPOSE);
      await upThroughFault(p, daemon(), fault);
      await expectConverged(p, daemon());
      survived++;
      if (survived === FAULTS.length)
        await reportFigure('docker engine faults survived', `${survived}/${FAULTS.length}`);
    },
    180_000,
  );

  it('with the engine down, every command says it cannot connect, and ends', async () => {
    const p = await dockerFaultProject(daemon(), COMPOSE);
    const commands = [
      ['up', '-d'],
      ['up'],
      ['down'],
      ['ps'],
      ['logs'],
      ['logs', '-f'],
      ['exec', '-T', 's1', 'true'],
      ['run', '--rm', '-T', 's1', 'true'],
      ['start'],
      ['stop'],
      ['restart'],
      ['kill'],
      ['rm', '-f'],
      ['pause'],
      ['unpause'],
      ['top'],
      ['events'],
      ['ls'],
      ['wait', 's1'],
      ['port', 's1', '80'],
      ['pull'],
      ['build'],
      ['scale', 's1=2'],
    ];
    const expectRefused = async (why: RegExp): Promise<void> => {
      const runs = await Promise.all(commands.map((args) => p.berth(args, 30_000)));
      runs.forEach((run, i) => {
        const what = `berth ${(commands[i] ?? []).join(' ')}`;
        expectCleanFailure(run);
        expect(run.stderr, what).toMatch(/^error: cannot connect to the Docker engine at unix:\/\//m);
        expect(run.stderr, what).toMatch(why);
      });
    };
    // SIGTERM: dockerd removes its socket.
    await daemon().stop('SIGTERM');
    await expectRefused(/no such socket/);
    // SIGKILL: the socket file stays, nothing listens.
    await daemon().start();
    await daemon().stop('SIGKILL');
    await expectRefused(/connection refused/);
    // Frozen: the socket accepts and never answers; berth gives up after its connect timeout, and exits.
    await daemon().start();
    daemon().freeze(true);
    const frozen = await p.berth(['ps'], 30_000);
    daemon().freeze(false);
    expectCleanFailure(frozen);
    expect(frozen.stderr).toMatch(/cannot connect to the Docker engine at .*: no answer within 10 s/);
  }, 180_000);
});
