/**
 * Ports as docker compose maps them: every published port and every `expose` entry is an exposed port
 * (`80/tcp`), and each published port a binding of it (host IP and host port or range; an empty host
 * port lets the engine pick one).
 */
import { ComposeError } from '../../project/errors.js';
import type { Service } from '../../project/types.js';

export interface PortsBody {
  ExposedPorts: Record<string, Record<string, never>>;
  PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
}

export function containerPorts(serviceName: string, service: Service): PortsBody {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const [index, entry] of (service.expose ?? []).entries()) {
    for (const port of exposedPorts(serviceName, entry, index)) exposed[port] = {};
  }
  for (const port of service.ports ?? []) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.host_ip ?? '', HostPort: port.published ?? '' });
  }
  return { ExposedPorts: exposed, PortBindings: bindings };
}

/** `3000`, `3000/udp`, `4000-4002`: one key per port, as `docker run --expose` expands a range. */
function exposedPorts(serviceName: string, entry: string, index: number): string[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(entry.trim());
  const start = Number(match?.[1]);
  const end = match?.[2] === undefined ? start : Number(match[2]);
  if (!match || start < 1 || end > 65535 || end < start) {
    throw new ComposeError(`service "${serviceName}": invalid exposed port "${entry}"`, {
      keyPath: ['services', serviceName, 'expose', index],
      hint: 'write a port or a range with an optional protocol, e.g. "3000", "8000-8010" or "53/udp"',
    });
  }
  const protocol = (match[3] ?? 'tcp').toLowerCase();
  const ports: string[] = [];
  for (let port = start; port <= end; port++) ports.push(`${port}/${protocol}`);
  return ports;
}
