import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { canonicalBlkio } from './blkio.js';
import { canonicalBuild } from './build.js';
import { canonicalCommand } from './command.js';
import { type CanonicalContext, fail } from './context.js';
import { canonicalCpus, canonicalDeploy, canonicalGpus } from './deploy.js';
import { canonicalDependsOn } from './depends-on.js';
import { canonicalDevelop, canonicalHooks } from './develop.js';
import { canonicalDevices } from './devices.js';
import { canonicalDuration } from './durations-field.js';
import { canonicalEnvFile } from './env-file.js';
import { canonicalExtraHosts } from './extra-hosts.js';
import { canonicalFileRefs } from './file-refs.js';
import { canonicalHealthcheck } from './healthcheck.js';
import { canonicalLogging } from './logging.js';
import { canonicalEnvironment, canonicalLabels } from './mappings.js';
import { canonicalPorts } from './ports.js';
import { canonicalServiceNetworks } from './service-networks.js';
import { canonicalSize } from './sizes.js';
import { throughTags } from './tags.js';
import { canonicalUlimits } from './ulimits.js';
import { describe, expectScalarText, stringOrList } from './values.js';
import { canonicalServiceVolumes } from './volumes.js';

type Transform = (ctx: CanonicalContext, value: unknown, path: KeyPath) => unknown;

const listOf =
  (what: string): Transform =>
  (ctx, value, path) =>
    throughTags(value, (inner) => stringOrList(ctx, inner, path, what));

/** The long-syntax transform of each service attribute that has a short syntax; others are kept as written. */
const SERVICE_ATTRIBUTES: Record<string, Transform> = {
  annotations: canonicalLabels,
  blkio_config: canonicalBlkio,
  build: canonicalBuild,
  command: canonicalCommand,
  configs: canonicalFileRefs,
  cpus: canonicalCpus,
  depends_on: canonicalDependsOn,
  deploy: canonicalDeploy,
  develop: canonicalDevelop,
  devices: canonicalDevices,
  dns: listOf('dns'),
  dns_opt: listOf('dns_opt'),
  dns_search: listOf('dns_search'),
  entrypoint: canonicalCommand,
  env_file: canonicalEnvFile,
  environment: canonicalEnvironment,
  expose: canonicalExpose,
  extends: canonicalExtends,
  extra_hosts: canonicalExtraHosts,
  gpus: canonicalGpus,
  healthcheck: canonicalHealthcheck,
  label_file: listOf('label_file'),
  labels: canonicalLabels,
  mem_limit: canonicalSize,
  mem_reservation: canonicalSize,
  memswap_limit: canonicalSize,
  networks: canonicalServiceNetworks,
  ports: canonicalPorts,
  post_start: canonicalHooks,
  pre_stop: canonicalHooks,
  secrets: canonicalFileRefs,
  shm_size: canonicalSize,
  stop_grace_period: canonicalDuration,
  storage_opt: canonicalLabels,
  sysctls: canonicalLabels,
  tmpfs: listOf('tmpfs'),
  ulimits: canonicalUlimits,
  volumes: canonicalServiceVolumes,
};

/** One service definition in long syntax (a `!reset` service stays a marker). */
export function canonicalService(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (inner === null) return inner;
    if (!isDict(inner)) return fail(ctx, path, `service must be a mapping, got ${describe(inner)}`);
    const service: ComposeDict = {};
    for (const [key, attr] of Object.entries(inner)) {
      const transform = SERVICE_ATTRIBUTES[key];
      service[key] = transform && attr !== undefined ? transform(ctx, attr, [...path, key]) : attr;
    }
    canonicalLogging(ctx, service, path);
    return service;
  });
}

/** expose: numbers become strings (`3000`, `"3000-3005"`, `"3000/udp"`). */
function canonicalExpose(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => stringOrList(ctx, inner, path, 'expose'));
}

/** extends: a service name -> `{service: name}`. */
function canonicalExtends(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    if (typeof inner === 'string') return { service: inner };
    if (isDict(inner)) {
      if (inner.service === undefined)
        fail(ctx, path, 'extends has no service', 'set service to the name to extend');
      return { ...inner, service: expectScalarText(ctx, inner.service, [...path, 'service'], 'service') };
    }
    return fail(ctx, path, `must be a service name or {service, file}, got ${describe(inner)}`);
  });
}
