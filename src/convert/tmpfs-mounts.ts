import { parseBytes } from '../project/canonical/units.js';
import type { ServiceVolume } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { keyPattern } from './key-pattern.js';
import { unsupportedReason } from './prune-for-version.js';
import { stackSupports } from './stack-versions.js';

/**
 * The service-level `tmpfs:` list as tmpfs mounts. A stack file may hold the list, but
 * `docker stack deploy` never passes it to Swarm: only mounts under `volumes` become tmpfs in a task.
 * `size=` is kept (as bytes); other options (`mode=`, `uid=` ...) have no place in a stack's mounts and are
 * reported.
 */
export function tmpfsAsMounts(
  name: string,
  entries: readonly string[],
  version: string,
  log: ChangeLog,
): ServiceVolume[] {
  const path = ['services', name, 'tmpfs'];
  const mountPath = ['services', name, 'volumes', 'type'];
  if (!stackSupports(version, keyPattern(mountPath))) {
    log.dropped(
      path,
      `docker stack deploy ignores tmpfs:, and a tmpfs mount ${unsupportedReason(mountPath, version)}`,
    );
    return [];
  }
  const mounts: ServiceVolume[] = [];
  const dropped: string[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const target = colon < 0 ? entry : entry.slice(0, colon);
    const mount: ServiceVolume = { type: 'tmpfs', target };
    const options = colon < 0 ? [] : entry.slice(colon + 1).split(',');
    for (const option of options) {
      const [key, value = ''] = option.split('=');
      if (key === 'size' && value !== '') {
        try {
          mount.tmpfs = { size: parseBytes(value) };
          continue;
        } catch {
          // reported below with the other options Swarm cannot take
        }
      }
      if (option !== '') dropped.push(`${option} (${target})`);
    }
    mounts.push(mount);
  }
  const lost = dropped.length === 0 ? '' : `; Swarm cannot set ${dropped.join(', ')}`;
  log.rewritten(path, `docker stack deploy ignores tmpfs:; mounted as volumes of type tmpfs instead${lost}`);
  return mounts;
}
