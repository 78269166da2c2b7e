import { describe, expect, it } from 'vitest';

import { expectCleanFailure } from './helpers.js';
import {
  type Fixture,
  eventually,
  expectBefore,
  fixture,
  processesOf,
  ps,
  sleeper,
} from './lifecycle-fixture.js';

const stack = `
services:
  db:
    image: node
    command: ${sleeper}
    healthcheck:
      test: ["CMD", "node", "-e", "process.exit(0)"]
      interval: 200ms
      start_interval: 100ms
  web:
    image: node
    command: ${sleeper}
    depends_on:
      db: {condition: service_healthy}
  solo:
    image: node
    command: ${sleeper}
`;

async function up(f: Fixture): Promise<void> {
  const run = await f.berth(['up', '-d', '--wait']);
  expect(run.exitCode, run.stderr).toBe(0);
}

describe('berth stop and start', () => {
  it('stops dependents first and starts in dependency order, waiting for conditions', async () => {
    const f = await fixture('lifecycle', stack);
    await up(f);

    const stop = await f.berth(['stop', '-t', '2']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expectBefore(stop.stderr, 'Container demo-web-1  Stopped', 'Container demo-db-1  Stopping');
    const stopped = await ps(f);
    expect(Object.values(stopped).map((c) => c.State)).toEqual(['exited', 'exited', 'exited']);
    expect(await processesOf(f.marker)).toEqual([]);

    const start = await f.berth(['start']);
    expect(start.exitCode, start.stderr).toBe(0);
    expectBefore(start.stderr, 'Service db  Healthy', 'Container demo-web-1  Starting');
    expectBefore(start.stderr, 'Container demo-db-1  Started', 'Container demo-web-1  Started');
    const started = await ps(f);
    expect(Object.values(started).map((c) => c.State)).toEqual(['running', 'running', 'running']);
  });

  it('stops and starts only the named services', async () => {
    const f = await fixture('lifecycle', stack);
    await up(f);
    const stop = await f.berth(['stop', 'solo']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toBe(' Container demo-solo-1  Stopping\n Container demo-solo-1  Stopped\n');
    let states = await ps(f);
    expect(states['demo-solo-1']!.State).toBe('exited');
    expect(states['demo-web-1']!.State).toBe('running');

    const again = await f.berth(['start', 'web']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toContain('solo');
    const start = await f.berth(['start', 'solo']);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(start.stderr).toContain('Container demo-solo-1  Started');
    states = await ps(f);
    expect(states['demo-solo-1']!.State).toBe('running');
  });

  it('refuses to start what was never created, and unknown services', async () => {
    const f = await fixture('lifecycle', stack);
    const start = await f.berth(['start']);
    expectCleanFailure(start);
    expect(start.stderr).toContain('no containers to start');
    const unknown = await f.berth(['stop', 'nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    const timeout = await f.berth(['stop', '-t', 'soon']);
    expectCleanFailure(timeout);
  });

  it('starts containers left by a foreground up under a new supervisor', async () => {
    const f = await fixture('lifecycle', stack);
    const foreground = f.spawn(['up']);
    await eventually(async () => {
      const states = await ps(f).catch(() => ({}));
      return Object.values(states).filter((c) => c.State === 'running').length === 3;
    }, 'the foreground up');
    foreground.kill('SIGINT');
    await foreground;
    expect(Object.values(await ps(f)).map((c) => c.State)).toEqual(['exited', 'exited', 'exited']);

    const start = await f.berth(['start']);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(Object.values(await ps(f)).map((c) => c.State)).toEqual(['running', 'running', 'running']);
  });

  it('does nothing when nothing runs', async () => {
    const f = await fixture('lifecycle', stack);
    const stop = await f.berth(['stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toBe('');
  });
});

describe('berth restart', () => {
  it('restarts a service and the services that depend on it, in dependency order', async () => {
    const f = await fixture('lifecycle', stack);
    await up(f);
    const restart = await f.berth(['restart', '-t', '1', 'db']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expectBefore(restart.stderr, 'Container demo-db-1  Started', 'Container demo-web-1  Restarting');
    expect(restart.stderr).not.toContain('solo');
    const states = await ps(f);
    expect(Object.values(states).map((c) => c.State)).toEqual(['running', 'running', 'running']);
  });

  it('restarts only the named service with --no-deps, and stopped containers too', async () => {
    const f = await fixture('lifecycle', stack);
    await up(f);
    expect((await f.berth(['stop', 'db', 'web'])).exitCode).toBe(0);
    const restart = await f.berth(['restart', '--no-deps', 'db']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(restart.stderr).toBe(' Container demo-db-1  Restarting\n Container demo-db-1  Started\n');
    const states = await ps(f);
    expect(states['demo-db-1']!.State).toBe('running');
    expect(states['demo-web-1']!.State).toBe('exited');
  });
});

describe('berth pause and unpause', () => {
  it('freezes and resumes the running containers', async () => {
    const f = await fixture('lifecycle', stack);
    await up(f);
    const pause = await f.berth(['pause', 'web', 'solo']);
    expect(pause.exitCode, pause.stderr).toBe(0);
    expect(pause.stderr).toContain(' Container demo-web-1  Paused\n');
    let states = await ps(f);
    expect(states['demo-web-1']!.State).toBe('paused');
    expect(states['demo-solo-1']!.State).toBe('paused');
    expect(states['demo-db-1']!.State).toBe('running');

    const unpause = await f.berth(['unpause']);
    expect(unpause.exitCode, unpause.stderr).toBe(0);
    expect(unpause.stderr).toContain(' Container demo-solo-1  Unpaused\n');
    expect(unpause.stderr).not.toContain('demo-db-1');
    states = await ps(f);
    expect(Object.values(states).map((c) => c.State)).toEqual(['running', 'running', 'running']);
  });

  it('stops paused containers', async () => {
    const f = await fixture('lifecycle', stack);
    await up(f);
    expect((await f.berth(['pause'])).exitCode).toBe(0);
    const stop = await f.berth(['stop', '-t', '1']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(await processesOf(f.marker)).toEqual([]);
  });
});
