import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import {
  PortAllocator,
  assertPortFree,
  isPortFree,
  portInUseError,
  probePort,
} from '../../../src/engine/local/port-allocator.js';
import { ComposeError } from '../../../src/project/errors.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function hold(port: number, host: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

describe('PortAllocator', () => {
  it('hands out free ports, never the same one twice while reserved', async () => {
    const allocator = new PortAllocator();
    const a = await allocator.allocate();
    const b = await allocator.allocate();
    expect(a).toBeGreaterThan(0);
    expect(b).not.toBe(a);
    expect(allocator.isReserved(a)).toBe(true);
    expect(await isPortFree(a)).toBe(true);
    await hold(a, '0.0.0.0'); // the port really is bindable
    allocator.release(a);
    expect(allocator.isReserved(a)).toBe(false);
  });

  it('takes the first free port of a range', async () => {
    const allocator = new PortAllocator();
    const port = await new PortAllocator().allocate();
    const server = await hold(port, '0.0.0.0');
    expect(await allocator.allocateInRange(port, port)).toBeUndefined();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await allocator.allocateInRange(port, port)).toBe(port);
    // Reserved now: asking again finds nothing.
    expect(await allocator.allocateInRange(port, port)).toBeUndefined();
  });

  it('never hands out avoided ports', async () => {
    const probe = await new PortAllocator().allocate();
    const allocator = new PortAllocator({ avoid: [probe] });
    expect(await allocator.allocateInRange(probe, probe)).toBeUndefined();
  });

  it('allocates udp ports', async () => {
    const port = await new PortAllocator().allocate({ protocol: 'udp', hostIp: '127.0.0.1' });
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
    expect(await isPortFree(port, { protocol: 'udp', hostIp: '127.0.0.1' })).toBe(false);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  });
});

describe('probePort and the "port already taken" error', () => {
  it('sees a port taken on all interfaces', async () => {
    const port = await new PortAllocator().allocate();
    await hold(port, '0.0.0.0');
    expect(await probePort(port)).toEqual({ free: false, code: 'EADDRINUSE', address: `0.0.0.0:${port}` });
  });

  it('sees a port taken on loopback only as taken for all interfaces', async () => {
    const port = await new PortAllocator().allocate();
    await hold(port, '127.0.0.1');
    expect(await isPortFree(port)).toBe(false);
  });

  it('assertPortFree throws a ComposeError naming service, port and fix', async () => {
    const port = await new PortAllocator().allocate();
    await hold(port, '0.0.0.0');
    const error = await assertPortFree('web', port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).message).toBe(
      `service "web": port ${port} is already in use (bind 0.0.0.0:${port}: EADDRINUSE); choose another host port in "ports"`,
    );
  });

  it('explains privileged ports and foreign addresses', () => {
    expect(portInUseError('web', 80, '0.0.0.0:80', 'EACCES').message).toBe(
      'service "web": port 80 cannot be bound (bind 0.0.0.0:80: EACCES); ports below 1024 need privileges; choose a host port of 1024 or more in "ports"',
    );
    expect(
      portInUseError('web', 8080, '10.9.9.9:8080', 'EADDRNOTAVAIL', ['services', 'web', 'ports', 0]).message,
    ).toBe(
      'services.web.ports[0]: service "web": port 8080 cannot be bound (bind 10.9.9.9:8080: EADDRNOTAVAIL); the host_ip is not an address of this machine; fix host_ip in "ports"',
    );
  });
});
