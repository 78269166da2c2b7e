import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { cleanupsAfterEach } from '../support/cleanups.js';
import { expectCleanFailure, runBerth, tempProject } from './helpers.js';

const defer = cleanupsAfterEach();

async function project(files: Record<string, string>): Promise<string> {
  const p = await tempProject(files);
  defer(p.cleanup);
  return p.dir;
}

const shop = `
name: shop
services:
  web:
    build: .
    image: registry.example/shop-web:1.4
    scale: 3
    restart: always
    ports: ["8080:80"]
    depends_on: [db]
    secrets: [token]
  db:
    image: postgres:16
    container_name: shop-db
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/token
    secrets: [token]
secrets:
  token:
    environment: SHOP_TOKEN
`;

describe('berth stack convert', () => {
  it('writes the stack file, the secret given by value beside it (private), and reports each change on stderr', async () => {
    const dir = await project({ 'compose.yaml': shop });
    const run = await runBerth(['stack', 'convert', '-o', 'deploy/stack.yml'], {
      cwd: dir,
      env: { SHOP_TOKEN: 'pa$$word' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      'services.db.container_name: dropped: Swarm names each task itself; other services reach this one by its service name',
      expect.stringMatching(
        /^services\.web\.build: dropped: Swarm does not build images; the service runs image registry\.example\/shop-web:1\.4/,
      ),
      expect.stringMatching(/^services\.web\.depends_on: dropped: /),
      'services.web.restart: rewritten: moved to deploy.restart_policy (condition: any)',
      'services.web.scale: rewritten: moved to deploy.replicas (3)',
      "networks.default.driver: rewritten: overlay instead of compose's default bridge driver: Swarm services attach only to swarm-scoped networks",
      expect.stringMatching(
        /^secrets\.token\.environment: written: the value of SHOP_TOKEN is written to .*deploy\/stack\.files\/secrets\/token/,
      ),
    ]);
    const stack = parse(await readFile(path.join(dir, 'deploy/stack.yml'), 'utf8')) as Record<string, never>;
    expect(stack).toMatchObject({
      version: '3.13',
      services: {
        web: {
          image: 'registry.example/shop-web:1.4',
          deploy: { replicas: 3, restart_policy: { condition: 'any' } },
          ports: [{ mode: 'ingress', target: 80, published: 8080, protocol: 'tcp' }],
        },
      },
      secrets: { token: { file: path.join(dir, 'deploy/stack.files/secrets/token') } },
    });
    const secretFile = path.join(dir, 'deploy/stack.files/secrets/token');
    expect(await readFile(secretFile, 'utf8')).toBe('pa$$word');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(secretFile)).mode & 0o777).toBe(0o700);
  });

  it('prints JSON and a JSON report line per change with --format json', async () => {
    const dir = await project({
      'compose.yaml':
        'services:\n  web:\n    image: nginx\n    expose: ["80"]\n    environment: {PRICE: "$$5"}\n',
    });
    const run = await runBerth(
      ['-p', 'demo', 'stack', 'convert', '--format', 'json', '--stack-version', '3.8'],
      {
        cwd: dir,
      },
    );
    expect(run.exitCode).toBe(0);
    const stack = JSON.parse(run.stdout) as {
      version: string;
      services: Record<string, { environment: object }>;
    };
    expect(stack.version).toBe('3.8');
    // The value is `$5`; the file says `$$5` because docker stack deploy interpolates it again.
    expect(stack.services.web?.environment).toEqual({ PRICE: '$$5' });
    const report = run.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(report[0]).toEqual({
      level: 'warning',
      path: 'services.web.expose',
      service: 'web',
      action: 'dropped',
      detail: expect.stringContaining('nothing needs exposing') as string,
    });
    expect(report.map((r) => r.path)).toEqual(['services.web.expose', 'networks.default.driver']);
  });

  it('--strict turns every change into an error and writes nothing', async () => {
    const dir = await project({ 'compose.yaml': shop });
    const run = await runBerth(['stack', 'convert', '--strict', '-o', 'stack.yml'], {
      cwd: dir,
      env: { SHOP_TOKEN: 'x' },
    });
    expectCleanFailure(run);
    expect(run.stderr).toMatch(/^error: services\.db\.container_name: dropped: Swarm names each task/m);
    expect(run.stderr).toMatch(/^error: services\.web\.scale: rewritten: moved to deploy\.replicas \(3\)$/m);
    expect(run.stderr).toMatch(/the stack file would differ from the project in 7 keys/);
    expect(existsSync(path.join(dir, 'stack.yml'))).toBe(false);
    expect(existsSync(path.join(dir, 'stack.files'))).toBe(false);
  });

  it('--strict passes a project Swarm runs as it is', async () => {
    const dir = await project({
      'compose.yaml':
        'services:\n  web:\n    image: nginx\n    networks: [front]\nnetworks:\n  front:\n    driver: overlay\n',
    });
    const run = await runBerth(['-p', 'demo', 'stack', 'convert', '--strict'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(parse(run.stdout)).toEqual({
      version: '3.13',
      services: { web: { image: 'nginx', networks: { front: null } } },
      networks: { front: { driver: 'overlay' } },
    });
  });

  it('refuses what it cannot convert with clean errors naming each service or secret', async () => {
    const dir = await project({
      'compose.yaml':
        'services:\n  web:\n    build: .\n  api:\n    build: ./api\n    configs: [settings]\nconfigs:\n  settings:\n    content: "debug=1"\n',
    });
    const run = await runBerth(['-p', 'demo', 'stack', 'convert'], { cwd: dir });
    expectCleanFailure(run);
    expect(run.stderr).toContain(
      'error: services.api: Swarm cannot build an image and the service names none',
    );
    expect(run.stderr).toContain('error: services.web: Swarm cannot build an image');
    expect(run.stderr).toContain('--registry PREFIX');
    expect(run.stderr).toContain('error: configs.settings.content: Swarm reads a config only from a file');

    const withRegistry = await runBerth(
      ['-p', 'demo', 'stack', 'convert', '--registry', 'reg.local:5000', '-o', 'out.yaml'],
      { cwd: dir },
    );
    expect(withRegistry.exitCode).toBe(0);
    const stack = parse(await readFile(path.join(dir, 'out.yaml'), 'utf8')) as {
      services: Record<string, { image: string }>;
    };
    expect(stack.services.api?.image).toBe('reg.local:5000/demo-api');
    expect(stack.services.web?.image).toBe('reg.local:5000/demo-web');
  });

  it('refuses an unknown stack version with the versions it knows', async () => {
    const dir = await project({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
    const run = await runBerth(['stack', 'convert', '--stack-version', '3.14'], { cwd: dir });
    expectCleanFailure(run);
    expect(run.stderr).toMatch(/3\.14/);
    expect(run.stderr).toMatch(/3\.13/);
  });

  it('refuses an output it cannot write with a clean error, in bounded time', async () => {
    const dir = await project({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n', 'a-file': 'x' });
    // Under /proc, Node 20's recursive mkdir never returns: berth makes folders one level at a time.
    for (const output of ['/proc/berth-no-such/stack.yaml', 'a-file/stack.yaml']) {
      const run = await runBerth(['stack', 'convert', '-o', output], { cwd: dir, timeoutMs: 10_000 });
      expectCleanFailure(run);
      expect(run.stderr).toContain('error: cannot write the stack file');
      expect(run.stderr).toContain('choose a folder you can write to');
    }
  });

  it('stack deploy and rm fail cleanly without a docker CLI', async () => {
    const dir = await project({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
    for (const args of [
      ['stack', 'deploy', 'demo'],
      ['stack', 'rm', 'demo'],
    ]) {
      const run = await runBerth(args, { cwd: dir, env: { BERTH_DOCKER_CLI: path.join(dir, 'no-docker') } });
      expectCleanFailure(run);
      expect(run.stderr).toContain('cannot run the docker CLI');
      expect(run.stderr).toContain('not found');
    }
  });
});
