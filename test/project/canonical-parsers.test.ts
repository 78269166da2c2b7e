import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseBytes,
  parseDeviceSpec,
  parseDuration,
  ShellWordsError,
  splitShellWords,
} from '../../src/project/canonical/index.js';

describe('splitShellWords', () => {
  it.each<[string, string[]]>([
    ['npm start', ['npm', 'start']],
    ['  a \t b\n c  ', ['a', 'b', 'c']],
    ['', []],
    ['echo "hello world"', ['echo', 'hello world']],
    ["echo 'it''s'", ['echo', 'its']],
    ["sh -c 'echo $HOME && ls'", ['sh', '-c', 'echo $HOME && ls']],
    ['echo $HOME ${USER}', ['echo', '$HOME', '${USER}']],
    ['a\\ b c', ['a b', 'c']],
    ['echo "a\\"b" "\\$x" "\\n"', ['echo', 'a"b', '$x', '\\n']],
    ["echo '\\n'", ['echo', '\\n']],
    ['echo "" \'\'', ['echo', '', '']],
    ['--opt="a b"c', ['--opt=a bc']],
    ['echo a && echo b', ['echo', 'a', '&&', 'echo', 'b']],
    ['a \\\nb', ['a', 'b']],
  ])('%j', (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });
  it.each(['echo "open', "echo 'open"])('throws on %j', (text) => {
    expect(() => splitShellWords(text)).toThrow(ShellWordsError);
  });
});

describe('parseDuration and formatDuration', () => {
  it.each<[string | number, number, string]>([
    ['10s', 10_000, '10s'],
    ['90s', 90_000, '1m30s'],
    ['1m30s', 90_000, '1m30s'],
    ['1h', 3_600_000, '1h0m0s'],
    ['1h2m3.5s', 3_723_500, '1h2m3.5s'],
    ['300ms', 300, '300ms'],
    ['1.5ms', 1.5, '1.5ms'],
    ['1500us', 1.5, '1.5ms'],
    ['2µs', 0.002, '2µs'],
    ['40ns', 0.00004, '40ns'],
    ['0', 0, '0s'],
    [0, 0, '0s'],
    ['1d', 86_400_000, '24h0m0s'],
    ['-5s', -5000, '-5s'],
  ])('%j', (text, ms, formatted) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
    expect(formatDuration(parseDuration(text))).toBe(formatted);
  });
  it.each(['10', 10, 'abc', '', '5 s', '1x'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/duration/);
  });
});

describe('parseBytes', () => {
  it.each<[string | number, number]>([
    [1024, 1024],
    ['100', 100],
    ['100b', 100],
    ['1k', 1024],
    ['1kb', 1024],
    ['1KB', 1024],
    ['1m', 1048576],
    ['64MB', 67108864],
    ['1g', 1073741824],
    ['1gb', 1073741824],
    ['1.5g', 1610612736],
    ['2 m', 2097152],
    ['1GiB', 1073741824],
  ])('%j', (value, bytes) => {
    expect(parseBytes(value)).toBe(bytes);
  });
  it.each(['lots', '1x', '-1g', ''])('refuses %j', (value) => {
    expect(() => parseBytes(value)).toThrow('invalid size');
  });
});

describe('parseDeviceSpec', () => {
  it.each([
    ['/dev/a', { source: '/dev/a', target: '/dev/a', permissions: 'rwm' }],
    ['/dev/a:/dev/b', { source: '/dev/a', target: '/dev/b', permissions: 'rwm' }],
    ['/dev/a:r', { source: '/dev/a', target: '/dev/a', permissions: 'r' }],
    ['/dev/a:/dev/b:rw', { source: '/dev/a', target: '/dev/b', permissions: 'rw' }],
  ])('%s', (spec, expected) => {
    expect(parseDeviceSpec(spec)).toEqual(expected);
  });
  it.each(['/dev/a:/dev/b:rwx', '/a:/b:r:x', ':/b'])('refuses %s', (spec) => {
    expect(() => parseDeviceSpec(spec)).toThrow();
  });
});
