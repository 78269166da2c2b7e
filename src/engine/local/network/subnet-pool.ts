/**
 * Subnets for berth's bridges: allocated from a private pool, or given by a network's ipam config,
 * never overlapping a route of the host or a subnet another berth engine holds. Holdings are claim
 * files in a folder shared by every engine of the machine (one file per subnet, created exclusively,
 * holding the claimer's pid); a claim whose process is gone is stale and taken over. Checking and
 * claiming happen under one lock of that folder, since claims of different sizes can overlap without
 * sharing a file name.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { link, mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ComposeError } from '../../../project/errors.js';
import type { KeyPath } from '../../../project/key-path.js';
import type { Network } from '../../../project/types.js';
import { acquireLockFile } from '../project-lock.js';
import { isProcessAlive, isRecordedProcessAlive } from '../process-liveness.js';
import { ip } from './ip-command.js';
import {
  addressAt,
  broadcast,
  cidrContains,
  cidrsOverlap,
  formatAddress,
  formatCidr,
  parseAddress,
  parseCidr,
  subnetsOf,
  type ParsedCidr,
} from './ipv4.js';
import type { Cidr } from './types.js';
import { readStamped } from '../read-stamped.js';

export const DEFAULT_POOL: Cidr = '10.200.0.0/13';
export const DEFAULT_PREFIX_LENGTH = 24;

/** Routes broader than this are catch-alls (default, a VPN's 0.0.0.0/1 + 128.0.0.0/1) and never conflict. */
const SHORTEST_CONFLICTING_PREFIX = 8;
const LOCK_WAIT_MS = 10_000;
const LOCK_FILE = '.lock';
const TEMP_PREFIX = '.tmp-';

export interface HostRoute {
  /** Destination prefix; a single address is `/32`. */
  dst: Cidr;
  dev?: string;
  /** `local`, `broadcast`, `unreachable`, ... (absent for ordinary unicast routes). */
  type?: string;
  table?: string;
}

/**
 * Every IPv4 route of every routing table, `default` (and any catch-all broader than /8) left out.
 * The `local` table's entries are kept: an address assigned with `noprefixroute` (or a /32) has no
 * other route, and a bridge whose subnet contains one of the host's own addresses would shadow it.
 */
export async function readHostRouteEntries(): Promise<HostRoute[]> {
  const parsed: unknown = JSON.parse((await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]');
  const routes: HostRoute[] = [];
  for (const entry of Array.isArray(parsed) ? (parsed as unknown[]) : []) {
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    const dst = typeof record.dst === 'string' ? record.dst : undefined;
    if (dst === undefined || dst === 'default') continue;
    let cidr: ParsedCidr;
    try {
      cidr = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
    } catch {
      continue; // not an IPv4 prefix we understand (ip prints none such with -4)
    }
    if (cidr.prefixLength < SHORTEST_CONFLICTING_PREFIX) continue;
    const route: HostRoute = { dst: formatCidr(cidr) };
    if (typeof record.dev === 'string') route.dev = record.dev;
    if (typeof record.type === 'string') route.type = record.type;
    if (typeof record.table === 'string') route.table = record.table;
    routes.push(route);
  }
  return routes;
}

/** The distinct destination prefixes of `readHostRouteEntries`. */
export async function readHostRoutes(): Promise<Cidr[]> {
  return [...new Set((await readHostRouteEntries()).map((route) => route.dst))];
}

/** A network's IPv4 addressing from its ipam config. */
export interface IpamSubnet {
  subnet: Cidr;
  /** The bridge's address: the config's gateway, else the subnet's first host address (`.1`). */
  gateway: string;
  /** Where replicas' addresses come from, when narrower than the subnet. */
  ipRange?: Cidr;
  /** Addresses never given to a replica, by name (`aux_addresses`). */
  auxAddresses: Record<string, string>;
}

/**
 * The first IPv4 entry of a network's `ipam.config` (IPv6 entries are skipped), validated; undefined
 * when there is none. `key` is the network's key in the file, for error key paths.
 */
export function ipamSubnet(definition: Network, key: string): IpamSubnet | undefined {
  const configs = definition.ipam?.config ?? [];
  for (const [i, config] of configs.entries()) {
    const at = (...rest: (string | number)[]): KeyPath => ['networks', key, 'ipam', 'config', i, ...rest];
    if (config.subnet === undefined) {
      const stray = (['gateway', 'ip_range'] as const).find(
        (k) => config[k] !== undefined && !config[k].includes(':'),
      );
      if (stray) {
        throw new ComposeError(`${stray} without a subnet`, {
          keyPath: at(stray),
          hint: 'add the subnet it belongs to, e.g. subnet: 10.200.3.0/24',
        });
      }
      continue;
    }
    if (config.subnet.includes(':')) continue; // IPv6: not supported by isolated networking
    const subnet = parseCidr(config.subnet, { keyPath: at('subnet') });
    if (subnet.prefixLength > 30) {
      throw new ComposeError(`subnet ${config.subnet} is too small for a network`, {
        keyPath: at('subnet'),
        hint: 'a network needs a gateway and addresses for its containers: use a /30 or larger, e.g. /24',
      });
    }
    const inside = (text: string, path: KeyPath, what: string): string => {
      const value = parseAddress(text, { keyPath: path });
      if (
        !cidrContains(subnet, value) ||
        value === subnet.network ||
        formatAddress(value) === broadcast(subnet)
      ) {
        throw new ComposeError(`${what} ${text} is not a host address of the subnet ${config.subnet!}`, {
          keyPath: path,
          hint: `pick an address from ${addressAt(subnet, 1)} to the one before ${broadcast(subnet)}`,
        });
      }
      return formatAddress(value);
    };
    const result: IpamSubnet = {
      subnet: formatCidr(subnet),
      gateway:
        config.gateway !== undefined
          ? inside(config.gateway, at('gateway'), 'gateway')
          : addressAt(subnet, 1),
      auxAddresses: {},
    };
    if (config.ip_range !== undefined) {
      const range = parseCidr(config.ip_range, { keyPath: at('ip_range') });
      if (range.prefixLength < subnet.prefixLength || !cidrsOverlap(range, subnet)) {
        throw new ComposeError(`ip_range ${config.ip_range} is not inside the subnet ${config.subnet}`, {
          keyPath: at('ip_range'),
          hint: `use a range within ${formatCidr(subnet)}, or leave ip_range out`,
        });
      }
      result.ipRange = formatCidr(range);
    }
    for (const [name, address] of Object.entries(config.aux_addresses ?? {})) {
      result.auxAddresses[name] = inside(address, at('aux_addresses', name), `aux address "${name}"`);
    }
    return result;
  }
  return undefined;
}

/** What a claim file holds. */
export interface SubnetClaim {
  subnet: Cidr;
  /** The engine holding it; the claim is stale once this process is gone. */
  pid: number;
  bridge: string;
  /** Who holds it, for messages (the bridge's alias, `berth:<hash>:<network>`). */
  owner: string;
}

export interface ClaimOptions {
  /** Default: `defaultClaimsDir()`. */
  claimsDir?: string;
  /** Default: this process. */
  pid?: number;
  bridge: string;
  owner: string;
}

export interface AllocateOptions extends ClaimOptions {
  /** Default 10.200.0.0/13. */
  pool?: Cidr;
  /** Size of each allocated subnet; default 24. */
  prefixLength?: number;
}

/** `/run/berth/subnets` (shared by every engine of the machine, gone at reboot) when /run is writable. */
export function defaultClaimsDir(): string {
  try {
    accessSync('/run', constants.W_OK);
    return '/run/berth/subnets';
  } catch {
    return join(tmpdir(), 'berth-subnets');
  }
}

/**
 * The first subnet of the pool that overlaps no host route and no live claim, claimed for `bridge`.
 * A subnet the bridge already holds (an engine restarted) is kept while it is still free of conflicts.
 */
export async function allocateSubnet(options: AllocateOptions): Promise<Cidr> {
  const pool = parseCidr(options.pool ?? DEFAULT_POOL);
  const prefixLength = options.prefixLength ?? DEFAULT_PREFIX_LENGTH;
  return withClaims(options, async (state) => {
    const held = state.mine.find(
      (claim) =>
        claim.parsed.prefixLength === prefixLength &&
        cidrsOverlap(pool, claim.parsed) &&
        conflictOf(claim.parsed, state) === undefined,
    );
    if (held) {
      await state.take(held.parsed);
      return held.subnet;
    }
    for (const candidate of subnetsOf(pool, prefixLength)) {
      if (conflictOf(candidate, state) !== undefined) continue;
      await state.take(candidate);
      return formatCidr(candidate);
    }
    throw new ComposeError(
      `no free /${prefixLength} subnet left in berth's pool ${formatCidr(pool)}: each one overlaps a host route or another berth network`,
      {
        hint: 'remove networks no longer used (berth down), or give the network a subnet in its ipam config',
      },
    );
  });
}

/**
 * Claims a subnet given in a network's ipam config, refusing one that overlaps a host route or a
 * subnet another berth network holds. Claiming again what the same bridge holds is fine.
 */
export async function claimSubnet(cidr: Cidr, options: ClaimOptions): Promise<void> {
  const subnet = parseCidr(cidr);
  await withClaims(options, async (state) => {
    const conflict = conflictOf(subnet, state);
    if (conflict !== undefined) throw conflictError(formatCidr(subnet), conflict);
    await state.take(subnet);
  });
}

/** Gives up the claim on `cidr` if `bridge` holds it. */
export async function releaseSubnet(
  cidr: Cidr,
  options: { claimsDir?: string; bridge: string },
): Promise<void> {
  const subnet = formatCidr(parseCidr(cidr));
  await withClaims({ ...options, owner: '' }, async (state) => {
    for (const claim of state.mine) if (claim.subnet === subnet) await removeFile(claim.file);
  });
}

/** Gives up every claim `bridge` holds (after its bridge was deleted); returns the subnets. */
export async function releaseBridgeClaims(
  bridge: string,
  options: { claimsDir?: string } = {},
): Promise<Cidr[]> {
  return withClaims({ ...options, bridge, owner: '' }, async (state) => {
    for (const claim of state.mine) await removeFile(claim.file);
    return state.mine.map((claim) => claim.subnet);
  });
}

/** Every claim in the folder, with whether its process still runs. */
export async function listSubnetClaims(
  claimsDir = defaultClaimsDir(),
): Promise<(SubnetClaim & { alive: boolean })[]> {
  const claims = await readClaims(claimsDir);
  return claims.map(({ subnet, pid, bridge, owner, alive }) => ({ subnet, pid, bridge, owner, alive }));
}

interface ClaimFile extends SubnetClaim {
  file: string;
  parsed: ParsedCidr;
  alive: boolean;
}

/** What the claim folder and the host hold, seen under the folder's lock. */
interface ClaimState {
  /** Claims held by the bridge asking. */
  mine: ClaimFile[];
  /** Live claims of other bridges. */
  others: ClaimFile[];
  /** Host routes, except the asking bridge's own (it may exist already, with its subnet). */
  routes: HostRoute[];
  /** Claims `subnet` for the asking bridge and drops its other claims. */
  take(subnet: ParsedCidr): Promise<void>;
}

type Conflict = { route: HostRoute } | { claim: ClaimFile };

async function withClaims<T>(options: ClaimOptions, fn: (state: ClaimState) => Promise<T>): Promise<T> {
  const dir = options.claimsDir ?? defaultClaimsDir();
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const lock = await acquireLockFile(join(dir, LOCK_FILE), {
    waitMs: LOCK_WAIT_MS,
    busy: (holder) =>
      new ComposeError(
        `berth's subnet claims (${dir}) stay locked${holder.pid ? ` by pid ${holder.pid}` : ''}`,
        { hint: `if no berth is starting networks, remove ${join(dir, LOCK_FILE)}` },
      ),
  });
  try {
    const claims = await readClaims(dir);
    await removeStaleFiles(dir, claims, options.bridge);
    const live = claims.filter((claim) => claim.alive || claim.bridge === options.bridge);
    const mine = live.filter((claim) => claim.bridge === options.bridge);
    const state: ClaimState = {
      mine,
      others: live.filter((claim) => claim.bridge !== options.bridge),
      routes: (await readHostRouteEntries()).filter((route) => route.dev !== options.bridge),
      take: async (subnet) => {
        const claim: SubnetClaim = {
          subnet: formatCidr(subnet),
          pid: options.pid ?? process.pid,
          bridge: options.bridge,
          owner: options.owner,
        };
        await writeClaim(dir, claim, mine);
        for (const old of mine) if (old.subnet !== claim.subnet) await removeFile(old.file);
      },
    };
    return await fn(state);
  } finally {
    await lock.release();
  }
}

function conflictOf(subnet: ParsedCidr, state: ClaimState): Conflict | undefined {
  const claim = state.others.find((other) => cidrsOverlap(subnet, other.parsed));
  if (claim) return { claim };
  const route = state.routes.find((r) => cidrsOverlap(subnet, r.dst));
  return route ? { route } : undefined;
}

function conflictError(subnet: Cidr, conflict: Conflict): ComposeError {
  if ('claim' in conflict) {
    const { claim } = conflict;
    return new ComposeError(
      `subnet ${subnet} overlaps ${claim.subnet} of another berth network (${claim.owner || claim.bridge}, bridge ${claim.bridge}, pid ${claim.pid})`,
      { hint: 'pick another subnet in the ipam config, or stop the project that uses it' },
    );
  }
  const { route } = conflict;
  const where = route.dev ? ` on ${route.dev}` : '';
  const leftover = route.dev?.startsWith('bth-');
  return new ComposeError(`subnet ${subnet} overlaps the host route ${route.dst}${where}`, {
    hint: leftover
      ? `${route.dev!} is a berth bridge: run berth down for its project, or delete it with "ip link del ${route.dev!}"`
      : 'pick a subnet no host route uses (see "ip route show table all"), or leave ipam out so that berth picks one',
  });
}

/** `10.200.3.0/24` <-> `10.200.3.0_24`. */
function claimFileName(subnet: Cidr): string {
  return subnet.replace('/', '_');
}

async function readClaims(dir: string): Promise<ClaimFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const claims: ClaimFile[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const claim = await readClaim(join(dir, name), name);
    if (claim) claims.push(claim);
  }
  return claims;
}

/** A claim file; one that cannot be read as a claim counts as stale (pid 0). */
async function readClaim(file: string, name: string): Promise<ClaimFile | undefined> {
  const stamped = await readStamped(file);
  if (stamped === undefined) return undefined;
  const { text, mtimeMs } = stamped;
  let parsed: ParsedCidr;
  try {
    parsed = parseCidr(name.replace('_', '/'));
  } catch {
    return undefined; // not a claim file
  }
  const subnet = formatCidr(parsed);
  let content: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) content = value as Record<string, unknown>;
  } catch {
    // unreadable: stale
  }
  const pid = typeof content.pid === 'number' ? content.pid : 0;
  return {
    file,
    subnet,
    parsed,
    pid,
    bridge: typeof content.bridge === 'string' ? content.bridge : '',
    owner: typeof content.owner === 'string' ? content.owner : '',
    alive: isRecordedProcessAlive(pid, mtimeMs),
  };
}

/**
 * Claims of dead engines (except the asking bridge's: it decides what to keep), and temporary files
 * of engines that died before linking them.
 */
async function removeStaleFiles(dir: string, claims: ClaimFile[], bridge: string): Promise<void> {
  for (const claim of claims) if (!claim.alive && claim.bridge !== bridge) await removeFile(claim.file);
  for (const name of await readdir(dir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const pid = Number.parseInt(name.slice(TEMP_PREFIX.length), 10);
    if (!isProcessAlive(pid)) await removeFile(join(dir, name));
  }
}

/**
 * Writes the claim file: created exclusively (a temporary file hard-linked to its name, so that it
 * never exists half-written), or replaced when the asking bridge already holds it (new pid).
 */
async function writeClaim(dir: string, claim: SubnetClaim, mine: readonly ClaimFile[]): Promise<void> {
  const file = join(dir, claimFileName(claim.subnet));
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomUUID()}`);
  await writeFile(temp, `${JSON.stringify(claim)}\n`, { mode: 0o644 });
  try {
    if (mine.some((held) => held.file === file)) {
      await rename(temp, file);
      return;
    }
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ComposeError(`subnet ${claim.subnet} was claimed by another berth engine at the same time`, {
        hint: 'try again',
      });
    }
    throw error;
  } finally {
    await removeFile(temp);
  }
}

async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
