/**
 * Host ports for the in-process engine: free ports chosen by the OS, the first free port of a range,
 * and the check that a given port is free. Ports handed out stay reserved in this process until
 * released, so two replicas never get the same one even before either has bound it.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

import { ComposeError } from '../../project/errors.js';
import type { KeyPath } from '../../project/key-path.js';

export type PortProtocol = 'tcp' | 'udp';

export interface PortProbe {
  /** `''` = all interfaces (0.0.0.0, and :: when the host has IPv6). */
  hostIp?: string;
  protocol?: PortProtocol;
}

export type ProbeResult = { free: true } | { free: false; code: string; address: string };

/** How many OS-chosen ports to try before giving up (they only collide with reserved ones by chance). */
const ATTEMPTS = 20;

export class PortAllocator {
  private readonly reserved = new Set<string>();
  private readonly avoided = new Set<number>();

  /** `avoid`: ports never handed out, e.g. container ports that replicas bind themselves. */
  constructor(options: { avoid?: Iterable<number> } = {}) {
    for (const port of options.avoid ?? []) this.avoided.add(port);
  }

  avoid(port: number): void {
    this.avoided.add(port);
  }

  isReserved(port: number, protocol: PortProtocol = 'tcp'): boolean {
    return this.reserved.has(key(port, protocol));
  }

  /** Marks a port as taken by this process (e.g. one a proxy just bound). */
  reserve(port: number, protocol: PortProtocol = 'tcp'): void {
    this.reserved.add(key(port, protocol));
  }

  release(port: number, protocol: PortProtocol = 'tcp'): void {
    this.reserved.delete(key(port, protocol));
  }

  /**
   * A free port chosen by the OS, reserved until released. Another program can still take it before
   * whoever it is for binds it; that race is inherent to handing out port numbers.
   */
  async allocate(probe: PortProbe = {}): Promise<number> {
    const protocol = probe.protocol ?? 'tcp';
    for (let i = 0; i < ATTEMPTS; i++) {
      const port = await osChosenPort(probe.hostIp ?? '', protocol);
      if (this.avoided.has(port) || this.isReserved(port, protocol)) continue;
      if (!(await probePort(port, probe)).free) continue;
      this.reserve(port, protocol);
      return port;
    }
    throw new Error(`no free ${protocol} port found after ${ATTEMPTS} attempts`);
  }

  /** The first free port of `start..end`, reserved; undefined when every port is taken. */
  async allocateInRange(start: number, end: number, probe: PortProbe = {}): Promise<number | undefined> {
    const protocol = probe.protocol ?? 'tcp';
    for (let port = start; port <= end; port++) {
      if (this.avoided.has(port) || this.isReserved(port, protocol)) continue;
      if (!(await probePort(port, probe)).free) continue;
      this.reserve(port, protocol);
      return port;
    }
    return undefined;
  }
}

/** Whether `port` can be bound now, by binding it and letting it go. */
export async function probePort(port: number, probe: PortProbe = {}): Promise<ProbeResult> {
  const hostIp = probe.hostIp ?? '';
  const protocol = probe.protocol ?? 'tcp';
  const primary = hostIp === '' ? '0.0.0.0' : hostIp;
  const first = await tryBind(port, primary, protocol);
  if (!first.free || hostIp !== '') return first;
  // Docker also publishes on [::]; a v6-only listener there takes the port too. No IPv6: ignore.
  const second = await tryBind(port, '::', protocol);
  if (!second.free && second.code === 'EADDRINUSE') return second;
  return { free: true };
}

export async function isPortFree(port: number, probe: PortProbe = {}): Promise<boolean> {
  return (await probePort(port, probe)).free;
}

/** Throws the "port already in use" ComposeError when `port` is taken. */
export async function assertPortFree(
  service: string,
  port: number,
  probe: PortProbe = {},
  keyPath?: KeyPath,
): Promise<void> {
  const result = await probePort(port, probe);
  if (!result.free) throw portInUseError(service, port, result.address, result.code, keyPath);
}

/**
 * `service "web": port 8080 is already in use (bind 0.0.0.0:8080: EADDRINUSE); choose another host
 * port in "ports"`. `address` is `ip:port` as it was bound.
 */
export function portInUseError(
  service: string,
  port: number,
  address: string,
  code: string,
  keyPath?: KeyPath,
): ComposeError {
  const what = code === 'EADDRINUSE' ? 'is already in use' : 'cannot be bound';
  const fix =
    code === 'EACCES'
      ? 'ports below 1024 need privileges; choose a host port of 1024 or more in "ports"'
      : code === 'EADDRNOTAVAIL'
        ? 'the host_ip is not an address of this machine; fix host_ip in "ports"'
        : 'choose another host port in "ports"';
  return new ComposeError(`service "${service}": port ${port} ${what} (bind ${address}: ${code}); ${fix}`, {
    keyPath,
  });
}

/** `0.0.0.0:8080`, `[::]:8080`. */
export function formatBindAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function key(port: number, protocol: PortProtocol): string {
  return `${protocol}/${port}`;
}

async function osChosenPort(hostIp: string, protocol: PortProtocol): Promise<number> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  if (protocol === 'udp') {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
    });
  }
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tryBind(port: number, host: string, protocol: PortProtocol): Promise<ProbeResult> {
  const address = formatBindAddress(host, port);
  const ipv6Only = host === '::';
  return new Promise((resolve) => {
    const fail = (error: NodeJS.ErrnoException): void =>
      resolve({ free: false, code: error.code ?? 'EUNKNOWN', address });
    if (protocol === 'udp') {
      const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only });
      socket.once('error', (error) => {
        socket.close();
        fail(error);
      });
      socket.bind(port, host, () => socket.close(() => resolve({ free: true })));
      return;
    }
    const server = createServer();
    server.once('error', fail);
    server.listen({ port, host, ipv6Only, exclusive: true }, () =>
      server.close(() => resolve({ free: true })),
    );
  });
}
