/**
 * `ps` as docker compose prints it: the table (NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS) and
 * `--format json`, one object per line with the fields of compose's container formatter.
 */
import type { ContainerInfo, PortPublisher } from '../engine/types.js';
import { elapsedSince, humanDuration } from './durations.js';
import { formatTable } from './table.js';

export interface PsFormatOptions {
  /** The clock for CREATED and STATUS; tests fix it. */
  now?: Date;
  /** `--no-trunc`: full ids and commands. */
  noTrunc?: boolean;
}

export const PS_HEADER = ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'] as const;

/** Docker's STATUS: `Up 5 seconds (healthy)`, `Exited (1) 3 seconds ago`, `Created`, ... */
export function statusText(container: ContainerInfo, now: Date = new Date()): string {
  const since = (iso: string | undefined) => humanDuration(elapsedSince(iso, now));
  switch (container.status) {
    case 'running': {
      const health = container.health === undefined ? '' : ` (${healthText(container.health)})`;
      return `Up ${since(container.startedAt)}${health}`;
    }
    case 'paused':
      return `Up ${since(container.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${container.exitCode}) ${since(container.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      if (!container.startedAt) return 'Created';
      if (!container.finishedAt) return '';
      return `Exited (${container.exitCode}) ${since(container.finishedAt)} ago`;
  }
}

function healthText(health: NonNullable<ContainerInfo['health']>): string {
  return health === 'starting' ? 'health: starting' : health;
}

/** CREATED: `5 seconds ago`. */
export function runningFor(container: ContainerInfo, now: Date = new Date()): string {
  return `${humanDuration(elapsedSince(wholeSeconds(container.created), now))} ago`;
}

/**
 * PORTS as `docker ps` shows them: `0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 9000/tcp`, ordered by
 * container port; equal host and container ports in a row are grouped into ranges (`8000-8002`).
 */
export function displayPorts(publishers: readonly PortPublisher[]): string {
  const sorted = [...publishers].sort(comparePublishers);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of sorted) {
    const current = port.TargetPort;
    let key = port.Protocol;
    if (port.URL !== '' && port.PublishedPort !== 0) {
      if (port.PublishedPort !== current) {
        hostMappings.push(
          `${joinHostPort(port.URL, String(port.PublishedPort))}->${current}/${port.Protocol}`,
        );
        continue;
      }
      key = `${port.URL}\u0000${port.Protocol}`;
    }
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { first: current, last: current });
    } else if (current === group.last + 1) {
      group.last = current;
    } else {
      result.push(formatGroup(key, group.first, group.last));
      groups.set(key, { first: current, last: current });
    }
  }
  for (const [key, group] of groups) result.push(formatGroup(key, group.first, group.last));
  return [...result, ...hostMappings].join(', ');
}

function comparePublishers(a: PortPublisher, b: PortPublisher): number {
  if (a.TargetPort !== b.TargetPort) return a.TargetPort - b.TargetPort;
  if (a.URL !== b.URL) return a.URL < b.URL ? -1 : 1;
  if (a.PublishedPort !== b.PublishedPort) return a.PublishedPort - b.PublishedPort;
  return a.Protocol < b.Protocol ? -1 : a.Protocol > b.Protocol ? 1 : 0;
}

function formatGroup(key: string, first: number, last: number): string {
  const [ip, protocol] = key.includes('\u0000') ? key.split('\u0000') : ['', key];
  const range = first === last ? String(first) : `${first}-${last}`;
  const mapped = ip ? `${joinHostPort(ip, range)}->${range}` : range;
  return `${mapped}/${protocol}`;
}

/** `[::]:8080` for IPv6 addresses, as Go's net.JoinHostPort writes them. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** COMMAND: quoted like Go's strconv.Quote, cut to 20 characters with an ellipsis unless `--no-trunc`. */
export function commandText(command: string, noTrunc = false): string {
  return goQuote(noTrunc ? command : ellipsis(command, 20));
}

function ellipsis(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}\u2026`;
}

const GO_ESCAPES: Record<string, string> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

function goQuote(text: string): string {
  let quoted = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const escape = GO_ESCAPES[char];
    if (escape !== undefined) quoted += escape;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += char;
  }
  return `"${quoted}"`;
}

/** The table rows in the order given (callers sort; compose sorts by name). */
export function psRows(containers: readonly ContainerInfo[], options: PsFormatOptions = {}): string[][] {
  const now = options.now ?? new Date();
  return containers.map((c) => [
    c.name,
    c.image,
    commandText(c.command, options.noTrunc),
    c.service,
    runningFor(c, now),
    statusText(c, now),
    displayPorts(c.publishers),
  ]);
}

export function formatPsTable(containers: readonly ContainerInfo[], options: PsFormatOptions = {}): string {
  return formatTable(PS_HEADER, psRows(containers, options));
}

/** One `ps --format json` object; keys in the alphabetical order Go's JSON encoder writes them. */
export interface PsJsonRow {
  Command: string;
  CreatedAt: string;
  ExitCode: number;
  Health: string;
  ID: string;
  Image: string;
  Labels: string;
  Name: string;
  Names: string;
  Ports: string;
  Project: string;
  Publishers: PortPublisher[];
  RunningFor: string;
  Service: string;
  State: string;
  Status: string;
}

export function psJsonRow(container: ContainerInfo, options: PsFormatOptions = {}): PsJsonRow {
  const now = options.now ?? new Date();
  return {
    Command: commandText(container.command, options.noTrunc),
    CreatedAt: goTimeString(container.created),
    ExitCode: container.exitCode,
    Health: container.health ?? '',
    ID: options.noTrunc ? container.id : container.id.slice(0, 12),
    Image: container.image,
    Labels: Object.keys(container.labels)
      .sort()
      .map((key) => `${key}=${container.labels[key] ?? ''}`)
      .join(','),
    Name: container.name,
    Names: container.name,
    Ports: displayPorts(container.publishers),
    Project: container.project,
    Publishers: container.publishers.map((p) => ({ ...p })),
    RunningFor: runningFor(container, now),
    Service: container.service,
    State: container.status,
    Status: statusText(container, now),
  };
}

/** One JSON object per line, as `docker compose ps --format json` prints since v2.21. */
export function formatPsJson(containers: readonly ContainerInfo[], options: PsFormatOptions = {}): string {
  return containers.map((c) => `${JSON.stringify(psJsonRow(c, options))}\n`).join('');
}

/** Go's time.Time.String() of a whole-second UTC time: `2024-05-06 07:08:09 +0000 UTC`. */
function goTimeString(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const stamp = new Date(Math.floor(time / 1000) * 1000).toISOString();
  return `${stamp.slice(0, 10)} ${stamp.slice(11, 19)} +0000 UTC`;
}

/** Compose keeps creation times in whole seconds, so CREATED never shows a partial second. */
function wholeSeconds(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(Math.floor(time / 1000) * 1000).toISOString();
}
