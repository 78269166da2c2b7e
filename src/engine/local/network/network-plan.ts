/**
 * How one container is networked in isolated mode, decided when it is created: which namespace
 * (its own, none, the host's, another container's), one interface per network in Docker's order
 * (priority, then name) with an address (ipv4_address, else the lowest free one), its aliases, links
 * and extra_hosts. Addresses are fixed for the container's life, so links and names are known before
 * it starts.
 */
import { ComposeError } from '../../../project/errors.js';
import type { ContainerCreateRequest } from '../../types.js';
import { parseLink } from '../link-environment.js';
import type { ContainerNetworkPlan } from '../types.js';
import { vethName } from './bridge.js';
import { addressAt, cidrContains, hostRange, parseAddress, parseCidr, tryParseAddress } from './ipv4.js';
import type { NetworkEndpoint, RealizedNetwork } from './types.js';

export interface NetworkPlanInput {
  request: ContainerCreateRequest;
  containerId: string;
  hostname: string;
  /** A network by engine name, as it is realised now (own or external); undefined if unknown. */
  network: (name: string) => RealizedNetwork | undefined;
  /** Addresses other containers already hold on a network. */
  usedAddresses: (name: string) => ReadonlySet<string>;
}

/**
 * No endpoint gets a default route: berth never turns on forwarding on the host's interfaces, so
 * nothing beyond the host would answer, and a route into that silence makes every connection and DNS
 * query to the outside hang until it times out. Without one they fail at once (network unreachable),
 * while the host itself stays reachable at each network's gateway address (host-gateway).
 */
export function planContainerNetwork(input: NetworkPlanInput): ContainerNetworkPlan {
  const { request } = input;
  const service = request.service;
  const mode = service.network_mode;
  const base = {
    hostname: input.hostname,
    endpoints: [] as NetworkEndpoint[],
    aliases: {} as Record<string, string[]>,
    links: (service.links ?? []).map(parseLink),
    extraHosts: [] as { host: string; address: string }[],
  };
  let plan: ContainerNetworkPlan;
  if (mode === 'none' || mode === 'host') plan = { ...base, mode };
  else if (mode?.startsWith('service:')) plan = { ...base, mode: 'join', join: { service: mode.slice(8) } };
  else if (mode?.startsWith('container:')) {
    plan = { ...base, mode: 'join', join: { container: mode.slice(10) } };
  } else if (mode !== undefined && request.networkNames[mode] === undefined) {
    // `bridge` (Docker's default network) or a name that is no network of the project.
    throw new ComposeError(
      `service "${request.serviceName}": network_mode "${mode}" is not a network of this project`,
      {
        keyPath: ['services', request.serviceName, 'network_mode'],
        hint: 'remove network_mode to use the project\'s default network, or name one of its networks under "networks"',
      },
    );
  } else plan = { ...base, mode: 'networks', endpoints: endpointsOf(input, base.aliases) };
  plan.extraHosts = extraHosts(request, plan.endpoints, input.network);
  return plan;
}

/** The service's networks in Docker's order: higher priority first, then by name. */
function attachments(request: ContainerCreateRequest): { key: string; priority: number }[] {
  const networks = request.service.networks ?? {};
  const keys = new Set([...Object.keys(networks), ...Object.keys(request.networkNames)]);
  return [...keys]
    .filter((key) => request.networkNames[key] !== undefined)
    .map((key) => ({ key, priority: networks[key]?.priority ?? 0 }))
    .sort((a, b) => b.priority - a.priority || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function endpointsOf(input: NetworkPlanInput, aliases: Record<string, string[]>): NetworkEndpoint[] {
  const { request } = input;
  const endpoints: NetworkEndpoint[] = [];
  attachments(request).forEach(({ key }, index) => {
    const name = request.networkNames[key]!;
    const keyPath = ['services', request.serviceName, 'networks', key];
    const network = input.network(name);
    if (!network) {
      throw new ComposeError(`network ${name} of service "${request.serviceName}" does not exist`, {
        keyPath,
        hint: 'create it (an external network must exist before the project starts), or run "berth up" to create the project\'s networks',
      });
    }
    const config = request.service.networks?.[key] ?? undefined;
    const address = chooseAddress(network, config?.ipv4_address, input.usedAddresses(name), [
      ...keyPath,
      'ipv4_address',
    ]);
    const endpoint: NetworkEndpoint = {
      network: name,
      bridge: network.bridge,
      ifname: `eth${index}`,
      hostVeth: vethName(input.containerId, index),
      address,
      prefixLength: parseCidr(network.subnet).prefixLength,
    };
    endpoints.push(endpoint);
    aliases[name] = [...(config?.aliases ?? [])];
  });
  return endpoints;
}

/** `ipv4_address` when given (inside the subnet, not taken), else the lowest free host address. */
function chooseAddress(
  network: RealizedNetwork,
  wanted: string | undefined,
  used: ReadonlySet<string>,
  keyPath: (string | number)[],
): string {
  const { prefixLength } = parseCidr(network.subnet);
  const hosts = 2 ** (32 - prefixLength) - 2;
  if (wanted !== undefined) {
    if (tryParseAddress(wanted) === undefined) {
      throw new ComposeError(`ipv4_address "${wanted}" of network ${network.name} is not an IPv4 address`, {
        keyPath,
        hint: `write four numbers 0-255 separated by dots, inside ${network.subnet}`,
      });
    }
    const { first, last } = hostRange(network.subnet);
    const value = parseAddress(wanted);
    if (!cidrContains(network.subnet, wanted) || value < parseAddress(first) || value > parseAddress(last)) {
      throw new ComposeError(
        `ipv4_address ${wanted} is not in the subnet ${network.subnet} of network ${network.name}`,
        {
          keyPath,
          hint: `choose an address from ${first} to ${last}, or set the network's ipam subnet`,
        },
      );
    }
    if (wanted === network.gateway || used.has(wanted) || network.reserved?.includes(wanted) === true) {
      throw new ComposeError(`ipv4_address ${wanted} on network ${network.name} is already in use`, {
        keyPath,
        hint: 'give each container its own address (a service with a fixed address cannot be scaled)',
      });
    }
    return wanted;
  }
  const reserved = new Set(network.reserved ?? []);
  for (let i = 1; i <= hosts; i++) {
    // A shared network's owner counts up from the bottom; its guests count down from the top.
    const n = network.shared === true ? hosts + 1 - i : i;
    const candidate = addressAt(network.subnet, n);
    if (network.ipRange !== undefined && !cidrContains(network.ipRange, candidate)) continue;
    if (candidate !== network.gateway && !used.has(candidate) && !reserved.has(candidate)) return candidate;
  }
  const service = keyPath[1];
  throw new ComposeError(
    `service "${String(service)}": network ${network.name} (${network.subnet}) has no free address left`,
    {
      keyPath: keyPath.slice(0, -1),
      hint: 'give the network a larger subnet in its ipam config, or run fewer replicas',
    },
  );
}

/** extra_hosts as host/address pairs; `host-gateway` is the gateway of the first network that has one. */
function extraHosts(
  request: ContainerCreateRequest,
  endpoints: readonly NetworkEndpoint[],
  network: (name: string) => RealizedNetwork | undefined,
): { host: string; address: string }[] {
  const gateway = endpoints.map((e) => network(e.network)?.gateway).find((g) => g !== undefined);
  const out: { host: string; address: string }[] = [];
  for (const [host, addresses] of Object.entries(request.service.extra_hosts ?? {})) {
    for (const address of addresses) {
      if (address === 'host-gateway') out.push({ host, address: gateway ?? '127.0.0.1' });
      else out.push({ host, address });
    }
  }
  return out;
}
