import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { expectCleanFailure } from './helpers.js';
import { type Fixture, fixture, sleeper } from './lifecycle-fixture.js';

const stack = `
services:
  web:
    image: node
    command: ${sleeper}
    environment:
      GREETING: hello
      OUT: /data
    volumes: ["./data:/data"]
    scale: 2
  idle:
    image: node
    command: ["node", "-e", "process.exit(0)", "MARKER"]
`;

/** Prints the arguments and a few variables as JSON, so each test can assert on them. */
const show = `console.log(JSON.stringify({ args: process.argv.slice(1), replica: process.env.BERTH_REPLICA, greeting: process.env.GREETING, extra: process.env.EXTRA, cwd: process.cwd() }))`;

interface Shown {
  args: string[];
  replica: string;
  greeting: string;
  extra?: string;
  cwd: string;
}

async function started(): Promise<Fixture> {
  const f = await fixture('exec', stack);
  await mkdir(path.join(f.dir, 'data'));
  const up = await f.berth(['up', '-d']);
  expect(up.exitCode, up.stderr).toBe(0);
  return f;
}

describe('berth exec', () => {
  it("runs a command in the replica's environment, with its arguments as given", async () => {
    const f = await started();
    const run = await f.berth([
      'exec',
      '-T',
      '-e',
      'EXTRA=1',
      'web',
      'node',
      '-e',
      show,
      '--',
      '-f',
      'x',
      '-v',
      '-e',
      'Y',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const shown = JSON.parse(run.stdout) as Shown;
    expect(shown).toMatchObject({
      args: ['-f', 'x', '-v', '-e', 'Y'],
      replica: '1',
      greeting: 'hello',
      extra: '1',
    });
  });

  it('picks a replica with --index and a working directory with -w, through the mounts', async () => {
    const f = await started();
    const run = await f.berth(['exec', '--index', '2', '-w', '/data', 'web', 'node', '-e', show]);
    expect(run.exitCode, run.stderr).toBe(0);
    const shown = JSON.parse(run.stdout) as Shown;
    expect(shown.replica).toBe('2');
    expect(shown.cwd).toBe(path.join(f.dir, 'data'));

    const missing = await f.berth(['exec', '-w', '/data/nope', 'web', 'pwd']);
    expectCleanFailure(missing);
    expect(missing.stderr).toContain('working directory /data/nope does not exist');
    const noReplica = await f.berth(['exec', '--index', '7', 'web', 'pwd']);
    expectCleanFailure(noReplica);
    expect(noReplica.stderr).toContain('no container with index 7');
  });

  it("exits with the command's exit code", async () => {
    const f = await started();
    const failed = await f.berth(['exec', 'web', 'node', '-e', 'process.exit(3)']);
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toBe('');
    const notFound = await f.berth(['exec', 'web', 'no-such-command-here']);
    expect(notFound.exitCode).toBe(127);
    expect(notFound.stderr).toContain('no-such-command-here');
  });

  it('runs in the background with -d', async () => {
    const f = await started();
    const script = `setTimeout(() => require('fs').writeFileSync(process.env.OUT + '/done', 'yes'), 200)`;
    const run = await f.berth(['exec', '-d', 'web', 'node', '-e', script, f.marker]);
    expect(run.exitCode, run.stderr).toBe(0);
    const file = path.join(f.dir, 'data', 'done');
    for (let i = 0; i < 100; i++) {
      if ((await readFile(file, 'utf8').catch(() => '')) === 'yes') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await readFile(file, 'utf8')).toBe('yes');
  });

  it('refuses a service that does not run, and an unknown one', async () => {
    const f = await started();
    const idle = await f.berth(['exec', 'idle', 'pwd']);
    expectCleanFailure(idle);
    expect(idle.stderr).toContain('is not running');
    const unknown = await f.berth(['exec', 'nope', 'pwd']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    const noCommand = await f.berth(['exec', 'web']);
    expect(noCommand.exitCode).toBe(1);
  });
});
