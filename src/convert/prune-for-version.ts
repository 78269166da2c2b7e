import { isDict } from '../project/dict.js';
import type { KeyPath } from '../project/key-path.js';
import type { ChangeLog } from './change-log.js';
import { keyPattern } from './key-pattern.js';
import { firstVersionSupporting, stackSupports } from './stack-versions.js';

/** Why a key is not in a stack file of `version`: a newer version has it, or none does. */
export function unsupportedReason(path: KeyPath, version: string): string {
  const first = firstVersionSupporting(keyPattern(path));
  return first === undefined
    ? 'stack files have no such key'
    : `needs stack file version ${first} or newer (this file is ${version})`;
}

/**
 * Removes from a stack value, in place, every key the stack file `version` cannot hold, and reports each
 * one. `path` is where the value sits in the stack file, which is also its key path in the project for
 * the keys copied as they are. User-chosen keys (names, labels) are not key names and are always kept;
 * an `x-` key is kept whole where the version allows one there.
 */
export function pruneForVersion(value: unknown, path: KeyPath, version: string, log: ChangeLog): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => pruneForVersion(item, [...path, index], version, log));
    return;
  }
  if (!isDict(value)) return;
  for (const key of Object.keys(value)) {
    const childPath = [...path, key];
    const pattern = keyPattern(childPath);
    const userChosen = pattern[pattern.length - 1] === '*';
    if (!userChosen && !stackSupports(version, pattern)) {
      log.dropped(childPath, unsupportedReason(childPath, version));
      Reflect.deleteProperty(value, key);
      continue;
    }
    if (!key.startsWith('x-')) pruneForVersion(value[key], childPath, version, log);
  }
}
