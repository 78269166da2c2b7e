/**
 * What the Docker engine reports about a container, mapped to berth's ContainerInfo: from the list
 * endpoint (cheap: one call for a whole project) and from inspect (start/finish times, pid, restart
 * count, which the list lacks).
 */
import type Dockerode from 'dockerode';

import { compareText } from '../../graph/compare.js';
import { Labels } from '../labels.js';
import type { ContainerInfo, ContainerStatus, HealthStatus, PortPublisher } from '../types.js';

const STATUSES: readonly ContainerStatus[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'removing',
];

/** A container from GET /containers/json. Times other than `created` need an inspect. */
export function containerInfoFromSummary(summary: Dockerode.ContainerInfo): ContainerInfo {
  const labels = summary.Labels ?? {};
  const text = summary.Status ?? '';
  const info: ContainerInfo = {
    ...fromLabels(labels),
    id: summary.Id,
    name: (summary.Names?.[0] ?? summary.Id).replace(/^\//, ''),
    labels,
    image: labels[Labels.image] ?? summary.Image,
    imageId: summary.ImageID,
    command: summary.Command ?? '',
    status: containerStatus(summary.State),
    exitCode: exitCodeOf(text),
    restartCount: 0,
    created: new Date(summary.Created * 1000).toISOString(),
    publishers: publishersFromList(summary.Ports ?? []),
  };
  const health = healthOf(text);
  if (health !== undefined) info.health = health;
  return info;
}

/** A container from GET /containers/{id}/json. */
export function containerInfoFromInspect(inspect: Dockerode.ContainerInspectInfo): ContainerInfo {
  const labels = inspect.Config?.Labels ?? {};
  const state = inspect.State;
  const info: ContainerInfo = {
    ...fromLabels(labels),
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    labels,
    image: labels[Labels.image] ?? inspect.Config?.Image ?? inspect.Image,
    imageId: inspect.Image,
    command: commandLine(inspect.Path, inspect.Args ?? []),
    status: containerStatus(state.Status),
    exitCode: state.ExitCode,
    restartCount: inspect.RestartCount ?? 0,
    created: inspect.Created,
    publishers: publishersFromInspect(inspect.NetworkSettings?.Ports ?? {}),
  };
  const health = healthStatus(state.Health?.Status);
  if (health !== undefined) info.health = health;
  if (state.Pid > 0 && (state.Running || state.Paused)) info.pid = state.Pid;
  const startedAt = engineTime(state.StartedAt);
  if (startedAt !== undefined) info.startedAt = startedAt;
  const finishedAt = engineTime(state.FinishedAt);
  if (finishedAt !== undefined) info.finishedAt = finishedAt;
  return info;
}

/**
 * The list's mapping completed by an inspect: times, pid and restart count from the inspect, the
 * published ports from the list (it shows them as compose ps does).
 */
export function mergeInspect(summary: ContainerInfo, inspect: Dockerode.ContainerInspectInfo): ContainerInfo {
  return { ...containerInfoFromInspect(inspect), command: summary.command, publishers: summary.publishers };
}

function fromLabels(
  labels: Record<string, string>,
): Pick<ContainerInfo, 'project' | 'service' | 'number' | 'oneoff' | 'configHash'> {
  const number = Number(labels[Labels.containerNumber] ?? '');
  return {
    project: labels[Labels.project] ?? '',
    service: labels[Labels.service] ?? '',
    number: Number.isInteger(number) ? number : 0,
    oneoff: (labels[Labels.oneoff] ?? '').toLowerCase() === 'true',
    configHash: labels[Labels.configHash] ?? '',
  };
}

function containerStatus(state: string | undefined): ContainerStatus {
  const value = (state ?? '').toLowerCase();
  return STATUSES.find((s) => s === value) ?? 'dead';
}

/** `Exited (137) 3 seconds ago`, `Restarting (1) ...`: the list's only trace of the exit code. */
function exitCodeOf(status: string): number {
  const match = /^(?:Exited|Restarting) \((-?\d+)\)/.exec(status);
  return match ? Number(match[1]) : 0;
}

/** `Up 5 seconds (healthy)`, `(unhealthy)`, `(health: starting)`. */
function healthOf(status: string): HealthStatus | undefined {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

function healthStatus(status: string | undefined): HealthStatus | undefined {
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : undefined;
}

/** Docker writes the zero time for "never"; berth leaves the field out. */
function engineTime(time: string | undefined): string | undefined {
  if (time === undefined || time === '' || time.startsWith('0001-01-01')) return undefined;
  return time;
}

/** The command as the list endpoint shows it: path and arguments, those with spaces in single quotes. */
export function commandLine(path: string, args: readonly string[]): string {
  return [path, ...args.map((a) => (a.includes(' ') ? `'${a}'` : a))].filter((p) => p !== '').join(' ');
}

/** As `docker compose ps --format json` prints Publishers; an exposed, unpublished port has no URL and 0. */
function publishersFromList(ports: readonly Dockerode.Port[]): PortPublisher[] {
  return sortPublishers(
    ports.map((p) => ({
      URL: p.IP ?? '',
      TargetPort: p.PrivatePort,
      PublishedPort: p.PublicPort ?? 0,
      Protocol: p.Type,
    })),
  );
}

function publishersFromInspect(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null>,
): PortPublisher[] {
  const out: PortPublisher[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port = '0', protocol = 'tcp'] = key.split('/');
    const target = Number(port);
    if (!bindings || bindings.length === 0) {
      out.push({ URL: '', TargetPort: target, PublishedPort: 0, Protocol: protocol });
      continue;
    }
    for (const b of bindings) {
      out.push({ URL: b.HostIp, TargetPort: target, PublishedPort: Number(b.HostPort), Protocol: protocol });
    }
  }
  return sortPublishers(out);
}

function sortPublishers(publishers: PortPublisher[]): PortPublisher[] {
  return publishers.sort(
    (a, b) =>
      a.TargetPort - b.TargetPort ||
      compareText(a.Protocol, b.Protocol) ||
      compareText(a.URL, b.URL) ||
      a.PublishedPort - b.PublishedPort,
  );
}
