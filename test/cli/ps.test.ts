import { describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth, tempProject } from './helpers.js';
import { type StartedProject, runningProject, testProject, until } from './started-project.js';

const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    ports: ["127.0.0.1::8080"]
  job:
    image: node
    command: ["node", "-e", "process.exit(3)", "MARKER"]
`;

async function started(): Promise<StartedProject> {
  const p = await runningProject(compose);
  // The job exits at once; wait until the engine has recorded it.
  await until(
    async () => (await ps(p, ['-a', '--format', 'json'])).stdout.includes('"State":"exited"'),
    'job exit',
  );
  return p;
}

function ps(p: StartedProject, args: string[]): ReturnType<typeof runBerth> {
  return runBerth(['ps', ...args], { cwd: p.dir, env: p.env });
}

function name(p: StartedProject, service: string): string {
  return `${p.dir.split('/').pop()!.toLowerCase()}-${service}-1`;
}

describe('berth ps', () => {
  it('lists running containers as a table, stopped ones too with -a', async () => {
    const p = await started();
    const run = await ps(p, []);
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(name(p, 'web'));
    expect(lines[1]).toMatch(/Up /);
    expect(lines[1]).toMatch(/127\.0\.0\.1:\d+->8080\/tcp/);

    const all = await ps(p, ['-a']);
    expect(all.stdout).toContain(name(p, 'job'));
    expect(all.stdout).toMatch(/Exited \(3\)/);
  });

  it('prints one JSON object per line with compose fields', async () => {
    const p = await started();
    const run = await ps(p, ['-a', '--format', 'json']);
    expect(run.exitCode).toBe(0);
    const rows = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((r) => r.Service)).toEqual(['job', 'web']);
    const [job, web] = rows;
    expect(job).toMatchObject({ Name: name(p, 'job'), State: 'exited', ExitCode: 3, Health: '' });
    expect(web).toMatchObject({ Name: name(p, 'web'), State: 'running', ExitCode: 0 });
    const publishers = web!.Publishers as { URL: string; TargetPort: number; PublishedPort: number }[];
    expect(publishers[0]).toMatchObject({ URL: '127.0.0.1', TargetPort: 8080 });
    expect(publishers[0]!.PublishedPort).toBeGreaterThan(0);
  });

  it('prints ids with -q, service names with --services, filters by status and service', async () => {
    const p = await started();
    const quiet = await ps(p, ['-a', '-q']);
    expect(quiet.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(quiet.stdout).toMatch(/^[0-9a-f]{12,}\n[0-9a-f]{12,}\n$/);

    expect((await ps(p, ['--services'])).stdout).toBe('web\n');
    expect((await ps(p, ['-a', '--services'])).stdout).toBe('job\nweb\n');
    expect((await ps(p, ['--status', 'exited', '--services'])).stdout).toBe('job\n');
    expect((await ps(p, ['--filter', 'status=running', '--services'])).stdout).toBe('web\n');
    expect((await ps(p, ['-a', '--services', 'job'])).stdout).toBe('job\n');
  });

  it('prints a Go-style template per container', async () => {
    const p = await started();
    const run = await ps(p, ['-a', '--format', '{{.Service}}\\t{{.State}}\\t{{.ExitCode}}']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('job\texited\t3\nweb\trunning\t0\n');
    const json = await ps(p, ['--format', '{{json .Publishers}}']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ URL: '127.0.0.1', TargetPort: 8080 }),
    ]);
    expectCleanFailure(await ps(p, ['--format', 'table {{.Name}}']));
    expectCleanFailure(await ps(p, ['--format', '{{.Nope}}']));
    expectCleanFailure(await ps(p, ['--format', '{{range .Publishers}}{{end}}']));
  });

  it('works with -p and no compose file, and rejects an unknown service', async () => {
    const p = await started();
    const projectName = p.dir.split('/').pop()!.toLowerCase();
    // A folder with no compose file in it or above it.
    const elsewhere = await tempProject({});
    const byName = await runBerth(['-p', projectName, 'ps', '--services'], {
      cwd: elsewhere.dir,
      env: p.env,
    });
    await elsewhere.cleanup();
    expect(byName.stderr).toBe('');
    expect(byName.stdout).toBe('web\n');

    const unknown = await ps(p, ['nope']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    const badStatus = await ps(p, ['--status', 'sleeping']);
    expectCleanFailure(badStatus);
  });

  it('prints only the header when nothing runs', async () => {
    const p = await testProject(compose);
    const run = await ps(p, []);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS\n$/);
  });
});
