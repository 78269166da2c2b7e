import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ComposeDict, isDict } from '../../src/project/dict.js';
import { ComposeError } from '../../src/project/errors.js';
import { applyExtends, type ExtendsContext } from '../../src/project/extends.js';
import { DocumentPositions, SourceMap } from '../../src/project/source-map.js';

let root: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'berth-extends-')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function makeTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
  }
  return dir;
}

/** Stand-ins for merge.ts and paths.ts: maps merge one level deep, the override's values win. */
function mergeService(base: ComposeDict, override: ComposeDict): ComposeDict {
  const out: ComposeDict = { ...base };
  for (const [k, v] of Object.entries(override))
    out[k] = isDict(out[k]) && isDict(v) ? { ...out[k], ...v } : v;
  return out;
}

function resolveServicePaths(service: ComposeDict, baseDir: string): ComposeDict {
  const out: ComposeDict = { ...service };
  if (isDict(out.build) && typeof out.build.context === 'string') {
    out.build = { ...out.build, context: path.resolve(baseDir, out.build.context) };
  }
  if (Array.isArray(out.env_file)) out.env_file = out.env_file.map((f) => path.resolve(baseDir, String(f)));
  return out;
}

function makeContext(sourceMap = new SourceMap()): ExtendsContext & { loaded: string[] } {
  const loaded: string[] = [];
  return {
    loaded,
    async loadFile(file) {
      loaded.push(file);
      return parse(await readFile(file, 'utf8')) as ComposeDict;
    },
    mergeService,
    resolveServicePaths,
    sourceMap,
  };
}

async function extendsError(model: ComposeDict, file: string, ctx = makeContext()): Promise<ComposeError> {
  const err = await applyExtends(model, file, ctx).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ComposeError);
  return err as ComposeError;
}

describe('applyExtends in one file', () => {
  const cases: { name: string; services: ComposeDict; expected: ComposeDict }[] = [
    {
      name: 'own keys win, base keys are inherited',
      services: {
        base: { image: 'base', environment: { A: '1', B: '1' }, depends_on: { db: {} } },
        web: { extends: { service: 'base' }, environment: { B: '2' }, ports: ['80'] },
        db: { image: 'pg' },
      },
      expected: {
        base: { image: 'base', environment: { A: '1', B: '1' }, depends_on: { db: {} } },
        web: { image: 'base', environment: { A: '1', B: '2' }, depends_on: { db: {} }, ports: ['80'] },
        db: { image: 'pg' },
      },
    },
    {
      name: 'chains resolve from the bottom, in any order',
      services: {
        c: { extends: { service: 'b' }, command: 'c' },
        b: { extends: { service: 'a' }, user: 'b' },
        a: { image: 'a', user: 'a', command: 'a' },
      },
      expected: {
        c: { image: 'a', user: 'b', command: 'c' },
        b: { image: 'a', user: 'b', command: 'a' },
        a: { image: 'a', user: 'a', command: 'a' },
      },
    },
    {
      name: 'the short string form is accepted too',
      services: { a: { image: 'a' }, b: { extends: 'a' } },
      expected: { a: { image: 'a' }, b: { image: 'a' } },
    },
    {
      name: 'relative paths of a same-file base stay relative',
      services: { a: { build: { context: './app' } }, b: { extends: { service: 'a' } } },
      expected: { a: { build: { context: './app' } }, b: { build: { context: './app' } } },
    },
  ];
  it.each(cases)('$name', async ({ services, expected }) => {
    const result = await applyExtends(
      { services, volumes: { v: {} } },
      path.join(root, 'compose.yaml'),
      makeContext(),
    );
    expect(result).toEqual({ services: expected, volumes: { v: {} } });
  });

  it('returns the model untouched when nothing extends', async () => {
    const model = { services: { a: { image: 'a' } } };
    expect(await applyExtends(model, path.join(root, 'compose.yaml'), makeContext())).toBe(model);
  });

  it('does not change its input', async () => {
    const model = {
      services: { a: { image: 'a', environment: { X: '1' } }, b: { extends: { service: 'a' } } },
    };
    const before = structuredClone(model);
    await applyExtends(model, path.join(root, 'compose.yaml'), makeContext());
    expect(model).toEqual(before);
  });
});

describe('applyExtends across files', () => {
  it('reads the base from another file, relative to the declaring file, and resolves its paths there', async () => {
    const base = await makeTree({
      'common/base.yaml': `
services:
  app:
    image: app
    build: { context: ./src }
    env_file: [./app.env]
`,
    });
    const file = path.join(base, 'compose.yaml');
    const ctx = makeContext();
    const result = await applyExtends(
      {
        services: {
          web: {
            extends: { service: 'app', file: 'common/base.yaml' },
            build: { dockerfile: 'Dockerfile.web' },
          },
        },
      },
      file,
      ctx,
    );
    expect(result.services).toEqual({
      web: {
        image: 'app',
        build: { context: path.join(base, 'common/src'), dockerfile: 'Dockerfile.web' },
        env_file: [path.join(base, 'common/app.env')],
      },
    });
    expect(ctx.loaded).toEqual([path.join(base, 'common/base.yaml')]);
  });

  it('follows a chain through several files, each relative to its own folder', async () => {
    const base = await makeTree({
      'a/one.yaml': `
services:
  one:
    extends: { service: two, file: ../b/two.yaml }
    build: { context: ./one-src }
`,
      'b/two.yaml': `
services:
  two:
    extends: { service: three }
    image: two
  three:
    env_file: [./three.env]
    user: three
`,
    });
    const result = await applyExtends(
      { services: { web: { extends: { service: 'one', file: 'a/one.yaml' } } } },
      path.join(base, 'compose.yaml'),
      makeContext(),
    );
    expect(result.services).toEqual({
      web: {
        env_file: [path.join(base, 'b/three.env')],
        user: 'three',
        image: 'two',
        build: { context: path.join(base, 'a/one-src') },
      },
    });
  });

  it('uses baseDir from the context for extends.file when given', async () => {
    const base = await makeTree({ 'proj/common.yaml': 'services: { app: { image: app } }' });
    const ctx = { ...makeContext(), baseDir: path.join(base, 'proj') };
    const result = await applyExtends(
      { services: { web: { extends: { service: 'app', file: 'common.yaml' } } } },
      path.join(base, 'elsewhere/compose.yaml'),
      ctx,
    );
    expect(result.services).toEqual({ web: { image: 'app' } });
  });

  it('a cycle across files names the files', async () => {
    const base = await makeTree({
      'other.yaml': 'services: { b: { extends: { service: a, file: compose.yaml } } }',
      'compose.yaml': 'services: { a: { extends: { service: b, file: other.yaml } } }',
    });
    const err = await extendsError(
      { services: { a: { extends: { service: 'b', file: 'other.yaml' } } } },
      path.join(base, 'compose.yaml'),
    );
    expect(err.message).toContain(
      'circular reference with extends: a (compose.yaml) -> b (other.yaml) -> a (compose.yaml)',
    );
  });
});

describe('applyExtends errors', () => {
  function positioned(file: string): SourceMap {
    const positions = new DocumentPositions(file);
    positions.set(['services', 'web', 'extends'], { line: 4, column: 5 });
    positions.set(['services', 'base', 'extends'], { line: 9, column: 5 });
    const sourceMap = new SourceMap();
    sourceMap.add(positions);
    return sourceMap;
  }

  const cases: { name: string; services: ComposeDict; message: string }[] = [
    {
      name: 'missing base in the same file',
      services: { web: { extends: { service: 'base' } } },
      message:
        ':4:5: services.web.extends.service: cannot extend service "web": service "base" not found in compose.yaml',
    },
    {
      name: 'missing base in another file',
      services: { web: { extends: { service: 'base', file: './common.yaml' } } },
      message: 'cannot extend service "web": service "base" not found in ./common.yaml',
    },
    {
      name: 'missing file',
      services: { web: { extends: { service: 'base', file: './nope.yaml' } } },
      message: ':4:5: services.web.extends.file: cannot extend service "web": file ./nope.yaml not found',
    },
    {
      name: 'cycle',
      services: { web: { extends: { service: 'base' } }, base: { extends: { service: 'web' } } },
      message: ':4:5: services.web.extends: circular reference with extends: web -> base -> web',
    },
    {
      name: 'self reference',
      services: { web: { extends: { service: 'web' } } },
      message: 'circular reference with extends: web -> web',
    },
    {
      name: 'extends without a service',
      services: { web: { extends: { file: 'x.yaml' } } },
      message: ':4:5: services.web.extends: extends must name a service',
    },
  ];
  it.each(cases)('$name', async ({ services, message }) => {
    const base = await makeTree({ 'common.yaml': 'services: { other: { image: x } }' });
    const file = path.join(base, 'compose.yaml');
    const err = await extendsError({ services }, file, { ...makeContext(positioned(file)) });
    expect(err.message).toContain(message);
    expect(err.location?.file).toBe(file);
  });
});
