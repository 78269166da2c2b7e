import type { KeyPath } from './key-path.js';
import type { DocumentPositions, Location } from './source-map.js';

/**
 * Where a key path of one parsed document was written: the exact position when known, else the nearest
 * parent's (a value built by a stage has no position of its own), else just the file.
 */
export function locateInDocument(positions: DocumentPositions, keyPath: KeyPath): Location {
  for (let len = keyPath.length; len >= 0; len--) {
    const position = positions.get(keyPath.slice(0, len));
    if (position) return { file: positions.file, ...position };
  }
  return { file: positions.file };
}
