import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { expectCleanFailure, repoRoot, runBerth, tempProject } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function project(files: Record<string, string | Uint8Array>): Promise<string> {
  const p = await tempProject(files);
  cleanups.push(p.cleanup);
  return p.dir;
}

const webDb = `
services:
  web:
    image: nginx:\${TAG:-1.27}
    ports: ["8080:80"]
    depends_on: [db]
    profiles: [frontend]
  db:
    image: postgres:16
    volumes: ["data:/var/lib/postgresql/data"]
    environment:
      POSTGRES_PASSWORD: example
volumes:
  data:
`;

describe('berth config', () => {
  it('prints the canonical project as YAML', async () => {
    const dir = await project({ 'compose.yaml': webDb });
    const run = await runBerth(['-p', 'demo', '--profile', 'frontend', 'config'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const model = parse(run.stdout) as Record<string, Record<string, Record<string, unknown>>>;
    expect(model.name).toBe('demo');
    expect(model.services!.web!.image).toBe('nginx:1.27');
    expect(model.services!.web!.ports).toEqual([
      { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
    ]);
    expect(model.services!.web!.depends_on).toEqual({ db: { condition: 'service_started', required: true } });
    expect(model.networks!.default).toEqual({ name: 'demo_default' });
    expect(model.volumes!.data).toEqual({ name: 'demo_data' });
  });

  it('prints JSON, and -o writes a file that loads back to the same project', async () => {
    const dir = await project({ 'compose.yaml': webDb });
    const json = await runBerth(['-p', 'demo', 'config', '--format', 'json'], { cwd: dir });
    expect(json.exitCode).toBe(0);
    const first = JSON.parse(json.stdout) as unknown;
    const written = await runBerth(['-p', 'demo', 'config', '-o', 'out.yaml'], { cwd: dir });
    expect(written.exitCode).toBe(0);
    expect(written.stdout).toBe('');
    const again = await runBerth(['-p', 'demo', '-f', 'out.yaml', 'config', '--format', 'json'], {
      cwd: dir,
    });
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(first);
  });

  it('lists services in dependency order, volumes, networks, profiles and images', async () => {
    const dir = await project({ 'compose.yaml': webDb });
    const cwd = { cwd: dir };
    expect((await runBerth(['--profile', 'frontend', 'config', '--services'], cwd)).stdout).toBe('db\nweb\n');
    expect((await runBerth(['config', '--services'], cwd)).stdout).toBe('db\n');
    expect((await runBerth(['config', '--volumes'], cwd)).stdout).toBe('data\n');
    expect((await runBerth(['config', '--networks'], cwd)).stdout).toBe('default\n');
    expect((await runBerth(['config', '--profiles'], cwd)).stdout).toBe('frontend\n');
    expect((await runBerth(['--profile', '*', 'config', '--images'], cwd)).stdout).toBe(
      'postgres:16\nnginx:1.27\n',
    );
  });

  it('prints config hashes that change only when the service changes', async () => {
    const dir = await project({ 'compose.yaml': webDb });
    const first = await runBerth(['config', '--hash', 'db'], { cwd: dir });
    expect(first.stdout).toMatch(/^db [0-9a-f]{64}\n$/);
    const same = await runBerth(['config', '--hash', '*'], { cwd: dir });
    expect(same.stdout).toBe(first.stdout);
    const changed = await runBerth(['config', '--hash', 'db'], {
      cwd: dir,
      env: { TAG: '2' },
    });
    expect(changed.stdout).toBe(first.stdout);
    const other = await project({ 'compose.yaml': webDb.replace('postgres:16', 'postgres:17') });
    expect((await runBerth(['config', '--hash', 'db'], { cwd: other })).stdout).not.toBe(first.stdout);
  });

  it('validates only with -q, and reads the file from stdin with -f -', async () => {
    const dir = await project({ 'compose.yaml': webDb });
    const quiet = await runBerth(['config', '-q'], { cwd: dir });
    expect(quiet).toMatchObject({ exitCode: 0, stdout: '' });
    const stdin = await runBerth(['-f', '-', '-p', 'piped', 'config', '--services'], {
      cwd: dir,
      input: 'services:\n  a:\n    image: busybox\n',
    });
    expect(stdin).toMatchObject({ exitCode: 0, stdout: 'a\n' });
  });

  it('prints the environment and the variables', async () => {
    const dir = await project({
      'compose.yaml':
        'services:\n  a:\n    image: "x:${TAG:-latest}"\n    environment: [ "B=${REQ:?set REQ}", "C=${ALT:+yes}" ]\n',
      '.env': 'TAG=3\nREQ=1\n',
    });
    const env = await runBerth(['config', '--environment'], { cwd: dir, env: { ALT: 'z' } });
    expect(env.stdout).toContain('TAG=3\n');
    expect(env.stdout).toContain('ALT=z\n');
    const vars = await runBerth(['config', '--variables'], { cwd: dir });
    expect(vars.exitCode).toBe(0);
    expect(vars.stdout.split('\n')[0]).toMatch(/^NAME\s+REQUIRED\s+DEFAULT VALUE\s+ALTERNATE VALUE$/);
    expect(vars.stdout).toMatch(/^ALT\s+false\s+yes$/m);
    expect(vars.stdout).toMatch(/^REQ\s+true$/m);
    expect(vars.stdout).toMatch(/^TAG\s+false\s+latest$/m);
  });

  it('keeps variables with --no-interpolate and relative paths with --no-path-resolution', async () => {
    const dir = await project({
      'compose.yaml': 'services:\n  a:\n    image: "x:${TAG:-latest}"\n    volumes: ["./data:/data"]\n',
    });
    const raw = await runBerth(['-p', 'p', 'config', '--no-interpolate', '--format', 'json'], { cwd: dir });
    expect(raw.exitCode).toBe(0);
    expect(JSON.parse(raw.stdout).services.a.image).toBe('x:${TAG:-latest}');
    const rel = await runBerth(['-p', 'p', 'config', '--no-path-resolution', '--format', 'json'], {
      cwd: dir,
    });
    expect(JSON.parse(rel.stdout).services.a.volumes[0].source).toBe('./data');
    const abs = await runBerth(['-p', 'p', 'config', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(abs.stdout).services.a.volumes[0].source).toBe(path.join(dir, 'data'));
  });

  it('warns on stderr and still prints', async () => {
    const dir = await project({
      'compose.yaml': 'version: "3.8"\nservices:\n  a:\n    image: "x:${UNSET_TAG}"\n',
    });
    const run = await runBerth(['config'], { cwd: dir });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/WARN .*version.*obsolete/);
    expect(run.stderr).toMatch(/WARN .*"UNSET_TAG" variable is not set/);
  });

  it('runs on the README example', async () => {
    const run = await runBerth(['-f', 'examples/webapp/compose.yaml', 'config', '--services'], {
      cwd: repoRoot,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('kv\nmigrate\napi\nfrontend\n');
  });
});

describe('berth config on bad input', () => {
  const cases: [string, Record<string, string | Uint8Array>, string[], RegExp][] = [
    ['no compose file', {}, [], /no configuration file provided/],
    ['a missing -f file', {}, ['-f', 'nope.yaml'], /nope\.yaml/],
    ['broken YAML', { 'compose.yaml': 'services:\n  a: [\n' }, [], /compose\.yaml:\d+/],
    [
      'an unknown key',
      { 'compose.yaml': 'services:\n  a:\n    imag: x\n' },
      [],
      /compose\.yaml:3:5.*imag.*image/,
    ],
    [
      'a wrong type',
      { 'compose.yaml': 'services:\n  a:\n    image: x\n    privileged: sometimes\n' },
      [],
      /privileged/,
    ],
    [
      'a bad port',
      { 'compose.yaml': 'services:\n  a:\n    image: x\n    ports: ["80:80:80"]\n' },
      [],
      /ports\[0\]/,
    ],
    [
      'a required variable',
      { 'compose.yaml': 'services:\n  a:\n    image: ${IMG:?set IMG}\n' },
      [],
      /IMG.*set IMG/,
    ],
    [
      'a missing env file',
      { 'compose.yaml': 'services:\n  a:\n    image: x\n' },
      ['--env-file', 'x.env'],
      /x\.env/,
    ],
    [
      'a cycle',
      {
        'compose.yaml':
          'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n',
      },
      [],
      /cycle/,
    ],
    ['an invalid -p', { 'compose.yaml': 'services: {}\n' }, ['-p', 'My Project'], /invalid project name/],
    ['invalid UTF-8', { 'compose.yaml': new Uint8Array([0x73, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) }, [], /UTF-8/],
    ['a top level list', { 'compose.yaml': '- a\n- b\n' }, [], /mapping/],
    ['an unknown command', { 'compose.yaml': 'services: {}\n' }, ['frobnicate'], /unknown command/],
  ];

  it.each(cases)('%s', async (_name, files, args, pattern) => {
    const dir = await project(files);
    const run = await runBerth([...args, ...(args.includes('frobnicate') ? [] : ['config'])], { cwd: dir });
    expect(run.exitCode).not.toBe(0);
    if (!args.includes('frobnicate')) expectCleanFailure(run);
    expect(run.stderr).toMatch(pattern);
  });

  it('refuses an empty compose file, as docker compose does', async () => {
    for (const text of ['', '\n# nothing yet\n', '---\n']) {
      const dir = await project({ 'compose.yaml': text });
      const run = await runBerth(['config'], { cwd: dir });
      expectCleanFailure(run);
      expect(run.stderr).toContain('error: compose.yaml: empty compose file');
    }
  });

  it('refuses an alias bomb quickly', async () => {
    const lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`x-${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    lines.push('services:\n  a:\n    image: x\n    labels: *j');
    const dir = await project({ 'compose.yaml': lines.join('\n') });
    const run = await runBerth(['config'], { cwd: dir, timeoutMs: 10_000 });
    expectCleanFailure(run);
    expect(run.stderr).toMatch(/alias/i);
  });

  it('handles a 10 MB file in bounded time', async () => {
    const services = ['services:'];
    let size = 0;
    for (let i = 0; size < 10 * 1024 * 1024; i++) {
      const block = `  s${i}:\n    image: "busybox:${'x'.repeat(200)}"\n    environment:\n      A: "${'y'.repeat(400)}"\n`;
      services.push(block);
      size += block.length;
    }
    const dir = await project({ 'compose.yaml': services.join('\n') });
    const run = await runBerth(['config', '-q'], { cwd: dir, timeoutMs: 120_000 });
    expect(run.exitCode).toBe(0);
  });
});
