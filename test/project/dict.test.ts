import { describe, expect, it } from 'vitest';

import { cloneData, isDict } from '../../src/project/dict.js';
import { parseYamlDocuments } from '../../src/project/yaml.js';

describe('cloneData', () => {
  it('copies deeply', () => {
    const input = { a: [1, { b: 'c' }], d: null };
    const copy = cloneData(input);
    expect(copy).toEqual(input);
    expect(copy.a).not.toBe(input.a);
  });

  it('keeps a YAML key "__proto__" as data instead of changing the prototype', () => {
    const [doc] = parseYamlDocuments('x-a:\n  __proto__:\n    polluted: true\n', 'c.yaml');
    const copy = cloneData(doc!.data);
    const ext = copy['x-a'];
    expect(isDict(ext)).toBe(true);
    expect(Object.keys(ext as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((ext as Record<string, unknown>).polluted).toBeUndefined();
  });
});
