import { describe, expect, it } from 'vitest';

import { ComposeError } from '../../src/project/errors.js';
import {
  isValidProjectName,
  normalizeProjectName,
  resolveProjectName,
} from '../../src/project/project-name.js';

describe('normalizeProjectName', () => {
  const cases: [string, string][] = [
    ['myapp', 'myapp'],
    ['My App', 'myapp'],
    ['my.app', 'myapp'],
    ['__x-y_z', 'x-y_z'],
    ['-_-9lives', '9lives'],
    ['Ünïcode-Ä', 'ncode-'],
    ['...', ''],
  ];
  it.each(cases)('%s -> %s', (input, expected) => {
    expect(normalizeProjectName(input)).toBe(expected);
  });
});

describe('isValidProjectName', () => {
  const cases: [string, boolean][] = [
    ['web', true],
    ['9x_y-z', true],
    ['', false],
    ['Web', false],
    ['_web', false],
    ['we b', false],
  ];
  it.each(cases)('%s -> %s', (input, expected) => {
    expect(isValidProjectName(input)).toBe(expected);
  });
});

describe('resolveProjectName', () => {
  const cases: {
    name: string;
    flag?: string;
    env?: string;
    fileName?: string;
    workingDir: string;
    expected: string;
  }[] = [
    { name: '-p wins', flag: 'flag', env: 'env', fileName: 'file', workingDir: '/x/dir', expected: 'flag' },
    {
      name: 'then COMPOSE_PROJECT_NAME',
      env: 'env',
      fileName: 'file',
      workingDir: '/x/dir',
      expected: 'env',
    },
    { name: 'then top-level name', fileName: 'file', workingDir: '/x/dir', expected: 'file' },
    {
      name: 'top-level name is normalized',
      fileName: 'My File.App',
      workingDir: '/x/dir',
      expected: 'myfileapp',
    },
    { name: 'empty name falls to the directory', fileName: '', workingDir: '/x/dir', expected: 'dir' },
    { name: 'directory basename normalized', workingDir: '/x/My Project', expected: 'myproject' },
    { name: 'empty -p and env are unset', flag: '', env: '', workingDir: '/x/_app', expected: 'app' },
  ];
  it.each(cases)('$name', ({ flag, env, fileName, workingDir, expected }) => {
    expect(resolveProjectName({ flag, env: { COMPOSE_PROJECT_NAME: env }, fileName, workingDir })).toBe(
      expected,
    );
  });

  const bad: {
    name: string;
    flag?: string;
    env?: string;
    fileName?: string;
    workingDir: string;
    message: string;
  }[] = [
    {
      name: 'invalid -p',
      flag: 'My Project',
      workingDir: '/x/dir',
      message:
        'invalid project name "My Project": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number',
    },
    {
      name: 'invalid COMPOSE_PROJECT_NAME',
      env: '_app',
      workingDir: '/x/dir',
      message: 'invalid project name "_app"',
    },
    {
      name: 'top-level name with nothing usable',
      fileName: '***',
      workingDir: '/x/dir',
      message: 'name: project name must not be empty',
    },
    {
      name: 'directory with nothing usable',
      workingDir: '/x/___',
      message: 'project name must not be empty',
    },
    { name: 'root directory', workingDir: '/', message: 'project name must not be empty' },
  ];
  it.each(bad)('error: $name', ({ flag, env, fileName, workingDir, message }) => {
    let caught: unknown;
    try {
      resolveProjectName({ flag, env: { COMPOSE_PROJECT_NAME: env }, fileName, workingDir });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ComposeError);
    expect((caught as ComposeError).message).toContain(message);
    expect((caught as ComposeError).hint).toBeTruthy();
  });
});
