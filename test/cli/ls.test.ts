import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth } from './helpers.js';
import { processesWith, type StartedProject, runningProject, testProject, until } from './started-project.js';

const running = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    scale: 2
  job:
    image: node
    command: ["node", "-e", "process.exit(0)", "MARKER"]
`;

const finished = `
services:
  job:
    image: node
    command: ["node", "-e", "process.exit(0)", "MARKER"]
`;

const nameOf = (p: StartedProject): string => path.basename(p.dir).toLowerCase();

/** Two projects in one state root: one running (with an exited job), one whose only container exited. */
async function twoProjects(): Promise<[StartedProject, StartedProject]> {
  const first = await testProject(running);
  const second = await testProject(finished, { stateDir: first.env.BERTH_STATE_DIR! });
  await first.up();
  await second.up();
  for (const p of [first, second]) {
    await until(
      async () =>
        (await runBerth(['ps', '--status', 'exited', '-q'], { cwd: p.dir, env: p.env })).stdout !== '',
      'the job to exit',
    );
  }
  return [first, second];
}

describe('berth ls', () => {
  it('lists running projects with their running containers, all of them with -a', async () => {
    const [first, second] = await twoProjects();
    const run = await runBerth(['ls'], { cwd: first.dir, env: first.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+CONFIG FILES$/);
    expect(run.stdout).toMatch(
      new RegExp(`\\n${nameOf(first)}\\s+running\\(2\\)\\s+${path.join(first.dir, 'compose.yaml')}\\n$`),
    );
    expect(run.stdout).not.toContain(nameOf(second));

    const all = await runBerth(['ls', '-a'], { cwd: first.dir, env: first.env });
    expect(all.stdout).toContain(`exited(1), running(2)`);
    expect(all.stdout).toMatch(new RegExp(`\\n${nameOf(second)}\\s+exited\\(1\\)\\s+`));
  });

  it('prints JSON, names only with -q, and filters by name', async () => {
    const [first, second] = await twoProjects();
    const json = await runBerth(['ls', '-a', '--format', 'json'], { cwd: first.dir, env: first.env });
    const rows = JSON.parse(json.stdout) as { Name: string; Status: string; ConfigFiles: string }[];
    const byName = new Map(rows.map((r) => [r.Name, r]));
    expect(byName.get(nameOf(first))).toEqual({
      Name: nameOf(first),
      Status: 'exited(1), running(2)',
      ConfigFiles: path.join(first.dir, 'compose.yaml'),
    });
    expect(byName.get(nameOf(second))?.Status).toBe('exited(1)');

    const quiet = await runBerth(['ls', '-a', '-q'], { cwd: first.dir, env: first.env });
    expect(quiet.stdout.trimEnd().split('\n').sort()).toEqual([nameOf(first), nameOf(second)].sort());
    const filtered = await runBerth(['ls', '-a', '-q', '--filter', `name=${nameOf(second)}`], {
      cwd: first.dir,
      env: first.env,
    });
    expect(filtered.stdout).toBe(`${nameOf(second)}\n`);
    expectCleanFailure(
      await runBerth(['ls', '--filter', 'status=running'], { cwd: first.dir, env: first.env }),
    );
  });

  it('shows the project of a killed supervisor as exited, after cleaning its state', async () => {
    const p = await runningProject(running);
    const pidFile = path.join(p.env.BERTH_STATE_DIR!, 'projects', nameOf(p), 'supervisor.pid');
    const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
    process.kill(pid, 'SIGKILL');
    // Its services die with it (parent-death signal, watchdog).
    await until(async () => (await processesWith(p.marker)).length === 0, 'the services to die');

    const run = await runBerth(['ls', '-a'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`\\n${nameOf(p)}\\s+exited\\(3\\)\\s+`));
    expect(run.stderr).toContain('no longer running');
    expect((await runBerth(['ls', '-q'], { cwd: p.dir, env: p.env })).stdout).toBe('');
  });

  it('prints only the header when no project exists', async () => {
    const p = await testProject(finished);
    const run = await runBerth(['ls'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+STATUS\s+CONFIG FILES\n$/);
    expect((await runBerth(['ls', '--format', 'json'], { cwd: p.dir, env: p.env })).stdout).toBe('[]\n');
  });
});
