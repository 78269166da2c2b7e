/**
 * What the engine is asked to create, with the labels docker compose sets, so that berth and docker
 * compose recognise each other's containers, networks and volumes.
 */
import { COMPOSE_VERSION, Labels, containerName } from '../engine/labels.js';
import type { ContainerCreateRequest, NetworkCreateRequest, VolumeCreateRequest } from '../engine/types.js';
import { compareText } from '../graph/compare.js';
import type { Project, Service } from '../project/types.js';
import { serviceConfigHash } from './config-hash.js';

/** A replica's name: `container_name` when the service sets one, else `<project>-<service>-<n>`. */
export function replicaName(project: string, serviceName: string, service: Service, number: number): string {
  return service.container_name ?? containerName(project, serviceName, number);
}

/** The image a replica reports: the service's, or the name docker compose gives a built image. */
export function serviceImage(project: string, serviceName: string, service: Service): string {
  return service.image ?? `${project}-${serviceName}`;
}

/** `com.docker.compose.depends_on`: `svc:condition:restart`, comma-joined (sorted, to be stable). */
export function dependsOnLabel(service: Service): string {
  return Object.entries(service.depends_on ?? {})
    .sort(([a], [b]) => compareText(a, b))
    .map(([name, dep]) => `${name}:${dep.condition}:${String(dep.restart === true)}`)
    .join(',');
}

/** The project networks a service joins, by compose key (`networks:` and `network_mode: <key>`). */
export function serviceNetworkKeys(project: Project, service: Service): string[] {
  const keys = new Set(Object.keys(service.networks ?? {}));
  const mode = service.network_mode;
  if (mode !== undefined && !mode.includes(':')) keys.add(mode);
  return [...keys].filter((key) => key in project.networks).sort(compareText);
}

/** The project's named volumes a service mounts, by compose key. */
export function serviceVolumeKeys(project: Project, service: Service): string[] {
  const keys = new Set<string>();
  for (const volume of service.volumes ?? []) {
    if (volume.type === 'volume' && volume.source !== undefined && volume.source in project.volumes) {
      keys.add(volume.source);
    }
  }
  return [...keys].sort(compareText);
}

export function containerCreateRequest(
  project: Project,
  serviceName: string,
  number: number,
): ContainerCreateRequest {
  const service = project.services[serviceName]!;
  const labels: Record<string, string> = {
    ...(service.labels ?? {}),
    [Labels.project]: project.name,
    [Labels.service]: serviceName,
    [Labels.containerNumber]: String(number),
    [Labels.configHash]: serviceConfigHash(service),
    [Labels.oneoff]: 'False',
    [Labels.version]: COMPOSE_VERSION,
    [Labels.workingDir]: project.meta.workingDir,
    [Labels.configFiles]: project.meta.configFiles.join(','),
    [Labels.dependsOn]: dependsOnLabel(service),
    [Labels.image]: serviceImage(project.name, serviceName, service),
  };
  return {
    project: {
      name: project.name,
      workingDir: project.meta.workingDir,
      configFiles: project.meta.configFiles,
    },
    serviceName,
    service,
    networkNames: namesOf(project.networks, serviceNetworkKeys(project, service)),
    volumeNames: namesOf(project.volumes, serviceVolumeKeys(project, service)),
    secrets: pick(
      project.secrets,
      (service.secrets ?? []).map((s) => s.source),
    ),
    configs: pick(
      project.configs,
      (service.configs ?? []).map((c) => c.source),
    ),
    name: replicaName(project.name, serviceName, service, number),
    number,
    oneoff: false,
    labels,
  };
}

export function networkCreateRequest(project: Project, key: string): NetworkCreateRequest {
  const definition = project.networks[key]!;
  return {
    name: definition.name,
    key,
    project: project.name,
    definition,
    labels: resourceLabels(project, definition, Labels.network, key),
  };
}

export function volumeCreateRequest(project: Project, key: string): VolumeCreateRequest {
  const definition = project.volumes[key]!;
  return {
    name: definition.name,
    key,
    project: project.name,
    definition,
    labels: resourceLabels(project, definition, Labels.volume, key),
  };
}

/** docker compose's labels on a network or volume, over the definition's own. */
function resourceLabels(
  project: Project,
  definition: { labels?: Record<string, string> },
  kindLabel: string,
  key: string,
): Record<string, string> {
  return {
    ...definition.labels,
    [Labels.project]: project.name,
    [kindLabel]: key,
    [Labels.version]: COMPOSE_VERSION,
  };
}

function namesOf(defs: Record<string, { name: string }>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, defs[key]!.name]));
}

function pick<T>(defs: Record<string, T>, keys: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of keys) if (key in defs) out[key] = defs[key]!;
  return out;
}
