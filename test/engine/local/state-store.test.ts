import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ComposeError } from '../../../src/project/errors.js';
import {
  defaultStateRoot,
  ensureProjectDir,
  projectPaths,
  volumeDataDir,
} from '../../../src/engine/local/state-dir.js';
import {
  emptyProjectState,
  ProjectStateStore,
  readProjectState,
  writeProjectState,
} from '../../../src/engine/local/state-store.js';
import type { ContainerRecord, ProjectState } from '../../../src/engine/local/types.js';
import { transpileSources, type Transpiled } from './transpile.js';
import { runtimeSpec } from './runtime-spec-fixture.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'berth-state-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function container(name: string, pgid?: number): ContainerRecord {
  return {
    id: `id-${name}`,
    name,
    project: 'app',
    service: 'web',
    number: 1,
    oneoff: false,
    labels: { 'com.docker.compose.project': 'app' },
    configHash: 'abc',
    created: '2024-01-01T00:00:00.000Z',
    dir: `/state/projects/app/containers/id-${name}`,
    spec: runtimeSpec(['node', 'server.js'], { env: { PATH: '/usr/bin' }, cwd: '/srv', image: 'node' }),
    state: {
      status: 'running',
      exitCode: 0,
      restartCount: 0,
      failingStreak: 0,
      stoppedByUser: false,
      boundPorts: [],
      ...(pgid === undefined ? {} : { pid: pgid, pgid }),
    },
  };
}

describe('state folder', () => {
  it('follows BERTH_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state', () => {
    expect(defaultStateRoot({ BERTH_STATE_DIR: '/x/berth', XDG_STATE_HOME: '/y' })).toBe('/x/berth');
    expect(defaultStateRoot({ XDG_STATE_HOME: '/y' })).toBe('/y/berth');
    expect(defaultStateRoot({ HOME: '/home/u' })).toBe('/home/u/.local/state/berth');
  });

  it('lays out one private folder per project', async () => {
    const paths = await ensureProjectDir(root, 'app');
    expect(paths.dir).toBe(path.join(root, 'projects', 'app'));
    expect(paths.stateFile).toBe(path.join(paths.dir, 'state.json'));
    expect(paths.socket).toBe(path.join(paths.dir, 'supervisor.sock'));
    expect((await stat(paths.dir)).mode & 0o777).toBe(0o700);
    expect(volumeDataDir(root, 'app_data')).toBe(path.join(root, 'volumes', 'app_data', '_data'));
  });

  it.each(['', '.', '..', 'a/b', '../up', 'nul\0'])(
    'refuses the name %j so nothing is written outside',
    (name) => {
      expect(() => projectPaths(root, name)).toThrow(ComposeError);
      expect(() => volumeDataDir(root, name)).toThrow(/invalid volume name/);
    },
  );

  it('says what to do when the socket path would be too long', async () => {
    const deep = path.join(root, 'x'.repeat(120));
    await expect(ensureProjectDir(deep, 'app')).rejects.toThrow(/too long.*BERTH_STATE_DIR/s);
  });
});

describe('state store', () => {
  it('round-trips a project state, private to the user', async () => {
    const paths = await ensureProjectDir(root, 'app');
    const state: ProjectState = { ...emptyProjectState('app', '/src/app', ['/src/app/compose.yaml']) };
    state.containers.push(container('app-web-1', 4242));
    await writeProjectState(paths.stateFile, state);
    expect(await readProjectState(paths.stateFile)).toEqual(state);
    expect((await stat(paths.stateFile)).mode & 0o777).toBe(0o600);
  });

  it('reads no state as undefined', async () => {
    expect(await readProjectState(path.join(root, 'state.json'))).toBeUndefined();
  });

  it('keeps the old state when a crash left a half-written tmp file', async () => {
    const file = path.join(root, 'state.json');
    const old = emptyProjectState('app');
    await writeProjectState(file, old);
    // What a crash between write and rename leaves: the tmp file, truncated.
    await writeFile(`${file}.tmp`, '{"version":1,"project":"app","contain');
    expect(await readProjectState(file)).toEqual(old);
    const next = { ...emptyProjectState('app'), workingDir: '/w' };
    await writeProjectState(file, next);
    expect(await readProjectState(file)).toEqual(next);
  });

  it('reports a damaged state file clearly', async () => {
    const file = path.join(root, 'state.json');
    await writeFile(file, '{ not json');
    await expect(readProjectState(file)).rejects.toThrow(ComposeError);
    await expect(readProjectState(file)).rejects.toThrow(
      /state file .*state\.json cannot be read.*remove the file/s,
    );
    await writeFile(file, '{"version": 7, "project": "app"}');
    await expect(readProjectState(file)).rejects.toThrow(/unknown version 7/);
  });

  it('serialises concurrent writes of one file', async () => {
    const file = path.join(root, 'state.json');
    const states = Array.from({ length: 25 }, (_, i) => ({
      ...emptyProjectState('app'),
      workingDir: `/w/${i}`,
    }));
    await Promise.all(states.map((s) => writeProjectState(file, s)));
    expect(await readProjectState(file)).toEqual(states.at(-1));
  });

  it('coalesces a burst of saves and persists the newest', async () => {
    const store = new ProjectStateStore(path.join(root, 'state.json'));
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 50; i++)
      saves.push(store.save({ ...emptyProjectState('app'), workingDir: `/w/${i}` }));
    await Promise.all(saves);
    expect((await store.load())?.workingDir).toBe('/w/49');
  });
});

describe('state store atomicity against a real crash', () => {
  let compiled: Transpiled;
  let writer: ChildProcess | undefined;
  beforeAll(async () => {
    compiled = await transpileSources(['engine/local/state-store.ts']);
  });
  afterAll(async () => {
    await compiled?.cleanup();
  });
  afterEach(() => {
    writer?.kill('SIGKILL');
    writer = undefined;
  });

  it('always leaves a complete state.json when the writer is SIGKILLed mid-write', async () => {
    const file = path.join(root, 'state.json');
    const script = path.join(root, 'writer.mjs');
    // Large states written back to back: a kill lands during a write almost surely.
    await writeFile(
      script,
      `import { writeProjectState } from ${JSON.stringify(compiled.js('engine/local/state-store.ts'))};
const file = process.argv[2];
const filler = 'x'.repeat(200_000);
for (let i = 0; ; i++) {
  await writeProjectState(file, { version: 1, project: 'app', workingDir: filler + i, configFiles: [], containers: [], networks: [], volumes: [] });
  if (i === 3) process.stdout.write('writing\\n');
}
`,
    );
    for (let round = 0; round < 3; round++) {
      writer = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => writer!.stdout!.once('data', () => resolve()));
      writer.kill('SIGKILL');
      await new Promise((resolve) => writer!.once('exit', resolve));
      const state = await readProjectState(file);
      expect(state?.workingDir.startsWith('x'.repeat(200_000))).toBe(true);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(state);
    }
  });
});
