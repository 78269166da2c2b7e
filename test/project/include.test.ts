import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ComposeDict, isDict } from '../../src/project/dict.js';
import { ComposeError } from '../../src/project/errors.js';
import { applyIncludes, type IncludeContext, type IncludeRequest } from '../../src/project/include.js';
import { locateInFile } from '../../src/project/locate-in-file.js';
import { DocumentPositions, SourceMap } from '../../src/project/source-map.js';

let root: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'berth-include-')));
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

/** Top-level kinds merged by name, later wins: enough of merge.ts for these tests. */
function mergeTopLevel(a: ComposeDict, b: ComposeDict): ComposeDict {
  const out: ComposeDict = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isDict(out[k]) && isDict(v) ? { ...out[k], ...v } : v;
  return out;
}

/** A small stand-in for load.ts: reads each file, applies its includes recursively, merges. */
function makeContext(chain: string[], sourceMap: SourceMap, requests: IncludeRequest[]): IncludeContext {
  return {
    chain,
    sourceMap,
    async loadIncluded(request) {
      requests.push(request);
      let model: ComposeDict = {};
      for (const f of request.files) {
        const doc = parse(await readFile(f, 'utf8')) as ComposeDict;
        const ctx = makeContext([...request.chain, f], sourceMap, requests);
        model = mergeTopLevel(model, await applyIncludes(doc, f, request.projectDirectory, ctx));
      }
      return model;
    },
  };
}

async function run(base: string, model: ComposeDict, positions?: DocumentPositions) {
  const file = path.join(base, 'compose.yaml');
  const sourceMap = new SourceMap();
  if (positions) sourceMap.add(positions);
  const requests: IncludeRequest[] = [];
  const result = await applyIncludes(model, file, base, makeContext([file], sourceMap, requests));
  return { result, requests };
}

async function runError(
  base: string,
  model: ComposeDict,
  positions?: DocumentPositions,
): Promise<ComposeError> {
  const err = await run(base, model, positions).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ComposeError);
  return err as ComposeError;
}

describe('applyIncludes', () => {
  it('leaves a model without include alone', async () => {
    const model = { services: { web: { image: 'web' } } };
    const { result } = await run(root, model);
    expect(result).toBe(model);
  });

  it('imports every resource kind and removes include', async () => {
    const base = await makeTree({
      'db/compose.yaml': `
services: { db: { image: postgres } }
volumes: { data: {} }
networks: { back: {} }
secrets: { pw: { file: ./pw.txt } }
configs: { conf: { file: ./c.conf } }
`,
    });
    const { result, requests } = await run(base, {
      include: [{ path: ['db/compose.yaml'] }],
      services: { web: { image: 'web' } },
    });
    expect(result).toEqual({
      services: { web: { image: 'web' }, db: { image: 'postgres' } },
      volumes: { data: {} },
      networks: { back: {} },
      secrets: { pw: { file: './pw.txt' } },
      configs: { conf: { file: './c.conf' } },
    });
    expect(requests[0]).toEqual({
      files: [path.join(base, 'db/compose.yaml')],
      projectDirectory: path.join(base, 'db'),
      envFiles: [],
      chain: [path.join(base, 'compose.yaml')],
    });
  });

  const requestCases: {
    name: string;
    tree: Record<string, string>;
    entry: unknown;
    projectDirectory: string;
    envFiles: string[];
    files: string[];
  }[] = [
    {
      name: 'short string form',
      tree: { 'a/compose.yaml': 'services: {}' },
      entry: 'a/compose.yaml',
      projectDirectory: 'a',
      envFiles: [],
      files: ['a/compose.yaml'],
    },
    {
      name: 'default .env of the included project directory',
      tree: { 'a/compose.yaml': 'services: {}', 'a/.env': 'X=1' },
      entry: { path: ['a/compose.yaml'] },
      projectDirectory: 'a',
      envFiles: ['a/.env'],
      files: ['a/compose.yaml'],
    },
    {
      name: 'project_directory relative to the including project, and its .env',
      tree: { 'a/compose.yaml': 'services: {}', 'p/.env': 'X=1' },
      entry: { path: ['a/compose.yaml'], project_directory: 'p' },
      projectDirectory: 'p',
      envFiles: ['p/.env'],
      files: ['a/compose.yaml'],
    },
    {
      name: 'several paths: the first sets the directory, the rest are overrides',
      tree: { 'a/compose.yaml': 'services: {}', 'b/override.yaml': 'services: {}' },
      entry: { path: ['a/compose.yaml', 'b/override.yaml'] },
      projectDirectory: 'a',
      envFiles: [],
      files: ['a/compose.yaml', 'b/override.yaml'],
    },
    {
      name: 'explicit env_file relative to the including project replaces the default .env',
      tree: { 'a/compose.yaml': 'services: {}', 'a/.env': 'X=1', 'vars.env': 'Y=2' },
      entry: { path: ['a/compose.yaml'], env_file: ['vars.env'] },
      projectDirectory: 'a',
      envFiles: ['vars.env'],
      files: ['a/compose.yaml'],
    },
    {
      name: '/dev/null env_file means no env file at all',
      tree: { 'a/compose.yaml': 'services: {}', 'a/.env': 'X=1' },
      entry: { path: ['a/compose.yaml'], env_file: ['/dev/null'] },
      projectDirectory: 'a',
      envFiles: [],
      files: ['a/compose.yaml'],
    },
  ];
  it.each(requestCases)('request: $name', async ({ tree, entry, projectDirectory, envFiles, files }) => {
    const base = await makeTree(tree);
    const { requests } = await run(base, { include: [entry] });
    expect(requests[0]).toMatchObject({
      files: files.map((f) => path.join(base, f)),
      projectDirectory: path.join(base, projectDirectory),
      envFiles: envFiles.map((f) => path.join(base, f)),
    });
  });

  it('nested includes resolve against each included project directory', async () => {
    const base = await makeTree({
      'a/compose.yaml': 'include: [{ path: [../b/compose.yaml] }]\nservices: { a: { image: a } }',
      'b/compose.yaml': 'services: { b: { image: b } }',
    });
    const { result, requests } = await run(base, { include: [{ path: ['a/compose.yaml'] }] });
    expect(result.services).toEqual({ a: { image: 'a' }, b: { image: 'b' } });
    expect(requests[1]!.chain).toEqual([path.join(base, 'compose.yaml'), path.join(base, 'a/compose.yaml')]);
  });

  it('identical definitions on both sides are fine', async () => {
    const base = await makeTree({ 'a/compose.yaml': 'services: { db: { image: pg } }' });
    const { result } = await run(base, {
      include: [{ path: ['a/compose.yaml'] }],
      services: { db: { image: 'pg' } },
    });
    expect(result.services).toEqual({ db: { image: 'pg' } });
  });

  it('a conflicting definition names the resource, the location and the included file', async () => {
    const base = await makeTree({ 'a/compose.yaml': 'volumes: { data: { driver: x } }' });
    const file = path.join(base, 'compose.yaml');
    const positions = new DocumentPositions(file);
    positions.set(['volumes', 'data'], { line: 7, column: 3 });
    const err = await runError(
      base,
      { include: [{ path: ['a/compose.yaml'] }], volumes: { data: { driver: 'y' } } },
      positions,
    );
    expect(err.message).toContain(`${file}:7:3: volumes.data conflicts with imported resource`);
    expect(err.hint).toContain(path.join(base, 'a/compose.yaml'));
  });

  it('a cycle is reported with its chain', async () => {
    const base = await makeTree({
      'compose.yaml': 'include: [a.yaml]',
      'a.yaml': 'include: [{ path: [b.yaml] }]',
      'b.yaml': 'include: [{ path: [a.yaml] }]',
    });
    const err = await runError(base, { include: [{ path: ['a.yaml'] }] });
    expect(err.message).toContain('include cycle detected: a.yaml -> b.yaml -> a.yaml');
    expect(err.location?.file).toBe(path.join(base, 'b.yaml'));
  });

  it('including oneself is a cycle', async () => {
    const base = await makeTree({ 'compose.yaml': '' });
    const err = await runError(base, { include: ['compose.yaml'] });
    expect(err.message).toContain('include cycle detected: compose.yaml -> compose.yaml');
  });

  const errorCases: {
    name: string;
    tree: Record<string, string>;
    entry: unknown;
    message: string;
    keyPath: string;
  }[] = [
    {
      name: 'missing included file',
      tree: {},
      entry: { path: ['nope/compose.yaml'] },
      message: 'included file nope/compose.yaml not found',
      keyPath: 'include[0].path[0]',
    },
    {
      name: 'a folder as included file',
      tree: { 'dir/x': '' },
      entry: { path: ['dir'] },
      message: 'included file dir is a directory',
      keyPath: 'include[0].path[0]',
    },
    {
      name: 'missing env_file',
      tree: { 'a/compose.yaml': '' },
      entry: { path: ['a/compose.yaml'], env_file: ['gone.env'] },
      message: 'env file gone.env not found',
      keyPath: 'include[0].env_file[0]',
    },
    {
      name: 'entry of the wrong shape',
      tree: {},
      entry: { project_directory: 'x' },
      message: 'include entry must be a path or a mapping with a non-empty path',
      keyPath: 'include[0]',
    },
  ];
  it.each(errorCases)('error: $name', async ({ tree, entry, message, keyPath }) => {
    const base = await makeTree(tree);
    const file = path.join(base, 'compose.yaml');
    const positions = new DocumentPositions(file);
    positions.set(['include', 0], { line: 2, column: 5 });
    const err = await runError(base, { include: [entry] }, positions);
    expect(err.message).toContain(`${file}:2:5: ${keyPath}: ${message}`);
  });

  it('include that is not a list', async () => {
    const err = await runError(root, { include: 'a.yaml' });
    expect(err.message).toContain('include: include must be a list');
  });
});

describe('locateInFile', () => {
  it('accepts the display name relative to the cwd, refuses another file', () => {
    const sourceMap = new SourceMap();
    const positions = new DocumentPositions(path.join('sub', 'compose.yaml'));
    positions.set(['services'], { line: 1, column: 1 });
    sourceMap.add(positions);
    const abs = path.resolve('/w/sub/compose.yaml');
    expect(locateInFile(sourceMap, abs, ['services', 'web'])).toEqual({
      file: path.join('sub', 'compose.yaml'),
      line: 1,
      column: 1,
    });
    expect(locateInFile(sourceMap, path.resolve('/w/other.yaml'), ['services'])).toEqual({
      file: path.resolve('/w/other.yaml'),
    });
  });
});
