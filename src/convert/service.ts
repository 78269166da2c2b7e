import type { Service } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { swarmDeploy } from './deploy.js';
import { swarmImage } from './images.js';
import { swarmServiceNetworks } from './networks.js';
import { swarmPorts } from './ports.js';
import { pruneForVersion } from './prune-for-version.js';
import { swarmVolumes } from './service-volumes.js';
import { tmpfsAsMounts } from './tmpfs-mounts.js';
import { SWARM_DROPPED_SERVICE_KEYS } from './swarm-ignored.js';
import type { StackDict } from './types.js';

export interface ServiceContext {
  projectName: string;
  version: string;
  registry: string | undefined;
  /** The service that waits for this one to complete successfully, if any. */
  oneShot: string | undefined;
  log: ChangeLog;
}

/** Keys converted by a rule of their own (below), not copied. */
const MAPPED = new Set([
  'build',
  'image',
  'deploy',
  'scale',
  'restart',
  'mem_limit',
  'mem_reservation',
  'cpus',
  'pids_limit',
  'ports',
  'volumes',
  'networks',
  'secrets',
  'configs',
  'extra_hosts',
  'env_file',
  'command',
  'entrypoint',
  'tmpfs',
]);

/**
 * One service as a stack file holds it. Keys Swarm honours are copied in the form `docker stack config`
 * prints; those a rule maps elsewhere are moved; the rest are dropped, each with its reason. Keys the
 * chosen version does not have are dropped last, by the version pass.
 */
export function swarmService(name: string, service: Service, ctx: ServiceContext): StackDict {
  const { log } = ctx;
  const out: StackDict = {};
  for (const key of Object.keys(service).sort()) {
    const value: unknown = service[key as keyof Service];
    if (value === undefined || MAPPED.has(key)) continue;
    const reason = SWARM_DROPPED_SERVICE_KEYS[key];
    if (reason !== undefined) log.dropped(['services', name, key], reason);
    else out[key] = value;
  }

  out.image = swarmImage(name, service, ctx.projectName, ctx.registry, log);
  for (const key of ['command', 'entrypoint'] as const) {
    const value = service[key];
    // `null` resets the image's own; a stack file cannot say that, and an empty list means the same.
    if (value !== undefined) out[key] = value ?? [];
  }
  if (service.env_file !== undefined && service.env_file.length > 0) {
    log.rewritten(['services', name, 'env_file'], 'its values are inlined into environment');
  }
  if (service.extra_hosts !== undefined) {
    out.extra_hosts = Object.entries(service.extra_hosts).flatMap(([host, addresses]) =>
      addresses.map((address) => `${host}:${address}`),
    );
  }
  const deploy = swarmDeploy({ name, service, version: ctx.version, oneShot: ctx.oneShot, log });
  if (deploy !== undefined) out.deploy = deploy;
  if (service.ports !== undefined) out.ports = swarmPorts(name, service.ports, ctx.version, log);
  const tmpfs = service.tmpfs === undefined ? [] : tmpfsAsMounts(name, service.tmpfs, ctx.version, log);
  // The tmpfs mounts go after the project's own, so the indexes of those in the report stay the project's.
  const mounts = [...(service.volumes ?? []), ...tmpfs];
  if (mounts.length > 0) out.volumes = swarmVolumes(name, mounts, ctx.version, log);
  if (service.networks !== undefined) out.networks = swarmServiceNetworks(name, service.networks, log);
  for (const kind of ['secrets', 'configs'] as const) {
    const refs = service[kind];
    if (refs === undefined) continue;
    out[kind] = refs.map((ref) => {
      // Swarm mounts a secret at /run/secrets/<target> when the target is a bare name, as it prints it.
      const prefix = '/run/secrets/';
      if (
        kind === 'secrets' &&
        ref.target?.startsWith(prefix) &&
        !ref.target.slice(prefix.length).includes('/')
      ) {
        return { ...ref, target: ref.target.slice(prefix.length) };
      }
      return { ...ref };
    });
  }

  pruneForVersion(out, ['services', name], ctx.version, log);
  // A list whose every entry was dropped says nothing: leave the key out rather than write `[]`.
  for (const key of ['ports', 'volumes'] as const) {
    const list = out[key];
    if (Array.isArray(list) && list.length === 0) Reflect.deleteProperty(out, key);
  }
  return sortKeys(out);
}

function sortKeys(dict: StackDict): StackDict {
  const sorted: StackDict = {};
  for (const key of Object.keys(dict).sort()) sorted[key] = dict[key];
  return sorted;
}
