/**
 * Docker's legacy link environment variables, which is how peers find each other in host networking
 * mode. For a link with alias `db` (upper-cased, `-` -> `_`) to a service with container port
 * 5432/tcp: DB_PORT=tcp://ADDR:P, DB_PORT_5432_TCP=tcp://ADDR:P, DB_PORT_5432_TCP_ADDR=ADDR,
 * DB_PORT_5432_TCP_PORT=P, DB_PORT_5432_TCP_PROTO=tcp, DB_NAME=/<container>/<alias>, and DB_ENV_<KEY>
 * for the linked container's environment (without HOME and PATH), in Docker's order and format.
 * Unlike Docker, P is where the service really listens on the shared host network (its published
 * host port, else replica 1's listen port), and ADDR is 127.0.0.1.
 */
import type { Service } from '../../project/types.js';
import { containerPorts } from './replica-ports.js';

export const HOST_MODE_ADDRESS = '127.0.0.1';

export interface LinkSpec {
  service: string;
  alias: string;
}

/** `db` or `db:database` (a `links:` entry). */
export function parseLink(entry: string): LinkSpec {
  const colon = entry.indexOf(':');
  if (colon < 0) return { service: entry, alias: entry };
  const service = entry.slice(0, colon);
  const alias = entry.slice(colon + 1);
  return { service, alias: alias === '' ? service : alias };
}

/** `my-db` -> `MY_DB`, Docker's prefix for a link alias. */
export function linkPrefix(alias: string): string {
  return alias.toUpperCase().replaceAll('-', '_');
}

/** One container port of the linked service and where it is really reached. */
export interface LinkedPort {
  /** The container port (it names the variables). */
  port: number;
  protocol: string;
  /** Where it listens on the host (the variables' values). */
  realPort: number;
}

export interface LinkTarget {
  /** The alias, as written in `links:`. */
  alias: string;
  ports: readonly LinkedPort[];
  /** The linked container's configured environment; HOME and PATH are skipped like Docker does. */
  environment?: Record<string, string>;
  /** Defaults to 127.0.0.1 (host networking). */
  address?: string;
}

/** The variables for one link, seen from container `containerName` (the one that has the link). */
export function linkEnvironment(containerName: string, target: LinkTarget): Record<string, string> {
  const prefix = linkPrefix(target.alias);
  const address = target.address ?? HOST_MODE_ADDRESS;
  const env: Record<string, string> = {};
  const ports = [...target.ports].sort(tcpFirst);
  const url = (p: LinkedPort): string => `${p.protocol}://${address}:${p.realPort}`;
  let start: LinkedPort | undefined;
  let end: LinkedPort | undefined;
  ports.forEach((p, i) => {
    if (i === 0) {
      env[`${prefix}_PORT`] = url(p);
      start = end = p;
    }
    const name = `${prefix}_PORT_${p.port}_${p.protocol.toUpperCase()}`;
    env[name] = url(p);
    env[`${name}_ADDR`] = address;
    env[`${name}_PORT`] = String(p.realPort);
    env[`${name}_PROTO`] = p.protocol;
    // Consecutive container ports of one protocol also get _START/_END variables, as in Docker.
    if (end !== undefined && p.port === end.port + 1 && p.protocol === end.protocol) {
      end = p;
      if (i < ports.length - 1) return;
    }
    if (start !== undefined && end !== undefined && start !== end) {
      const range = `${prefix}_PORT_${start.port}_${start.protocol.toUpperCase()}`;
      env[`${range}_START`] = url(start);
      env[`${range}_PORT_START`] = String(start.realPort);
      env[`${range}_END`] = url(end);
      env[`${range}_PORT_END`] = String(end.realPort);
    }
    start = end = p;
  });
  env[`${prefix}_NAME`] = `/${containerName}/${target.alias}`;
  for (const [key, value] of Object.entries(target.environment ?? {})) {
    if (key === 'HOME' || key === 'PATH') continue;
    env[`${prefix}_ENV_${key}`] = value;
  }
  return env;
}

/**
 * The linked service's container ports (targets of `ports`, then `expose`) and where each really is:
 * the host port published for it when one is reachable on loopback, else the port replica 1 listens
 * on (its PORT for the moved container port, else the container port as written).
 */
export function linkedPorts(
  service: Service,
  replica1: { listenPort?: number; boundPorts?: readonly number[] } = {},
): LinkedPort[] {
  const moved = containerPorts(service)[0]?.port;
  return containerPorts(service).map(({ port, protocol }) => {
    const published = (service.ports ?? []).findIndex(
      (p, i) =>
        p.target === port &&
        p.protocol.toLowerCase() === protocol &&
        (replica1.boundPorts?.[i] ?? 0) > 0 &&
        reachableOnLoopback(p.host_ip),
    );
    const realPort =
      published >= 0
        ? replica1.boundPorts![published]!
        : port === moved && replica1.listenPort !== undefined
          ? replica1.listenPort
          : port;
    return { port, protocol, realPort };
  });
}

/** The variables for every `links:` entry of a service; `lookup` gives what each linked service offers. */
export function linksEnvironment(
  containerName: string,
  links: readonly string[],
  lookup: (service: string) => Omit<LinkTarget, 'alias'> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of links) {
    const link = parseLink(entry);
    const target = lookup(link.service);
    if (target === undefined) continue;
    Object.assign(env, linkEnvironment(containerName, { ...target, alias: link.alias }));
  }
  return env;
}

function reachableOnLoopback(hostIp: string | undefined): boolean {
  return hostIp === undefined || hostIp === '' || hostIp === '0.0.0.0' || hostIp.startsWith('127.');
}

/** Docker's order: TCP before other protocols, then by port number. */
function tcpFirst(a: LinkedPort, b: LinkedPort): number {
  if (a.protocol === b.protocol) return a.port - b.port;
  if (a.protocol === 'tcp') return -1;
  if (b.protocol === 'tcp') return 1;
  return a.protocol < b.protocol ? -1 : 1;
}
