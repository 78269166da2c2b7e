/**
 * planContainerNetwork: how a container is networked in isolated mode, decided at creation. Pure:
 * networks and taken addresses are given as data.
 */
import { describe, expect, it } from 'vitest';

import type { ContainerCreateRequest } from '../../../../src/engine/types.js';
import { vethName } from '../../../../src/engine/local/network/bridge.js';
import { planContainerNetwork } from '../../../../src/engine/local/network/network-plan.js';
import type { RealizedNetwork } from '../../../../src/engine/local/network/types.js';
import { ComposeError } from '../../../../src/project/errors.js';
import type { Service } from '../../../../src/project/types.js';

const ID = 'c0ffee'.repeat(10) + 'abcd';

const front: RealizedNetwork = {
  name: 'p_front',
  bridge: 'bth-00000000001',
  subnet: '10.201.1.0/24',
  gateway: '10.201.1.1',
  internal: false,
};
const back: RealizedNetwork = {
  name: 'p_back',
  bridge: 'bth-00000000002',
  subnet: '10.201.2.0/24',
  gateway: '10.201.2.1',
  internal: false,
};
const hidden: RealizedNetwork = {
  name: 'p_hidden',
  bridge: 'bth-00000000003',
  subnet: '10.201.3.0/24',
  internal: true,
};

function request(
  service: Service,
  networkNames: Record<string, string>,
  serviceName = 'web',
): ContainerCreateRequest {
  return {
    project: { name: 'p', workingDir: '/w', configFiles: [] },
    serviceName,
    service,
    networkNames,
    volumeNames: {},
    secrets: {},
    configs: {},
    name: `p-${serviceName}-1`,
    number: 1,
    oneoff: false,
    labels: {},
  };
}

interface Options {
  networks?: RealizedNetwork[];
  used?: Record<string, string[]>;
  id?: string;
}

function plan(service: Service, networkNames: Record<string, string>, options: Options = {}) {
  const networks = options.networks ?? [front, back, hidden];
  return planContainerNetwork({
    request: request(service, networkNames),
    containerId: options.id ?? ID,
    hostname: 'box',
    network: (name) => networks.find((n) => n.name === name),
    usedAddresses: (name) => new Set(options.used?.[name] ?? []),
  });
}

function failure(run: () => unknown): ComposeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return error as ComposeError;
  }
  throw new Error('expected a ComposeError');
}

describe('planContainerNetwork: network_mode', () => {
  it.each([
    ['none', { mode: 'none' }],
    ['host', { mode: 'host' }],
    ['service:db', { mode: 'join', join: { service: 'db' } }],
    ['container:p-db-1', { mode: 'join', join: { container: 'p-db-1' } }],
    ['container:0123abcd', { mode: 'join', join: { container: '0123abcd' } }],
  ])('%s: no interfaces of its own', (networkMode, expected) => {
    const result = plan({ network_mode: networkMode }, {});
    expect(result).toMatchObject(expected);
    expect(result.endpoints).toEqual([]);
    expect(result.aliases).toEqual({});
    expect(result.hostname).toBe('box');
  });

  it('a network_mode naming a project network attaches to that network', () => {
    const result = plan({ network_mode: 'back' }, { back: 'p_back' });
    expect(result.mode).toBe('networks');
    expect(result.endpoints.map((e) => [e.network, e.ifname, e.address])).toEqual([
      ['p_back', 'eth0', '10.201.2.2'],
    ]);
  });

  it("refuses network_mode bridge (Docker's default network), naming the service and key", () => {
    const error = failure(() => plan({ network_mode: 'bridge' }, {}));
    expect(error.problem).toContain('network_mode "bridge"');
    expect(error.problem).toContain('"web"');
    expect(error.keyPath).toEqual(['services', 'web', 'network_mode']);
  });

  it('keeps links and extra_hosts whatever the mode', () => {
    const result = plan(
      { network_mode: 'host', links: ['db', 'cache:c', 'queue:'], extra_hosts: { a: ['1.2.3.4'] } },
      {},
    );
    expect(result.links).toEqual([
      { service: 'db', alias: 'db' },
      { service: 'cache', alias: 'c' },
      { service: 'queue', alias: 'queue' },
    ]);
    expect(result.extraHosts).toEqual([{ host: 'a', address: '1.2.3.4' }]);
  });
});

describe('planContainerNetwork: interfaces', () => {
  it('orders interfaces by priority (highest first), then by network key', () => {
    const result = plan(
      { networks: { back: null, front: null, hidden: { priority: 10 } } },
      { back: 'p_back', front: 'p_front', hidden: 'p_hidden' },
    );
    expect(result.mode).toBe('networks');
    expect(result.endpoints.map((e) => [e.ifname, e.network])).toEqual([
      ['eth0', 'p_hidden'],
      ['eth1', 'p_back'],
      ['eth2', 'p_front'],
    ]);
  });

  it('gives each interface its bridge, prefix length and host veth name', () => {
    const result = plan({ networks: { front: null, back: null } }, { front: 'p_front', back: 'p_back' });
    expect(result.endpoints).toEqual([
      {
        network: 'p_back',
        bridge: back.bridge,
        ifname: 'eth0',
        hostVeth: vethName(ID, 0),
        address: '10.201.2.2',
        prefixLength: 24,
      },
      {
        network: 'p_front',
        bridge: front.bridge,
        ifname: 'eth1',
        hostVeth: vethName(ID, 1),
        address: '10.201.1.2',
        prefixLength: 24,
      },
    ]);
    const veths = result.endpoints.map((e) => e.hostVeth);
    expect(veths.every((name) => /^bve-[0-9a-f]{11}$/.test(name))).toBe(true);
    const other = plan({ networks: { front: null } }, { front: 'p_front' }, { id: 'f'.repeat(64) });
    expect(veths).not.toContain(other.endpoints[0]!.hostVeth);
  });

  // No default route: the host does not forward, so a route out would only make connections hang.
  it('gives no interface a default route, internal or not', () => {
    const result = plan(
      { networks: { hidden: { priority: 5 }, front: null, back: null } },
      { hidden: 'p_hidden', front: 'p_front', back: 'p_back' },
    );
    expect(result.endpoints.map((e) => e.defaultGateway)).toEqual([undefined, undefined, undefined]);
  });

  it('keeps network aliases per engine network name', () => {
    const result = plan(
      { networks: { front: { aliases: ['www', 'site'] }, back: null } },
      { front: 'p_front', back: 'p_back' },
    );
    expect(result.aliases).toEqual({ p_front: ['www', 'site'], p_back: [] });
  });

  it('refuses a network that does not exist, naming it, the service and the key path', () => {
    const error = failure(() => plan({ networks: { gone: null } }, { gone: 'p_gone' }));
    expect(error.problem).toContain('p_gone');
    expect(error.problem).toContain('"web"');
    expect(error.keyPath).toEqual(['services', 'web', 'networks', 'gone']);
    expect(error.hint).toBeTruthy();
  });
});

describe('planContainerNetwork: addresses', () => {
  const cases: {
    name: string;
    network: RealizedNetwork;
    used?: string[];
    expected: string;
  }[] = [
    { name: 'the first host address after the gateway', network: front, expected: '10.201.1.2' },
    {
      name: 'the lowest address not taken',
      network: front,
      used: ['10.201.1.2', '10.201.1.3', '10.201.1.5'],
      expected: '10.201.1.4',
    },
    {
      name: 'the first host address on an internal network (no gateway)',
      network: hidden,
      expected: '10.201.3.1',
    },
    {
      name: 'a gateway given in ipam is skipped, not .1',
      network: { ...front, gateway: '10.201.1.2' },
      expected: '10.201.1.1',
    },
    {
      name: 'aux_addresses are never given',
      network: { ...front, reserved: ['10.201.1.2', '10.201.1.3'] },
      expected: '10.201.1.4',
    },
    {
      name: 'ip_range: only from that part of the subnet',
      network: { ...front, ipRange: '10.201.1.128/25' },
      used: ['10.201.1.128'],
      expected: '10.201.1.129',
    },
  ];
  it.each(cases)('$name', ({ network, used, expected }) => {
    const result = plan(
      { networks: { n: null } },
      { n: network.name },
      { networks: [network], used: { [network.name]: used ?? [] } },
    );
    expect(result.endpoints[0]!.address).toBe(expected);
  });

  it('honours ipv4_address, even outside ip_range', () => {
    const result = plan(
      { networks: { front: { ipv4_address: '10.201.1.77' } } },
      { front: 'p_front' },
      { networks: [{ ...front, ipRange: '10.201.1.128/25' }] },
    );
    expect(result.endpoints[0]!.address).toBe('10.201.1.77');
  });

  const refused: {
    name: string;
    address: string;
    network?: RealizedNetwork;
    used?: string[];
    problem: RegExp;
  }[] = [
    { name: 'outside the subnet', address: '10.9.9.9', problem: /not in the subnet 10\.201\.1\.0\/24/ },
    { name: 'the gateway', address: '10.201.1.1', problem: /already in use/ },
    {
      name: 'taken by another container',
      address: '10.201.1.9',
      used: ['10.201.1.9'],
      problem: /already in use/,
    },
    {
      name: 'an aux address',
      address: '10.201.1.9',
      network: { ...front, reserved: ['10.201.1.9'] },
      problem: /already in use/,
    },
  ];
  it.each(refused)('refuses an ipv4_address $name, with its key path and a hint', (c) => {
    const network = c.network ?? front;
    const error = failure(() =>
      plan(
        { networks: { front: { ipv4_address: c.address } } },
        { front: 'p_front' },
        { networks: [network], used: { p_front: c.used ?? [] } },
      ),
    );
    expect(error.problem).toMatch(c.problem);
    expect(error.problem).toContain('p_front');
    expect(error.keyPath).toEqual(['services', 'web', 'networks', 'front', 'ipv4_address']);
    expect(error.hint).toBeTruthy();
  });

  it('refuses an ipv4_address that is not an address, naming the network and the key path', () => {
    const error = failure(() =>
      plan({ networks: { front: { ipv4_address: 'db.local' } } }, { front: 'p_front' }),
    );
    expect(error.problem).toContain('db.local');
    expect(error.problem).toContain('p_front');
    expect(error.keyPath).toEqual(['services', 'web', 'networks', 'front', 'ipv4_address']);
    expect(error.hint).toBeTruthy();
  });

  // Docker refuses these: the network and broadcast addresses are no host's.
  it.each(['10.201.1.0', '10.201.1.255'])(
    'refuses the network or broadcast address as ipv4_address (%s)',
    (address) => {
      const error = failure(() =>
        plan({ networks: { front: { ipv4_address: address } } }, { front: 'p_front' }),
      );
      expect(error.problem).toContain(address);
      expect(error.keyPath).toEqual(['services', 'web', 'networks', 'front', 'ipv4_address']);
      expect(error.hint).toMatch(/10\.201\.1\.1 to 10\.201\.1\.254/);
    },
  );

  it('never hands out the broadcast address of a full subnet', () => {
    const tiny: RealizedNetwork = { ...front, subnet: '10.201.1.0/30', gateway: '10.201.1.1' };
    const result = plan({ networks: { n: null } }, { n: 'p_front' }, { networks: [tiny] });
    expect(result.endpoints[0]!.address).toBe('10.201.1.2');
    const error = failure(() =>
      plan(
        { networks: { n: null } },
        { n: 'p_front' },
        { networks: [tiny], used: { p_front: ['10.201.1.2'] } },
      ),
    );
    expect(error.problem).toMatch(/p_front \(10\.201\.1\.0\/30\) has no free address left/);
    expect(error.hint).toBeTruthy();
  });

  it('says which service and key path found a network full', () => {
    const tiny: RealizedNetwork = { ...front, subnet: '10.201.1.0/30', gateway: '10.201.1.1' };
    const error = failure(() =>
      plan(
        { networks: { n: null } },
        { n: 'p_front' },
        { networks: [tiny], used: { p_front: ['10.201.1.2'] } },
      ),
    );
    expect(error.keyPath).toEqual(['services', 'web', 'networks', 'n']);
    expect(error.problem).toContain('"web"');
  });
});

describe('planContainerNetwork: extra_hosts', () => {
  it('lists every address of every host, in order', () => {
    const result = plan(
      { networks: { front: null }, extra_hosts: { db: ['10.0.0.5', '10.0.0.6'], api: ['10.0.0.7'] } },
      { front: 'p_front' },
    );
    expect(result.extraHosts).toEqual([
      { host: 'db', address: '10.0.0.5' },
      { host: 'db', address: '10.0.0.6' },
      { host: 'api', address: '10.0.0.7' },
    ]);
  });

  it.each([
    ['the first network in order that has a gateway', { hidden: { priority: 9 }, back: null }, '10.201.2.1'],
    ['loopback when no network has a gateway', { hidden: null }, '127.0.0.1'],
  ])('host-gateway is %s', (_, networks, expected) => {
    const names = Object.fromEntries(Object.keys(networks).map((k) => [k, `p_${k}`]));
    const result = plan({ networks, extra_hosts: { 'host.docker.internal': ['host-gateway'] } }, names);
    expect(result.extraHosts).toEqual([{ host: 'host.docker.internal', address: expected }]);
  });
});
