import type { KeyPath } from '../project/key-path.js';

/** Maps whose keys are chosen by the user (names, labels, variables): their keys are not key names. */
const FREE_MAPS = new Set([
  'labels',
  'sysctls',
  'ulimits',
  'environment',
  'driver_opts',
  'options',
  'aux_addresses',
  'args',
]);
const NAMED_TOP_LEVEL = new Set(['services', 'networks', 'volumes', 'secrets', 'configs']);

/**
 * The pattern of a key path in a stack file, as the version table takes it: list indexes left out and
 * user-chosen keys (service and resource names, label and variable names) written `*`.
 */
export function keyPattern(path: KeyPath): string[] {
  const pattern: string[] = [];
  // The previous key, unless it was itself a user-chosen name (a service called `labels` is no map).
  let parent: string | undefined;
  for (const [i, segment] of path.entries()) {
    if (typeof segment === 'number') continue;
    const named =
      (i === 1 && NAMED_TOP_LEVEL.has(String(path[0]))) ||
      (i === 3 && path[0] === 'services' && path[2] === 'networks') ||
      (parent !== undefined && FREE_MAPS.has(parent));
    pattern.push(named ? '*' : segment);
    parent = named ? undefined : segment;
  }
  return pattern;
}
