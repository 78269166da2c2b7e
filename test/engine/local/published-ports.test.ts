import { connect, createServer, type Server } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { PortAllocator, isPortFree } from '../../../src/engine/local/port-allocator.js';
import {
  PublishedPorts,
  planPublications,
  portBindings,
  portPublishers,
  type PublishedBinding,
} from '../../../src/engine/local/published-ports.js';
import { parsePortSpec } from '../../../src/project/canonical/ports.js';
import { ComposeError } from '../../../src/project/errors.js';
import type { Port, Service } from '../../../src/project/types.js';

/** Canonical ports from short specs. */
const portList = (...specs: string[]): Port[] =>
  specs.flatMap((spec) => parsePortSpec(spec).map((p) => ({ ...p })));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

/** A replica stand-in: answers each connection with its name. */
const replica = (name: string, port = 0): Promise<number> =>
  serve(
    createServer((s) => s.end(name)),
    port,
  );

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function published(): PublishedPorts {
  const ports = new PublishedPorts({ allocator: new PortAllocator() });
  cleanups.push(() => ports.close());
  return ports;
}

const free = (): Promise<number> => new PortAllocator().allocate();

function binding(
  hostPort: number,
  containerPort: number,
  extra: Partial<PublishedBinding> = {},
): PublishedBinding {
  return { hostIp: '127.0.0.1', hostPort, containerPort, protocol: 'tcp', mode: 'ingress', ...extra };
}

describe('portBindings', () => {
  it('turns canonical ports into bindings, one per entry', () => {
    const service: Service = {
      ports: [
        ...portList('8080:80', '127.0.0.1::5000/udp', '9000-9005:3000'),
        { mode: 'host', target: 22, published: '2222', protocol: 'tcp' },
      ],
    };
    expect(portBindings('web', service)).toEqual([
      { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', mode: 'ingress' },
      { hostIp: '127.0.0.1', hostPort: 0, containerPort: 5000, protocol: 'udp', mode: 'ingress' },
      {
        hostIp: '',
        hostPort: 9000,
        hostPortEnd: 9005,
        containerPort: 3000,
        protocol: 'tcp',
        mode: 'ingress',
      },
      { hostIp: '', hostPort: 2222, containerPort: 22, protocol: 'tcp', mode: 'host' },
    ]);
  });

  it('refuses sctp clearly', () => {
    expect(() => portBindings('web', { ports: portList('9000:9000/sctp') })).toThrow(
      new ComposeError('sctp ports are not supported without Docker', {
        keyPath: ['services', 'web', 'ports', 0],
        hint: 'use tcp or udp, or run this project with --engine docker',
      }),
    );
  });
});

describe('portPublishers', () => {
  it('lists what ps shows, with :: for all-interface ports when IPv6 is bound', () => {
    const bindings = [binding(0, 80, { hostIp: '' }), binding(0, 9000)];
    expect(portPublishers(bindings, [8080], { ipv6: true })).toEqual([
      { URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' },
      { URL: '::', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' },
      { URL: '', TargetPort: 9000, PublishedPort: 0, Protocol: 'tcp' },
    ]);
  });
});

describe('PublishedPorts', () => {
  it('(a) forwards a host port that differs from the container port', async () => {
    const container = await replica('web-1');
    const host = await free();
    const ports = published();
    const result = await ports.sync('web', [binding(host, container)], [{ number: 1 }]);
    expect(result.boundPorts.get(1)).toEqual([host]);
    expect(await ask(host)).toBe('web-1');
    expect(ports.publishers('web', 1, [binding(host, container)])).toEqual([
      { URL: '127.0.0.1', TargetPort: container, PublishedPort: host, Protocol: 'tcp' },
    ]);
  });

  it('(a) leaves a host port equal to the container port to the replica', async () => {
    const port = await free();
    const ports = published();
    const result = await ports.sync('web', [binding(port, port)], [{ number: 1 }]);
    expect(result.boundPorts.get(1)).toEqual([port]);
    expect(await isPortFree(port)).toBe(true); // berth did not bind it: the replica will
    await replica('self', port);
    expect(await ask(port)).toBe('self');
  });

  it('(b) balances one published port across every replica', async () => {
    const listen = await Promise.all(['web-1', 'web-2', 'web-3'].map((n) => replica(n)));
    const host = await free();
    const ports = published();
    const replicas = listen.map((listenPort, i) => ({ number: i + 1, listenPort }));
    const result = await ports.sync('web', [binding(host, host)], replicas);
    expect([...result.boundPorts.values()]).toEqual([[host], [host], [host]]);
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(host));
    expect(answers.sort()).toEqual(['web-1', 'web-1', 'web-2', 'web-2', 'web-3', 'web-3']);
  });

  it('(c) warns once when replica 1 binds the published port itself', async () => {
    const port = await free();
    const ports = published();
    const first = await ports.sync(
      'web',
      [binding(port, port)],
      [{ number: 1 }, { number: 2, listenPort: 45000 }],
    );
    expect(first.warnings).toEqual([
      `service "web": port ${port} is bound by web-1 itself, so new replicas are not reachable through it; run "up --force-recreate web" to balance across replicas`,
    ]);
    expect(first.boundPorts.get(2)).toEqual([]);
    const again = await ports.sync(
      'web',
      [binding(port, port)],
      [{ number: 1 }, { number: 2, listenPort: 45000 }],
    );
    expect(again.warnings).toEqual([]);
  });

  it('adds replicas to a running proxy without rebinding it', async () => {
    const one = await replica('web-1');
    const two = await replica('web-2');
    const host = await free();
    const ports = published();
    const bindings = [binding(host, one)];
    await ports.sync('web', bindings, [{ number: 1 }]);
    expect(await ask(host)).toBe('web-1');
    await ports.sync('web', bindings, [{ number: 1 }, { number: 2, listenPort: two }]);
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) answers.add(await ask(host));
    expect([...answers].sort()).toEqual(['web-1', 'web-2']);
  });

  it('fails clearly when the host port is taken, and binds nothing', async () => {
    const taken = await replica('someone else');
    const other = await free();
    const ports = published();
    const error = await ports
      .sync('web', [binding(other, 80), binding(taken, 80, { hostIp: '' })], [{ number: 1 }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as Error).message).toBe(
      `service "web": port ${taken} is already in use (bind 0.0.0.0:${taken}: EADDRINUSE); choose another host port in "ports"`,
    );
    expect(await isPortFree(other)).toBe(true);
  });

  it('takes the next port of a range when the first is taken', async () => {
    const allocator = new PortAllocator();
    let start = 0;
    for (let i = 0; i < 20 && start === 0; i++) {
      const p = await allocator.allocate({ hostIp: '127.0.0.1' });
      if (p < 65535 && (await isPortFree(p + 1, { hostIp: '127.0.0.1' }))) start = p;
    }
    expect(start).toBeGreaterThan(0);
    await replica('blocker', start);
    const container = await replica('web-1');
    const ports = published();
    const result = await ports.sync(
      'web',
      [binding(start, container, { hostPortEnd: start + 1 })],
      [{ number: 1 }],
    );
    expect(result.boundPorts.get(1)).toEqual([start + 1]);
    expect(await ask(start + 1)).toBe('web-1');
  });

  it('closes the proxy when no replica is left, and keeps an OS-chosen port for the next start', async () => {
    const container = await replica('web-1');
    const ports = published();
    const bindings = [binding(0, container)];
    const first = (await ports.sync('web', bindings, [{ number: 1 }])).boundPorts.get(1)![0]!;
    expect(first).toBeGreaterThan(0);
    await ports.sync('web', bindings, []);
    expect(await isPortFree(first, { hostIp: '127.0.0.1' })).toBe(true);
    const second = (await ports.sync('web', bindings, [{ number: 1 }])).boundPorts.get(1)![0]!;
    expect(second).toBe(first);
    expect(await ask(second)).toBe('web-1');
  });

  it('publishes on all interfaces by default', async () => {
    const container = await replica('web-1');
    const ports = published();
    const bindings = [binding(0, container, { hostIp: '' })];
    const host = (await ports.sync('web', bindings, [{ number: 1 }])).boundPorts.get(1)![0]!;
    expect(await ask(host)).toBe('web-1');
    expect(ports.publishers('web', 1, bindings)[0]).toEqual({
      URL: '0.0.0.0',
      TargetPort: container,
      PublishedPort: host,
      Protocol: 'tcp',
    });
  });
});

describe('planPublications with isolated networking (replicas carry their address)', () => {
  const at = (number: number): { number: number; address: string } => ({
    number,
    address: `10.201.0.${number + 1}`,
  });

  it('ingress: one publication, balanced over every replica at its address and container port', () => {
    // Even a host port equal to the container port goes through the proxy: replicas listen elsewhere.
    const plan = planPublications('web', [binding(9000, 9000)], [at(3), at(1), at(2)]);
    expect(plan).toEqual({
      publications: [
        {
          key: '0',
          index: 0,
          binding: binding(9000, 9000),
          backends: [
            { replica: 1, port: 9000, address: '10.201.0.2' },
            { replica: 2, port: 9000, address: '10.201.0.3' },
            { replica: 3, port: 9000, address: '10.201.0.4' },
          ],
          members: [1, 2, 3],
        },
      ],
      warnings: [],
    });
  });

  it('every binding is published, with its own container port', () => {
    const plan = planPublications(
      'web',
      [binding(0, 80), binding(8443, 443, { protocol: 'udp' })],
      [at(1), at(2)],
    );
    expect(
      plan.publications.map((p) => [p.key, p.index, p.backends.map((b) => `${b.address!}:${b.port!}`)]),
    ).toEqual([
      ['0', 0, ['10.201.0.2:80', '10.201.0.3:80']],
      ['1', 1, ['10.201.0.2:443', '10.201.0.3:443']],
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('mode host with a range: one publication per replica', () => {
    const ranged = binding(8000, 80, { mode: 'host', hostPortEnd: 8005 });
    const plan = planPublications('web', [ranged], [at(1), at(2)]);
    expect(plan.publications.map((p) => [p.key, p.members, p.backends])).toEqual([
      ['0@1', [1], [{ replica: 1, port: 80, address: '10.201.0.2' }]],
      ['0@2', [2], [{ replica: 2, port: 80, address: '10.201.0.3' }]],
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('mode host with a fixed port: the first replica only, and one warning', () => {
    const fixed = binding(8080, 80, { mode: 'host' });
    const plan = planPublications('web', [fixed], [at(2), at(3), at(4)]);
    expect(plan.publications.map((p) => [p.key, p.members])).toEqual([['0@2', [2]]]);
    expect(plan.warnings).toEqual([
      'service "web": port 8080 (mode: host) is published by web-2 only; give "published" a range to publish every replica',
    ]);
  });

  it('a replica without an address (sharing another’s network) is left out', () => {
    const plan = planPublications('web', [binding(0, 80)], [at(1), { number: 2 }]);
    expect(plan.publications[0]!.members).toEqual([1]);
    expect(plan.publications[0]!.backends).toEqual([{ replica: 1, port: 80, address: '10.201.0.2' }]);
  });
});

describe('PublishedPorts with isolated networking', () => {
  /** A replica stand-in on its own loopback address (any 127/8 address is local on Linux). */
  async function replicaAt(address: string, name: string, port: number): Promise<void> {
    const server = createServer((s) => s.end(name));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, resolve);
    });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  }

  it('balances one host port over replicas that all listen on the same port, each at its address', async () => {
    const port = await free();
    await replicaAt('127.0.0.2', 'web-1', port);
    await replicaAt('127.0.0.3', 'web-2', port);
    const ports = published();
    const bindings = [binding(0, port)];
    const result = await ports.sync('web', bindings, [
      { number: 1, address: '127.0.0.2' },
      { number: 2, address: '127.0.0.3' },
    ]);
    const host = result.boundPorts.get(1)![0]!;
    expect(host).toBeGreaterThan(0);
    expect(result.boundPorts.get(2)).toEqual([host]);
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(host));
    expect(answers.sort()).toEqual(['web-1', 'web-1', 'web-2', 'web-2']);

    // A replica that stops leaves the proxy, which keeps its host port.
    const again = await ports.sync('web', bindings, [{ number: 2, address: '127.0.0.3' }]);
    expect(again.boundPorts.get(2)).toEqual([host]);
    for (let i = 0; i < 3; i++) expect(await ask(host)).toBe('web-2');
  });
});
