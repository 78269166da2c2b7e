/**
 * exec and run on the Docker engine, through the real CLI against the real dockerd: environment,
 * working directory, user, stdin, exit codes, detached commands and one-off containers.
 */
import { expect, it } from 'vitest';

import {
  type DockerProject,
  TEST_IMAGE,
  dockerProject,
  healthyDb,
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
    command: ["sh", "-c", "echo the service command"]
    environment:
      GREETING: hello
    depends_on:
      db: { condition: service_healthy }
  app:
    image: ${TEST_IMAGE}
    command: ${sleeper}
    environment:
      GREETING: hello
    working_dir: /srv
    scale: 2
  idle:
    image: ${TEST_IMAGE}
    command: ["true"]
`;

/** Prints its arguments one per line, then GREETING and EXTRA: `sh -c SHOW sh arg...`. */
const SHOW = `printf '%s\\n' "$@"; echo "greeting=$GREETING extra=$EXTRA"`;

async function started(): Promise<DockerProject> {
  const p = await dockerProject(stack);
  await ok(p, ['up', '-d', 'app', 'idle']);
  return p;
}

describeDocker('berth exec on the Docker engine', () => {
  it("runs in the replica's environment with -e, -w, -u, --index, stdin, and its arguments as given", async () => {
    const p = await started();
    const args = await ok(p, [
      'exec',
      '-T',
      '-e',
      'EXTRA=1',
      'app',
      'sh',
      '-c',
      SHOW,
      'sh',
      '-f',
      'x',
      '-v',
      '-e',
      'Y',
    ]);
    expect(args.stdout).toBe('-f\nx\n-v\n-e\nY\ngreeting=hello extra=1\n');

    expect((await ok(p, ['exec', 'app', 'pwd'])).stdout).toBe('/srv\n');
    expect((await ok(p, ['exec', '-w', '/tmp', 'app', 'pwd'])).stdout).toBe('/tmp\n');
    expect((await ok(p, ['exec', '-u', '1234', 'app', 'id', '-u'])).stdout).toBe('1234\n');
    expect((await ok(p, ['exec', '-T', 'app', 'cat'], { input: 'from stdin\n' })).stdout).toBe(
      'from stdin\n',
    );

    const second = await p.inspect(`${p.name}-app-2`);
    expect((await ok(p, ['exec', '--index', '2', 'app', 'hostname'])).stdout).toBe(
      `${second.Config.Hostname}\n`,
    );
    const noReplica = await p.berth(['exec', '--index', '7', 'app', 'pwd']);
    expectCleanFailure(noReplica);
    expect(noReplica.stderr).toContain('no container with index 7');

    const missingDir = await p.berth(['exec', '-w', '/nope', 'app', 'pwd']);
    // dockerd writes the runtime's refusal into the exec's output stream: the docker CLI shows it there too.
    expect(missingDir.exitCode).not.toBe(0);
    expect(missingDir.stdout + missingDir.stderr).toContain('/nope');
    expect(missingDir.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  }, 60_000);

  it("exits with the command's code, runs detached with -d, refuses what does not run", async () => {
    const p = await started();
    const failed = await p.berth(['exec', 'app', 'sh', '-c', 'exit 3']);
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toBe('');
    // docker exec reports a missing executable as 126 (the docker CLI does too); the in-process engine 127.
    const notFound = await p.berth(['exec', 'app', 'no-such-command-here']);
    expect([126, 127]).toContain(notFound.exitCode);
    expect(notFound.stdout + notFound.stderr).toContain('no-such-command-here');

    const detached = await ok(p, ['exec', '-d', 'app', 'sh', '-c', 'sleep 0.3; echo yes > /tmp/done'], {
      timeoutMs: 15_000,
    });
    expect(detached.stdout).toBe('');
    await until(
      async () => (await p.berth(['exec', 'app', 'cat', '/tmp/done'])).stdout === 'yes\n',
      'the detached command',
    );

    await until(async () => (await states(p))[`${p.name}-idle-1`] === 'exited', 'idle to exit');
    const idle = await p.berth(['exec', 'idle', 'pwd']);
    expectCleanFailure(idle);
    expect(idle.stderr).toContain('is not running');
    const unknown = await p.berth(['exec', 'nope', 'pwd']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
  }, 60_000);
});

describeDocker('berth run on the Docker engine', () => {
  it('starts dependencies first, prints the output without prefix, exits with its code, --rm removes it', async () => {
    const p = await dockerProject(stack);
    const run = await p.berth([
      'run',
      '--rm',
      'web',
      'sh',
      '-c',
      'echo to stdout; echo to stderr >&2; exit 3',
    ]);
    expect(run.stdout).toBe('to stdout\n');
    expect(run.stderr).toContain('to stderr\n');
    expect(run.stderr).toContain(` Container ${p.name}-db-1  Started\n`);
    expect(run.exitCode).toBe(3);
    expect(await states(p)).toEqual({ [`${p.name}-db-1`]: 'running' });
  }, 60_000);

  it('keeps an exited one-off without --rm, named and labelled as one', async () => {
    const p = await dockerProject(stack);
    const run = await ok(p, ['run', '--no-deps', 'web']);
    expect(run.stdout).toBe('the service command\n');
    const rows = Object.values(await ps(p));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.Name).toMatch(new RegExp(`^${p.name}-web-run-[0-9a-f]{12}$`));
    expect(rows[0]).toMatchObject({ Service: 'web', State: 'exited', ExitCode: 0 });
    const labels = (await p.inspect(rows[0]!.Name)).Config.Labels;
    expect(labels).toMatchObject({
      'com.docker.compose.project': p.name,
      'com.docker.compose.service': 'web',
      'com.docker.compose.oneoff': 'True',
    });
  }, 60_000);

  it('applies -e, -w, -u, --entrypoint and --name, and passes its arguments through', async () => {
    const p = await dockerProject(stack);
    const base = ['run', '--rm', '--no-deps'];
    const shown = await ok(p, [...base, '-e', 'EXTRA=x', 'web', 'sh', '-c', SHOW, 'sh', '-f', '-v', '--rm']);
    expect(shown.stdout).toBe('-f\n-v\n--rm\ngreeting=hello extra=x\n');
    expect((await ok(p, [...base, '-w', '/tmp', 'web', 'pwd'])).stdout).toBe('/tmp\n');
    expect((await ok(p, [...base, '-u', '1234', 'web', 'id', '-u'])).stdout).toBe('1234\n');
    const entry = await ok(p, [
      ...base,
      '--entrypoint',
      'sh -c',
      'web',
      'echo "$GREETING from the entrypoint"',
    ]);
    expect(entry.stdout).toBe('hello from the entrypoint\n');
    // docker compose run keeps stdin open (-i is its default): what is piped in reaches the command.
    const piped = await ok(
      p,
      ['run', '-T', '--rm', '--no-deps', 'web', 'sh', '-c', 'cat; echo "[$?] done" >&2'],
      {
        input: 'piped\nin\n',
      },
    );
    expect(piped.stdout).toBe('piped\nin\n');
    expect(piped.stderr).toContain('[0] done');

    const named = await ok(p, ['run', '--no-deps', '--name', `${p.name}-custom`, 'web', 'true']);
    expect(named.exitCode).toBe(0);
    expect((await p.containers()).has(`${p.name}-custom`)).toBe(true);
  }, 60_000);

  it('runs in the background with -d and prints the container name; fails cleanly for unknown things', async () => {
    const p = await dockerProject(stack);
    const run = await ok(p, [
      'run',
      '-d',
      '--no-deps',
      'web',
      'sh',
      '-c',
      "trap 'exit 0' TERM; sleep 30 & wait",
    ]);
    const name = run.stdout.trim();
    expect(name).toMatch(new RegExp(`^${p.name}-web-run-[0-9a-f]{12}$`));
    expect((await ps(p))[name]!.State).toBe('running');
    await ok(p, ['rm', '-s', '-f', 'web']);
    expect(await states(p)).toEqual({});

    const unknown = await p.berth(['run', 'nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    const missing = await p.berth(['run', '--rm', '--no-deps', 'web', 'no-such-command-here']);
    // docker compose reports the runtime's refusal as an error (exit 1); the in-process engine exits 127.
    expect([1, 127]).toContain(missing.exitCode);
    expect(missing.stderr).toContain('no-such-command-here');
    expect(missing.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  }, 60_000);
});
