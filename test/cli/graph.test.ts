import { afterEach, describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth, tempProject } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function project(files: Record<string, string>): Promise<string> {
  const p = await tempProject(files);
  cleanups.push(p.cleanup);
  return p.dir;
}

const stack = `
services:
  web:
    image: nginx
    depends_on:
      api: {condition: service_healthy}
  api:
    image: node
    depends_on: [db, cache]
    secrets: [token]
  db:
    image: postgres
    volumes: ["data:/var/lib/postgresql/data"]
  cache:
    image: redis
  debug:
    image: busybox
    profiles: [debug]
    depends_on: [api]
volumes:
  data:
secrets:
  token:
    file: ./token.txt
`;

const files = { 'compose.yaml': stack, 'token.txt': 'secret\n' };

describe('berth graph', () => {
  it('prints the start levels and dependencies as text by default', async () => {
    const dir = await project(files);
    const run = await runBerth(['-p', 'demo', 'graph'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      [
        'start order:',
        '  level 0: cache, db',
        '  level 1: api',
        '  level 2: web',
        '',
        'services:',
        '  api -> cache (service_started), db (service_started)',
        '    networks: default',
        '    secrets: token at /run/secrets/token',
        '  cache',
        '    networks: default',
        '  db',
        '    networks: default',
        '    volumes: data at /var/lib/postgresql/data',
        '  web -> api (service_healthy)',
        '    networks: default',
        '',
        'networks: default',
        'volumes: data',
        'secrets: token',
        '',
      ].join('\n'),
    );
  });

  it('restricts to the named services and their dependencies, or only them with --no-deps', async () => {
    const dir = await project(files);
    const withDeps = await runBerth(['graph', 'api'], { cwd: dir });
    expect(withDeps.exitCode).toBe(0);
    expect(withDeps.stdout).toContain('  level 0: cache, db\n  level 1: api\n\n');
    expect(withDeps.stdout).not.toContain('web');
    const noDeps = await runBerth(['graph', '--no-deps', 'api'], { cwd: dir });
    expect(noDeps.exitCode).toBe(0);
    expect(noDeps.stdout).toContain('start order:\n  level 0: api\n\nservices:\n  api\n');
    expect(noDeps.stdout).not.toContain('volumes: data');
  });

  it('enables the profile of a service named on the command line', async () => {
    const dir = await project(files);
    const run = await runBerth(['graph', 'debug'], { cwd: dir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('  level 2: debug\n');
  });

  it('prints Graphviz DOT', async () => {
    const dir = await project(files);
    const run = await runBerth(['-p', 'demo', 'graph', '--format', 'dot'], { cwd: dir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.startsWith('digraph "demo" {\n')).toBe(true);
    expect(run.stdout.endsWith('}\n')).toBe(true);
    expect(run.stdout).toContain('  "service:web" [label="web", shape=box];\n');
    expect(run.stdout).toContain('  "volume:data" [label="data", shape=cylinder];\n');
    expect(run.stdout).toContain('  "service:web" -> "service:api" [label="service_healthy"];\n');
  });

  it('prints a Mermaid flowchart', async () => {
    const dir = await project(files);
    const run = await runBerth(['graph', '--format', 'mermaid'], { cwd: dir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.startsWith('flowchart LR\n')).toBe(true);
    expect(run.stdout).toContain('  service_web -->|"service_healthy"| service_api\n');
    expect(run.stdout).toContain('  service_api -.->|"/run/secrets/token"| secret_token\n');
  });

  it('prints the same output every time', async () => {
    const dir = await project(files);
    const first = await runBerth(['graph', '--format', 'dot'], { cwd: dir });
    const second = await runBerth(['graph', '--format', 'dot'], { cwd: dir });
    expect(second.stdout).toBe(first.stdout);
  });

  it('refuses an unknown service cleanly', async () => {
    const dir = await project(files);
    const run = await runBerth(['graph', 'nope'], { cwd: dir });
    expectCleanFailure(run);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('no such service: nope');
    expect(run.stdout).toBe('');
  });

  it('refuses an unknown format cleanly', async () => {
    const dir = await project(files);
    const run = await runBerth(['graph', '--format', 'png'], { cwd: dir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/png.*(invalid|Allowed)/is);
  });

  it('reports a dependency cycle with its location', async () => {
    const dir = await project({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n',
    });
    const run = await runBerth(['graph'], { cwd: dir });
    expectCleanFailure(run);
    expect(run.stderr).toContain('dependency cycle detected: a -> b -> a');
  });

  it('reports a broken compose file like config does', async () => {
    const dir = await project({
      'compose.yaml': 'services:\n  a:\n    image: x\n    ports: ["80:80:80:80"]\n',
    });
    const run = await runBerth(['graph'], { cwd: dir });
    expectCleanFailure(run);
    expect(run.stderr).toContain('services.a.ports');
  });
});
