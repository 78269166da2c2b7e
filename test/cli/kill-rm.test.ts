import { writeFile } from 'node:fs/promises';
import path from 'node:path';

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
  web:
    image: node
    restart: always
    command: ["node", "-e", "process.on('SIGUSR1', () => console.log('got usr1')); setInterval(() => {}, 1000)", "MARKER"]
    depends_on: [db]
`;

async function up(f: Fixture): Promise<void> {
  const run = await f.berth(['up', '-d']);
  expect(run.exitCode, run.stderr).toBe(0);
}

describe('berth kill', () => {
  it('kills the running containers with SIGKILL, and their restart policy does not bring them back', async () => {
    const f = await fixture('killrm', stack);
    await up(f);
    const kill = await f.berth(['kill']);
    expect(kill.exitCode, kill.stderr).toBe(0);
    expect(kill.stderr).toContain(' Container demo-web-1  Killing\n');
    expect(kill.stderr).toContain(' Container demo-db-1  Killed\n');
    await eventually(
      async () => Object.values(await ps(f)).every((c) => c.State === 'exited' && c.ExitCode === 137),
      'both containers exited with 137',
    );
    expect(await processesOf(f.marker)).toEqual([]);
  });

  it('sends the signal given with -s to the named services only', async () => {
    const f = await fixture('killrm', stack);
    await up(f);
    const kill = await f.berth(['kill', '-s', 'USR1', 'web']);
    expect(kill.exitCode, kill.stderr).toBe(0);
    expect(kill.stderr).not.toContain('demo-db-1');
    await eventually(async () => (await f.berth(['logs', 'web'])).stdout.includes('got usr1'), 'the signal');
    const invalid = await f.berth(['kill', '-s', 'NOPE']);
    expectCleanFailure(invalid);
    expect(invalid.stderr.match(/^error: .*invalid signal "NOPE"/gm)).toHaveLength(1);
    const states = await ps(f);
    expect(states['demo-web-1']!.State).toBe('running');
    expect(states['demo-db-1']!.State).toBe('running');
  });

  it('says so when nothing runs', async () => {
    const f = await fixture('killrm', stack);
    const kill = await f.berth(['kill']);
    expect(kill.exitCode).toBe(0);
    expect(kill.stderr).toContain('no container to kill');
  });

  it('removes containers of services no longer in the file with --remove-orphans', async () => {
    const f = await fixture('killrm', stack);
    await up(f);
    const withoutWeb = `services:\n  db:\n    image: node\n    command: ${sleeper.replace('MARKER', f.marker)}\n`;
    await writeFile(path.join(f.dir, 'compose.yaml'), withoutWeb);
    const kill = await f.berth(['kill', '--remove-orphans']);
    expect(kill.exitCode, kill.stderr).toBe(0);
    expect(kill.stderr).toContain(' Container demo-web-1  Removed\n');
    expect(kill.stderr).toContain(' Container demo-db-1  Killed\n');
    const states = await ps(f);
    expect(Object.keys(states)).toEqual(['demo-db-1']);
  });
});

describe('berth rm', () => {
  it('removes stopped containers only, without asking when stdin is not a terminal', async () => {
    const f = await fixture('killrm', stack);
    await up(f);
    const none = await f.berth(['rm']);
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stderr).toContain('No stopped containers');
    expect(Object.keys(await ps(f))).toHaveLength(2);

    expect((await f.berth(['stop', 'web'])).exitCode).toBe(0);
    const rmWeb = await f.berth(['rm']);
    expect(rmWeb.exitCode, rmWeb.stderr).toBe(0);
    expect(rmWeb.stderr).toContain('Going to remove demo-web-1\n');
    expect(rmWeb.stderr).toContain(' Container demo-web-1  Removed\n');
    expect(Object.keys(await ps(f))).toEqual(['demo-db-1']);
  });

  it('stops and removes running containers with -s, and takes -f and -v as its own flags', async () => {
    const f = await fixture('killrm', stack);
    await up(f);
    const rmAll = await f.berth(['rm', '-s', '-f', '-v']);
    expect(rmAll.exitCode, rmAll.stderr).toBe(0);
    expectBefore(rmAll.stderr, 'Container demo-web-1  Stopped', 'Container demo-db-1  Stopping');
    expect(await ps(f)).toEqual({});
    expect(await processesOf(f.marker)).toEqual([]);
  });

  it('removes exited one-off containers of run', async () => {
    const f = await fixture('killrm', stack);
    const run = await f.berth(['run', '--no-deps', 'db', 'node', '-e', 'process.exit(0)']);
    expect(run.exitCode, run.stderr).toBe(0);
    const rmRun = await f.berth(['rm', '-f', 'db']);
    expect(rmRun.exitCode, rmRun.stderr).toBe(0);
    expect(rmRun.stderr).toMatch(/ Container demo-db-run-[0-9a-f]{12} {2}Removed\n/);
  });

  it('refuses unknown services', async () => {
    const f = await fixture('killrm', stack);
    const rmNope = await f.berth(['rm', '-f', 'nope']);
    expectCleanFailure(rmNope);
    expect(rmNope.stderr).toContain('no such service: nope');
  });
});
