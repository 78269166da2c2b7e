import { describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth } from './helpers.js';
import { runningProject } from './started-project.js';

const compose = `
services:
  web:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    ports: ["127.0.0.1::8080"]
    expose: ["9000"]
  idle:
    image: node
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
`;

describe('berth port', () => {
  it('prints the host address of a published port, as ps shows it', async () => {
    const p = await runningProject(compose);
    const run = await runBerth(['port', 'web', '8080'], { cwd: p.dir, env: p.env });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    const published = Number(run.stdout.trim().split(':')[1]);
    const ps = await runBerth(['ps', '--format', 'json', 'web'], { cwd: p.dir, env: p.env });
    const row = JSON.parse(ps.stdout) as { Publishers: { TargetPort: number; PublishedPort: number }[] };
    expect(row.Publishers.find((x) => x.TargetPort === 8080)?.PublishedPort).toBe(published);
    expect(
      (await runBerth(['port', '--index', '1', 'web', '8080/tcp'], { cwd: p.dir, env: p.env })).stdout,
    ).toBe(run.stdout);
  });

  // Skipped until the engine's race is fixed: replicas started in parallel sometimes leave one of
  // them reported as unpublished (URL "", PublishedPort 0) in its publishers.
  it('gives every replica of a scaled service the one balanced published port', async () => {
    const p = await runningProject(
      compose.replace('    expose: ["9000"]\n', '    expose: ["9000"]\n    scale: 2\n'),
    );
    const first = await runBerth(['port', 'web', '8080'], { cwd: p.dir, env: p.env });
    const second = await runBerth(['port', '--index', '2', 'web', '8080'], { cwd: p.dir, env: p.env });
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    expect(second.stdout).toBe(first.stdout);
  });

  it('fails clearly for a port that is not published, a missing replica or service', async () => {
    const p = await runningProject(compose);
    const exposed = await runBerth(['port', 'web', '9000'], { cwd: p.dir, env: p.env });
    expectCleanFailure(exposed);
    expect(exposed.stderr).toContain('no port 9000/tcp published');
    expectCleanFailure(
      await runBerth(['port', '--protocol', 'udp', 'web', '8080'], { cwd: p.dir, env: p.env }),
    );
    expectCleanFailure(await runBerth(['port', 'idle', '8080'], { cwd: p.dir, env: p.env }));
    const index = await runBerth(['port', '--index', '2', 'web', '8080'], { cwd: p.dir, env: p.env });
    expectCleanFailure(index);
    expect(index.stderr).toContain('no container with index 2');
    expectCleanFailure(await runBerth(['port', 'nope', '8080'], { cwd: p.dir, env: p.env }));
    expectCleanFailure(await runBerth(['port', 'web', 'http'], { cwd: p.dir, env: p.env }));
  });
});
