import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth, tempProject } from './helpers.js';
import {
  processesWith,
  type StartedProject,
  runningProject,
  spawnBerth,
  testProject,
  until,
} from './started-project.js';

const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    depends_on: [db]
  db:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    volumes: ["data:/data"]
volumes:
  data:
`;

const projectName = (p: StartedProject): string => path.basename(p.dir).toLowerCase();
const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** The supervisor's pid, from its pid file, while it runs. */
async function supervisorPid(p: StartedProject): Promise<number | undefined> {
  const file = path.join(p.env.BERTH_STATE_DIR!, 'projects', projectName(p), 'supervisor.pid');
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('berth down', () => {
  it('stops and removes every container and network, ends the supervisor, keeps named volumes', async () => {
    const p = await runningProject(compose);
    expect(await processesWith(p.marker)).toHaveLength(2);
    const supervisor = await supervisorPid(p);
    expect(alive(supervisor)).toBe(true);

    const run = await runBerth(['--progress', 'plain', 'down'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    const name = projectName(p);
    // web depends on db: it stops first.
    const lines = run.stderr.split('\n');
    const webStopped = lines.findIndex((l) => l.includes(`Container ${name}-web-1`) && l.includes('Stopped'));
    const dbStopping = lines.findIndex((l) => l.includes(`Container ${name}-db-1`) && l.includes('Stopping'));
    expect(webStopped).toBeGreaterThanOrEqual(0);
    expect(dbStopping).toBeGreaterThan(webStopped);
    expect(run.stderr).toContain(`Network ${name}_default`);
    expect(run.stderr).not.toContain(`Volume ${name}_data`);

    expect(await processesWith(p.marker)).toEqual([]);
    await until(() => !alive(supervisor), 'the supervisor to exit');
    expect((await runBerth(['ps', '-a', '-q'], { cwd: p.dir, env: p.env })).stdout).toBe('');
    expect(await exists(path.join(p.env.BERTH_STATE_DIR!, 'volumes', `${name}_data`))).toBe(true);

    const again = await runBerth(['down'], { cwd: p.dir, env: p.env });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(`No resource found to remove for project "${name}"`);
  });

  it('removes named volumes with -v (not read as --version)', async () => {
    const p = await runningProject(compose);
    const name = projectName(p);
    const run = await runBerth(['--progress', 'plain', 'down', '-v'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Volume ${name}_data`);
    expect(await exists(path.join(p.env.BERTH_STATE_DIR!, 'volumes', `${name}_data`))).toBe(false);
    expect(await processesWith(p.marker)).toEqual([]);
  });

  it('takes down only the named services and keeps the supervisor for the others', async () => {
    const p = await runningProject(compose);
    const supervisor = await supervisorPid(p);
    const run = await runBerth(['--progress', 'plain', 'down', '-t', '2', 'web'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(await processesWith(p.marker)).toHaveLength(1);
    expect(alive(supervisor)).toBe(true);
    const left = await runBerth(['ps', '-a', '--services'], { cwd: p.dir, env: p.env });
    expect(left.stdout).toBe('db\n');
  });

  it('works with -p and no compose file', async () => {
    const p = await runningProject(compose);
    const elsewhere = await tempProject({});
    try {
      const run = await runBerth(['-p', projectName(p), '--progress', 'plain', 'down'], {
        cwd: elsewhere.dir,
        env: p.env,
      });
      expect(run.exitCode).toBe(0);
      expect(await processesWith(p.marker)).toEqual([]);
    } finally {
      await elsewhere.cleanup();
    }
  });

  it('warns about orphans and removes them with --remove-orphans', async () => {
    const p = await runningProject(compose);
    const name = projectName(p);
    // db leaves the file: its container becomes an orphan (web no longer depends on it).
    await writeFile(
      path.join(p.dir, 'compose.yaml'),
      `services:\n  web:\n    image: node\n    command: ["node", "-e", "setInterval(() => {}, 1000)", "${p.marker}"]\n`,
    );
    const kept = await runBerth(['--progress', 'plain', 'down'], { cwd: p.dir, env: p.env });
    expect(kept.exitCode).toBe(0);
    expect(kept.stderr).toMatch(/orphan/i);
    expect(kept.stderr).toContain(`${name}-db-1`);
    expect(await processesWith(p.marker)).toHaveLength(1);

    const removed = await runBerth(['--progress', 'plain', 'down', '--remove-orphans'], {
      cwd: p.dir,
      env: p.env,
    });
    expect(removed.exitCode).toBe(0);
    expect(await processesWith(p.marker)).toEqual([]);
  });

  it('removes the one-off containers of run too', async () => {
    const p = await runningProject(compose);
    const name = projectName(p);
    const run = await runBerth(['run', 'db', 'node', '-e', `console.log('${p.marker}')`], {
      cwd: p.dir,
      env: p.env,
    });
    expect(run.exitCode).toBe(0);
    const oneoff = (await runBerth(['ps', '-a', '--format', '{{.Name}}'], { cwd: p.dir, env: p.env })).stdout
      .split('\n')
      .find((n) => n.startsWith(`${name}-db-run-`));
    expect(oneoff).toBeDefined();

    const down = await runBerth(['--progress', 'plain', 'down'], { cwd: p.dir, env: p.env });
    expect(down.exitCode).toBe(0);
    expect(down.stderr).toContain(`Container ${oneoff!}  Removed`);
    expect((await runBerth(['ps', '-a', '-q'], { cwd: p.dir, env: p.env })).stdout).toBe('');
  });

  it('prints the plan with --dry-run and changes nothing', async () => {
    const p = await runningProject(compose);
    const name = projectName(p);
    const run = await runBerth(['down', '--dry-run', '-v'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`stop container ${name}-web-1\n`);
    expect(run.stdout).toContain(`remove network ${name}_default\n`);
    expect(run.stdout).toContain(`${name}_data`);
    expect(run.stdout.indexOf(`stop container ${name}-web-1`)).toBeLessThan(
      run.stdout.indexOf(`stop container ${name}-db-1`),
    );
    expect(await processesWith(p.marker)).toHaveLength(2);
  });

  it('rejects a bad timeout and an unknown service', async () => {
    const p = await runningProject(compose);
    expectCleanFailure(await runBerth(['down', '-t', 'soon'], { cwd: p.dir, env: p.env }));
    const unknown = await runBerth(['down', 'nope'], { cwd: p.dir, env: p.env });
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    expect(await processesWith(p.marker)).toHaveLength(2);
  });

  it('takes down a project hosted by a foreground up, which then ends', async () => {
    const p = await testProject(compose);
    const up = spawnBerth(p, ['up']);
    await until(async () => (await processesWith(p.marker)).length === 2, 'the services to run');

    const run = await runBerth(['--progress', 'plain', 'down'], { cwd: p.dir, env: p.env });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.exitCode).toBe(0);
    await up;
    expect(await processesWith(p.marker)).toEqual([]);
    expect((await runBerth(['ps', '-a', '-q'], { cwd: p.dir, env: p.env })).stdout).toBe('');
  });
});
