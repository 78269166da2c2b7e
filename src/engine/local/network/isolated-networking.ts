/**
 * Isolated networking for one project's in-process engine: networks realised as bridges (their
 * subnets claimed host-wide), a sandbox per running replica on its addresses, hosts files kept
 * current as replicas come and go, and everything removed again — by `down`, when the engine shuts
 * down, or (for a dead engine) from what the state recorded.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { ComposeError } from '../../../project/errors.js';
import type { Project } from '../../../project/types.js';
import type { ContainerCreateRequest } from '../../types.js';
import type { ReplicaSandbox } from '../replica.js';
import type { ContainerNetworkPlan, ContainerRecord, NetworkRecord, ProjectState } from '../types.js';
import { AddressClaims } from './address-claims.js';
import {
  bridgeName,
  createBridge,
  deleteBridge,
  listOwnedBridges,
  OWNER_PREFIX,
  ownerTag,
} from './bridge.js';
import { renderHostsFile, type NameTableEntry } from './hosts-file.js';
import { ip } from './ip-command.js';
import { addressAt, formatAddress, formatCidr, parseAddress, parseCidr, prefixMask } from './ipv4.js';
import { planContainerNetwork } from './network-plan.js';
import { destroyRecordedSandbox, Sandbox, sandboxRecord } from './sandbox.js';
import { allocateSubnet, claimSubnet, defaultClaimsDir, ipamSubnet, releaseSubnet } from './subnet-pool.js';
import type { RealizedNetwork } from './types.js';

export interface IsolatedNetworkingOptions {
  stateRoot: string;
  project: string;
  /** The engine's live state: records are changed in place; the engine persists them. */
  state: () => ProjectState;
  /** Host-wide subnet claims (tests use their own). */
  claimsDir?: string;
}

export class IsolatedNetworking {
  readonly owner: string;
  private readonly sandboxes = new Map<string, Sandbox>();
  /** Bridges brought up by this engine, one promise per network name (many replicas start at once). */
  private readonly bridges = new Map<string, Promise<void>>();
  /** External networks found on the host, by name. */
  private readonly externals = new Map<string, RealizedNetwork>();
  private readonly hostsWritten = new Map<string, string>();
  private hostsRefresh: Promise<void> = Promise.resolve();
  private queuedRefresh: Promise<void> | undefined;
  /** Plans of containers being created (replicas are created in parallel): their addresses are taken. */
  private readonly pending = new Map<string, ContainerNetworkPlan>();

  private readonly addressClaims: AddressClaims;

  constructor(private readonly options: IsolatedNetworkingOptions) {
    this.owner = ownerTag(options.stateRoot, options.project);
    const claims = options.claimsDir ?? defaultClaimsDir();
    this.addressClaims = new AddressClaims(path.join(path.dirname(claims), 'addresses'));
  }

  // ---- networks ----------------------------------------------------------------------------------

  /** Gives a new network record its bridge and subnet (ipam config, else one from the pool) and brings it up. */
  async createNetwork(
    record: NetworkRecord,
    key: string,
    definition: Project['networks'][string],
  ): Promise<void> {
    const bridge = bridgeName(record.id);
    const wanted = ipamSubnet(definition, key);
    const claim = { ...this.claimOptions(bridge) };
    const subnet = wanted
      ? (await claimSubnet(wanted.subnet, claim), wanted.subnet)
      : await allocateSubnet(claim);
    const internal = definition.internal === true;
    record.realized = {
      name: record.name,
      bridge,
      subnet,
      internal,
      ...(internal ? {} : { gateway: wanted?.gateway ?? addressAt(subnet, 1) }),
      ...(wanted?.ipRange === undefined ? {} : { ipRange: wanted.ipRange }),
      ...(wanted && Object.keys(wanted.auxAddresses).length > 0
        ? { reserved: Object.values(wanted.auxAddresses) }
        : {}),
      ...(wanted ? {} : { allocated: true }),
    };
    await this.ensureBridge(record.realized);
  }

  async removeNetwork(record: NetworkRecord): Promise<void> {
    const realized = record.realized;
    if (!realized || record.external) return;
    this.bridges.delete(realized.name);
    await deleteBridge(realized.bridge);
    await releaseSubnet(realized.subnet, this.claimOptions(realized.bridge));
  }

  /** A network by engine name: the project's own, or an external one found on the host. */
  network(name: string): RealizedNetwork | undefined {
    const own = this.options.state().networks.find((n) => n.name === name)?.realized;
    return own ?? this.externals.get(name);
  }

  /**
   * Finds a network this project does not own: a berth bridge of another project with that network
   * name, or a Linux bridge with that interface name (its first IPv4 address gives the subnet).
   */
  async findExternal(name: string): Promise<RealizedNetwork | undefined> {
    const known = this.externals.get(name);
    if (known) return known;
    const berth = (await listOwnedBridges('berth:')).find((b) => b.alias.endsWith(`:${name}`));
    const bridge = berth?.name ?? name;
    const address = await bridgeAddress(bridge);
    if (!address) return undefined;
    const realized: RealizedNetwork = {
      name,
      bridge,
      shared: true,
      subnet: formatCidr({
        network: (parseAddress(address.local) & prefixMask(address.prefixLength)) >>> 0,
        prefixLength: address.prefixLength,
      }),
      gateway: address.local,
      internal: false,
    };
    this.externals.set(name, realized);
    return realized;
  }

  // ---- containers --------------------------------------------------------------------------------

  /** Addresses and names of a new container (external networks it names are looked up first). */
  async planContainer(
    request: ContainerCreateRequest,
    id: string,
    hostname: string,
  ): Promise<ContainerNetworkPlan> {
    const state = this.options.state();
    for (const name of Object.values(request.networkNames)) {
      if (this.network(name) === undefined) await this.findExternal(name);
    }
    const plans = [...state.containers.map((c) => c.network), ...this.pending.values()];
    const usedAddresses = (name: string): Set<string> => {
      const used = plans.flatMap((p) =>
        (p?.endpoints ?? []).filter((e) => e.network === name).map((e) => e.address),
      );
      const network = this.network(name);
      return new Set(network?.shared ? [...used, ...this.addressClaims.taken(network.bridge)] : used);
    };
    for (let attempt = 0; ; attempt++) {
      const plan = planContainerNetwork({
        request,
        containerId: id,
        hostname,
        network: (name) => this.network(name),
        usedAddresses,
      });
      const shared = plan.endpoints.filter((e) => this.network(e.network)?.shared === true);
      const claimed = shared.filter((e) => this.addressClaims.claim(e.bridge, e.address));
      if (claimed.length === shared.length) {
        this.pending.set(id, plan);
        return plan;
      }
      // Another engine took one of them just now: give back what we got and choose again.
      for (const e of claimed) this.addressClaims.release(e.bridge, e.address);
      if (attempt >= 3) {
        throw new ComposeError(
          `service "${request.serviceName}": could not get a free address on a shared network`,
          {
            hint: 'another project is taking addresses on it at the same time; try again',
          },
        );
      }
    }
  }

  /** A container is gone: its addresses on shared networks are free for other projects. */
  forget(record: ContainerRecord): void {
    for (const e of record.network?.endpoints ?? []) {
      if (this.network(e.network)?.shared === true) this.addressClaims.release(e.bridge, e.address);
    }
  }

  /** The container's record is in the state now (or its creation failed): its plan is no longer pending. */
  settled(id: string): void {
    this.pending.delete(id);
  }

  /** The hooks a replica uses to get into, and out of, its sandbox; undefined on the host network. */
  sandboxFor(record: ContainerRecord): ReplicaSandbox | undefined {
    if (!record.network || record.network.mode === 'host') return undefined;
    return {
      acquire: () => this.acquire(record),
      release: () => this.release(record),
    };
  }

  /** Where the engine's proxy reaches a replica: its address on the first network the host can reach. */
  addressOf(record: ContainerRecord): string | undefined {
    const plan = this.joinedPlan(record);
    // On the host's network the program binds host ports itself: Docker discards published ports there.
    if (!plan || plan.mode === 'host') return undefined;
    return plan.endpoints.find((e) => !this.network(e.network)?.internal)?.address;
  }

  /** Rewrites the hosts file of every live sandbox whose view changed. */
  refreshHosts(): Promise<void> {
    // Many replicas start at once: a refresh not begun yet will see every change made before it runs.
    if (this.queuedRefresh) return this.queuedRefresh;
    const run = (): Promise<void> => {
      this.queuedRefresh = undefined;
      return this.writeAllHosts();
    };
    const next = this.hostsRefresh.then(run, run);
    this.queuedRefresh = next;
    this.hostsRefresh = next;
    return next;
  }

  /** Engine shutdown: every sandbox and bridge goes; records (and their subnets) stay for the next engine. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.destroy()));
    this.sandboxes.clear();
    for (const record of this.options.state().containers) delete record.state.sandbox;
    const owned = this.options.state().networks.filter((n) => n.realized && !n.external);
    await Promise.all(owned.map((n) => deleteBridge(n.realized!.bridge)));
    for (const n of owned) await releaseSubnet(n.realized!.subnet, this.claimOptions(n.realized!.bridge));
    this.bridges.clear();
  }

  // ---- inside ------------------------------------------------------------------------------------

  private claimOptions(bridge: string): { pid: number; bridge: string; owner: string; claimsDir?: string } {
    return {
      pid: process.pid,
      bridge,
      owner: this.owner,
      ...(this.options.claimsDir === undefined ? {} : { claimsDir: this.options.claimsDir }),
    };
  }

  private ensureBridge(network: RealizedNetwork): Promise<void> {
    let up = this.bridges.get(network.name);
    if (!up) {
      up = (async () => {
        try {
          await claimSubnet(network.subnet, this.claimOptions(network.bridge));
        } catch (error) {
          // Its subnet was taken while no engine of this project ran: a pool subnet moves, an ipam one can't.
          if (!network.allocated || !(error instanceof ComposeError)) throw error;
          this.moveNetwork(network, await allocateSubnet(this.claimOptions(network.bridge)));
        }
        await createBridge(network, `${this.owner}:${network.name}`);
      })();
      this.bridges.set(network.name, up);
      up.catch(() => this.bridges.delete(network.name));
    }
    return up;
  }

  /** Gives a network (and every address on it, at the same offset) a new subnet. */
  private moveNetwork(network: RealizedNetwork, subnet: string): void {
    const from = parseCidr(network.subnet).network;
    const to = parseCidr(subnet).network;
    network.subnet = subnet;
    if (network.gateway !== undefined) network.gateway = addressAt(subnet, 1);
    for (const record of this.options.state().containers) {
      for (const endpoint of record.network?.endpoints ?? []) {
        if (endpoint.network !== network.name) continue;
        endpoint.address = formatAddress(to + (parseAddress(endpoint.address) - from));
      }
    }
  }

  private async acquire(record: ContainerRecord): Promise<number> {
    const existing = this.sandboxes.get(record.id);
    if (existing?.isAlive()) return existing.holderPid;
    if (existing) await this.release(record);
    const plan = record.network!;
    const hostsFile = path.join(record.dir, 'hosts');
    let network: Parameters<typeof Sandbox.create>[0]['network'];
    let boundHosts = hostsFile;
    if (plan.mode === 'join') {
      const target = this.joinTarget(record);
      network = { kind: 'join', holderPid: target.sandbox.holderPid };
      boundHosts = path.join(target.record.dir, 'hosts');
    } else if (plan.mode === 'none') {
      network = { kind: 'none' };
      await this.writeHosts(record, true);
    } else {
      for (const endpoint of plan.endpoints) {
        const own = this.options.state().networks.find((n) => n.name === endpoint.network);
        if (own?.realized) await this.ensureBridge(own.realized);
        // A shared network's address is claimed again by this engine (an earlier engine's claim lapsed with it).
        if (
          this.network(endpoint.network)?.shared &&
          !this.addressClaims.claim(endpoint.bridge, endpoint.address)
        ) {
          throw new ComposeError(
            `${record.name}: its address ${endpoint.address} on network ${endpoint.network} was taken by another project`,
            { hint: `recreate it: berth up --force-recreate ${record.service}` },
          );
        }
      }
      network = { kind: 'new', endpoints: plan.endpoints };
      await this.writeHosts(record, true);
    }
    const sandbox = await Sandbox.create({
      hostname: plan.hostname,
      hostsFile: boundHosts,
      network,
      name: record.name,
    });
    this.sandboxes.set(record.id, sandbox);
    record.state.sandbox = sandboxRecord(sandbox);
    await this.refreshHosts();
    return sandbox.holderPid;
  }

  private async release(record: ContainerRecord): Promise<void> {
    const sandbox = this.sandboxes.get(record.id);
    this.sandboxes.delete(record.id);
    delete record.state.sandbox;
    this.hostsWritten.delete(record.id);
    if (sandbox) await sandbox.destroy();
    await this.refreshHosts();
  }

  /** The container whose network a `network_mode: service:X / container:X` container shares. */
  private joinTarget(record: ContainerRecord): { record: ContainerRecord; sandbox: Sandbox } {
    const join = record.network!.join!;
    const state = this.options.state();
    const candidates =
      'service' in join
        ? state.containers
            .filter((c) => c.service === join.service && !c.oneoff)
            .sort((a, b) => a.number - b.number)
        : state.containers.filter((c) => c.name === join.container || c.id.startsWith(join.container));
    for (const candidate of candidates) {
      const sandbox = this.sandboxes.get(candidate.id);
      if (sandbox?.isAlive() && candidate.network?.mode !== 'join') return { record: candidate, sandbox };
    }
    const written = 'service' in join ? `service:${join.service}` : `container:${join.container}`;
    throw new ComposeError(
      `service "${record.service}" (${record.name}) uses network_mode "${written}", but no container of it is running`,
      {
        keyPath: ['services', record.service, 'network_mode'],
        hint: `start ${'service' in join ? join.service : join.container} first (depends_on makes "up" do that)`,
      },
    );
  }

  /** The plan whose network a container really uses (its own, or that of the container it joined). */
  private joinedPlan(record: ContainerRecord): ContainerNetworkPlan | undefined {
    const plan = record.network;
    if (plan?.mode !== 'join') return plan;
    try {
      return this.joinTarget(record).record.network;
    } catch {
      return undefined;
    }
  }

  private async writeAllHosts(): Promise<void> {
    const state = this.options.state();
    await Promise.all(
      state.containers
        .filter((c) => this.sandboxes.has(c.id) && c.network && c.network.mode !== 'join')
        .map((c) => this.writeHosts(c, false)),
    );
  }

  /** Writes the container's hosts file in place (the sandbox bind-mounts that very file). */
  private async writeHosts(record: ContainerRecord, starting: boolean): Promise<void> {
    const state = this.options.state();
    const entries = state.containers
      .filter((c) => c.network && (this.sandboxes.has(c.id) || (starting && c.id === record.id)))
      .map((c) => nameEntry(c, true));
    const text = renderHostsFile(nameEntry(record, true), entries);
    if (this.hostsWritten.get(record.id) === text) return;
    await writeFile(path.join(record.dir, 'hosts'), text, { mode: 0o644 });
    this.hostsWritten.set(record.id, text);
  }
}

/** What the state recorded of a dead engine's sandboxes and bridges, removed (watchdog, next engine, down). */
export async function removeRecordedNetworking(state: ProjectState): Promise<string[]> {
  const removed: string[] = [];
  for (const record of state.containers) {
    const sandbox = record.state.sandbox;
    if (!sandbox) continue;
    await destroyRecordedSandbox(sandbox);
    delete record.state.sandbox;
    removed.push(`removed the network sandbox of ${record.name}`);
  }
  const recorded = state.networks.filter((n) => n.realized && !n.external);
  // One listing of the host's berth bridges, not one command per network (every view of a project runs this).
  // Without iproute2 (a project made as root, looked at elsewhere) there is nothing this process could remove.
  const present =
    recorded.length === 0
      ? []
      : (await listOwnedBridges(OWNER_PREFIX).catch(() => [])).map((bridge) => bridge.name);
  for (const network of recorded) {
    const bridge = network.realized!.bridge;
    if (!present.includes(bridge)) continue;
    await deleteBridge(bridge);
    removed.push(`removed bridge ${bridge} of network ${network.name}`);
  }
  return removed;
}

function nameEntry(record: ContainerRecord, running: boolean): NameTableEntry {
  const plan = record.network!;
  return {
    id: record.id,
    name: record.name,
    service: record.service,
    number: record.number,
    oneoff: record.oneoff,
    hostname: plan.hostname,
    running,
    endpoints: plan.endpoints.map((e) => ({
      network: e.network,
      address: e.address,
      aliases: plan.aliases[e.network] ?? [],
    })),
    links: plan.links,
    extraHosts: plan.extraHosts,
  };
}

/** The first IPv4 address of an interface, or undefined when it has none or does not exist. */
async function bridgeAddress(name: string): Promise<{ local: string; prefixLength: number } | undefined> {
  let text: string;
  try {
    text = await ip(['-j', '-4', 'addr', 'show', 'dev', name]);
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  const info = parsed[0]?.addr_info?.find((a) => a.local !== undefined && a.prefixlen !== undefined);
  if (!info) return undefined;
  return { local: info.local!, prefixLength: info.prefixlen! };
}
