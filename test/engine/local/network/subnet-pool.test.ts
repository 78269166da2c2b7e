import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ip } from '../../../../src/engine/local/network/ip-command.js';
import { cidrsOverlap } from '../../../../src/engine/local/network/ipv4.js';
import {
  allocateSubnet,
  claimSubnet,
  ipamSubnet,
  listSubnetClaims,
  readHostRouteEntries,
  readHostRoutes,
  releaseBridgeClaims,
  releaseSubnet,
} from '../../../../src/engine/local/network/subnet-pool.js';
import type { Network } from '../../../../src/project/types.js';
import { ComposeError } from '../../../../src/project/errors.js';
import { describeIsolated } from '../../../support/isolation.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function claimsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-claims-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * A /20 pool picked at random in 10.200.0.0/13 (16 /24s) that no host route touches yet, so that
 * parallel test files rarely meet and expectations about its first subnets hold.
 */
async function randomPool(): Promise<{ pool: string; first: string; second: string }> {
  const routes = await readHostRoutes();
  for (;;) {
    const second = 200 + randomInt(8);
    const third = randomInt(16) * 16;
    const pool = `10.${second}.${third}.0/20`;
    if (routes.some((route) => cidrsOverlap(route, pool))) continue;
    return { pool, first: `10.${second}.${third}.0/24`, second: `10.${second}.${third + 1}.0/24` };
  }
}

/** A bridge holding `address` (so that the host routes its subnet), deleted after the test. */
async function routedBridge(address: string): Promise<string> {
  const name = `bth-t${hex(5)}`;
  cleanups.push(async () => {
    await ip(['link', 'del', 'dev', name]).catch(() => undefined);
  });
  await ip(['link', 'add', 'name', name, 'type', 'bridge']);
  await ip(['address', 'add', address, 'dev', name]);
  await ip(['link', 'set', 'dev', name, 'up']);
  return name;
}

function deadPid(): number {
  const child = spawnSync('/bin/true');
  return child.pid;
}

async function claimFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
}

async function rejection(promise: Promise<unknown>): Promise<ComposeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describeIsolated('host routes', () => {
  it('lists every routed prefix of every table, without default', async () => {
    const { first } = await randomPool();
    const bridge = await routedBridge(first.replace('.0/24', '.1/24'));
    const entries = await readHostRouteEntries();
    expect(entries).toContainEqual(expect.objectContaining({ dst: first, dev: bridge }));
    // the local table's entry for the bridge's own address
    expect(entries).toContainEqual(
      expect.objectContaining({
        dst: first.replace('.0/24', '.1/32'),
        dev: bridge,
        type: 'local',
        table: 'local',
      }),
    );
    const routes = await readHostRoutes();
    expect(routes).toContain(first);
    expect(routes.some((route) => route.endsWith('/0'))).toBe(false);
    expect(new Set(routes).size).toBe(routes.length);
  });
});

describeIsolated('subnet allocation', () => {
  it('allocates the first subnet of the pool that no host route uses, and records the claim', async () => {
    const dir = await claimsDir();
    const { pool, first } = await randomPool();
    await routedBridge(first.replace('.0/24', '.1/24'));
    const bridge = `bth-${hex(5)}x`;
    const subnet = await allocateSubnet({ claimsDir: dir, pool, bridge, owner: 'berth:test:one' });
    expect(subnet).not.toBe(first);
    expect(cidrsOverlap(subnet, pool)).toBe(true);
    for (const route of await readHostRoutes()) expect(cidrsOverlap(subnet, route)).toBe(false);
    const file = subnet.replace('/', '_');
    expect(await claimFiles(dir)).toEqual([file]);
    expect(JSON.parse(await readFile(join(dir, file), 'utf8'))).toEqual({
      subnet,
      pid: process.pid,
      bridge,
      owner: 'berth:test:one',
    });
  });

  it('gives concurrent callers different subnets', async () => {
    const dir = await claimsDir();
    const { pool } = await randomPool();
    const bridges = [0, 1, 2, 3].map((i) => `bth-${hex(5)}${i}`);
    const subnets = await Promise.all(
      bridges.map((bridge) =>
        allocateSubnet({ claimsDir: dir, pool, bridge, owner: `berth:test:${bridge}` }),
      ),
    );
    expect(new Set(subnets).size).toBe(4);
    const claims = await listSubnetClaims(dir);
    expect(claims.map((claim) => claim.bridge).sort()).toEqual([...bridges].sort());
    expect(claims.every((claim) => claim.alive)).toBe(true);
  });

  it('gives a bridge the subnet it already holds', async () => {
    const dir = await claimsDir();
    const { pool } = await randomPool();
    const options = { claimsDir: dir, pool, bridge: `bth-${hex(5)}a`, owner: 'berth:test:again' };
    const subnet = await allocateSubnet(options);
    await allocateSubnet({ ...options, bridge: `bth-${hex(5)}b` });
    expect(await allocateSubnet({ ...options, pid: process.pid })).toBe(subnet);
    expect(await claimFiles(dir)).toHaveLength(2);
  });

  it('takes over a claim whose process is gone, and skips a live one', async () => {
    const dir = await claimsDir();
    const { pool } = await randomPool();
    const probe = `bth-${hex(5)}p`;
    const free = await allocateSubnet({ claimsDir: dir, pool, bridge: probe, owner: 'probe' });
    await releaseSubnet(free, { claimsDir: dir, bridge: probe });
    const file = join(dir, free.replace('/', '_'));
    await writeFile(
      file,
      JSON.stringify({ subnet: free, pid: deadPid(), bridge: 'bth-gone0000000', owner: 'gone' }),
    );

    const bridge = `bth-${hex(5)}t`;
    expect(await allocateSubnet({ claimsDir: dir, pool, bridge, owner: 'taker' })).toBe(free);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      pid: process.pid,
      bridge,
      owner: 'taker',
    });

    // held by a live process (this one) for another bridge: skipped
    const other = await allocateSubnet({ claimsDir: dir, pool, bridge: `bth-${hex(5)}u`, owner: 'other' });
    expect(other).not.toBe(free);
  });

  it('counts a claim written before its pid started as stale (pid reused)', async () => {
    const dir = await claimsDir();
    const { pool } = await randomPool();
    const probe = `bth-${hex(5)}p`;
    const free = await allocateSubnet({ claimsDir: dir, pool, bridge: probe, owner: 'probe' });
    await releaseSubnet(free, { claimsDir: dir, bridge: probe });
    const file = join(dir, free.replace('/', '_'));
    await writeFile(
      file,
      JSON.stringify({ subnet: free, pid: process.pid, bridge: 'bth-old00000000', owner: 'old' }),
    );
    const longAgo = new Date(Date.now() - 365 * 24 * 3600 * 1000);
    await utimes(file, longAgo, longAgo);
    expect(await allocateSubnet({ claimsDir: dir, pool, bridge: `bth-${hex(5)}n`, owner: 'new' })).toBe(free);
  });

  it('says so when the pool is exhausted', async () => {
    const dir = await claimsDir();
    const { first } = await randomPool();
    const pool = first.replace('/24', '/25'); // two /26s
    await allocateSubnet({ claimsDir: dir, pool, prefixLength: 26, bridge: `bth-${hex(5)}1`, owner: 'a' });
    await allocateSubnet({ claimsDir: dir, pool, prefixLength: 26, bridge: `bth-${hex(5)}2`, owner: 'b' });
    const error = await rejection(
      allocateSubnet({ claimsDir: dir, pool, prefixLength: 26, bridge: `bth-${hex(5)}3`, owner: 'c' }),
    );
    expect(error.problem).toBe(
      `no free /26 subnet left in berth's pool ${pool}: each one overlaps a host route or another berth network`,
    );
    expect(error.hint).toContain('ipam');
  });
});

describeIsolated('claiming an ipam subnet', () => {
  it('refuses a subnet a host route uses, naming the route and its device', async () => {
    const dir = await claimsDir();
    const { first } = await randomPool();
    const device = await routedBridge(first.replace('.0/24', '.1/24'));
    const wide = first.replace(/\.\d+\.0\/24$/, '.0.0/16');
    const error = await rejection(
      claimSubnet(wide, { claimsDir: dir, bridge: `bth-${hex(5)}c`, owner: 'c' }),
    );
    expect(error.problem).toMatch(new RegExp(`^subnet ${wide} overlaps the host route [\\d.]+/\\d+ on `));
    if (error.problem.includes(device)) expect(error.hint).toContain(`ip link del ${device}`);
    expect(await claimFiles(dir)).toEqual([]);
  });

  it('ignores the routes of the claiming bridge itself (an engine that restarted)', async () => {
    const dir = await claimsDir();
    const { first } = await randomPool();
    const bridge = await routedBridge(first.replace('.0/24', '.1/24'));
    await claimSubnet(first, { claimsDir: dir, bridge, owner: 'me' });
    expect(await claimFiles(dir)).toEqual([first.replace('/', '_')]);
  });

  it('refuses a subnet overlapping another live berth network, and is idempotent for its holder', async () => {
    const dir = await claimsDir();
    const { pool, first } = await randomPool();
    const holder = { claimsDir: dir, bridge: `bth-${hex(5)}h`, owner: 'berth:abc:back' };
    await claimSubnet(pool, holder);
    await claimSubnet(pool, holder);
    const error = await rejection(
      claimSubnet(first, { claimsDir: dir, bridge: `bth-${hex(5)}o`, owner: 'other' }),
    );
    expect(error.problem).toBe(
      `subnet ${first} overlaps ${pool} of another berth network (berth:abc:back, bridge ${holder.bridge}, pid ${process.pid})`,
    );
    expect(await claimFiles(dir)).toEqual([pool.replace('/', '_')]);

    // allocation from an overlapping pool stays clear of it too
    const wide = pool.replace(/\.\d+\.0\/20$/, '.0.0/16');
    const allocated = await allocateSubnet({
      claimsDir: dir,
      pool: wide,
      bridge: `bth-${hex(5)}w`,
      owner: 'w',
    });
    expect(cidrsOverlap(allocated, pool)).toBe(false);
  });

  it('moves a bridge to its new subnet, dropping the old claim', async () => {
    const dir = await claimsDir();
    const { first, second } = await randomPool();
    const options = { claimsDir: dir, bridge: `bth-${hex(5)}m`, owner: 'm' };
    await claimSubnet(first, options);
    await claimSubnet(second, options);
    expect(await claimFiles(dir)).toEqual([second.replace('/', '_')]);
  });

  it('releases only its own claims', async () => {
    const dir = await claimsDir();
    const { first, second } = await randomPool();
    const mine = { claimsDir: dir, bridge: `bth-${hex(5)}r`, owner: 'r' };
    await claimSubnet(first, mine);
    await claimSubnet(second, { ...mine, bridge: `bth-${hex(5)}s` });
    await releaseSubnet(second, mine);
    expect(await claimFiles(dir)).toHaveLength(2);
    await releaseSubnet(first, mine);
    expect(await claimFiles(dir)).toEqual([second.replace('/', '_')]);
    await releaseSubnet(first, mine); // already gone: fine
    expect(await releaseBridgeClaims(`bth-nobody00000`, { claimsDir: dir })).toEqual([]);
  });

  it('releases every claim of a bridge', async () => {
    const dir = await claimsDir();
    const { first } = await randomPool();
    const bridge = `bth-${hex(5)}z`;
    await claimSubnet(first, { claimsDir: dir, bridge, owner: 'z' });
    expect(await releaseBridgeClaims(bridge, { claimsDir: dir })).toEqual([first]);
    expect(await claimFiles(dir)).toEqual([]);
  });
});

describe('ipam config', () => {
  const network = (config: NonNullable<Network['ipam']>['config']): Network => ({
    name: 'p_back',
    ipam: { config },
  });
  const errorOf = (definition: Network): ComposeError => {
    try {
      ipamSubnet(definition, 'back');
    } catch (error) {
      if (error instanceof ComposeError) return error;
      throw error;
    }
    throw new Error('expected a ComposeError');
  };

  it('takes the first IPv4 entry, with the gateway defaulting to .1', () => {
    expect(ipamSubnet(network([{ subnet: 'fd00:1::/64' }, { subnet: '10.201.7.0/24' }]), 'back')).toEqual({
      subnet: '10.201.7.0/24',
      gateway: '10.201.7.1',
      auxAddresses: {},
    });
    expect(
      ipamSubnet(
        network([
          {
            subnet: '172.28.0.0/16',
            ip_range: '172.28.5.0/24',
            gateway: '172.28.5.254',
            aux_addresses: { host1: '172.28.1.5' },
          },
          { subnet: '10.9.0.0/24' },
        ]),
        'back',
      ),
    ).toEqual({
      subnet: '172.28.0.0/16',
      gateway: '172.28.5.254',
      ipRange: '172.28.5.0/24',
      auxAddresses: { host1: '172.28.1.5' },
    });
  });

  it('is undefined without an IPv4 subnet', () => {
    expect(ipamSubnet({ name: 'p_default' }, 'default')).toBeUndefined();
    expect(ipamSubnet(network([{}]), 'back')).toBeUndefined();
    expect(ipamSubnet(network([{ subnet: 'fd00::/64', gateway: 'fd00::1' }]), 'back')).toBeUndefined();
  });

  it.each([
    [
      [{ subnet: '10.201.7.1/24' }],
      'networks.back.ipam.config[0].subnet: invalid subnet "10.201.7.1/24": host bits are set',
    ],
    [[{ subnet: 'nonsense' }], 'networks.back.ipam.config[0].subnet: invalid subnet "nonsense"'],
    [
      [{ subnet: '10.201.7.0/31' }],
      'networks.back.ipam.config[0].subnet: subnet 10.201.7.0/31 is too small for a network',
    ],
    [
      [{ subnet: '10.201.7.0/24', gateway: '10.201.8.1' }],
      'networks.back.ipam.config[0].gateway: gateway 10.201.8.1 is not a host address of the subnet 10.201.7.0/24',
    ],
    [
      [{ subnet: '10.201.7.0/24', gateway: '10.201.7.255' }],
      'networks.back.ipam.config[0].gateway: gateway 10.201.7.255 is not a host address of the subnet 10.201.7.0/24',
    ],
    [
      [{ subnet: '10.201.7.0/24', gateway: '10.201.7' }],
      'networks.back.ipam.config[0].gateway: invalid IPv4 address "10.201.7"',
    ],
    [
      [{ subnet: '10.201.7.0/24', ip_range: '10.201.0.0/16' }],
      'networks.back.ipam.config[0].ip_range: ip_range 10.201.0.0/16 is not inside the subnet 10.201.7.0/24',
    ],
    [
      [{ subnet: 'fd00::/64' }, { subnet: '10.201.7.0/24', aux_addresses: { db: '10.201.9.9' } }],
      'networks.back.ipam.config[1].aux_addresses.db: aux address "db" 10.201.9.9 is not a host address of the subnet 10.201.7.0/24',
    ],
    [[{ gateway: '10.201.7.1' }], 'networks.back.ipam.config[0].gateway: gateway without a subnet'],
  ])('refuses %j', (config, message) => {
    const error = errorOf(network(config));
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.hint).toBeDefined();
  });
});
