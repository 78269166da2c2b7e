import { describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth } from './helpers.js';
import { processesWith, runningProject, testProject, until } from './started-project.js';

const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER-web"]
  db:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER-db"]
  job:
    image: node
    command: ["node", "-e", "process.exit(0)", "MARKER-job"]
`;

describe('berth top', () => {
  it('prints each running container name and its processes', async () => {
    const p = await runningProject(compose);
    await until(async () => (await processesWith(`${p.marker}-job`)).length === 0, 'the job to exit');
    const name = p.dir.split('/').pop()!.toLowerCase();
    const [dbPid] = await processesWith(`${p.marker}-db`);
    const [webPid] = await processesWith(`${p.marker}-web`);

    const run = await runBerth(['top'], { cwd: p.dir, env: p.env });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const blocks = run.stdout.split('\n\n').filter((b) => b !== '');
    expect(blocks).toHaveLength(2);
    const [db, web] = blocks.map((b) => b.split('\n'));
    expect(db![0]).toBe(`${name}-db-1`);
    expect(db![1]).toMatch(/^UID\s+PID\s+PPID\s+.*CMD$/);
    expect(db!.slice(2).join('\n')).toMatch(new RegExp(`\\s${dbPid}\\s.*${p.marker}-db`));
    expect(web![0]).toBe(`${name}-web-1`);
    expect(web!.slice(2).join('\n')).toMatch(new RegExp(`\\s${webPid}\\s.*${p.marker}-web`));

    const one = await runBerth(['top', 'web'], { cwd: p.dir, env: p.env });
    expect(one.stdout.startsWith(`${name}-web-1\n`)).toBe(true);
    expect(one.stdout).not.toContain(`${name}-db-1`);
    expect(one.stdout.endsWith('\n\n')).toBe(true);
    expectCleanFailure(await runBerth(['top', 'nope'], { cwd: p.dir, env: p.env }));
  });

  it('prints nothing when nothing runs', async () => {
    const p = await testProject(compose);
    const run = await runBerth(['top'], { cwd: p.dir, env: p.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('');
  });
});
