import { describe, expect, it } from 'vitest';

import { PortAllocator } from '../../../src/engine/local/port-allocator.js';
import {
  containerPorts,
  listenPortCandidate,
  planReplicaPorts,
  replicaListenPort,
  type ExistingReplica,
} from '../../../src/engine/local/replica-ports.js';
import { parsePortSpec } from '../../../src/project/canonical/ports.js';
import type { Port, Service } from '../../../src/project/types.js';

function service(ports: string[], expose?: string[], extra: Partial<Port> = {}): Service {
  const s: Service = { ports: ports.flatMap((p) => parsePortSpec(p)).map((p) => ({ ...p, ...extra })) };
  if (expose) s.expose = expose;
  return s;
}

describe('containerPorts and the PORT candidate', () => {
  it.each([
    {
      name: 'targets of ports first',
      svc: service(['8080:80', '443'], ['9000']),
      ports: [80, 443, 9000],
      candidate: 80,
    },
    {
      name: 'expose when there are no ports',
      svc: service([], ['3000', '3001-3002/udp']),
      ports: [3000, 3001, 3002],
      candidate: 3000,
    },
    { name: 'no ports at all', svc: {}, ports: [], candidate: undefined },
    { name: 'duplicates once', svc: service(['80', '8080:80'], ['80']), ports: [80], candidate: 80 },
  ])('$name', ({ svc, ports, candidate }) => {
    expect(containerPorts(svc).map((p) => p.port)).toEqual(ports);
    expect(listenPortCandidate(svc)).toBe(candidate);
  });

  it('keeps each port with its protocol', () => {
    expect(containerPorts(service(['53/udp', '53'], ['7000/UDP']))).toEqual([
      { port: 53, protocol: 'udp' },
      { port: 53, protocol: 'tcp' },
      { port: 7000, protocol: 'udp' },
    ]);
  });
});

describe('replicaListenPort', () => {
  it('leaves replica 1 on its container port and gives the others a free port', async () => {
    const allocator = new PortAllocator();
    const web = service(['8080:80']);
    expect(await replicaListenPort(web, 1, allocator)).toBeUndefined();
    const two = await replicaListenPort(web, 2, allocator);
    const three = await replicaListenPort(web, 3, allocator);
    expect(two).toBeGreaterThan(0);
    expect(three).not.toBe(two);
    expect(allocator.isReserved(two!)).toBe(true);
  });

  it('moves replica 1 too when the plan says so, and never a service without ports', async () => {
    const allocator = new PortAllocator();
    expect(await replicaListenPort(service(['80']), 1, allocator, { relocate: true })).toBeGreaterThan(0);
    expect(await replicaListenPort({}, 2, allocator)).toBeUndefined();
  });
});

describe('planReplicaPorts: the rule', () => {
  const summary = (web: Service, count: number, existing: ExistingReplica[] = []): unknown => {
    const plan = planReplicaPorts(web, count, { serviceName: 'web', existing });
    return {
      relocateNew: plan.relocateNew,
      replicas: plan.replicas.map((r) => `${r.number}${r.isNew ? '+' : ''}${r.relocated ? ':PORT' : ''}`),
      publications: plan.publications.map((p) =>
        p.selfBoundBy !== undefined
          ? `${p.key} self(${p.selfBoundBy})`
          : `${p.key} proxy ${p.binding.hostPort || 'os'} -> ${p.backends.map((b) => b.port ?? `PORT(${b.replica})`).join(',')}`,
      ),
      warnings: plan.warnings,
    };
  };

  it.each([
    {
      name: '(a) one replica, H == C: the replica binds it itself',
      web: service(['8080:8080']),
      count: 1,
      want: { relocateNew: false, replicas: ['1+'], publications: ['0 self(1)'], warnings: [] },
    },
    {
      name: '(a) one replica, H != C: forwarded to C',
      web: service(['8080:80']),
      count: 1,
      want: { relocateNew: false, replicas: ['1+'], publications: ['0 proxy 8080 -> 80'], warnings: [] },
    },
    {
      name: '(a) one replica, no host port: a port chosen by the OS, forwarded',
      web: service(['80']),
      count: 1,
      want: { relocateNew: false, replicas: ['1+'], publications: ['0 proxy os -> 80'], warnings: [] },
    },
    {
      name: '(b) created with 3, H == C: every replica gets PORT, the proxy binds H',
      web: service(['8080:8080']),
      count: 3,
      want: {
        relocateNew: true,
        replicas: ['1+:PORT', '2+:PORT', '3+:PORT'],
        publications: ['0 proxy 8080 -> PORT(1),PORT(2),PORT(3)'],
        warnings: [],
      },
    },
    {
      name: '(b) created with 2, H != C',
      web: service(['8080:80']),
      count: 2,
      want: {
        relocateNew: true,
        replicas: ['1+:PORT', '2+:PORT'],
        publications: ['0 proxy 8080 -> PORT(1),PORT(2)'],
        warnings: [],
      },
    },
    {
      name: 'expose only: replicas move, nothing is published',
      web: service([], ['3000']),
      count: 2,
      want: { relocateNew: true, replicas: ['1+:PORT', '2+:PORT'], publications: [], warnings: [] },
    },
    {
      name: 'no container port: nothing moves',
      web: {},
      count: 3,
      want: { relocateNew: false, replicas: ['1+', '2+', '3+'], publications: [], warnings: [] },
    },
  ])('$name', ({ web, count, want }) => {
    expect(summary(web, count)).toEqual(want);
  });

  it('(c) scaling up a one-replica service with H == C warns that new replicas are unreachable', () => {
    expect(summary(service(['8080:8080']), 3, [{ number: 1 }])).toEqual({
      relocateNew: true,
      replicas: ['1', '2+:PORT', '3+:PORT'],
      publications: ['0 self(1)'],
      warnings: [
        'service "web": port 8080 is bound by web-1 itself, so new replicas are not reachable through it; run "up --force-recreate web" to balance across replicas',
      ],
    });
  });

  it('(c) scaling up with H != C balances across replica 1 and the new ones', () => {
    expect(summary(service(['8080:80']), 3, [{ number: 1 }])).toEqual({
      relocateNew: true,
      replicas: ['1', '2+:PORT', '3+:PORT'],
      publications: ['0 proxy 8080 -> 80,PORT(2),PORT(3)'],
      warnings: [],
    });
  });

  it('scaling down keeps the lowest numbers and their ports', () => {
    const plan = planReplicaPorts(service(['8080:80']), 1, {
      serviceName: 'web',
      existing: [
        { number: 3, listenPort: 40003 },
        { number: 1, listenPort: 40001 },
        { number: 2, listenPort: 40002 },
      ],
    });
    expect(plan.replicas).toEqual([{ number: 1, isNew: false, relocated: true, listenPort: 40001 }]);
    expect(plan.publications[0]!.backends).toEqual([{ replica: 1, port: 40001 }]);
  });

  it('new replicas are numbered after the highest one', () => {
    const plan = planReplicaPorts(service(['80']), 3, {
      serviceName: 'web',
      existing: [{ number: 2, listenPort: 41000 }],
    });
    expect(plan.replicas.map((r) => r.number)).toEqual([2, 3, 4]);
  });

  it('warns that a second container port cannot move', () => {
    const plan = planReplicaPorts(service(['8080:80', '9090:9090']), 2, { serviceName: 'web' });
    expect(plan.warnings).toEqual([
      'service "web": only container port 80 moves through PORT, so port 9090 is served by one replica at most; replicas share the host network',
    ]);
  });

  it('mode host publishes per replica, no balancing', () => {
    expect(summary(service(['8000-8002:80'], undefined, { mode: 'host' }), 2)).toEqual({
      relocateNew: true,
      replicas: ['1+:PORT', '2+:PORT'],
      publications: ['0@1 proxy 8000 -> PORT(1)', '0@2 proxy 8000 -> PORT(2)'],
      warnings: [],
    });
    expect(summary(service(['8080:80'], undefined, { mode: 'host' }), 2)).toMatchObject({
      publications: ['0@1 proxy 8080 -> PORT(1)'],
      warnings: [
        'service "web": port 8080 (mode: host) is published by web-1 only; give "published" a range to publish every replica',
      ],
    });
  });
});
