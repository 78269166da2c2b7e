import { readdir, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { berthBin, expectCleanFailure, runBerth } from './helpers.js';
import {
  processesWith,
  type StartedProject,
  runningProject,
  spawnBerth,
  testProject,
  until,
} from './started-project.js';

// The jobs end once GO appears in the project folder (bound at /app): the test decides when.
const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
  job:
    image: node
    command: ["node", "-e", "setInterval(() => { if (require('fs').existsSync('GO')) process.exit(3) }, 50)", "MARKER"]
    working_dir: /app
    volumes: [".:/app"]
  other:
    image: node
    command: ["node", "-e", "setInterval(() => { if (require('fs').existsSync('GO')) process.exit(0) }, 50)", "MARKER"]
    working_dir: /app
    volumes: [".:/app"]
`;

/** Whether a process has a socket open (berth's own stdio are pipes: a socket is its engine connection). */
async function hasSocket(pid: number): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.some((target) => target.startsWith('socket:'));
}

/** The full id of a service's container, as `ps -q` prints it. */
async function idOf(p: StartedProject, service: string): Promise<string> {
  return (await runBerth(['ps', '-a', '-q', service], { cwd: p.dir, env: p.env })).stdout.trim();
}

describe('berth wait', () => {
  it('waits for the services to exit, prints their codes and exits with the first one', async () => {
    const p = await runningProject(compose);
    const job = await idOf(p, 'job');
    const waiting = runBerth(['wait', 'job'], { cwd: p.dir, env: p.env });
    await writeFile(path.join(p.dir, 'GO'), '');
    const run = await waiting;
    expect(run.stdout).toBe(`container "${job}" exited with status code 3\n`);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(3);

    // Already exited: reported at once.
    const again = await runBerth(['wait', 'other', 'job'], { cwd: p.dir, env: p.env });
    expect(again.stdout).toContain(`container "${job}" exited with status code 3\n`);
    expect(again.stdout).toContain(`container "${await idOf(p, 'other')}" exited with status code 0\n`);
    expect(await processesWith(p.marker)).toHaveLength(1);
  });

  it('takes the project down after the first exit with --down-project', async () => {
    const p = await runningProject(compose);
    const [job, web] = [await idOf(p, 'job'), await idOf(p, 'web')];
    const waiting = runBerth(['--progress', 'quiet', 'wait', '--down-project', 'job', 'web'], {
      cwd: p.dir,
      env: p.env,
    });
    await writeFile(path.join(p.dir, 'GO'), '');
    const run = await waiting;
    expect(run.stdout).toMatch(
      new RegExp(`^container "(${job}|${web})" exited with status code (3|143|137)\\n$`),
    );
    expect(await processesWith(p.marker)).toEqual([]);
    expect((await runBerth(['ps', '-a', '-q'], { cwd: p.dir, env: p.env })).stdout).toBe('');
  });

  it('reports the codes when the foreground up hosting the project ends', async () => {
    const p = await testProject(compose);
    const up = spawnBerth(p, ['up', 'web']);
    await until(async () => (await processesWith(p.marker)).length === 1, 'web to run');
    const web = await idOf(p, 'web');
    const waiting = runBerth(['wait', 'web'], { cwd: p.dir, env: p.env });
    await until(async () => {
      const [pid] = await processesWith(`${berthBin}\0wait`);
      return pid !== undefined && (await hasSocket(pid));
    }, 'wait to connect to the host');
    up.kill('SIGINT');
    const run = await waiting;
    expect(run.stdout).toBe(`container "${web}" exited with status code 143\n`);
    expect(run.stderr).toBe('');
    await up;
    expect(await processesWith(p.marker)).toEqual([]);
  });

  it('fails clearly without a service, for an unknown one, or one with no container', async () => {
    const p = await testProject(compose);
    expect((await runBerth(['wait'], { cwd: p.dir, env: p.env })).exitCode).not.toBe(0);
    expectCleanFailure(await runBerth(['wait', 'nope'], { cwd: p.dir, env: p.env }));
    const none = await runBerth(['wait', 'job'], { cwd: p.dir, env: p.env });
    expectCleanFailure(none);
    expect(none.stderr).toContain('no containers');
  });
});
