/**
 * Hostile names and paths in a compose file cannot make berth read or write outside the paths the user
 * named: service, volume, network, secret and config names like `..`, names with slashes, secret and
 * config targets that climb, a volume subpath that leaves its volume, project names with slashes or
 * `..`. Each is either refused with a clear error, or runs with every write inside the state folder.
 * The state folder sits deep in a marker tree, so that an escape of a few levels lands where the test
 * looks: after up and down, nothing in the tree outside the state and project folders has changed.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { expectCleanFailure, runBerth } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { type SecurityProject, securityProject } from './security-project.js';

const defer = cleanupsAfterEach(60_000);

const STATE = 'deep/a/b/c/state';

/** A service that runs until stopped; `more` adds keys to it (indented for the service). */
function service(name: string, more = ''): string {
  return `  ${JSON.stringify(name)}:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
${more === '' ? '' : `${more}\n`}`;
}

/** Every path under `root` (relative), except inside the state folder. */
async function markerTree(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const rel = path.relative(root, file);
    if (rel === STATE) continue;
    out.push(entry.isDirectory() ? `${rel}/` : rel);
    if (entry.isDirectory()) out.push(...(await markerTree(root, file)));
  }
  return out.sort();
}

/** Hostile up/down runs checked, and writes found outside the state and project folders. */
const figures = { runs: 0, escapes: 0 };
afterAll(() => {
  process.stdout.write(
    `figure: hostile names and paths: ${figures.runs} up/down runs checked, ${figures.escapes} writes outside the named paths\n`,
  );
});

/**
 * Runs `up -d` then `down -v` (with `-p <p.name>` unless `args` name the project themselves); returns
 * the up run. The marker tree must be as it was.
 */
async function upAndDown(
  p: SecurityProject,
  args?: string[],
  env: Record<string, string> = {},
  whileUp: () => Promise<void> = async () => undefined,
) {
  const before = await markerTree(p.root);
  const run = (more: string[]) =>
    runBerth([...(args ?? ['-p', p.name]), ...more], { cwd: p.dir, env: { ...p.env, ...env } });
  const up = await run(['up', '-d']);
  const during = await markerTree(p.root);
  if (up.exitCode === 0) await whileUp();
  const down = await run(['down', '-v', '-t', '1']);
  figures.runs++;
  const after = await markerTree(p.root);
  figures.escapes += [...during, ...after].filter((f) => !before.includes(f)).length;
  expect(down.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(during, 'created outside the state folder').toEqual(before);
  expect(after, 'left outside the state folder').toEqual(before);
  return up;
}

/** Networks matter only where names reach bridges; elsewhere the quicker host networking does. */
async function project(
  compose: string,
  env: Record<string, string> = { BERTH_NETWORKING: 'host' },
): Promise<SecurityProject> {
  const p = await securityProject({ 'compose.yaml': compose }, defer, {
    stateSubdir: STATE,
    env: { SECRET_VALUE: 'hostile-secret', ...env },
  });
  await mkdir(path.join(p.root, path.dirname(STATE)), { recursive: true });
  await writeFile(path.join(p.root, 'deep', 'a', 'canary'), 'canary');
  return p;
}

describe('hostile names and paths', () => {
  it('runs services, volumes and networks named "..", ".", or naming "../x", inside the state folder', async () => {
    const p = await project(
      `
services:
${service('..', '    volumes: [{ type: volume, source: "..", target: /data }]\n    networks: ["..", "n"]')}
${service('.')}
volumes:
  "..": {}
networks:
  "..": {}
  n:
    name: "../x"
`,
      {},
    );
    const up = await upAndDown(p, undefined, {}, async () => {
      expect(await readdir(path.join(p.state, 'volumes'))).toEqual(['sec_..']);
    });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/sec-\.\.-1/);
  });

  it('writes secrets and configs whose targets climb inside the container folder', async () => {
    const p = await project(`
services:
${service(
  'web',
  `    secrets: ["..", { source: s, target: ../../etc/x }, { source: s, target: "/run/secrets/../../../y" }]
    configs:
      - { source: c, target: /../../../etc/y }
      - { source: c, target: "../../deep/a/escaped" }
      - { source: "..", target: "/tmp/escaped" }`,
)}
secrets:
  "..": { environment: SECRET_VALUE }
  s: { environment: SECRET_VALUE }
configs:
  "..": { content: dots }
  c: { content: climbing }
`);
    const up = await upAndDown(p, undefined, {}, async () => {
      const containers = path.join(p.projectDir, 'containers');
      const [id] = await readdir(containers);
      const files = path.join(containers, id!, 'files');
      expect(await readFile(path.join(files, 'etc', 'y'), 'utf8')).toBe('climbing');
      expect(await readFile(path.join(files, 'tmp', 'escaped'), 'utf8')).toBe('dots');
      expect(await readFile(path.join(files, 'etc', 'x'), 'utf8')).toBe('hostile-secret');
    });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(existsSync('/tmp/escaped')).toBe(false);
  });

  it.each([
    [
      'a volume named ".."',
      `services:\n${service('a', '    volumes: ["v:/data"]')}volumes:\n  v: { name: ".." }\n`,
      /invalid volume name "\.\."/,
    ],
    [
      'a volume named "../x"',
      `services:\n${service('a', '    volumes: ["v:/data"]')}volumes:\n  v: { name: "../x" }\n`,
      /invalid volume name "\.\.\/x"/,
    ],
    [
      'a volume subpath "../.."',
      `services:\n${service('a', '    volumes: [{ type: volume, source: v, target: /data, volume: { subpath: ../.. } }]')}volumes:\n  v: {}\n`,
      /subpath "\.\.\/\.\." leaves the volume/,
    ],
    [
      'a config target ".." (the root)',
      `services:\n${service('a', '    configs: [{ source: c, target: ".." }]')}configs:\n  c: { content: x }\n`,
      /config "c" has the target \/, which is a folder/,
    ],
    [
      'a secret target that is the secrets folder',
      `services:\n${service('a', '    secrets: [{ source: s, target: "/run/secrets/x/.." }]')}secrets:\n  s: { environment: SECRET_VALUE }\n`,
      /secret "s" has the target \/run\/secrets, which is a folder/,
    ],
    ['a service name with a slash', `services:\n${service('../../x')}`, /invalid name "\.\.\/\.\.\/x"/],
    [
      'a container_name with a slash',
      `services:\n${service('a', '    container_name: "../../x"')}`,
      /container_name: invalid value/,
    ],
  ])('refuses %s with a clear error', async (_what, compose, message) => {
    const p = await project(compose);
    const up = await upAndDown(p);
    expectCleanFailure(up);
    expect(up.stderr).toMatch(message);
    expect(up.stderr).not.toContain('this is a bug');
  });

  it('refuses project names with slashes or "..", and normalizes a top-level name', async () => {
    const p = await project(`services:\n${service('a')}`);
    for (const name of ['../x', '..', 'a/b', '.']) {
      const flag = await upAndDown(p, ['-p', name]);
      expectCleanFailure(flag);
      expect(flag.stderr).toMatch(/invalid project name/);
      const env = await upAndDown(p, [], { COMPOSE_PROJECT_NAME: name });
      expectCleanFailure(env);
      expect(env.stderr).toMatch(/invalid project name/);
    }
    // Without -p, the top-level name is normalized as compose does: "../X/.." runs as "x".
    await writeFile(
      path.join(p.dir, 'compose.yaml'),
      `name: "../X/.."\nservices:\n${service('a')}`.replaceAll('MARKER', p.marker),
    );
    const before = await markerTree(p.root);
    const up = await runBerth(['up', '-d'], { cwd: p.dir, env: p.env });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await readdir(path.join(p.state, 'projects'))).toContain('x');
    expect(await markerTree(p.root)).toEqual(before);
    const down = await runBerth(['down', '-t', '1'], { cwd: p.dir, env: p.env });
    expect(down.exitCode, down.stderr).toBe(0);
  });

  it('reads an env_file the user named outside the project folder, and writes nothing there', async () => {
    const p = await project(`services:\n${service('web', '    env_file: ../deep/a/outside.env')}`);
    await writeFile(path.join(p.root, 'deep', 'a', 'outside.env'), 'FROM_OUTSIDE=yes\n');
    const up = await upAndDown(p);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await readFile(path.join(p.root, 'deep', 'a', 'canary'), 'utf8')).toBe('canary');
    expect((await stat(path.join(p.root, 'deep', 'a', 'outside.env'))).size).toBe(17);
  });
});
