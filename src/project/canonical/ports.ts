import { isIP } from 'node:net';
import { isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { isOverrideTag, isResetTag, OverrideTag } from '../tags.js';
import { throughTags } from './tags.js';
import { describe, expectList, expectNumber, expectScalarText } from './values.js';

/** One published port in long syntax, as parsed from a short spec. */
export interface PortSpec {
  mode: 'ingress';
  host_ip?: string;
  target: number;
  published?: string;
  protocol: string;
}

const PORT_FORMS =
  'use [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL], e.g. "8080:80" or "127.0.0.1:5353:53/udp"';
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/**
 * Parses a short port spec (`"3000"`, `"8000:80"`, `"127.0.0.1::5000"`, `"[::1]:6001:6001"`,
 * `"9090-9091:8080-8081"`, `"6060:6060/udp"`) into one entry per container port, like docker's port
 * parser. Throws an Error whose message is the reason when the spec is malformed.
 */
export function parsePortSpec(spec: string): PortSpec[] {
  const [ip, hostPart, containerPart] = splitParts(spec);
  const [protocol, containerPorts] = splitProtocol(containerPart);
  let hostIp = ip;
  if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
  if (hostIp !== '' && isIP(hostIp) === 0) throw new Error(`"${ip}" is not an IP address`);
  if (containerPorts === '') throw new Error('no container port');
  const [start, end] = parseRange(containerPorts, 'container port');
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPart !== '') [hostStart, hostEnd] = parseRange(hostPart, 'host port');
  // A host range for a single container port is a pool to pick from; two ranges must pair up.
  if (hostPart !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(
      `container ports ${containerPorts} and host ports ${hostPart} are ranges of different lengths`,
    );
  }
  if (!PROTOCOLS.has(protocol.toLowerCase()))
    throw new Error(`unknown protocol "${protocol}" (tcp, udp or sctp)`);
  const out: PortSpec[] = [];
  for (let i = 0; i <= end - start; i++) {
    const port: PortSpec = { mode: 'ingress', target: start + i, protocol: protocol.toLowerCase() };
    if (hostIp !== '') port.host_ip = hostIp;
    if (hostPart !== '') {
      port.published =
        start === end && hostStart !== hostEnd ? `${hostStart}-${hostEnd}` : String(hostStart + i);
    }
    out.push(port);
  }
  return out;
}

/** `[ip, host, container]`: the last two colon-separated parts are ports, anything before is the IP (IPv6 has colons). */
function splitParts(spec: string): [string, string, string] {
  const parts = spec.split(':');
  const n = parts.length;
  if (n === 1) return ['', '', parts[0]!];
  if (n === 2) return ['', parts[0]!, parts[1]!];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, parts[n - 1]!];
}

function splitProtocol(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1 || parts[1] === '') return ['tcp', parts[0]!];
  if (parts.length > 2) throw new Error(`"${raw}" has more than one protocol`);
  return [parts[1]!, parts[0]!];
}

function parseRange(text: string, what: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new Error(`${what} "${text}" is not a number or a range`);
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start > 65535 || end > 65535) throw new Error(`${what} "${text}" is out of range (0-65535)`);
  if (end < start) throw new Error(`${what} range "${text}" ends before it starts`);
  return [start, end];
}

/** services.*.ports: every entry in long syntax; a short range becomes one entry per port. */
export function canonicalPorts(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const out: unknown[] = [];
    expectList(ctx, inner, path, 'ports').forEach((entry, i) => {
      const itemPath = [...path, i];
      if (isResetTag(entry)) out.push(entry);
      else if (isOverrideTag(entry))
        out.push(...portEntry(ctx, entry.value, itemPath).map((p) => new OverrideTag(p)));
      else out.push(...portEntry(ctx, entry, itemPath));
    });
    return out;
  });
}

function portEntry(ctx: CanonicalContext, entry: unknown, path: KeyPath): unknown[] {
  if (typeof entry === 'number' || typeof entry === 'string') {
    const spec = String(entry);
    try {
      return parsePortSpec(spec);
    } catch (error) {
      return fail(
        ctx,
        path,
        `invalid port ${JSON.stringify(spec)}`,
        `${reason(error)}; ${PORT_FORMS}`,
        error,
      );
    }
  }
  if (isDict(entry)) {
    const port = { ...entry };
    if (port.target !== undefined) {
      port.target = expectNumber(ctx, port.target, [...path, 'target'], 'target');
    } else {
      fail(ctx, path, 'port has no target', 'set target to the container port');
    }
    if (port.published !== undefined && port.published !== null) {
      port.published = expectScalarText(ctx, port.published, [...path, 'published'], 'published');
    }
    port.mode ??= 'ingress';
    port.protocol ??= 'tcp';
    return [port];
  }
  return fail(ctx, path, `invalid port: ${describe(entry)}`, PORT_FORMS);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
