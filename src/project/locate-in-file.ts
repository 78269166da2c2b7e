import path from 'node:path';

import type { KeyPath } from './key-path.js';
import type { Location, SourceMap } from './source-map.js';

/**
 * The location of a key path inside one given file. The source map holds every document read so far
 * (extended and included files too) and falls back to parents, so a hit from another file is dropped
 * and the file alone is named instead.
 */
export function locateInFile(sourceMap: SourceMap, file: string, keyPath: KeyPath): Location {
  const found = sourceMap.locate(keyPath);
  if (found && sameFile(found.file, file)) return found;
  return { file: file === '-' ? '<stdin>' : file };
}

// Source maps name files as the user sees them (relative to the cwd when inside it), stages know them absolute.
function sameFile(display: string, file: string): boolean {
  if (display === file) return true;
  if (file === '-') return display === '<stdin>';
  return path.isAbsolute(file) && !path.isAbsolute(display) && file.endsWith(path.sep + display);
}
