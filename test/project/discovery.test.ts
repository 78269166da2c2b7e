import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultEnvFilePath, discoverComposeFiles } from '../../src/project/discovery.js';
import { ComposeError } from '../../src/project/errors.js';

let root: string;

async function makeTree(files: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'case-'));
  for (const f of files) {
    const full = path.join(dir, f);
    if (f.endsWith('/')) {
      await mkdir(full, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, 'services: {}\n');
  }
  return dir;
}

beforeAll(async () => {
  // realpath: macOS tmpdir is a symlink, and discovery returns resolved paths from path.resolve only
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'berth-discovery-')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('discoverComposeFiles: default names', () => {
  const cases: { name: string; tree: string[]; cwd: string; files: string[]; dir: string; warns?: number }[] =
    [
      { name: 'compose.yaml in cwd', tree: ['compose.yaml'], cwd: '.', files: ['compose.yaml'], dir: '.' },
      {
        name: 'preference order and a warning for several',
        tree: ['docker-compose.yml', 'compose.yml'],
        cwd: '.',
        files: ['compose.yml'],
        dir: '.',
        warns: 1,
      },
      {
        name: 'found in a parent folder, which becomes the project directory',
        tree: ['compose.yaml', 'a/b/'],
        cwd: 'a/b',
        files: ['compose.yaml'],
        dir: '.',
      },
      {
        name: 'the nearest folder wins',
        tree: ['compose.yaml', 'a/docker-compose.yaml', 'a/b/'],
        cwd: 'a/b',
        files: ['a/docker-compose.yaml'],
        dir: 'a',
      },
      {
        name: 'override file next to the base',
        tree: ['compose.yaml', 'compose.override.yaml'],
        cwd: '.',
        files: ['compose.yaml', 'compose.override.yaml'],
        dir: '.',
      },
      {
        name: 'override of the other naming family is taken too (compose-go)',
        tree: ['docker-compose.yml', 'compose.override.yml'],
        cwd: '.',
        files: ['docker-compose.yml', 'compose.override.yml'],
        dir: '.',
      },
      {
        name: 'override .yml before .yaml, with a warning',
        tree: ['compose.yaml', 'compose.override.yaml', 'compose.override.yml'],
        cwd: '.',
        files: ['compose.yaml', 'compose.override.yml'],
        dir: '.',
        warns: 1,
      },
      {
        name: 'a folder named compose.yaml is skipped',
        tree: ['x/compose.yaml/', 'compose.yml', 'x/'],
        cwd: 'x',
        files: ['compose.yml'],
        dir: '.',
      },
    ];
  it.each(cases)('$name', async ({ tree, cwd, files, dir, warns }) => {
    const base = await makeTree(tree);
    const got = await discoverComposeFiles({ files: [], cwd: path.join(base, cwd), env: {} });
    expect(got.configFiles).toEqual(files.map((f) => path.join(base, f)));
    expect(got.workingDir).toBe(path.join(base, dir));
    expect(got.warnings).toHaveLength(warns ?? 0);
  });

  it('searches from --project-directory when given', async () => {
    const base = await makeTree(['proj/compose.yaml', 'elsewhere/']);
    const got = await discoverComposeFiles({
      files: [],
      projectDirectory: '../proj',
      cwd: path.join(base, 'elsewhere'),
      env: {},
    });
    expect(got.configFiles).toEqual([path.join(base, 'proj/compose.yaml')]);
    expect(got.workingDir).toBe(path.join(base, 'proj'));
  });

  it('fails with the names searched when nothing is found', async () => {
    const base = await makeTree(['empty/']);
    const err = await discoverComposeFiles({ files: [], cwd: path.join(base, 'empty'), env: {} }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ComposeError);
    expect((err as ComposeError).message).toContain('no configuration file provided: not found');
    expect((err as ComposeError).hint).toContain(
      'compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml',
    );
  });
});

describe('discoverComposeFiles: -f and COMPOSE_FILE', () => {
  it('-f wins over COMPOSE_FILE and the default names, in order, relative to cwd', async () => {
    const base = await makeTree(['compose.yaml', 'a.yaml', 'sub/b.yaml']);
    const got = await discoverComposeFiles({
      files: ['sub/b.yaml', 'a.yaml'],
      cwd: base,
      env: { COMPOSE_FILE: 'compose.yaml' },
    });
    expect(got.configFiles).toEqual([path.join(base, 'sub/b.yaml'), path.join(base, 'a.yaml')]);
    expect(got.workingDir).toBe(path.join(base, 'sub'));
  });

  it('-f with --project-directory keeps the project directory', async () => {
    const base = await makeTree(['sub/b.yaml', 'proj/']);
    const got = await discoverComposeFiles({
      files: ['sub/b.yaml'],
      projectDirectory: 'proj',
      cwd: base,
      env: {},
    });
    expect(got.workingDir).toBe(path.join(base, 'proj'));
  });

  it('stdin: "-" is kept, the working dir is the cwd, or the first real file', async () => {
    const base = await makeTree(['sub/b.yaml']);
    const onlyStdin = await discoverComposeFiles({ files: ['-'], cwd: base, env: {} });
    expect(onlyStdin).toEqual({ configFiles: ['-'], workingDir: base, warnings: [] });
    const mixed = await discoverComposeFiles({ files: ['-', 'sub/b.yaml'], cwd: base, env: {} });
    expect(mixed.configFiles).toEqual(['-', path.join(base, 'sub/b.yaml')]);
    expect(mixed.workingDir).toBe(path.join(base, 'sub'));
  });

  const envCases: { name: string; env: Record<string, string>; files: string[] }[] = [
    {
      name: 'default separator',
      env: { COMPOSE_FILE: `a.yaml${path.delimiter}sub/b.yaml` },
      files: ['a.yaml', 'sub/b.yaml'],
    },
    {
      name: 'COMPOSE_PATH_SEPARATOR',
      env: { COMPOSE_FILE: 'a.yaml,sub/b.yaml', COMPOSE_PATH_SEPARATOR: ',' },
      files: ['a.yaml', 'sub/b.yaml'],
    },
    { name: 'empty entries ignored', env: { COMPOSE_FILE: `a.yaml${path.delimiter}` }, files: ['a.yaml'] },
    { name: 'empty COMPOSE_FILE is unset', env: { COMPOSE_FILE: '' }, files: ['compose.yaml'] },
  ];
  it.each(envCases)('COMPOSE_FILE: $name', async ({ env, files }) => {
    const base = await makeTree(['compose.yaml', 'a.yaml', 'sub/b.yaml']);
    const got = await discoverComposeFiles({ files: [], cwd: base, env });
    expect(got.configFiles).toEqual(files.map((f) => path.join(base, f)));
  });

  const badCases: {
    name: string;
    files: string[];
    env: Record<string, string>;
    message: string;
    hint: string;
  }[] = [
    {
      name: '-f missing',
      files: ['nope.yaml'],
      env: {},
      message: 'compose file not found: nope.yaml',
      hint: '-f',
    },
    { name: '-f a folder', files: ['sub'], env: {}, message: 'compose file sub is a directory', hint: '-f' },
    {
      name: 'COMPOSE_FILE missing',
      files: [],
      env: { COMPOSE_FILE: 'a.yaml:gone.yaml', COMPOSE_PATH_SEPARATOR: ':' },
      message: 'compose file not found: gone.yaml',
      hint: 'COMPOSE_FILE',
    },
  ];
  it.each(badCases)('error: $name', async ({ files, env, message, hint }) => {
    const base = await makeTree(['a.yaml', 'sub/b.yaml']);
    const err = await discoverComposeFiles({ files, cwd: base, env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComposeError);
    expect((err as ComposeError).message).toContain(message);
    expect((err as ComposeError).message).toContain(hint);
  });
});

describe('defaultEnvFilePath', () => {
  const cases: { name: string; files: string[]; projectDirectory?: string; expected: string }[] = [
    {
      name: 'project directory first',
      files: ['a/compose.yaml'],
      projectDirectory: 'p',
      expected: '/w/p/.env',
    },
    { name: 'folder of the first -f file', files: ['a/compose.yaml', 'b/x.yaml'], expected: '/w/a/.env' },
    { name: 'stdin is skipped', files: ['-', 'b/x.yaml'], expected: '/w/b/.env' },
    { name: 'else the cwd', files: [], expected: '/w/.env' },
    { name: 'absolute project directory', files: [], projectDirectory: '/other', expected: '/other/.env' },
  ];
  it.each(cases)('$name', ({ files, projectDirectory, expected }) => {
    expect(defaultEnvFilePath({ files, projectDirectory, cwd: '/w' })).toBe(path.resolve(expected));
  });
});
