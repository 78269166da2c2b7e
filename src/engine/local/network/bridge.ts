/**
 * A compose network's Linux bridge: named from the network's id, marked with its owner in the
 * bridge's alias (so that `down`, or the clean-up after a killed engine, finds every bridge a project
 * made without any state), given the gateway address, and kept from routing: with forwarding off on
 * the bridge, the host never routes between berth networks or out of them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { ComposeError } from '../../../project/errors.js';
import { admitBridgedTraffic, forgetBridgedTraffic } from './bridge-firewall.js';
import { ip, ipBatch, NetworkCommandError } from './ip-command.js';
import { addressAt, parseCidr } from './ipv4.js';
import type { RealizedNetwork } from './types.js';

export const BRIDGE_PREFIX = 'bth-';
export const VETH_PREFIX = 'bve-';
export const OWNER_PREFIX = 'berth:';
export const DEFAULT_MTU = 1500;

/** Linux interface names are at most 15 characters: a 4-character prefix leaves 11. */
const NAME_HASH_LENGTH = 11;
/** The kernel's limit for an interface alias (IFALIASZ - 1). */
const MAX_ALIAS_LENGTH = 255;

function hexHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The bridge of a network: `bth-` + 11 hex digits derived from the network's id. */
export function bridgeName(networkId: string): string {
  return BRIDGE_PREFIX + hexHash(networkId, NAME_HASH_LENGTH);
}

/** The host end of a replica's veth pair on its `index`-th network: `bve-` + 11 hex digits. */
export function vethName(containerId: string, index: number): string {
  return VETH_PREFIX + hexHash(`${containerId}\u0000${index}`, NAME_HASH_LENGTH);
}

/** Who owns a bridge: one project of one state folder, `berth:<12 hex digits>`. */
export function ownerTag(stateRoot: string, project: string): string {
  return OWNER_PREFIX + hexHash(`${resolve(stateRoot)}\u0000${project}`, 12);
}

/** The alias that marks a bridge as `network` of `owner`. */
export function bridgeAlias(owner: string, networkName: string): string {
  return `${owner}:${networkName}`;
}

export interface CreateBridgeOptions {
  /** Default 1500. */
  mtu?: number;
}

/**
 * Creates the network's bridge, or keeps the one that exists with the same alias (an engine that
 * restarted) and corrects its address, MTU and settings. An interface of that name that is not this
 * network's bridge is refused, never changed.
 */
export async function createBridge(
  network: RealizedNetwork,
  alias: string,
  options: CreateBridgeOptions = {},
): Promise<void> {
  if (alias.length > MAX_ALIAS_LENGTH || /[\n\r]/.test(alias)) {
    throw new ComposeError(`network ${network.name}: bridge alias "${alias}" is not usable`, {
      hint: 'use a shorter network name without line breaks',
    });
  }
  const mtu = options.mtu ?? DEFAULT_MTU;
  const prefixLength = parseCidr(network.subnet).prefixLength;
  const want = network.internal ? [] : [`${network.gateway ?? addressAt(network.subnet, 1)}/${prefixLength}`];
  try {
    let link = await showLink(network.bridge);
    if (!link) {
      link = await addBridge(network.bridge, alias, mtu);
    }
    if (link.kind !== 'bridge' || link.alias !== alias) {
      throw new ComposeError(
        `network ${network.name}: the interface ${network.bridge} exists but is not this network's bridge ` +
          `(${link.kind ?? 'no'} link, alias "${link.alias ?? ''}")`,
        { hint: `if it was left behind, delete it with "ip link del ${network.bridge}"` },
      );
    }
    await disableRouting(network.bridge);
    const lines = [
      ...link.addresses.filter((a) => !want.includes(a)).map((a) => `address del ${a} dev ${network.bridge}`),
      ...want
        .filter((a) => !link.addresses.includes(a))
        .map((a) => `address add ${a} brd + dev ${network.bridge}`),
      `link set dev ${network.bridge} mtu ${mtu} up`,
    ];
    await ipBatch(lines);
    await admitBridgedTraffic(network.bridge);
  } catch (error) {
    if (error instanceof NetworkCommandError) {
      throw new ComposeError(
        `network ${network.name}: cannot set up the bridge ${network.bridge}: ${error.stderr.trim()}`,
        {
          hint: 'berth needs root (CAP_NET_ADMIN) and iproute2 for isolated networking; or use --networking host',
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Deletes a bridge; one that does not exist is fine. */
export async function deleteBridge(name: string): Promise<void> {
  try {
    await ip(['link', 'del', 'dev', name]);
  } catch (error) {
    if (!(error instanceof NetworkCommandError && isMissingDevice(error))) throw error;
  }
  await forgetBridgedTraffic(name);
}

export interface OwnedBridge {
  name: string;
  alias: string;
}

/** Bridges whose alias starts with `ownerTagOrPrefix` (an owner tag, or `berth:` for every berth bridge). */
export async function listOwnedBridges(ownerTagOrPrefix: string): Promise<OwnedBridge[]> {
  const links = parseLinks(await ip(['-j', '-d', 'link', 'show', 'type', 'bridge']));
  return links
    .filter((link) => link.alias !== undefined && link.alias.startsWith(ownerTagOrPrefix))
    .map((link) => ({ name: link.name, alias: link.alias! }));
}

/** Deletes every bridge of `owner`; returns their names. */
export async function removeOwnedBridges(owner: string): Promise<string[]> {
  const bridges = await listOwnedBridges(owner);
  for (const bridge of bridges) await deleteBridge(bridge.name);
  return bridges.map((bridge) => bridge.name);
}

interface LinkInfo {
  name: string;
  kind: string | undefined;
  alias: string | undefined;
  /** IPv4 addresses as `address/prefix`. */
  addresses: string[];
}

async function addBridge(name: string, alias: string, mtu: number): Promise<LinkInfo> {
  // The alias goes through `ip -batch` only when nothing in it needs quoting (`#` starts a comment there).
  const plain = /^[\w.:@+=,/-]+$/.test(alias);
  const lines = [`link add name ${name} mtu ${mtu} type bridge`];
  if (plain) lines.push(`link set dev ${name} alias ${alias}`);
  try {
    await ipBatch(lines);
  } catch (error) {
    // Created meanwhile by another call: the caller checks whose it is.
    const existing = await showLink(name);
    if (existing) return existing;
    throw error;
  }
  if (!plain) await ip(['link', 'set', 'dev', name, 'alias', alias]);
  return { name, kind: 'bridge', alias, addresses: [] };
}

/** Forwarding off (no routing through the bridge) and no IPv6 on it (berth's networks are IPv4 only). */
async function disableRouting(bridge: string): Promise<void> {
  await writeFile(`/proc/sys/net/ipv4/conf/${bridge}/forwarding`, '0\n');
  const ipv6 = `/proc/sys/net/ipv6/conf/${bridge}/disable_ipv6`;
  if (existsSync(ipv6)) await writeFile(ipv6, '1\n');
}

async function showLink(name: string): Promise<LinkInfo | undefined> {
  let output: string;
  try {
    output = await ip(['-j', '-d', 'address', 'show', 'dev', name]);
  } catch (error) {
    if (error instanceof NetworkCommandError && isMissingDevice(error)) return undefined;
    throw error;
  }
  return parseLinks(output)[0];
}

function isMissingDevice(error: NetworkCommandError): boolean {
  return /does not exist|cannot find device/i.test(error.stderr);
}

/** `ip -j [-d] link|address show` output; iproute2 puts the alias under `ifalias`. */
function parseLinks(output: string): LinkInfo[] {
  const parsed: unknown = JSON.parse(output.trim() || '[]');
  if (!Array.isArray(parsed)) return [];
  const links: LinkInfo[] = [];
  for (const entry of parsed as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    if (typeof record.ifname !== 'string') continue;
    const linkinfo = record.linkinfo as Record<string, unknown> | undefined;
    const addresses: string[] = [];
    for (const info of Array.isArray(record.addr_info) ? (record.addr_info as unknown[]) : []) {
      const address = info as Record<string, unknown>;
      if (address.family === 'inet' && typeof address.local === 'string') {
        addresses.push(`${address.local}/${String(address.prefixlen)}`);
      }
    }
    links.push({
      name: record.ifname,
      kind: typeof linkinfo?.info_kind === 'string' ? linkinfo.info_kind : undefined,
      alias: typeof record.ifalias === 'string' ? record.ifalias : undefined,
      addresses,
    });
  }
  return links;
}
