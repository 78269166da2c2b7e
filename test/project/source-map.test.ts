import { describe, expect, it } from 'vitest';

import { DocumentPositions, SourceMap } from '../../src/project/source-map.js';
import { parseYamlDocuments } from '../../src/project/yaml.js';

describe('DocumentPositions', () => {
  it('turns parser offsets into line/column only when asked', () => {
    const [doc] = parseYamlDocuments('services:\n  web:\n    ports:\n      - "80:80"\n', 'c.yaml');
    const positions = doc!.positions;
    const cases: [readonly (string | number)[], { line: number; column: number } | undefined][] = [
      [[], { line: 1, column: 1 }],
      [['services'], { line: 1, column: 1 }],
      [['services', 'web'], { line: 2, column: 3 }],
      [['services', 'web', 'ports', 0], { line: 4, column: 9 }],
      [['services', 'web', 'ports', '0'], undefined],
      [['services', 'db'], undefined],
    ];
    for (const [path, expected] of cases) expect(positions.get(path), JSON.stringify(path)).toEqual(expected);
    expect(positions.has(['services', 'web'])).toBe(true);
    expect(positions.has(['services', 'web', 'image'])).toBe(false);
  });

  it('keeps positions set by later stages, and the source map falls back to the nearest parent', () => {
    const positions = new DocumentPositions('x.yaml');
    positions.set(['a', 'b'], { line: 3, column: 5 });
    const map = new SourceMap();
    map.add(positions);
    expect(positions.has(['a'])).toBe(false);
    expect(map.locate(['a', 'b', 'c', 0])).toEqual({ file: 'x.yaml', line: 3, column: 5 });
    expect(map.locate(['z'])).toEqual({ file: 'x.yaml' });
  });
});
