/**
 * Networking as docker compose sets it up: network_mode as is (`service:NAME` resolved to that
 * service's first container), else the service's networks in priority order (higher first, then by
 * name). The first network goes into the create request; the others are connected after create and
 * before start, unless the engine takes them all at once (API 1.44). Each endpoint is reachable by the
 * container name, the service name and its aliases (one-off containers by their name only, as with
 * `docker compose run`), carries the static addresses, MAC address and driver options asked for, and
 * the links (`container:alias`), which is how links work on user-defined networks.
 */
import { ComposeError } from '../../project/errors.js';
import type { ServiceNetwork } from '../../project/types.js';
import { containerName } from '../labels.js';
import type { ContainerCreateRequest } from '../types.js';
import { apiAtLeast, tooOld } from './api-version.js';
import type { EndpointBody } from './create-body.js';

export interface NetworkingBody {
  NetworkMode: string;
  NetworkDisabled?: boolean;
  /** Config.MacAddress: the container-wide MAC address, for engines older than API 1.44. */
  MacAddress?: string;
  /** HostConfig.Links: compose sets them there too (used on the default bridge). */
  Links?: string[];
  EndpointsConfig?: Record<string, EndpointBody>;
  connect: { network: string; endpoint: EndpointBody }[];
}

export interface NetworkingInput {
  request: ContainerCreateRequest;
  apiVersion: string;
  /**
   * The containers of the project's services, lowest number first; when not given, each service is
   * taken to have its first replica, `<project>-<service>-1`.
   */
  serviceContainers: Record<string, string[]> | undefined;
  warnings: string[];
}

/** The containers of a service: as given, else its first replica's compose name. */
export function containersOf(
  input: Pick<NetworkingInput, 'request' | 'serviceContainers'>,
  service: string,
): string[] {
  if (input.serviceContainers === undefined) return [containerName(input.request.project.name, service, 1)];
  return input.serviceContainers[service] ?? [];
}

export function containerNetworking(input: NetworkingInput): NetworkingBody {
  const { request } = input;
  const service = request.service;
  const links = containerLinks(input);
  const linksField = links.length > 0 ? { Links: links } : {};
  const mode = service.network_mode;
  if (mode !== undefined && request.networkNames[mode] === undefined) {
    const own = service.mac_address === undefined ? {} : { MacAddress: service.mac_address };
    if (mode === 'disabled') return { NetworkMode: 'none', NetworkDisabled: true, connect: [] };
    if (mode.startsWith('service:')) {
      return {
        NetworkMode: `container:${firstContainer(input, mode.slice(8), 'network_mode')}`,
        connect: [],
      };
    }
    return { NetworkMode: mode, ...own, ...linksField, connect: [] };
  }

  const keys = mode !== undefined ? [mode] : attachmentOrder(request);
  if (keys.length === 0) return { NetworkMode: 'none', connect: [] };
  const modern = apiAtLeast(input.apiVersion, '1.44');
  const primary = keys[0]!;
  const macAddress = containerMacAddress(input, primary, modern);
  const endpoints = keys.map((key) => ({
    network: request.networkNames[key]!,
    endpoint: endpointSettings(input, key, links, modern, key === primary),
  }));
  const [first, ...rest] = endpoints;
  const inCreate = modern ? endpoints : [first!];
  return {
    NetworkMode: first!.network,
    ...(macAddress === undefined ? {} : { MacAddress: macAddress }),
    ...linksField,
    EndpointsConfig: Object.fromEntries(inCreate.map((e) => [e.network, e.endpoint])),
    connect: modern ? [] : rest,
  };
}

/** `service:NAME` in network_mode, ipc or pid: that service's first container. */
export function firstContainer(
  input: Pick<NetworkingInput, 'request' | 'serviceContainers'>,
  service: string,
  key: string,
): string {
  const first = containersOf(input, service)[0];
  if (first === undefined) {
    throw new ComposeError(
      `service "${input.request.serviceName}" uses ${key} service:${service}, which has no container`,
      {
        keyPath: ['services', input.request.serviceName, key],
        hint: `start ${service} first (depends_on makes "up" do that)`,
      },
    );
  }
  return first;
}

/** The service's networks that exist in the request, by priority (higher first), then by name. */
function attachmentOrder(request: ContainerCreateRequest): string[] {
  const networks = request.service.networks ?? {};
  return Object.keys(networks)
    .filter((key) => request.networkNames[key] !== undefined)
    .map((key) => ({ key, priority: networks[key]?.priority ?? 0 }))
    .sort((a, b) => b.priority - a.priority || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.key);
}

function endpointSettings(
  input: NetworkingInput,
  key: string,
  links: string[],
  modern: boolean,
  primary: boolean,
): EndpointBody {
  const { request, warnings } = input;
  const serviceName = request.serviceName;
  const config: ServiceNetwork = request.service.networks?.[key] ?? {};
  const where = `networks.${key}`;
  const endpoint: EndpointBody = {
    Aliases: request.oneoff ? [request.name] : unique([request.name, serviceName, ...(config.aliases ?? [])]),
  };
  if (links.length > 0) endpoint.Links = links;
  const ipam: NonNullable<EndpointBody['IPAMConfig']> = {};
  if (config.ipv4_address !== undefined) ipam.IPv4Address = config.ipv4_address;
  if (config.ipv6_address !== undefined) ipam.IPv6Address = config.ipv6_address;
  if (config.link_local_ips !== undefined) ipam.LinkLocalIPs = config.link_local_ips;
  if (Object.keys(ipam).length > 0) endpoint.IPAMConfig = ipam;
  if (modern) {
    const mac = config.mac_address ?? (primary ? request.service.mac_address : undefined);
    if (mac !== undefined) endpoint.MacAddress = mac;
  }
  const driverOpts = { ...config.driver_opts };
  if (config.interface_name !== undefined) {
    if (apiAtLeast(input.apiVersion, '1.49'))
      driverOpts['com.docker.network.endpoint.ifname'] = config.interface_name;
    else warnings.push(tooOld(serviceName, `${where}.interface_name`, '1.49', input.apiVersion));
  }
  if (Object.keys(driverOpts).length > 0) endpoint.DriverOpts = driverOpts;
  if (config.gw_priority !== undefined) {
    if (apiAtLeast(input.apiVersion, '1.48')) endpoint.GwPriority = config.gw_priority;
    else warnings.push(tooOld(serviceName, `${where}.gw_priority`, '1.48', input.apiVersion));
  }
  return endpoint;
}

/**
 * Before API 1.44 a MAC address is container-wide (Config.MacAddress) and so can only be the primary
 * network's; from 1.44 it is set per endpoint instead. Two different ones for the primary network
 * cannot both hold, as compose says.
 */
function containerMacAddress(input: NetworkingInput, primary: string, modern: boolean): string | undefined {
  const { request, warnings } = input;
  const serviceName = request.serviceName;
  const service = request.service;
  const primaryMac = service.networks?.[primary]?.mac_address;
  if (service.mac_address !== undefined && primaryMac !== undefined && primaryMac !== service.mac_address) {
    throw new ComposeError(
      `service "${serviceName}": mac_address ${service.mac_address} differs from networks.${primary}.mac_address ${primaryMac}`,
      {
        keyPath: ['services', serviceName, 'mac_address'],
        hint: `give both the same value, or keep only networks.${primary}.mac_address`,
      },
    );
  }
  if (modern) return undefined;
  for (const [key, config] of Object.entries(service.networks ?? {})) {
    if (key !== primary && config?.mac_address !== undefined) {
      warnings.push(
        tooOld(
          serviceName,
          `networks.${key}.mac_address (a network other than the first)`,
          '1.44',
          input.apiVersion,
        ),
      );
    }
  }
  return service.mac_address ?? primaryMac;
}

/**
 * `links` and `external_links` as `container:alias`: each container of a linked service under the
 * link's alias, its own name and its name without the project prefix (compose v1's rule); a one-off
 * container also reaches the service's own containers that way, as with `docker compose run`.
 */
function containerLinks(input: NetworkingInput): string[] {
  const { request } = input;
  const project = request.project.name;
  const out: string[] = [];
  const forms = (container: string, alias: string): string[] => {
    const short = container.startsWith(`${project}-`) ? container.slice(project.length + 1) : container;
    return [`${container}:${alias}`, `${container}:${container}`, `${container}:${short}`];
  };
  for (const link of request.service.links ?? []) {
    const [service = '', alias = service] = link.split(':', 2);
    for (const container of containersOf(input, service)) out.push(...forms(container, alias));
  }
  if (request.oneoff) {
    for (const container of input.serviceContainers?.[request.serviceName] ?? []) {
      if (container !== request.name) out.push(...forms(container, request.serviceName));
    }
  }
  for (const link of request.service.external_links ?? []) {
    const [container = '', alias = container] = link.split(':', 2);
    out.push(`${container}:${alias}`);
  }
  return unique(out);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
