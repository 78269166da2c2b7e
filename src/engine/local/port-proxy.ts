/**
 * The in-process engine's port forwarder (Docker's userland proxy, in process): listens on a host
 * address and forwards each TCP connection, or each UDP client's datagrams, to one of several
 * backends on this machine, round-robin, skipping backends that refuse. A failure on one connection
 * never affects the others or the listener.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';

import { formatBindAddress, type PortProtocol } from './port-allocator.js';

export interface ProxyBackend {
  port: number;
  /** Tried in order while they refuse; a program may listen on IPv4 or IPv6 loopback only. */
  hosts?: readonly string[];
}

export interface PortProxyOptions {
  protocol: PortProtocol;
  /** `''` = all interfaces: 0.0.0.0 and, best effort, :: (as Docker publishes). */
  hostIp: string;
  /** 0 = a port chosen by the OS. */
  hostPort: number;
  backends: readonly ProxyBackend[];
  /** A UDP client's relay socket is closed after this long without traffic. Default 60 s. */
  udpIdleTimeoutMs?: number;
  /** A backend that neither accepts nor refuses within this long is skipped. Default 5 s. */
  connectTimeoutMs?: number;
  /** Problems on single connections (for events); the proxy carries on. */
  onConnectionError?: (error: Error) => void;
}

const DEFAULT_HOSTS = ['127.0.0.1', '::1'] as const;
const TCP_REACHABILITY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT']);
const REFUSALS = new Set(['ECONNREFUSED', 'EHOSTUNREACH']);
const CLIENT_HANGUPS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** A listening forwarder. Create it with `PortProxy.listen`; it rejects with the bind error (`code` EADDRINUSE ...). */
export class PortProxy {
  readonly protocol: PortProtocol;
  readonly hostIp: string;

  private backends: readonly ProxyBackend[];
  private next = 0;
  private closed = false;
  private readonly listeners: Listener[] = [];

  private constructor(options: PortProxyOptions) {
    this.protocol = options.protocol;
    this.hostIp = options.hostIp;
    this.backends = [...options.backends];
  }

  /** The port bound (the OS's choice when 0 was asked). */
  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  /** Addresses actually bound: `0.0.0.0` and `::`, or the host_ip. */
  get addresses(): string[] {
    return this.listeners.map((l) => l.address);
  }

  static async listen(options: PortProxyOptions): Promise<PortProxy> {
    const proxy = new PortProxy(options);
    const pick = (): Picker => proxy.picker();
    const hosts = options.hostIp === '' ? ['0.0.0.0', '::'] : [options.hostIp];
    try {
      for (const [i, host] of hosts.entries()) {
        // The IPv6 twin takes the port the first listener got (the OS's choice when 0 was asked).
        const port = i === 0 ? options.hostPort : proxy.port;
        try {
          const listener =
            options.protocol === 'udp'
              ? await listenUdp(host, port, pick, options)
              : await listenTcp(host, port, pick, options);
          proxy.listeners.push(listener);
        } catch (error) {
          // IPv6 is best effort when publishing on all interfaces.
          if (i === 0) throw error;
        }
      }
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return proxy;
  }

  /** Replaces the backends; open connections keep theirs. */
  setBackends(backends: readonly ProxyBackend[]): void {
    this.backends = [...backends];
  }

  getBackends(): readonly ProxyBackend[] {
    return this.backends;
  }

  /** Stops listening and destroys every open connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  /** The backends to try for one new connection: round-robin start, then the others in order. */
  private picker(): Picker {
    const list = this.backends;
    const start = list.length === 0 ? 0 : this.next++ % list.length;
    const order: ProxyBackend[] = [];
    for (let i = 0; i < list.length; i++) order.push(list[(start + i) % list.length]!);
    return order;
  }
}

type Picker = ProxyBackend[];

interface Listener {
  address: string;
  port: number;
  close(): Promise<void>;
}

function targets(order: Picker): { host: string; port: number }[] {
  return order.flatMap((b) => (b.hosts ?? DEFAULT_HOSTS).map((host) => ({ host, port: b.port })));
}

async function listenTcp(
  host: string,
  port: number,
  pick: () => Picker,
  options: PortProxyOptions,
): Promise<Listener> {
  const sockets = new Set<Socket>();
  // No Nagle on either leg (like Docker's Go proxy): a request written in two parts would otherwise
  // wait for the peer's delayed ACK, ~40 ms per request on Linux (bench/proxy, "split writes").
  const serverOptions = { allowHalfOpen: true, pauseOnConnect: true, noDelay: true };
  const server: Server = createServer(serverOptions, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', (error: NodeJS.ErrnoException) => {
      // Clients going away abruptly is ordinary traffic, not a problem worth reporting.
      if (!CLIENT_HANGUPS.has(error.code ?? '')) options.onConnectionError?.(error);
    });
    forwardTcp(client, targets(pick()), sockets, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host === '::', exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.onConnectionError?.(error));
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    address: host,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects to the first target that accepts, then pipes both ways (pipe gives back-pressure). */
function forwardTcp(
  client: Socket,
  candidates: { host: string; port: number }[],
  sockets: Set<Socket>,
  options: PortProxyOptions,
): void {
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  const attempt = (index: number): void => {
    if (client.destroyed) return;
    const target = candidates[index];
    if (target === undefined) {
      options.onConnectionError?.(
        new Error(
          `no backend accepted the connection for ${formatBindAddress(client.localAddress ?? '', client.localPort ?? 0)}`,
        ),
      );
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.setTimeout(timeoutMs);
    const onConnectError = (error: NodeJS.ErrnoException): void => {
      upstream.destroy();
      if (error.code !== undefined && !TCP_REACHABILITY_CODES.has(error.code)) {
        options.onConnectionError?.(error);
      }
      attempt(index + 1);
    };
    const onTimeout = (): void =>
      onConnectError(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    upstream.once('error', onConnectError);
    upstream.once('timeout', onTimeout);
    upstream.once('connect', () => {
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      upstream.off('error', onConnectError);
      upstream.off('timeout', onTimeout);
      upstream.setTimeout(0);
      upstream.on('error', (error) => {
        options.onConnectionError?.(error);
        client.destroy();
      });
      client.on('error', () => upstream.destroy());
      // Either side going away entirely takes the other with it; a FIN alone is passed on by pipe.
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => {
        // Let what the backend sent reach the client, then drop it.
        if (client.writableFinished) client.destroy();
        else client.end(() => client.destroy());
      });
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  attempt(0);
}

async function listenUdp(
  host: string,
  port: number,
  pick: () => Picker,
  options: PortProxyOptions,
): Promise<Listener> {
  const idleMs = options.udpIdleTimeoutMs ?? 60_000;
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host === '::' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const clients = new Map<string, UdpClient>();
  socket.on('error', (error) => options.onConnectionError?.(error));
  socket.on('message', (message, remote) => {
    const id = `${remote.address}|${remote.port}`;
    let client = clients.get(id);
    if (client === undefined) {
      client = new UdpClient(socket, remote, targets(pick()), idleMs, options, () => clients.delete(id));
      if (client.isClosed) return; // no backend at all: drop the datagram
      clients.set(id, client);
    }
    client.send(message);
  });
  return {
    address: host,
    port: socket.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients.values()) client.close();
        clients.clear();
        socket.close(() => resolve());
      }),
  };
}

/** One client's relay: its own socket towards a backend, so replies find their way back. */
class UdpClient {
  private relay: UdpSocket | undefined;
  private connected = false;
  private index = -1;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Datagrams waiting for the relay to connect, and the last one sent (re-sent after a refusal). */
  private pending: Buffer[] = [];
  private last: Buffer | undefined;

  constructor(
    private readonly server: UdpSocket,
    private readonly remote: RemoteInfo,
    private readonly candidates: { host: string; port: number }[],
    private readonly idleMs: number,
    private readonly options: PortProxyOptions,
    private readonly onClose: () => void,
  ) {
    this.advance();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(message: Buffer): void {
    this.touch();
    this.last = message;
    if (this.relay === undefined) return;
    if (!this.connected) this.pending.push(message);
    else this.relay.send(message);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.relay?.close();
    this.relay = undefined;
    this.onClose();
  }

  /** Moves to the next backend (ICMP "port unreachable" shows as ECONNREFUSED on the relay socket). */
  private advance(): void {
    this.relay?.close();
    this.relay = undefined;
    this.connected = false;
    this.index++;
    const target = this.candidates[this.index];
    if (target === undefined) {
      this.close();
      return;
    }
    const relay = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
    relay.on('message', (reply) => {
      this.touch();
      this.server.send(reply, this.remote.port, this.remote.address);
    });
    relay.on('error', (error: NodeJS.ErrnoException) => {
      if (relay !== this.relay) return;
      if (REFUSALS.has(error.code ?? '')) {
        if (this.last !== undefined) this.pending = [this.last];
        this.advance();
      } else this.options.onConnectionError?.(error);
    });
    // A connected socket hears the kernel's refusals; datagrams wait until it is connected.
    relay.connect(target.port, target.host, () => {
      if (relay !== this.relay) return;
      this.connected = true;
      const queued = this.pending;
      this.pending = [];
      for (const message of queued) relay.send(message);
    });
    this.relay = relay;
  }

  private touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.close(), this.idleMs);
    this.timer.unref();
  }
}
