import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadEnvironment, readServiceEnvFile } from '../../src/project/environment.js';
import { ComposeError } from '../../src/project/errors.js';

let dir: string;
/** `npm test` builds dist/ before the tests run. */
const builtEnvironmentModule = new URL('../../dist/project/environment.js', import.meta.url).href;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-env-'));
  await writeFile(file('.env'), 'A=dotenv\nB=dotenv\nC=${OS_ONLY}-x\n');
  await writeFile(file('one.env'), 'A=one\nB=one\nREF=${OS_ONLY}\n');
  await writeFile(file('two.env'), 'B=two\nFROM_ONE=${REF}+${A}\n');
  await writeFile(file('bad.env'), 'OK=1\nNOT OK=2\n');
  await writeFile(file('latin1.env'), Buffer.from([0x41, 0x3d, 0xe9, 0x0a]));
  await writeFile(file('raw.env'), 'R="q" $X\n');
  await mkdir(file('folder'));
  await mkdir(file('venv'));
  await mkdir(file('venv/.env'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown> | null): Promise<ComposeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describe('loadEnvironment', () => {
  it('reads the default .env under the OS environment', async () => {
    const result = await loadEnvironment({
      osEnv: { A: 'os', OS_ONLY: 'o', UNSET: undefined },
      envFiles: [],
      defaultEnvFile: file('.env'),
    });
    expect(result.environment).toEqual({ A: 'os', B: 'dotenv', C: 'o-x', OS_ONLY: 'o' });
    expect(result.files).toEqual([file('.env')]);
  });

  it('skips a missing default .env', async () => {
    const result = await loadEnvironment({
      osEnv: { X: '1' },
      envFiles: [],
      defaultEnvFile: file('none.env'),
    });
    expect(result).toEqual({ environment: { X: '1' }, files: [] });
  });

  it('skips a default .env that is a directory (a Python virtualenv)', async () => {
    const result = await loadEnvironment({ osEnv: {}, envFiles: [], defaultEnvFile: file('venv/.env') });
    expect(result).toEqual({ environment: {}, files: [] });
  });

  it('reads explicit files in order, later files winning, and ignores the default .env', async () => {
    const result = await loadEnvironment({
      osEnv: { OS_ONLY: 'o' },
      envFiles: [file('one.env'), file('two.env')],
      defaultEnvFile: file('.env'),
    });
    expect(result.environment).toEqual({ A: 'one', B: 'two', REF: 'o', FROM_ONE: 'o+one', OS_ONLY: 'o' });
    expect(result.files).toEqual([file('one.env'), file('two.env')]);
  });

  it('lets the OS environment beat every file', async () => {
    const result = await loadEnvironment({
      osEnv: { B: 'os' },
      envFiles: [file('one.env'), file('two.env')],
    });
    expect(result.environment.B).toBe('os');
  });

  it.each([
    ['a missing explicit file', 'missing.env', `couldn't find env file: `, '--env-file'],
    ['a directory', 'folder', 'is a directory', 'KEY=VALUE'],
    ['invalid UTF-8', 'latin1.env', 'is not valid UTF-8', 'UTF-8'],
  ])('reports %s', async (_name, name, problem, hint) => {
    const error = await failure(loadEnvironment({ osEnv: {}, envFiles: [file(name)] }));
    expect(error.problem).toContain(problem);
    expect(error.message).toContain(file(name));
    expect(error.hint).toContain(hint);
  });

  it('reports a syntax error with file and line', async () => {
    const error = await failure(loadEnvironment({ osEnv: {}, envFiles: [file('bad.env')] }));
    expect(error.location).toEqual({ file: file('bad.env'), line: 2 });
    expect(error.message).toContain(`${file('bad.env')}:2: `);
  });

  it('reports an unreadable file', async () => {
    await writeFile(file('secret.env'), 'A=1\n');
    await chmod(file('secret.env'), 0o000);
    if (process.getuid?.() !== 0) {
      const error = await failure(loadEnvironment({ osEnv: {}, envFiles: [file('secret.env')] }));
      expect(error.problem).toContain('permission denied');
      return;
    }
    // Root reads any file: read it as `nobody` instead, through the built library.
    const script = `import { loadEnvironment } from ${JSON.stringify(builtEnvironmentModule)};
      loadEnvironment({ osEnv: {}, envFiles: [${JSON.stringify(file('secret.env'))}] })
        .then(() => console.log('read'), (e) => console.log(e.problem));`;
    const run = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('permission denied');
  });
});

describe('readServiceEnvFile', () => {
  const lookup = (name: string): string | undefined => (name === 'X' ? 'x' : undefined);

  it('returns null for a missing file', () => {
    expect(readServiceEnvFile(file('missing.env'), undefined, lookup)).toBeNull();
  });

  it('parses dotenv syntax with the lookup', async () => {
    await writeFile(file('svc.env'), 'S=${X}1\nX\n');
    expect(await readServiceEnvFile(file('svc.env'), undefined, lookup)).toEqual({ S: 'x1', X: 'x' });
  });

  it('takes raw values as written', async () => {
    expect(await readServiceEnvFile(file('raw.env'), 'raw', lookup)).toEqual({ R: '"q" $X' });
  });

  it('rejects an unknown format', async () => {
    const error = await failure(readServiceEnvFile(file('raw.env'), 'toml', lookup));
    expect(error.problem).toContain('unsupported env_file format "toml"');
  });

  it('rejects a directory', async () => {
    const error = await failure(readServiceEnvFile(file('folder'), undefined, lookup));
    expect(error.problem).toContain('is a directory');
  });
});
