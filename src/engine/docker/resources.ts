/**
 * A project's networks and volumes on the Docker engine: listed by the com.docker.compose.project label,
 * found by name, created from their Compose definitions, and removed — a network or volume that
 * containers still use is a ResourceInUseError, so `down` warns and carries on as docker compose does.
 */
import type Dockerode from 'dockerode';

import { compareText } from '../../graph/compare.js';
import { ComposeError } from '../../project/errors.js';
import { Labels } from '../labels.js';
import { ResourceInUseError } from '../resource-in-use.js';
import type { NetworkCreateRequest, NetworkInfo, VolumeCreateRequest, VolumeInfo } from '../types.js';
import { apiAtLeast } from './api-version.js';
import { engineMessage, statusOf } from './engine-errors.js';
import { LostEngineError } from './lost-connection.js';

function projectFilter(project: string): { label: string[] } {
  return { label: [`${Labels.project}=${project}`] };
}

export async function listProjectNetworks(docker: Dockerode, project: string): Promise<NetworkInfo[]> {
  const networks = await docker.listNetworks({ filters: projectFilter(project) });
  return networks
    .map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }))
    .sort((a, b) => compareText(a.name, b.name));
}

export async function listProjectVolumes(docker: Dockerode, project: string): Promise<VolumeInfo[]> {
  const { Volumes } = await docker.listVolumes({ filters: projectFilter(project) });
  return (Volumes ?? []).map(volumeInfo).sort((a, b) => compareText(a.name, b.name));
}

/** The network of exactly that name (the engine would also match an id prefix); undefined if absent. */
export async function findNetwork(
  docker: Dockerode,
  name: string,
): Promise<Dockerode.NetworkInspectInfo | undefined> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as Dockerode.NetworkInspectInfo;
    return info.Name === name || info.Id === name ? info : undefined;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw resourceError(error, 'network', name, 'inspect');
  }
}

export async function findVolume(docker: Dockerode, name: string): Promise<VolumeInfo | undefined> {
  try {
    return volumeInfo((await docker.getVolume(name).inspect()) as Dockerode.VolumeInspectInfo);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw resourceError(error, 'volume', name, 'inspect');
  }
}

export function networkInfo(info: Dockerode.NetworkInspectInfo): NetworkInfo {
  return { id: info.Id, name: info.Name, labels: info.Labels ?? {} };
}

function volumeInfo(info: Dockerode.VolumeInspectInfo): VolumeInfo {
  return { name: info.Name, labels: info.Labels ?? {}, mountpoint: info.Mountpoint };
}

/** The body of POST /networks/create for a Compose network definition. */
export function networkCreateOptions(
  request: NetworkCreateRequest,
  apiVersion: string,
): Dockerode.NetworkCreateOptions {
  const definition = request.definition;
  const options: Dockerode.NetworkCreateOptions = {
    Name: request.name,
    CheckDuplicate: true,
    Driver: definition.driver ?? 'bridge',
    Labels: request.labels,
    Internal: definition.internal === true,
    Attachable: definition.attachable === true,
    EnableIPv6: definition.enable_ipv6 === true,
  };
  if (definition.driver_opts) options.Options = definition.driver_opts;
  if (definition.enable_ipv4 !== undefined) {
    if (!apiAtLeast(apiVersion, '1.47')) {
      if (definition.enable_ipv4 === false) {
        throw new ComposeError(
          `network ${request.key}: enable_ipv4: false needs Docker Engine API 1.47 or newer, this engine speaks ${apiVersion}`,
          { hint: 'upgrade the engine, or remove enable_ipv4 from the network' },
        );
      }
    } else {
      options.EnableIPv4 = definition.enable_ipv4;
    }
  }
  const ipam = definition.ipam;
  if (ipam) {
    options.IPAM = {
      Driver: ipam.driver ?? 'default',
      Config: (ipam.config ?? []).map((c) => ({
        ...(c.subnet === undefined ? {} : { Subnet: c.subnet }),
        ...(c.ip_range === undefined ? {} : { IPRange: c.ip_range }),
        ...(c.gateway === undefined ? {} : { Gateway: c.gateway }),
        ...(c.aux_addresses === undefined ? {} : { AuxiliaryAddresses: c.aux_addresses }),
      })),
      ...(ipam.options === undefined ? {} : { Options: ipam.options }),
    };
  }
  return options;
}

export async function createNetwork(
  docker: Dockerode,
  request: NetworkCreateRequest,
  apiVersion: string,
): Promise<NetworkInfo> {
  const existing = await findNetwork(docker, request.name);
  if (existing) return networkInfo(existing);
  try {
    const network = await docker.createNetwork(networkCreateOptions(request, apiVersion));
    const created = await findNetwork(docker, request.name);
    return created ? networkInfo(created) : { id: network.id, name: request.name, labels: request.labels };
  } catch (error) {
    if (error instanceof ComposeError) throw error;
    throw resourceError(error, 'network', request.name, 'create');
  }
}

export async function createVolume(docker: Dockerode, request: VolumeCreateRequest): Promise<VolumeInfo> {
  const existing = await findVolume(docker, request.name);
  if (existing) return existing;
  try {
    // dockerode answers with a handle, not the volume's details: those come from an inspect.
    const volume = await docker.createVolume({
      Name: request.name,
      Driver: request.definition.driver ?? 'local',
      DriverOpts: request.definition.driver_opts ?? {},
      Labels: request.labels,
    });
    return volumeInfo((await volume.inspect()) as Dockerode.VolumeInspectInfo);
  } catch (error) {
    throw resourceError(error, 'volume', request.name, 'create');
  }
}

export async function removeNetwork(docker: Dockerode, name: string): Promise<void> {
  const info = await findNetwork(docker, name);
  if (!info) return;
  try {
    await docker.getNetwork(info.Id).remove();
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return;
    if (/active endpoints/i.test(engineMessage(error)) || status === 403 || status === 409) {
      const users = await findNetwork(docker, name).catch(() => undefined);
      const user = Object.values(users?.Containers ?? {})[0]?.Name ?? 'unknown';
      throw ResourceInUseError.of('network', name, user);
    }
    throw resourceError(error, 'network', name, 'remove');
  }
}

export async function removeVolume(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return;
    if (status === 409 || /in use/i.test(engineMessage(error))) {
      const users = await docker
        .listContainers({ all: true, filters: { volume: [name] } })
        .catch(() => [] as Dockerode.ContainerInfo[]);
      const user = users[0]?.Names?.[0]?.replace(/^\//, '') ?? 'unknown';
      throw ResourceInUseError.of('volume', name, user);
    }
    throw resourceError(error, 'volume', name, 'remove');
  }
}

function resourceError(
  error: unknown,
  kind: 'network' | 'volume',
  name: string,
  action: string,
): ComposeError {
  if (error instanceof LostEngineError) return error;
  return new ComposeError(`cannot ${action} ${kind} ${name}: ${engineMessage(error)}`, {
    hint:
      action === 'create'
        ? `check the ${kind}'s definition (driver, options${kind === 'network' ? ', ipam' : ''})`
        : 'check that the Docker engine is healthy',
    cause: error,
  });
}
