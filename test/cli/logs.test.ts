import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseLogTime } from '../../src/cli/logs.js';
import { expectCleanFailure, runBerth } from './helpers.js';
import { followBerth, type StartedProject, runningProject, until } from './started-project.js';

const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "console.log('one'); console.log('two'); console.log('three'); console.error('oops'); setInterval(() => {}, 1000)", "MARKER"]
  worker:
    image: node
    command: ["node", "-e", "console.log('working'); setInterval(() => {}, 1000)", "MARKER"]
    scale: 2
`;

function logs(p: StartedProject, args: string[]): ReturnType<typeof runBerth> {
  return runBerth(['logs', ...args], { cwd: p.dir, env: p.env });
}

/** Waits until every replica wrote its lines (they are written asynchronously). */
async function allWritten(p: StartedProject): Promise<void> {
  await until(async () => {
    const run = await logs(p, []);
    return run.stderr.includes('oops') && run.stdout.split('working').length === 3;
  }, 'the services to write their lines');
}

describe('berth logs', () => {
  it('prints every replica with aligned prefixes, stderr lines on stderr', async () => {
    const p = await runningProject(compose);
    await allWritten(p);
    const run = await logs(p, []);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('web-1     | one\nweb-1     | two\nweb-1     | three\n');
    expect(run.stdout).toContain('worker-1  | working\n');
    expect(run.stdout).toContain('worker-2  | working\n');
    expect(run.stderr).toBe('web-1     | oops\n');
  });

  it('selects services and replicas, tails, strips prefixes, adds timestamps', async () => {
    const p = await runningProject(compose);
    await allWritten(p);
    expect((await logs(p, ['--no-log-prefix', 'web'])).stdout).toBe('one\ntwo\nthree\n');
    // The tail counts both streams: the last line is the one on stderr.
    const tail = await logs(p, ['-n', '2', 'web']);
    expect([tail.stdout, tail.stderr]).toEqual(['web-1  | three\n', 'web-1  | oops\n']);
    expect((await logs(p, ['--tail', 'all', 'web'])).stdout).toBe(
      'web-1  | one\nweb-1  | two\nweb-1  | three\n',
    );
    expect((await logs(p, ['--index', '2', 'worker'])).stdout).toBe('worker-2  | working\n');
    const stamped = await logs(p, ['-t', '-n', '2', 'web']);
    expect(stamped.stdout).toMatch(/^web-1 {2}\| \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z three\n$/);
    // Own short flags win over global ones (-f is --file, -t ... before the command), clusters included.
    expect((await logs(p, ['-tn', '2', 'web'])).stdout).toMatch(/^web-1 {2}\| \S+Z three\n$/);
    const globalAfter = await runBerth(['logs', '-p', path.basename(p.dir).toLowerCase(), '-n', '2', 'web'], {
      cwd: p.dir,
      env: p.env,
    });
    expect(globalAfter.stdout).toBe('web-1  | three\n');
    const noColor = await runBerth(['--ansi', 'always', 'logs', '--no-color', 'web'], {
      cwd: p.dir,
      env: p.env,
    });
    expect(noColor.stdout).not.toContain('\u001b[');
    const color = await runBerth(['--ansi', 'always', 'logs', 'web'], { cwd: p.dir, env: p.env });
    expect(color.stdout).toContain('\u001b[');
  });

  it('filters by --since and --until, as times or durations back from now', async () => {
    const p = await runningProject(compose);
    await allWritten(p);
    expect((await logs(p, ['--since', '1h', 'web'])).stdout).toContain('three');
    expect((await logs(p, ['--since', '2100-01-01T00:00:00Z', 'web'])).stdout).toBe('');
    expect((await logs(p, ['--until', '1h', 'web'])).stdout).toBe('');
    expect((await logs(p, ['--until', '2100-01-01T00:00:00.123456789Z', 'web'])).stdout).toContain('three');
    expect((await logs(p, ['--since', '0', 'web'])).stdout).toContain('one');
    expectCleanFailure(await logs(p, ['--since', 'yesterday']));
    expectCleanFailure(await logs(p, ['--tail', 'some']));
    expectCleanFailure(await logs(p, ['nope']));
  });

  it('follows with -f until Ctrl-C, and exits 0', async () => {
    const p = await runningProject(`
services:
  ticker:
    image: node
    command: ["node", "-e", "let i = 0; setInterval(() => console.log('tick ' + i++), 50)", "MARKER"]
`);
    const { child, output } = followBerth(p, ['logs', '-f', '--no-log-prefix']);
    // Lines written after the command started prove it follows.
    await until(() => /tick (\d+)/.exec(output()) !== null, 'the first lines');
    const first = Number(/tick (\d+)/.exec(output())![1]);
    await until(() => output().includes(`tick ${first + 5}\n`), 'lines written while following');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
  });

  it('stops following once every container has stopped', async () => {
    const p = await runningProject(`
services:
  short:
    image: node
    command: ["node", "-e", "console.log('hello'); setInterval(() => {}, 1000)", "MARKER"]
`);
    const { child, output } = followBerth(p, ['logs', '-f']);
    await until(() => output().includes('hello'), 'the first line');
    const down = await runBerth(['down'], { cwd: p.dir, env: p.env });
    expect(down.exitCode).toBe(0);
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('short-1  | hello');
  });

  it('follows replicas that start while it runs', async () => {
    const ticker = (scale: number): string => `
services:
  ticker:
    image: node
    command: ["node", "-e", "setInterval(() => console.log('tick from ' + process.env.BERTH_REPLICA), 50)", "MARKER"]
    scale: ${scale}
`;
    const p = await runningProject(ticker(1));
    const { child, output } = followBerth(p, ['logs', '-f']);
    await until(() => output().includes('ticker-1  | tick from 1'), 'the first replica');
    await writeFile(path.join(p.dir, 'compose.yaml'), ticker(2).replaceAll('MARKER', p.marker));
    await p.up();
    await until(() => /ticker-2 +\| tick from 2/.test(output()), 'the new replica');
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
  });
});

describe('parseLogTime', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');
  it.each([
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01T01:00:00+01:00', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01T00:00:00.123456789Z', '2026-01-01T00:00:00.123456789Z'],
    // Plain numbers are Unix seconds, as Docker reads them.
    ['1700000000', '2023-11-14T22:13:20.000Z'],
    ['1700000000.5', '2023-11-14T22:13:20.500Z'],
    ['10m', '2026-01-02T02:54:05.000Z'],
    ['1h30m', '2026-01-02T01:34:05.000Z'],
  ])('reads %s', (input, expected) => {
    expect(parseLogTime(input, '--since', now)).toBe(expected);
  });

  it.each(['yesterday', '-5m', ''])('rejects %j', (input) => {
    expect(() => parseLogTime(input, '--since', now)).toThrow(/invalid --since/);
  });
});
