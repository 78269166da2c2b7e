import type { ServiceVolume } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { pruneForVersion, unsupportedReason } from './prune-for-version.js';
import { stackSupports } from './stack-versions.js';

/**
 * A service's mounts in the long syntax `docker stack config` prints (short `source:target[:ro]` strings
 * before version 3.2, which has no long syntax). Bind sources are already absolute. What Swarm cannot do
 * is dropped and reported: creating a missing bind source, SELinux relabelling, sub-paths, image mounts.
 */
export function swarmVolumes(
  name: string,
  volumes: readonly ServiceVolume[],
  version: string,
  log: ChangeLog,
): unknown[] {
  const longSyntax = stackSupports(version, ['services', '*', 'volumes', 'type']);
  const out: unknown[] = [];
  volumes.forEach((volume, index) => {
    const path = ['services', name, 'volumes', index];
    if (volume.type === 'image' || volume.type === 'cluster') {
      log.dropped(path, `Swarm services cannot mount a volume of type ${volume.type}`);
      return;
    }
    if (volume.bind?.create_host_path === true) {
      log.dropped(
        [...path, 'bind', 'create_host_path'],
        `Swarm does not create a missing bind source: make ${volume.source ?? 'it'} exist on every node that may run the service`,
      );
    }
    if (!longSyntax) {
      const short = shortSyntax(volume);
      if (short === undefined)
        log.dropped(path, `a ${volume.type} mount ${unsupportedReason([...path, 'type'], version)}`);
      else out.push(short);
      return;
    }
    const entry = longEntry(volume, path, log);
    pruneForVersion(entry, path, version, log);
    out.push(entry);
  });
  return out;
}

function longEntry(
  volume: ServiceVolume,
  path: (string | number)[],
  log: ChangeLog,
): Record<string, unknown> {
  const entry: Record<string, unknown> = { type: volume.type };
  if (volume.source !== undefined) entry.source = volume.source;
  entry.target = volume.target;
  if (volume.read_only === true) entry.read_only = true;
  if (volume.consistency !== undefined) entry.consistency = volume.consistency;
  for (const [key, value] of Object.entries(volume)) {
    if (key.startsWith('x-')) entry[key] = value;
  }
  const bind = volume.bind;
  if (bind !== undefined) {
    if (bind.propagation !== undefined) entry.bind = { propagation: bind.propagation };
    if (bind.selinux !== undefined) {
      log.dropped([...path, 'bind', 'selinux'], 'Swarm does not relabel bind mounts for SELinux');
    }
    if (bind.recursive !== undefined) {
      log.dropped([...path, 'bind', 'recursive'], 'Swarm always mounts binds recursively');
    }
  }
  const named = volume.volume;
  if (named !== undefined) {
    if (named.nocopy !== undefined) entry.volume = { nocopy: named.nocopy };
    if (named.subpath !== undefined) {
      log.dropped(
        [...path, 'volume', 'subpath'],
        'Swarm mounts whole volumes; mount it and use the sub-folder',
      );
    }
  }
  const tmpfs = volume.tmpfs;
  if (tmpfs !== undefined) {
    if (tmpfs.size !== undefined) entry.tmpfs = { size: tmpfs.size };
    if (tmpfs.mode !== undefined) {
      log.dropped([...path, 'tmpfs', 'mode'], 'Swarm cannot set the mode of a tmpfs mount');
    }
  }
  return entry;
}

function shortSyntax(volume: ServiceVolume): string | undefined {
  if (volume.type !== 'bind' && volume.type !== 'volume') return undefined;
  const parts =
    volume.source === undefined || volume.source === '' ? [volume.target] : [volume.source, volume.target];
  if (volume.read_only === true) parts.push('ro');
  return parts.join(':');
}
