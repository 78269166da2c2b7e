import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { renderYaml } from '../../src/project/serialize.js';
import { OverrideTag } from '../../src/project/tags.js';
import { emitYaml, scalarString } from '../../src/project/yaml-emit.js';

/** Reads YAML back the way a YAML 1.1 reader would see it too (yes/no, 0755, 1:20, dates). */
const read11 = (text: string): unknown => parse(text, { version: '1.1' });
const read12 = (text: string): unknown => parse(text);

describe('emitYaml layout', () => {
  const cases: [string, unknown, string][] = [
    ['flat map', { a: 'x', b: 1, c: true, d: null }, 'a: x\nb: 1\nc: true\nd: null\n'],
    ['nested map', { a: { b: { c: 'd' } } }, 'a:\n  b:\n    c: d\n'],
    ['list under a key', { a: ['x', 'z'] }, 'a:\n  - x\n  - z\n'],
    ['maps in a list', { a: [{ b: 1, c: 2 }, { d: [3] }] }, 'a:\n  - b: 1\n    c: 2\n  - d:\n      - 3\n'],
    ['list in a list', { a: [['x', 'z'], []] }, 'a:\n  - - x\n    - z\n  - []\n'],
    ['empty collections', { a: {}, b: [], c: [{}] }, 'a: {}\nb: []\nc:\n  - {}\n'],
    ['undefined left out of maps, null in lists', { a: undefined, b: [undefined] }, 'b:\n  - null\n'],
    ['root list', ['a', { b: 'c' }], '- a\n- b: c\n'],
    ['root scalar', 'x', 'x\n'],
    ['empty root map', {}, '{}\n'],
    [
      'special numbers',
      { a: NaN, b: Infinity, c: -Infinity, d: 1.5, e: -0 },
      'a: .nan\nb: .inf\nc: -.inf\nd: 1.5\ne: -0\n',
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(emitYaml(input)).toBe(expected);
  });

  it('gives up on data it does not know, and renderYaml falls back to the yaml library', () => {
    const model = { a: new OverrideTag(1) };
    expect(emitYaml(model)).toBeUndefined();
    expect(emitYaml(undefined)).toBeUndefined();
    expect(emitYaml({ a: new Date(0) })).toBeUndefined();
    expect(typeof renderYaml(model)).toBe('string');
  });
});

describe('scalarString quoting', () => {
  const plain = [
    'nginx',
    'registry.example.com/app:1.0.0',
    'http://svc0:3000',
    'node server.js',
    '--port',
    '-e',
    './data',
    '1.0.0',
    'a,b',
    'process.exit(0)',
    'unless-stopped',
    'KEY=value',
    'path=$HOME',
  ];
  it.each(plain)('writes %j plain', (text) => {
    expect(scalarString(text)).toBe(text);
  });

  const quoted = [
    '',
    ' ',
    ' lead',
    'trail ',
    'two  spaces',
    'yes',
    'No',
    'on',
    'OFF',
    'y',
    'n',
    'true',
    'False',
    'null',
    'Null',
    '~',
    '0x1',
    '0o17',
    '0b101',
    '1e3',
    '08',
    '0755',
    '.5',
    '5.',
    '1_000',
    '+1',
    '-1',
    '1:20',
    '190:20:30',
    '.inf',
    '-.Inf',
    '.NaN',
    '2001-12-14',
    '3000',
    '-',
    '- x',
    'a: b',
    'a:',
    'a #b',
    '#comment',
    '&anchor',
    '*alias',
    '!tag',
    '|',
    '>',
    '%x',
    '@x',
    '`x',
    "'x'",
    '"x"',
    '[a]',
    '{a: 1}',
    '?',
    '? x',
    '<<',
    '=',
    '---',
    '...',
    '--- x',
    'line\nbreak',
    'tab\there',
    'cr\r',
    'café',
    'nel\u0085',
    'del\u007f',
    'ls\u2028',
    'bom\ufeff',
    'back\\slash',
  ];
  it.each(quoted)('quotes %j and reads back the same under YAML 1.1 and 1.2', (text) => {
    const out = scalarString(text);
    expect(out.startsWith('"')).toBe(true);
    expect(read12(`k: ${out}\n`)).toEqual({ k: text });
    expect(read11(`k: ${out}\n`)).toEqual({ k: text });
    expect(read12(`${out}: v\n`)).toEqual({ [text]: 'v' });
  });

  it.each(plain)('plain %j reads back the same under YAML 1.1 and 1.2', (text) => {
    expect(read12(`k: ${text}\n`)).toEqual({ k: text });
    expect(read11(`k: ${text}\n`)).toEqual({ k: text });
    expect(read12(`- ${text}\n`)).toEqual([text]);
  });
});

describe('round trips through the yaml parser', () => {
  const models: unknown[] = [
    {
      name: 'demo',
      services: {
        web: {
          command: ['node', 'server.js', '--port', '3000'],
          environment: { EMPTY: '', YES: 'yes', NUM: '0755', MULTI: 'a\nb\n', QUOTE: `it's "x"` },
          ports: [{ published: '8080', target: 80, protocol: 'tcp', host_ip: '::1' }],
          labels: { 'com.example.key': 'a: b #c', '1': 'one', '<<': 'merge', 'a b': '' },
          networks: { front: null, back: {} },
          healthcheck: { test: ['CMD-SHELL', 'curl -f http://localhost || exit 1'], retries: 3 },
          extra: [[1, 2], [], [{}], { deep: [{ deeper: [true, false, null, 1.5, -2] }] }],
        },
      },
      'x-unicode': { emoji: '🚀 ok', cjk: '日本語', lone: '\ud800', ctrl: '\u0001\u001f' },
    },
  ];
  it.each(models)('emitted YAML reads back to the same values (%#)', (model) => {
    const text = emitYaml(model);
    expect(text).toBeDefined();
    expect(read12(text!)).toEqual(model);
  });
});
