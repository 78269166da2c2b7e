import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { PortAllocator } from '../../../src/engine/local/port-allocator.js';
import { PortProxy, type PortProxyOptions } from '../../../src/engine/local/port-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

/** A backend that answers every connection with its name and closes. */
function namedBackend(name: string): Promise<number> {
  return listen(createServer((socket) => socket.end(name)));
}

async function proxy(
  options: Partial<PortProxyOptions> & Pick<PortProxyOptions, 'backends'>,
): Promise<PortProxy> {
  const p = await PortProxy.listen({ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0, ...options });
  cleanups.push(() => p.close());
  return p;
}

/** Connects, optionally sends, half-closes, and collects everything until the server closes. */
function exchange(port: number, send?: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on('connect', () => {
      if (send !== undefined) socket.end(send);
    });
  });
}

async function freePort(): Promise<number> {
  const allocator = new PortAllocator();
  return allocator.allocate({ hostIp: '127.0.0.1' });
}

describe('PortProxy (tcp)', () => {
  it('balances connections round-robin across three backends', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map(namedBackend));
    const p = await proxy({ backends: backends.map((port) => ({ port })) });
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) replies.push((await exchange(p.port)).toString());
    expect(replies).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('skips a backend that refuses', async () => {
    const down = await freePort();
    const up = await namedBackend('up');
    const p = await proxy({ backends: [{ port: down }, { port: up }] });
    const replies: string[] = [];
    for (let i = 0; i < 4; i++) replies.push((await exchange(p.port)).toString());
    expect(replies).toEqual(['up', 'up', 'up', 'up']);
  });

  it('closes the client when no backend accepts, and keeps serving afterwards', async () => {
    const down = await freePort();
    const errors: Error[] = [];
    const p = await proxy({ backends: [{ port: down }], onConnectionError: (e) => errors.push(e) });
    expect((await exchange(p.port)).length).toBe(0);
    expect(errors.map((e) => e.message).join()).toMatch(/no backend accepted/);
    p.setBackends([{ port: await namedBackend('late') }]);
    expect((await exchange(p.port)).toString()).toBe('late');
  });

  it('passes a half-close through and keeps the other direction open', async () => {
    // The backend answers only after the client has finished sending.
    const backend = await listen(
      createServer({ allowHalfOpen: true }, (socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => socket.end(`got ${Buffer.concat(chunks).toString()}`));
      }),
    );
    const p = await proxy({ backends: [{ port: backend }] });
    expect((await exchange(p.port, 'hello')).toString()).toBe('got hello');
  });

  it('streams large payloads both ways intact', async () => {
    const backend = await listen(createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket)));
    const p = await proxy({ backends: [{ port: backend }] });
    const payload = Buffer.alloc(8 * 1024 * 1024, 7);
    payload.write('start');
    const echoed = await exchange(p.port, payload);
    expect(echoed.length).toBe(payload.length);
    expect(echoed.equals(payload)).toBe(true);
  });

  it('survives a backend resetting a connection', async () => {
    let first = true;
    const backend = await listen(
      createServer((socket) => {
        if (first) {
          first = false;
          socket.resetAndDestroy();
        } else socket.end('fine');
      }),
    );
    const p = await proxy({ backends: [{ port: backend }] });
    await exchange(p.port).catch(() => Buffer.alloc(0));
    expect((await exchange(p.port)).toString()).toBe('fine');
  });

  it('close() stops listening and destroys open connections', async () => {
    const backend = await listen(createServer(() => undefined)); // holds connections open
    const p = await PortProxy.listen({
      protocol: 'tcp',
      hostIp: '127.0.0.1',
      hostPort: 0,
      backends: [{ port: backend }],
    });
    const port = p.port;
    const client = connect({ port, host: '127.0.0.1' });
    cleanups.push(() => void client.destroy());
    await new Promise((resolve) => client.once('connect', resolve));
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.on('error', () => undefined);
    await p.close();
    await closed;
    const refused = await new Promise<string>((resolve) => {
      const again = connect({ port, host: '127.0.0.1' });
      again.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
      again.on('connect', () => {
        again.destroy();
        resolve('connected');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('listens on 0.0.0.0 and, where there is IPv6, on :: for all interfaces', async () => {
    const backend = await namedBackend('any');
    const p = await proxy({ hostIp: '', backends: [{ port: backend }] });
    expect(p.addresses[0]).toBe('0.0.0.0');
    expect(p.port).toBeGreaterThan(0);
    expect((await exchange(p.port)).toString()).toBe('any');
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const taken = await listen(createServer());
    await expect(
      PortProxy.listen({ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: taken, backends: [] }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('PortProxy (udp)', () => {
  async function udpEcho(prefix: string): Promise<number> {
    const socket = createSocket('udp4');
    socket.on('message', (m, r) => socket.send(Buffer.concat([Buffer.from(prefix), m]), r.port, r.address));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return socket.address().port;
  }

  async function udpClient(): Promise<{
    socket: UdpSocket;
    ask: (port: number, text: string) => Promise<string>;
  }> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const ask = async (port: number, text: string): Promise<string> => {
      // UDP may drop: resend until a reply arrives (bounded).
      for (let i = 0; i < 20; i++) {
        const reply = new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), 250);
          socket.once('message', (m) => {
            clearTimeout(timer);
            resolve(m.toString());
          });
        });
        socket.send(text, port, '127.0.0.1');
        const got = await reply;
        if (got !== undefined) return got;
      }
      throw new Error('no UDP reply');
    };
    return { socket, ask };
  }

  it('relays datagrams and replies, one backend per client, round-robin', async () => {
    const a = await udpEcho('a:');
    const b = await udpEcho('b:');
    const p = await proxy({
      protocol: 'udp',
      backends: [
        { port: a, hosts: ['127.0.0.1'] },
        { port: b, hosts: ['127.0.0.1'] },
      ],
    });
    const one = await udpClient();
    const two = await udpClient();
    expect(await one.ask(p.port, 'x')).toBe('a:x');
    expect(await two.ask(p.port, 'y')).toBe('b:y');
    expect(await one.ask(p.port, 'z')).toBe('a:z');
  });

  it('moves a client to the next backend when one refuses', async () => {
    const down = await new PortAllocator().allocate({ protocol: 'udp', hostIp: '127.0.0.1' });
    const up = await udpEcho('up:');
    const p = await proxy({
      protocol: 'udp',
      backends: [
        { port: down, hosts: ['127.0.0.1'] },
        { port: up, hosts: ['127.0.0.1'] },
      ],
    });
    const client = await udpClient();
    expect(await client.ask(p.port, 'hi')).toBe('up:hi');
  });
});
