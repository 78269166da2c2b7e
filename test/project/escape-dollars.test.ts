import { describe, expect, it } from 'vitest';

import { escapeDollars } from '../../src/project/escape-dollars.js';

describe('escapeDollars', () => {
  it.each<[unknown, unknown]>([
    ['plain', 'plain'],
    ['$HOME', '$$HOME'],
    ['a$$b', 'a$$$$b'],
    [
      ['${X}', 1, true, null],
      ['$${X}', 1, true, null],
    ],
    [
      { $KEY: 'v$', nested: { list: ['$'] } },
      { $KEY: 'v$$', nested: { list: ['$$'] } },
    ],
  ])('%j', (input, expected) => {
    expect(escapeDollars(input)).toEqual(expected);
  });
});
