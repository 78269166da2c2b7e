import type { Network, ServiceNetwork } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { explicitName } from './resource-name.js';
import type { StackDict } from './types.js';

/** Drivers that only exist on one host: Swarm services cannot attach to a network of theirs. */
const LOCAL_DRIVERS = new Set(['bridge', 'nat']);

/**
 * A service's networks. Swarm gives tasks their addresses itself, so fixed ones are dropped; aliases
 * stay. Keys no stack file has are left for the version pass to drop and report.
 */
export function swarmServiceNetworks(
  name: string,
  networks: Readonly<Record<string, ServiceNetwork | null>>,
  log: ChangeLog,
): StackDict {
  const out: StackDict = {};
  for (const [network, attachment] of Object.entries(networks)) {
    if (attachment === null) {
      out[network] = null;
      continue;
    }
    const copy: StackDict = { ...attachment };
    for (const key of ['ipv4_address', 'ipv6_address'] as const) {
      if (copy[key] === undefined) continue;
      log.dropped(
        ['services', name, 'networks', network, key],
        'Swarm assigns the addresses of tasks itself; reach the service by its name or an alias',
      );
      Reflect.deleteProperty(copy, key);
    }
    out[network] = Object.keys(copy).length === 0 ? null : copy;
  }
  return out;
}

/**
 * A top-level network. Networks the stack creates must be swarm-scoped: compose's default and `bridge`
 * networks become `overlay`, which is reported once per network. External networks are kept by name.
 */
export function swarmNetwork(
  key: string,
  network: Network,
  projectName: string,
  version: string,
  log: ChangeLog,
): StackDict {
  const path = ['networks', key];
  if (network.external === true) return externalResource(key, network.name, version);
  const out: StackDict = {};
  const name = explicitName(key, network.name, projectName);
  if (name !== undefined) out.name = name;
  const driver = network.driver;
  if (driver === undefined || LOCAL_DRIVERS.has(driver)) {
    out.driver = 'overlay';
    const was = driver === undefined ? "compose's default bridge driver" : `driver ${driver}`;
    log.rewritten(
      [...path, 'driver'],
      `overlay instead of ${was}: Swarm services attach only to swarm-scoped networks`,
    );
  } else {
    out.driver = driver;
  }
  for (const [field, value] of Object.entries(network)) {
    if (field === 'name' || field === 'driver' || field === 'external') continue;
    out[field] = value;
  }
  return out;
}

/**
 * An external network, volume, secret or config: `external: true`, with `name` when it differs from the
 * key. Before version 3.5 a stack file names an external resource with `external.name`.
 */
export function externalResource(key: string, name: string, version: string): StackDict {
  if (name === key) return { external: true };
  const [, minor = '0'] = version.split('.');
  if (Number(minor) < 5) return { external: { name } };
  return { external: true, name };
}
