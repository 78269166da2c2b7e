import { describe, expect, it } from 'vitest';

import { ComposeError } from '../../src/project/errors.js';
import {
  parseProgressMode,
  resolveTerminalSettings,
  type TerminalInput,
  type TerminalSettings,
} from '../../src/ui/progress-mode.js';

const terminal = { stdoutIsTTY: true, stderrIsTTY: true };
const piped = { stdoutIsTTY: false, stderrIsTTY: false };

describe('resolveTerminalSettings', () => {
  const cases: { name: string; input: TerminalInput; expected: Partial<TerminalSettings> }[] = [
    {
      name: 'auto on a terminal',
      input: { env: {}, ...terminal },
      expected: { progress: 'tty', color: true },
    },
    { name: 'auto when piped', input: { env: {}, ...piped }, expected: { progress: 'plain', color: false } },
    {
      name: 'auto with stdout piped but stderr a terminal',
      input: { env: {}, stdoutIsTTY: false, stderrIsTTY: true },
      expected: { progress: 'plain', color: false },
    },
    {
      name: 'auto with stderr redirected',
      input: { env: {}, stdoutIsTTY: true, stderrIsTTY: false },
      expected: { progress: 'plain', color: true },
    },
    {
      name: '--ansi never on a terminal',
      input: { ansi: 'never', env: {}, ...terminal },
      expected: { progress: 'plain', color: false, ansi: 'never' },
    },
    {
      name: '--ansi always when piped',
      input: { ansi: 'always', env: {}, ...piped },
      expected: { progress: 'tty', color: true },
    },
    {
      name: 'COMPOSE_ANSI=never',
      input: { env: { COMPOSE_ANSI: 'never' }, ...terminal },
      expected: { progress: 'plain', color: false },
    },
    {
      name: '--ansi wins over COMPOSE_ANSI',
      input: { ansi: 'auto', env: { COMPOSE_ANSI: 'never' }, ...terminal },
      expected: { progress: 'tty', color: true },
    },
    {
      name: 'NO_COLOR turns colour off, not the live display',
      input: { env: { NO_COLOR: '1' }, ...terminal },
      expected: { progress: 'tty', color: false },
    },
    {
      name: 'an empty NO_COLOR is ignored',
      input: { env: { NO_COLOR: '' }, ...terminal },
      expected: { color: true },
    },
    { name: '--no-color', input: { noColor: true, env: {}, ...terminal }, expected: { color: false } },
    {
      name: 'COMPOSE_PROGRESS=json',
      input: { env: { COMPOSE_PROGRESS: 'json' }, ...terminal },
      expected: { progress: 'json' },
    },
    {
      name: '--progress wins over COMPOSE_PROGRESS',
      input: { progress: 'quiet', env: { COMPOSE_PROGRESS: 'json' }, ...terminal },
      expected: { progress: 'quiet' },
    },
    {
      name: '--progress none is quiet',
      input: { progress: 'none', env: {}, ...terminal },
      expected: { progress: 'quiet' },
    },
    {
      name: '--progress tty when piped',
      input: { progress: 'tty', env: {}, ...piped },
      expected: { progress: 'tty' },
    },
    {
      name: '--progress plain on a terminal',
      input: { progress: 'plain', env: {}, ...terminal },
      expected: { progress: 'plain' },
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(resolveTerminalSettings(input)).toMatchObject(expected);
  });

  const failures: { name: string; input: TerminalInput; message: RegExp }[] = [
    {
      name: 'tty with ANSI disabled',
      input: { progress: 'tty', ansi: 'never', env: {}, ...terminal },
      message: /can't use --progress tty while ANSI support is disabled/,
    },
    {
      name: 'plain with ANSI forced',
      input: { progress: 'plain', env: { COMPOSE_ANSI: 'always' }, ...terminal },
      message: /can't use --progress plain while ANSI support is forced/,
    },
    {
      name: 'an unknown progress',
      input: { progress: 'fancy', env: {}, ...terminal },
      message: /unsupported --progress value "fancy" \(use one of auto, tty, plain, json, quiet\)/,
    },
    {
      name: 'an unknown COMPOSE_PROGRESS',
      input: { env: { COMPOSE_PROGRESS: 'loud' }, ...terminal },
      message: /unsupported --progress value "loud"/,
    },
    {
      name: 'an unknown ansi',
      input: { ansi: 'sometimes', env: {}, ...terminal },
      message: /unsupported --ansi value "sometimes" \(use one of never, always, auto\)/,
    },
  ];
  it.each(failures)('rejects $name', ({ input, message }) => {
    expect(() => resolveTerminalSettings(input)).toThrow(ComposeError);
    expect(() => resolveTerminalSettings(input)).toThrow(message);
  });
});

describe('parseProgressMode', () => {
  it('accepts every documented mode', () => {
    for (const mode of ['auto', 'tty', 'plain', 'json', 'quiet'] as const)
      expect(parseProgressMode(mode)).toBe(mode);
  });
});
