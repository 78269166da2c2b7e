/**
 * What resolves to what inside one replica in isolated mode, the way Docker's embedded DNS answers on
 * user-defined networks: peers are visible only on the networks they share with the replica, at their
 * address on that network, under their container name, their service name (not for one-off
 * containers), their network aliases on that network and the replica's link aliases for them.
 * Hostnames of other containers do not resolve, as in Docker.
 *
 * Order (deterministic):
 * 1. the replica itself: each own address with its hostname and container name;
 * 2. services, by name; within one, network by network in the replica's own order, then replica by
 *    replica, rotated: replica number n starts from the (n mod k)-th of the k visible replicas sorted
 *    by number, so that clients taking the first address spread across replicas. The replica's own
 *    service is rotated like any other (no special place for itself): with 3 replicas, replica 1 reads
 *    2, 3, 1, replica 2 reads 3, 1, 2, replica 3 reads 1, 2, 3;
 * 3. one-off containers (`run`), by container name;
 * 4. extra_hosts, in their order.
 *
 * Precedence, as in Docker (where /etc/hosts beats DNS and links beat network names): a name written
 * in extra_hosts is not given to any container, and a link alias is given only to the linked service.
 */
import type { LinkSpec } from '../link-environment.js';

export interface NamedEndpoint {
  /** Engine name of the network. */
  network: string;
  address: string;
  /** Network aliases of this container on that network (service `networks.<n>.aliases`). */
  aliases: string[];
}

export interface NameTableEntry {
  id: string;
  /** Container name, e.g. myapp-web-1, or container_name. */
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  hostname: string;
  /** Only running (or starting) containers are listed by others. */
  running: boolean;
  endpoints: NamedEndpoint[];
  /** Links of this container, parsed (`db:database` -> {service: 'db', alias: 'database'}). */
  links: LinkSpec[];
  /** extra_hosts resolved: host-gateway already replaced by the caller. */
  extraHosts: { host: string; address: string }[];
}

/** One line of a hosts file: an address and its names, none repeated. */
export interface HostsLine {
  address: string;
  names: string[];
}

/** The lines that follow the loopback header in `self`'s /etc/hosts. */
export function nameTable(self: NameTableEntry, all: readonly NameTableEntry[]): HostsLine[] {
  const lines: HostsLine[] = [];
  const push = (address: string, names: readonly string[]): void => {
    const kept = [...new Set(names.filter(usableName))];
    if (address !== '' && kept.length > 0) lines.push({ address, names: kept });
  };

  for (const endpoint of self.endpoints) push(endpoint.address, [self.hostname, self.name]);

  const networks = self.endpoints.map((e) => e.network);
  const members = visibleMembers(self, all, new Set(networks));
  const names = containerNames(self);
  for (const [service, replicas] of servicesOf(members)) {
    const rotated = rotate(replicas, self.number);
    for (const network of networks) {
      for (const member of rotated) {
        const endpoint = member.endpoints.find((e) => e.network === network);
        if (endpoint !== undefined) push(endpoint.address, names(member, service, endpoint));
      }
    }
  }
  const oneoffs = members.filter((m) => m.oneoff).sort((a, b) => compareText(a.name, b.name));
  for (const member of oneoffs) {
    for (const network of networks) {
      const endpoint = member.endpoints.find((e) => e.network === network);
      if (endpoint !== undefined) push(endpoint.address, names(member, undefined, endpoint));
    }
  }

  for (const extra of self.extraHosts) push(extra.address, [extra.host]);
  return lines;
}

/** Self (always: the file is being written for it) and the running containers it shares a network with. */
function visibleMembers(
  self: NameTableEntry,
  all: readonly NameTableEntry[],
  networks: ReadonlySet<string>,
): NameTableEntry[] {
  const others = all.filter(
    (c) => c.id !== self.id && c.running && c.endpoints.some((e) => networks.has(e.network)),
  );
  return [self, ...others];
}

/** Non-one-off members by service, services sorted by name, replicas by number. */
function servicesOf(members: readonly NameTableEntry[]): [string, NameTableEntry[]][] {
  const byService = new Map<string, NameTableEntry[]>();
  for (const member of members) {
    if (member.oneoff) continue;
    byService.set(member.service, [...(byService.get(member.service) ?? []), member]);
  }
  return [...byService.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([service, replicas]) => [
      service,
      replicas.sort((a, b) => a.number - b.number || compareText(a.name, b.name)),
    ]);
}

/** Replica number n starts from the (n mod k)-th of k replicas. */
function rotate<T>(items: readonly T[], n: number): T[] {
  if (items.length === 0) return [];
  const start = ((n % items.length) + items.length) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/**
 * The names a member has on one network as seen from `self`: `service` is its service when it counts
 * as one of its replicas (undefined for one-off containers, which neither answer for their service
 * nor for links to it).
 */
function containerNames(
  self: NameTableEntry,
): (member: NameTableEntry, service: string | undefined, endpoint: NamedEndpoint) => string[] {
  const hostsNames = new Set(self.extraHosts.map((e) => e.host));
  const linkAliases = new Map<string, string[]>();
  for (const link of self.links) {
    linkAliases.set(link.service, [...(linkAliases.get(link.service) ?? []), link.alias, link.service]);
  }
  const allLinkAliases = new Set(self.links.map((l) => l.alias));
  return (member, service, endpoint) => {
    const own = service === undefined ? [] : (linkAliases.get(service) ?? []);
    const names = [member.name, ...(service === undefined ? [] : [service]), ...endpoint.aliases, ...own];
    return names.filter((n) => !hostsNames.has(n) && (own.includes(n) || !allLinkAliases.has(n)));
  };
}

/** A name a hosts file can carry: not empty, no blanks (they separate names), no `#` (a comment). */
function usableName(name: string): boolean {
  return name !== '' && !/[\s#]/.test(name);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
