import { describe, expect, it } from 'vitest';

import { expectCleanFailure } from './helpers.js';
import { fixture, processesOf, ps, sleeper } from './lifecycle-fixture.js';

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
    command: ["node", "-e", "console.log('the service command')", "MARKER"]
    restart: always
    environment:
      GREETING: hello
    ports: ["127.0.0.1::8080"]
    depends_on:
      db: {condition: service_healthy}
`;

const show = `console.log(JSON.stringify({ args: process.argv.slice(1), greeting: process.env.GREETING, extra: process.env.EXTRA, cwd: process.cwd() }))`;

describe('berth run', () => {
  it("prints the one-off's output without prefix, exits with its code and removes it with --rm", async () => {
    const f = await fixture('run', stack);
    const script = `console.log('to stdout'); console.error('to stderr'); process.exit(3)`;
    const run = await f.berth(['run', '--rm', 'web', 'node', '-e', script, f.marker]);
    expect(run.stdout).toBe('to stdout\n');
    expect(run.stderr).toContain('to stderr\n');
    expect(run.exitCode).toBe(3);
    const states = await ps(f);
    expect(Object.keys(states)).toEqual(['demo-db-1']);
    expect(states['demo-db-1']!.State).toBe('running');
  });

  it('keeps an exited one-off without --rm, named after the service', async () => {
    const f = await fixture('run', stack);
    const run = await f.berth(['run', '--no-deps', 'web']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe('the service command\n');
    const states = Object.values(await ps(f));
    expect(states).toHaveLength(1);
    expect(states[0]!.Name).toMatch(/^demo-web-run-[0-9a-f]{12}$/);
    expect(states[0]!).toMatchObject({ Service: 'web', State: 'exited', ExitCode: 0 });
  });

  it('passes its arguments through and applies -e, -w, --entrypoint and --name', async () => {
    const f = await fixture('run', stack);
    const args = ['run', '--rm', '--no-deps', '-e', 'EXTRA=x', '-w', '/', '--name', 'custom', 'web'];
    const run = await f.berth([...args, 'node', '-e', show, '--', '-f', '-v', '--rm', f.marker]);
    expect(run.exitCode, run.stderr).toBe(0);
    const shown = JSON.parse(run.stdout) as { args: string[]; greeting: string; extra: string };
    expect(shown).toMatchObject({ args: ['-f', '-v', '--rm', f.marker], greeting: 'hello', extra: 'x' });

    const entry = await f.berth(['run', '--rm', '--no-deps', '--entrypoint', 'node -e', 'web', show]);
    expect(entry.exitCode, entry.stderr).toBe(0);
    expect(JSON.parse(entry.stdout)).toMatchObject({ greeting: 'hello' });
  });

  it('starts its dependencies first and waits for their conditions, unless --no-deps', async () => {
    const f = await fixture('run', stack);
    const run = await f.berth(['run', '--rm', 'web', 'node', '-e', 'process.exit(0)', f.marker]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(' Container demo-db-1  Started\n');
    expect((await ps(f))['demo-db-1']!.State).toBe('running');
  });

  it('runs in the background with -d and prints the container name', async () => {
    const f = await fixture('run', stack);
    const run = await f.berth([
      'run',
      '-d',
      '--no-deps',
      'web',
      'node',
      '-e',
      'setInterval(() => {}, 1000)',
      f.marker,
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const name = run.stdout.trim();
    expect(name).toMatch(/^demo-web-run-[0-9a-f]{12}$/);
    expect((await ps(f))[name]!.State).toBe('running');
    const stop = await f.berth(['rm', '-s', '-f', 'web']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(await processesOf(f.marker)).toEqual([]);
  });

  it('stops the one-off on Ctrl-C and removes it with --rm', async () => {
    const f = await fixture('run', stack);
    const script = `console.log('ready'); process.on('SIGTERM', () => { console.log('stopping'); process.exit(5) }); setInterval(() => {}, 1000)`;
    const run = f.spawn(['run', '--rm', '--no-deps', 'web', 'node', '-e', script, f.marker]);
    let output = '';
    run.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 100 && !output.includes('ready'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output).toContain('ready');
    run.kill('SIGINT');
    const result = await run;
    expect(output).toContain('stopping\n');
    expect(result.exitCode).not.toBe(0);
    expect(await ps(f)).toEqual({});
    expect(await processesOf(f.marker)).toEqual([]);
  });

  it('fails cleanly for an unknown service and a command that does not exist', async () => {
    const f = await fixture('run', stack);
    const unknown = await f.berth(['run', 'nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    const missing = await f.berth(['run', '--rm', '--no-deps', 'web', 'no-such-command-here']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('no-such-command-here');
  });
});
