/**
 * logs on the Docker engine, through the real CLI against the real dockerd: the engine's multiplexed
 * streams split back into stdout and stderr with compose's prefixes, --tail, -t, --no-log-prefix,
 * --index, --since/--until, and -f (following new lines, new replicas, and ending with the project).
 */
import { expect, it } from 'vitest';

import { type DockerProject, TEST_IMAGE, dockerProject, ok, sleeperAfter, until } from './docker-fixture.js';
import { expectCleanFailure } from './helpers.js';
import { describeDocker } from '../support/docker.js';

// dockerd copies stdout and stderr into its log through separate pipes: lines written at the same
// moment on both may be logged in either order, so the stderr line comes a little later.
const stack = `
services:
  web:
    image: ${TEST_IMAGE}
    command: ${sleeperAfter('echo one; echo two; echo three; sleep 0.3; echo oops >&2')}
  worker:
    image: ${TEST_IMAGE}
    command: ${sleeperAfter('echo working')}
    scale: 2
`;

/** Waits until every replica wrote its lines. */
async function allWritten(p: DockerProject): Promise<void> {
  await until(async () => {
    const run = await p.berth(['logs']);
    return run.stderr.includes('oops') && run.stdout.split('working').length === 3;
  }, 'the services to write their lines');
}

const ticker = (scale: number): string => `
services:
  ticker:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick $$i; i=$$((i+1)); sleep 0.1 & wait; done"]
    scale: ${scale}
`;

describeDocker('berth logs on the Docker engine', () => {
  it('prints every replica with aligned prefixes, stderr lines on stderr; selects, tails, stamps', async () => {
    const p = await dockerProject(stack);
    await ok(p, ['up', '-d']);
    await allWritten(p);
    const run = await ok(p, ['logs']);
    expect(run.stdout).toContain('web-1     | one\nweb-1     | two\nweb-1     | three\n');
    expect(run.stdout).toContain('worker-1  | working\n');
    expect(run.stdout).toContain('worker-2  | working\n');
    expect(run.stderr).toBe('web-1     | oops\n');

    expect((await ok(p, ['logs', '--no-log-prefix', 'web'])).stdout).toBe('one\ntwo\nthree\n');
    // The tail counts both streams: the last line is the one on stderr.
    const tail = await ok(p, ['logs', '-n', '2', 'web']);
    expect([tail.stdout, tail.stderr]).toEqual(['web-1  | three\n', 'web-1  | oops\n']);
    expect((await ok(p, ['logs', '--tail', 'all', 'web'])).stdout).toBe(
      'web-1  | one\nweb-1  | two\nweb-1  | three\n',
    );
    expect((await ok(p, ['logs', '--index', '2', 'worker'])).stdout).toBe('worker-2  | working\n');
    const stamped = await ok(p, ['logs', '-t', '-n', '2', 'web']);
    expect(stamped.stdout).toMatch(/^web-1 {2}\| \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z three\n$/);

    expect((await ok(p, ['logs', '--since', '1h', 'web'])).stdout).toContain('three');
    expect((await ok(p, ['logs', '--since', '2100-01-01T00:00:00Z', 'web'])).stdout).toBe('');
    expect((await ok(p, ['logs', '--until', '1h', 'web'])).stdout).toBe('');
    expectCleanFailure(await p.berth(['logs', '--since', 'yesterday']));
    expectCleanFailure(await p.berth(['logs', 'nope']));
  }, 60_000);

  it('follows with -f: new lines, replicas that start meanwhile, until Ctrl-C (exit 0)', async () => {
    const p = await dockerProject(ticker(1));
    await ok(p, ['up', '-d']);
    const follow = p.follow(['logs', '-f']);
    await until(() => /ticker-1 +\| tick (\d+)/.test(follow.output()), 'the first lines');
    const first = Number(/tick (\d+)/.exec(follow.output())![1]);
    await until(() => follow.output().includes(`tick ${first + 5}\n`), 'lines written while following');

    await p.write('compose.yaml', ticker(2));
    await ok(p, ['up', '-d']);
    await until(() => /ticker-2 +\| tick \d+/.test(follow.output()), 'the new replica');
    follow.child.kill('SIGINT');
    const result = await follow.child;
    expect(result.exitCode).toBe(0);
  }, 60_000);

  it('stops following once every container has stopped', async () => {
    const p = await dockerProject(`
services:
  short:
    image: ${TEST_IMAGE}
    command: ${sleeperAfter('echo hello')}
`);
    await ok(p, ['up', '-d']);
    const follow = p.follow(['logs', '-f']);
    await until(() => follow.output().includes('hello'), 'the first line');
    await ok(p, ['down', '-t', '1']);
    const result = await follow.child;
    expect(result.exitCode).toBe(0);
    expect(follow.output()).toContain('short-1  | hello');
  }, 60_000);
});
