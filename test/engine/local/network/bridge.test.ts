import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

import {
  bridgeAlias,
  bridgeName,
  createBridge,
  deleteBridge,
  listOwnedBridges,
  ownerTag,
  removeOwnedBridges,
  vethName,
} from '../../../../src/engine/local/network/bridge.js';
import { ip } from '../../../../src/engine/local/network/ip-command.js';
import type { RealizedNetwork } from '../../../../src/engine/local/network/types.js';
import { ComposeError } from '../../../../src/project/errors.js';
import { describeIsolated } from '../../../support/isolation.js';

const created: string[] = [];
afterEach(async () => {
  for (const name of created.splice(0)) await deleteBridge(name).catch(() => undefined);
});

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A network on a random /24 of 10.200.0.0/13, its bridge removed after the test. */
function network(internal = false): RealizedNetwork {
  const prefix = `10.${200 + randomInt(8)}.${randomInt(256)}`;
  const name = `proj_${hex(4)}`;
  const bridge = bridgeName(`${name}-${hex(8)}`);
  created.push(bridge);
  return internal
    ? { name, bridge, subnet: `${prefix}.0/24`, internal }
    : { name, bridge, subnet: `${prefix}.0/24`, gateway: `${prefix}.1`, internal };
}

function testOwner(): string {
  return ownerTag(join(tmpdir(), `berth-bridge-test-${hex(6)}`), 'proj');
}

interface Shown {
  ifname: string;
  ifalias?: string;
  mtu: number;
  flags: string[];
  operstate: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

async function show(name: string): Promise<Shown | undefined> {
  try {
    return (JSON.parse(await ip(['-j', '-d', 'address', 'show', 'dev', name])) as Shown[])[0];
  } catch {
    return undefined;
  }
}

function ipv4(link: Shown | undefined): string[] {
  return (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

describe('names', () => {
  it('derives bridge and veth names that fit in 15 characters', () => {
    const bridge = bridgeName('f00dfeed'.repeat(8));
    expect(bridge).toMatch(/^bth-[0-9a-f]{11}$/);
    expect(bridgeName('f00dfeed'.repeat(8))).toBe(bridge);
    expect(bridgeName('other')).not.toBe(bridge);

    const container = 'c0ffee'.repeat(10);
    const veths = [0, 1, 2].map((i) => vethName(container, i));
    for (const veth of veths) expect(veth).toMatch(/^bve-[0-9a-f]{11}$/);
    expect(new Set(veths).size).toBe(3);
    expect(vethName(container, 1)).toBe(veths[1]);
    expect(vethName(`${container}1`, 0)).not.toBe(veths[0]);
  });

  it('tags owners by state folder and project', () => {
    const tag = ownerTag('/var/lib/berth', 'shop');
    expect(tag).toMatch(/^berth:[0-9a-f]{12}$/);
    expect(ownerTag('/var/lib/berth/', 'shop')).toBe(tag);
    expect(ownerTag('/var/lib/berth', 'blog')).not.toBe(tag);
    expect(ownerTag('/home/me/.local/state/berth', 'shop')).not.toBe(tag);
    expect(bridgeAlias(tag, 'shop_default')).toBe(`${tag}:shop_default`);
  });
});

describeIsolated('bridges', () => {
  it('creates a bridge with its alias, gateway, forwarding off and IPv6 off, and deletes it', async () => {
    const owner = testOwner();
    const net = network();
    const alias = bridgeAlias(owner, net.name);
    await createBridge(net, alias);

    const link = await show(net.bridge);
    expect(link?.ifalias).toBe(alias);
    expect(link?.mtu).toBe(1500);
    expect(link?.flags).toContain('UP');
    expect(ipv4(link)).toEqual([`${net.gateway!}/24`]);
    expect((link?.addr_info ?? []).filter((a) => a.family === 'inet6')).toEqual([]);
    expect(await readFile(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, 'utf8')).toBe('0\n');
    expect(
      await readFile(`/proc/sys/net/ipv6/conf/${net.bridge}/disable_ipv6`, 'utf8').catch(() => '1\n'),
    ).toBe('1\n');
    expect(await listOwnedBridges(owner)).toEqual([{ name: net.bridge, alias }]);

    await deleteBridge(net.bridge);
    expect(await show(net.bridge)).toBeUndefined();
    expect(await listOwnedBridges(owner)).toEqual([]);
    await deleteBridge(net.bridge); // missing: fine
  });

  it('admits traffic within the bridge in iptables FORWARD, and only there, until the bridge goes', async (ctx) => {
    const iptables = ['/usr/sbin/iptables', '/sbin/iptables'].find((file) => existsSync(file));
    // No iptables: no firewall of that kind to pass. CI has it (docker.io depends on it).
    if (iptables === undefined && process.env.CI !== 'true') ctx.skip('iptables is not installed');
    if (iptables === undefined) throw new Error('iptables is not installed');
    const rules = async (): Promise<string[]> =>
      (await execa(iptables, ['-w', '-S', 'FORWARD'])).stdout
        .split('\n')
        .filter((line) => line.includes(net.bridge));
    const net = network();
    const alias = bridgeAlias(testOwner(), net.name);
    await createBridge(net, alias);
    await createBridge(net, alias); // again: still one rule
    expect(await rules()).toEqual([
      `-A FORWARD -i ${net.bridge} -o ${net.bridge} -m comment --comment "berth bridge ${net.bridge}" -j ACCEPT`,
    ]);
    await deleteBridge(net.bridge);
    expect(await rules()).toEqual([]);
  });

  it('keeps an existing bridge of the same network and corrects it', async () => {
    const net = network();
    const alias = bridgeAlias(testOwner(), net.name);
    await createBridge(net, alias, { mtu: 1400 });
    const before = await show(net.bridge);
    expect(before?.mtu).toBe(1400);

    // drifted: the gateway gone, a stray address added, forwarding on, link down
    const [a, b, c] = net.gateway!.split('.');
    await ip(['address', 'flush', 'dev', net.bridge]);
    await ip(['address', 'add', `${a!}.${b!}.${c!}.77/24`, 'dev', net.bridge]);
    await ip(['link', 'set', 'dev', net.bridge, 'down']);
    await writeFile(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, '1');

    await createBridge(net, alias);
    const after = await show(net.bridge);
    expect(after?.ifname).toBe(net.bridge);
    expect(ipv4(after)).toEqual([`${net.gateway!}/24`]);
    expect(after?.mtu).toBe(1500);
    expect(after?.flags).toContain('UP');
    expect(await readFile(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, 'utf8')).toBe('0\n');

    await createBridge(net, alias); // and again: nothing to do
    expect(ipv4(await show(net.bridge))).toEqual([`${net.gateway!}/24`]);
  });

  it('gives an internal network no address', async () => {
    const net = network(true);
    await createBridge(net, bridgeAlias(testOwner(), net.name));
    const link = await show(net.bridge);
    expect(link?.flags).toContain('UP');
    expect(ipv4(link)).toEqual([]);
    expect(await readFile(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, 'utf8')).toBe('0\n');
  });

  it('refuses an interface of that name that is not this network’s bridge, leaving it alone', async () => {
    const net = network();
    await createBridge(net, bridgeAlias(testOwner(), net.name));
    const error = await createBridge(net, bridgeAlias(testOwner(), net.name)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).problem).toContain(
      `the interface ${net.bridge} exists but is not this network's bridge`,
    );
    expect((error as ComposeError).hint).toContain(`ip link del ${net.bridge}`);
    expect(ipv4(await show(net.bridge))).toEqual([`${net.gateway!}/24`]);

    const veth = `bth-v${hex(5)}`;
    created.push(veth);
    await ip(['link', 'add', 'name', veth, 'type', 'veth', 'peer', 'name', `bve-v${hex(5)}`]);
    const other = { ...network(), bridge: veth };
    const refused = await createBridge(other, 'berth:x:y').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((refused as ComposeError).problem).toContain('(veth link');
  });

  it('keeps aliases that ip -batch could not parse', async () => {
    const net = network();
    const alias = `${testOwner()}:odd # name "quoted"`;
    await createBridge(net, alias);
    expect((await show(net.bridge))?.ifalias).toBe(alias);
    await createBridge(net, alias);
  });

  it('lists and removes every bridge of an owner, and only those', async () => {
    const owner = testOwner();
    const stranger = testOwner();
    const mine = [network(), network()];
    const theirs = network();
    for (const net of mine) await createBridge(net, bridgeAlias(owner, net.name));
    await createBridge(theirs, bridgeAlias(stranger, theirs.name));

    const listed = await listOwnedBridges(owner);
    expect(listed.map((b) => b.name).sort()).toEqual(mine.map((n) => n.bridge).sort());
    expect((await listOwnedBridges('berth:')).map((b) => b.name)).toEqual(
      expect.arrayContaining([...mine, theirs].map((n) => n.bridge)),
    );

    expect((await removeOwnedBridges(owner)).sort()).toEqual(mine.map((n) => n.bridge).sort());
    for (const net of mine) expect(await show(net.bridge)).toBeUndefined();
    expect(await show(theirs.bridge)).toBeDefined();
    expect(await removeOwnedBridges(owner)).toEqual([]);
  });
});
