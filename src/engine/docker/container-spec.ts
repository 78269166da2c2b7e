/**
 * A container create request (the canonical service plus its replica's name, labels and resolved
 * resource names) mapped to the body of the Docker Engine API's POST /containers/create, the way
 * docker compose v2 maps a service (its getCreateConfigs): every attribute the API has a field for is
 * set; one the engine cannot honour is a warning naming the service and the attribute; attributes that
 * are not about the container at run time (build, develop, pull_policy, profiles, depends_on, scale,
 * Swarm placement and update settings, ...) are left to other parts of berth.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

import type Dockerode from 'dockerode';

import { ComposeError } from '../../project/errors.js';
import type { EnvironmentMap } from '../../project/types.js';
import { serviceImage } from '../../reconcile/create-request.js';
import { durationMs } from '../local/durations.js';
import type { ContainerCreateRequest } from '../types.js';
import { apiAtLeast, tooOld } from './api-version.js';
import { type ContainerFile, secretsAndConfigs } from './container-files.js';
import { containerHealthcheck } from './container-healthcheck.js';
import { mountsBody, serviceMounts, tmpfsMounts } from './container-mounts.js';
import {
  containerNetworking,
  containersOf,
  firstContainer,
  type NetworkingInput,
} from './container-networking.js';
import { containerPorts } from './container-ports.js';
import { containerResources } from './container-resources.js';
import { containerRestartPolicy } from './container-restart.js';
import type { CreateBody, EndpointBody, HostConfigBody } from './create-body.js';

export type { ContainerFile } from './container-files.js';

export interface SpecContext {
  /** The engine's API version, e.g. '1.41' (fields newer than it are left out with a warning). */
  apiVersion: string;
  /** Recreate: anonymous volumes of the replaced container, container path -> volume name, to take over. */
  inheritedVolumes?: Record<string, string>;
  /**
   * The project's existing (not one-off) containers by service, names or ids, lowest number first:
   * what `service:NAME` in network_mode, ipc, pid and volumes_from, and links resolve to. Without it,
   * each service is taken to have its first replica `<project>-<service>-1` (wrong for a service with
   * container_name, or before it has one); one-off containers only link to their service's replicas
   * when it is given.
   */
  serviceContainers?: Record<string, string[]>;
  /** Where secrets' and configs' `environment:` sources are read; default process.env. */
  hostEnv?: Record<string, string | undefined>;
}

export interface DockerContainerSpec {
  /** The body of POST /containers/create, `name` included. */
  options: Dockerode.ContainerCreateOptions;
  /** Networks beyond the first, connected after create and before start (API < 1.44 takes one). */
  connect: { network: string; endpoint: Dockerode.EndpointSettings }[];
  files: ContainerFile[];
  /** One sentence per attribute the engine cannot honour, naming service and attribute. */
  warnings: string[];
}

export function containerSpec(request: ContainerCreateRequest, context: SpecContext): DockerContainerSpec {
  const service = request.service;
  const serviceName = request.serviceName;
  const apiVersion = context.apiVersion;
  const warnings: string[] = [];
  const refs: Pick<NetworkingInput, 'request' | 'serviceContainers'> = {
    request,
    serviceContainers: context.serviceContainers,
  };

  const mounts = serviceMounts({
    request,
    apiVersion,
    inheritedVolumes: context.inheritedVolumes ?? {},
    warnings,
  });
  const files = secretsAndConfigs(request, context.hostEnv ?? process.env, mounts, warnings);
  const { Binds, Mounts, Tmpfs } = mountsBody(mounts, tmpfsMounts(service.tmpfs));
  const networking = containerNetworking({ ...refs, apiVersion, warnings });
  const ports = containerPorts(serviceName, service);
  const security = securityOptions(request);

  const host: HostConfigBody = {
    ...containerResources(serviceName, service, warnings),
    NetworkMode: networking.NetworkMode,
  };
  const setHost = <K extends keyof HostConfigBody>(key: K, value: HostConfigBody[K] | undefined): void => {
    if (value === undefined) return;
    if (Array.isArray(value) && value.length === 0) return;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
    host[key] = value;
  };
  setHost('Binds', Binds);
  setHost('Mounts', Mounts);
  setHost('Tmpfs', Tmpfs);
  setHost('VolumeDriver', service.volume_driver);
  setHost('VolumesFrom', volumesFrom(refs));
  setHost('PortBindings', ports.PortBindings);
  setHost('Links', networking.Links);
  setHost('Dns', service.dns);
  setHost('DnsSearch', service.dns_search);
  setHost('DnsOptions', service.dns_opt);
  setHost('ExtraHosts', extraHosts(service.extra_hosts));
  setHost('RestartPolicy', containerRestartPolicy(serviceName, service, request.oneoff, warnings));
  setHost('CapAdd', service.cap_add);
  setHost('CapDrop', service.cap_drop);
  setHost('Privileged', service.privileged);
  setHost('ReadonlyRootfs', service.read_only);
  setHost('SecurityOpt', security.options);
  if (security.unconfined) {
    host.MaskedPaths = [];
    host.ReadonlyPaths = [];
  }
  setHost('Sysctls', service.sysctls);
  setHost('IpcMode', namespaceMode(refs, 'ipc', service.ipc));
  setHost('PidMode', namespaceMode(refs, 'pid', service.pid));
  setHost('UTSMode', service.uts);
  setHost('UsernsMode', service.userns_mode);
  setHost('CgroupnsMode', service.cgroup);
  setHost('GroupAdd', service.group_add);
  setHost('Isolation', service.isolation);
  setHost('Init', service.init);
  setHost('Runtime', service.runtime);
  setHost('StorageOpt', service.storage_opt);
  setHost('ShmSize', service.shm_size);
  setHost('OomScoreAdj', service.oom_score_adj);
  if (service.logging !== undefined) {
    host.LogConfig = { Type: service.logging.driver ?? '', Config: service.logging.options ?? {} };
  }
  if (service.annotations !== undefined && Object.keys(service.annotations).length > 0) {
    if (apiAtLeast(apiVersion, '1.43')) host.Annotations = service.annotations;
    else warnings.push(tooOld(serviceName, 'annotations', '1.43', apiVersion));
  }
  if (service.credential_spec !== undefined) {
    warnings.push(
      `service "${serviceName}": credential_spec applies to Windows containers only and is ignored`,
    );
  }

  const body: CreateBody = {
    name: request.name,
    Image: serviceImage(request.project.name, serviceName, service),
    Labels: request.labels,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: host,
  };
  const set = <K extends keyof CreateBody>(key: K, value: CreateBody[K] | undefined): void => {
    if (value !== undefined) body[key] = value;
  };
  set('Hostname', service.hostname);
  set('Domainname', service.domainname);
  set('User', request.user ?? service.user);
  set('WorkingDir', request.workingDir ?? service.working_dir);
  set('Env', environment(service.environment, request.environment));
  // `entrypoint: []` clears the image's entrypoint (the engine reads an empty list that way); null is
  // unset, as in compose, and keeps it.
  const entrypoint = request.entrypoint ?? service.entrypoint;
  if (entrypoint !== undefined && entrypoint !== null) body.Entrypoint = entrypoint;
  // An empty command keeps the image's CMD, as in compose, so only a non-empty one is sent.
  const command = request.command ?? service.command;
  if (command !== undefined && command !== null && command.length > 0) body.Cmd = command;
  if (Object.keys(ports.ExposedPorts).length > 0) body.ExposedPorts = ports.ExposedPorts;
  set('Tty', service.tty);
  set('OpenStdin', service.stdin_open);
  // A one-off with stdin open is attached by `run`: its stdin closes when berth's input ends.
  if (request.oneoff && service.stdin_open === true) {
    body.AttachStdin = true;
    body.StdinOnce = true;
  }
  set('StopSignal', service.stop_signal);
  if (service.stop_grace_period !== undefined) {
    const ms = durationMs(service.stop_grace_period, 0, ['services', serviceName, 'stop_grace_period']);
    // Whole seconds, truncated, as compose converts it.
    body.StopTimeout = Math.trunc(ms / 1000);
  }
  set('Healthcheck', containerHealthcheck(serviceName, service, apiVersion, warnings));
  set('MacAddress', networking.MacAddress);
  if (networking.NetworkDisabled === true) body.NetworkDisabled = true;
  if (networking.EndpointsConfig !== undefined) {
    body.NetworkingConfig = { EndpointsConfig: networking.EndpointsConfig };
  }
  if (service.platform !== undefined) {
    if (apiAtLeast(apiVersion, '1.41')) body.platform = service.platform;
    else warnings.push(tooOld(serviceName, 'platform', '1.41', apiVersion));
  }

  return {
    options: toDockerode(body),
    connect: networking.connect.map(({ network, endpoint }) => ({ network, endpoint: toEndpoint(endpoint) })),
    files,
    warnings,
  };
}

/** The service's environment with the request's (`run -e`) over it; unset (null) variables are left out. */
function environment(
  service: EnvironmentMap | undefined,
  extra: Record<string, string> | undefined,
): string[] | undefined {
  const merged: EnvironmentMap = { ...service, ...extra };
  const entries = Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null);
  return entries.length === 0 ? undefined : entries.map(([key, value]) => `${key}=${value}`);
}

/** `{host: [ip, ...]}` -> `host:ip` lines (`host-gateway` passes through: the engine resolves it). */
function extraHosts(hosts: Record<string, string[]> | undefined): string[] | undefined {
  if (hosts === undefined) return undefined;
  return Object.entries(hosts).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`));
}

/** `service:NAME` -> `container:<its first container>`; other modes (host, private, container:X) as is. */
function namespaceMode(
  refs: Pick<NetworkingInput, 'request' | 'serviceContainers'>,
  key: 'ipc' | 'pid',
  mode: string | undefined,
): string | undefined {
  if (mode === undefined || !mode.startsWith('service:')) return mode;
  return `container:${firstContainer(refs, mode.slice(8), key)}`;
}

/**
 * volumes_from: `service[:ro|rw]` is that service's first container, `container:NAME[:ro|rw]` the
 * container itself, in the engine's `NAME[:ro|rw]` form.
 */
function volumesFrom(refs: Pick<NetworkingInput, 'request' | 'serviceContainers'>): string[] | undefined {
  const entries = refs.request.service.volumes_from;
  if (entries === undefined) return undefined;
  return entries.map((entry) => {
    const parts = entry.split(':');
    const isContainer = parts[0] === 'container' && parts.length > 1;
    const name = isContainer ? parts[1]! : parts[0]!;
    const mode = isContainer ? parts[2] : parts[1];
    const source = isContainer ? name : (containersOf(refs, name)[0] ?? name);
    return mode === undefined ? source : `${source}:${mode}`;
  });
}

/**
 * security_opt as compose passes it: `systempaths=unconfined` clears the masked and read-only paths,
 * and a seccomp profile given as a file is sent inline (the engine reads no files of the client).
 */
function securityOptions(request: ContainerCreateRequest): { options: string[]; unconfined: boolean } {
  const options: string[] = [];
  let unconfined = false;
  for (const [index, option] of (request.service.security_opt ?? []).entries()) {
    if (option === 'systempaths=unconfined') {
      unconfined = true;
      continue;
    }
    const match = /^seccomp[=:](.*)$/s.exec(option);
    const profile = match?.[1];
    if (
      profile === undefined ||
      profile === 'unconfined' ||
      profile === 'builtin' ||
      profile.startsWith('{')
    ) {
      options.push(option);
      continue;
    }
    const file = isAbsolute(profile) ? profile : resolve(request.project.workingDir, profile);
    let json: string;
    try {
      json = JSON.stringify(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      throw new ComposeError(
        `service "${request.serviceName}": cannot read the seccomp profile ${file}: ${error instanceof Error ? error.message : String(error)}`,
        {
          keyPath: ['services', request.serviceName, 'security_opt', index],
          hint: 'point seccomp= at a readable JSON seccomp profile, or use seccomp=unconfined',
          cause: error,
        },
      );
    }
    options.push(`seccomp=${json}`);
  }
  return { options, unconfined };
}

/**
 * The one place the body meets dockerode's types, which lag the Engine API (see ./create-body.ts):
 * dockerode sends the object as it is.
 */
function toDockerode(body: CreateBody): Dockerode.ContainerCreateOptions {
  return body as unknown as Dockerode.ContainerCreateOptions;
}

function toEndpoint(endpoint: EndpointBody): Dockerode.EndpointSettings {
  return endpoint as Dockerode.EndpointSettings;
}
