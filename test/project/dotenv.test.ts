import { describe, expect, it } from 'vitest';

import { parseDotenv, parseRawEnv } from '../../src/project/dotenv.js';
import { ComposeError } from '../../src/project/errors.js';

const outside: Record<string, string> = { HOME: '/home/me', EMPTY: '', SHADOW: 'from-env' };
const lookup = (name: string): string | undefined =>
  Object.hasOwn(outside, name) ? outside[name] : undefined;

function parse(text: string): Record<string, string> {
  return parseDotenv(text, '.env', lookup);
}

function failure(text: string): ComposeError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describe('parseDotenv', () => {
  it.each<[string, string, Record<string, string>]>([
    ['plain', 'A=1\nB=two', { A: '1', B: 'two' }],
    ['blank lines and comments', '\n# comment\n  # indented comment\nA=1\n\n', { A: '1' }],
    ['export prefix', 'export A=1\nexport   B=2', { A: '1', B: '2' }],
    ['a key named export', 'export=1', { export: '1' }],
    ['yaml style', 'A: 1\nB:two', { A: '1', B: 'two' }],
    ['spaces around =', 'A = 1 ', { A: '1' }],
    ['empty value', 'A=\nB=   ', { A: '', B: '' }],
    ['unquoted inline comment', 'A=value # comment', { A: 'value' }],
    ['# without space is part of the value', 'A=abc#def', { A: 'abc#def' }],
    ['value with =', 'A=x=y', { A: 'x=y' }],
    ['unquoted trailing tabs trimmed', 'A=v\t\t', { A: 'v' }],
    ['single quotes literal', "A='$HOME \\n ${X:?no}'", { A: '$HOME \\n ${X:?no}' }],
    ['single quotes with escaped quote', "A='it\\'s'", { A: "it's" }],
    ['single quotes keep #', "A='a # b'", { A: 'a # b' }],
    ['double quotes', 'A="hello world"', { A: 'hello world' }],
    ['double quote escapes', 'A="a\\nb\\tc\\"d\\\\e"', { A: 'a\nb\tc"d\\e' }],
    ['double quote \\$ is literal', 'A="\\$HOME"', { A: '$HOME' }],
    ['double quote unknown escape kept', 'A="\\q"', { A: '\\q' }],
    ['double quote octal escape', 'A="\\0101"', { A: 'A' }],
    ['double quotes expand', 'A="${HOME}/x"', { A: '/home/me/x' }],
    ['double quotes keep #', 'A="a # b" # comment', { A: 'a # b' }],
    ['multi-line double quotes', 'A="line1\nline2"\nB=3', { A: 'line1\nline2', B: '3' }],
    ['multi-line single quotes', "A='l1\nl2'", { A: 'l1\nl2' }],
    ['empty quotes', 'A=""\nB=\'\'', { A: '', B: '' }],
    ['unquoted expansion', 'A=$HOME/bin', { A: '/home/me/bin' }],
    ['unquoted $$', 'A=$$HOME', { A: '$HOME' }],
    ['expansion from earlier keys', 'A=1\nB=${A}2', { A: '1', B: '12' }],
    ['lookup beats earlier keys', 'SHADOW=file\nB=$SHADOW', { SHADOW: 'file', B: 'from-env' }],
    ['default form', 'A=${NOPE:-fallback}', { A: 'fallback' }],
    ['default on empty', 'A=${EMPTY:-fallback}', { A: 'fallback' }],
    ['unset expands to empty', 'A=x${NOPE}y', { A: 'xy' }],
    ['bare key from lookup', 'HOME\nA=1', { HOME: '/home/me', A: '1' }],
    ['bare key at end of file', 'A=1\nHOME', { A: '1', HOME: '/home/me' }],
    ['bare key unset is skipped', 'NOPE\nA=1', { A: '1' }],
    ['export bare key', 'export HOME', { HOME: '/home/me' }],
    ['BOM', '\uFEFFA=1', { A: '1' }],
    ['CRLF', 'A=1\r\nB="x"\r\n', { A: '1', B: 'x' }],
    ['dots dashes brackets in keys', 'a.b-c[0]=1', { 'a.b-c[0]': '1' }],
    ['later line wins', 'A=1\nA=2', { A: '2' }],
    [
      'shell escapes',
      'K="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"',
      { K: 'Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ' },
    ],
    ['non-POSIX escapes kept', 'K="\\x07\\u12e4"', { K: '\\x07\\u12e4' }],
    ['unquoted backslashes kept', 'K=a\\tb', { K: 'a\\tb' }],
    ['comment right after closing quote', 'K="bar#baz"#', { K: 'bar#baz' }],
    ['bare # at end', 'K=bar #', { K: 'bar' }],
    ['yaml style with =', 'K: Foo=bar', { K: 'Foo=bar' }],
    [
      'export-like key names',
      'exportFOO=1\nexport_B =2\nexport.C= 3',
      { exportFOO: '1', export_B: '2', 'export.C': '3' },
    ],
    ['__proto__ is data', '__proto__=x', { ['__proto__']: 'x' }],
  ])('%s', (_name, text, expected) => {
    const parsed = parse(text);
    expect(parsed).toEqual(expected);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it.each([
    [
      'unterminated double quote',
      'A=1\nB="abc\nC=2',
      2,
      'unterminated quoted value for B',
      'add the closing "',
    ],
    ['escaped closing double quote', 'K="value\\"', 1, 'unterminated quoted value for K', ''],
    ['escaped closing single quote', "K='value\\'", 1, 'unterminated quoted value for K', ''],
    ['unterminated single quote', "A='abc", 1, 'unterminated quoted value for A', "add the closing '"],
    ['space in key', 'MY KEY=1', 1, 'variable name "MY KEY" contains a space', 'variable names may contain'],
    [
      'bad character in key',
      'A=1\n\nB$=2',
      3,
      'unexpected character "$" in variable name "B$"',
      'letters, digits',
    ],
    ['not a KEY=VALUE line', 'lol$wut', 1, 'unexpected character "$"', ''],
    ['missing key', '=value', 1, 'missing variable name', 'KEY=VALUE'],
    [
      'text after closing quote',
      'A="x" y',
      1,
      'unexpected text after the quoted value of A',
      'quote the whole value',
    ],
    [
      'required variable',
      'A=1\nB=${NOPE:?set NOPE}',
      2,
      'required variable NOPE is missing a value: set NOPE',
      '',
    ],
    ['bad template', 'A=${', 1, 'invalid interpolation format "${"', 'escape any $'],
    ['line after a multi-line value', 'A="1\n2\n3"\nB C=1', 4, 'contains a space', ''],
  ])('%s', (_name, text, line, problem, hint) => {
    const error = failure(text);
    expect(error.location).toEqual({ file: '.env', line });
    expect(error.problem).toContain(problem);
    expect(error.message).toContain(`.env:${line}: `);
    if (hint) expect(error.hint).toContain(hint);
  });
});

describe('parseRawEnv', () => {
  it('takes values as written', () => {
    expect(parseRawEnv('# c\nA="quoted" $X # not a comment\n\nB=\nC=a=b\r\n', 'raw.env')).toEqual({
      A: '"quoted" $X # not a comment',
      B: '',
      C: 'a=b',
    });
  });

  it('rejects a line without =', () => {
    expect(() => parseRawEnv('A=1\nBROKEN', 'raw.env')).toThrow(/raw\.env:2: invalid line "BROKEN"/);
  });
});
