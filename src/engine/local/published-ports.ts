/**
 * Published ports of one project in host networking mode: which host port forwards to which
 * replicas. `planPublications` is the rule (pure); `PublishedPorts` binds the proxies it asks for and
 * keeps them in step as replicas start and stop.
 *
 * The rule: a replica that listens on its container port as written (replica 1 of a service created
 * with one replica) binds a published port equal to it itself, and any other host port is forwarded
 * to it. Replicas that got their own port through PORT are reached only through the proxy, which
 * balances every published port of the relocated container port across all replicas.
 */
import { ComposeError } from '../../project/errors.js';
import type { Service } from '../../project/types.js';
import type { PortPublisher } from '../types.js';
import { PortAllocator, formatBindAddress, portInUseError, type PortProtocol } from './port-allocator.js';
import { PortProxy, type ProxyBackend } from './port-proxy.js';
import type { PortBinding } from './types.js';

/** A PortBinding that may carry a host port range (`published: "8000-8005"`: the first free one). */
export interface PublishedBinding extends PortBinding {
  /** Last port of the range; `hostPort` is its first. */
  hostPortEnd?: number;
}

/** A started replica, as far as ports go. */
export interface ReplicaPorts {
  number: number;
  /** Isolated networking: the replica's own address, where it listens on its container ports as written. */
  address?: string;
  /** Its PORT, when it does not listen on its container port as written. */
  listenPort?: number;
  /** Relocated but its PORT not chosen yet (planning only); implied by `listenPort`. */
  relocated?: boolean;
}

export interface PlannedBackend {
  replica: number;
  /** Port the replica listens on; undefined = its PORT, still to be chosen. */
  port: number | undefined;
  /** Its address (isolated networking); loopback otherwise. */
  address?: string;
}

export interface PlannedPublication {
  /** Stable identity: the binding index, plus `@<replica>` for mode host. */
  key: string;
  index: number;
  binding: PublishedBinding;
  /** The replica that binds the host port itself (same port as it listens on): no proxy. */
  selfBoundBy?: number;
  /** Where the proxy forwards, round-robin; empty when self bound. */
  backends: PlannedBackend[];
  /** Replicas reachable through this publication (they list it in `ps`). */
  members: number[];
}

export interface PublicationPlan {
  publications: PlannedPublication[];
  warnings: string[];
}

/**
 * The service's `ports` as bindings, one per entry, in order (indexes match `service.ports`).
 * sctp is refused: Node has no SCTP sockets.
 */
export function portBindings(serviceName: string, service: Service): PublishedBinding[] {
  return (service.ports ?? []).map((port, index) => {
    const protocol = port.protocol.toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') {
      throw new ComposeError(`${protocol} ports are not supported without Docker`, {
        keyPath: ['services', serviceName, 'ports', index],
        hint: 'use tcp or udp, or run this project with --engine docker',
      });
    }
    const binding: PublishedBinding = {
      hostIp: port.host_ip ?? '',
      hostPort: 0,
      containerPort: port.target,
      protocol,
      mode: port.mode === 'host' ? 'host' : 'ingress',
    };
    const range = /^(\d+)(?:-(\d+))?$/.exec(port.published ?? '');
    if (range) {
      binding.hostPort = Number(range[1]);
      const end = range[2] === undefined ? undefined : Number(range[2]);
      if (end !== undefined && end !== binding.hostPort) binding.hostPortEnd = end;
    }
    return binding;
  });
}

/** The container port that PORT replaces: the first binding's (the first target of `ports`). */
export function relocatedContainerPort(bindings: readonly PortBinding[]): number | undefined {
  return bindings[0]?.containerPort;
}

/** Decides, for the replicas now started, which host port goes where (see the file comment). */
export function planPublications(
  serviceName: string,
  bindings: readonly PublishedBinding[],
  replicas: readonly ReplicaPorts[],
): PublicationPlan {
  const sorted = [...replicas].sort((a, b) => a.number - b.number);
  if (sorted.some((r) => r.address !== undefined)) return planIsolated(serviceName, bindings, sorted);
  const relocated = relocatedContainerPort(bindings);
  const isRelocated = (r: ReplicaPorts): boolean => r.listenPort !== undefined || r.relocated === true;
  const backendOf = (r: ReplicaPorts, b: PortBinding): PlannedBackend =>
    isRelocated(r) && b.containerPort === relocated
      ? { replica: r.number, port: r.listenPort }
      : { replica: r.number, port: b.containerPort };
  const publications: PlannedPublication[] = [];
  const warnings: string[] = [];
  const label = (n: number): string => `${serviceName}-${n}`;
  if (sorted.length === 0) return { publications, warnings };

  bindings.forEach((binding, index) => {
    const fixed = binding.hostPort !== 0 && binding.hostPortEnd === undefined;
    if (sorted.length > 1 && binding.containerPort !== relocated) {
      warnings.push(
        `service "${serviceName}": only container port ${String(relocated)} moves through PORT, so port ${binding.containerPort} is served by one replica at most; replicas share the host network`,
      );
    }
    if (binding.mode === 'host') {
      sorted.forEach((replica, i) => {
        const backend = backendOf(replica, binding);
        if (fixed && i > 0) {
          warnings.push(
            `service "${serviceName}": port ${binding.hostPort} (mode: host) is published by ${label(sorted[0]!.number)} only; give "published" a range to publish every replica`,
          );
          return;
        }
        const self = fixed && backend.port === binding.hostPort;
        publications.push({
          key: `${index}@${replica.number}`,
          index,
          binding,
          ...(self ? { selfBoundBy: replica.number } : {}),
          backends: self ? [] : [backend],
          members: [replica.number],
        });
      });
      return;
    }
    const backends = sorted.map((r) => backendOf(r, binding));
    const selfBinder = fixed ? backends.find((b) => b.port === binding.hostPort) : undefined;
    if (selfBinder !== undefined) {
      const others = sorted.filter((r) => r.number !== selfBinder.replica);
      if (others.some(isRelocated) && binding.containerPort === relocated) {
        warnings.push(
          `service "${serviceName}": port ${binding.hostPort} is bound by ${label(selfBinder.replica)} itself, so new replicas are not reachable through it; run "up --force-recreate ${serviceName}" to balance across replicas`,
        );
      }
      publications.push({
        key: String(index),
        index,
        binding,
        selfBoundBy: selfBinder.replica,
        backends: [],
        members: [selfBinder.replica],
      });
      return;
    }
    // Replicas listening on the same (unmoved) port are one backend, not several.
    const unique = backends.filter(
      (b, i) => b.port === undefined || backends.findIndex((o) => o.port === b.port) === i,
    );
    publications.push({
      key: String(index),
      index,
      binding,
      backends: unique,
      members: sorted.map((r) => r.number),
    });
  });
  return { publications, warnings: [...new Set(warnings)] };
}

/**
 * Isolated networking: every replica listens on its container ports at its own address, so a published
 * port is always the proxy's, balancing across the replicas (Swarm's ingress); `mode: host` publishes
 * per replica (a fixed port for the first only, a range for each).
 */
function planIsolated(
  serviceName: string,
  bindings: readonly PublishedBinding[],
  sorted: readonly ReplicaPorts[],
): PublicationPlan {
  const publications: PlannedPublication[] = [];
  const warnings: string[] = [];
  const reachable = sorted.filter((r) => r.address !== undefined);
  const backendOf = (r: ReplicaPorts, b: PortBinding): PlannedBackend => ({
    replica: r.number,
    port: b.containerPort,
    address: r.address!,
  });
  bindings.forEach((binding, index) => {
    const fixed = binding.hostPort !== 0 && binding.hostPortEnd === undefined;
    if (binding.mode !== 'host') {
      publications.push({
        key: String(index),
        index,
        binding,
        backends: reachable.map((r) => backendOf(r, binding)),
        members: reachable.map((r) => r.number),
      });
      return;
    }
    reachable.forEach((replica, i) => {
      if (fixed && i > 0) {
        warnings.push(
          `service "${serviceName}": port ${binding.hostPort} (mode: host) is published by ${serviceName}-${reachable[0]!.number} only; give "published" a range to publish every replica`,
        );
        return;
      }
      publications.push({
        key: `${index}@${replica.number}`,
        index,
        binding,
        backends: [backendOf(replica, binding)],
        members: [replica.number],
      });
    });
  });
  return { publications, warnings: [...new Set(warnings)] };
}

/** `ps`'s Publishers from a replica's bindings and the host ports bound for it (0 = not published). */
export function portPublishers(
  bindings: readonly PortBinding[],
  boundPorts: readonly number[],
  options: { ipv6?: boolean } = {},
): PortPublisher[] {
  const out: PortPublisher[] = [];
  bindings.forEach((binding, i) => {
    const port = boundPorts[i] ?? 0;
    const base = { TargetPort: binding.containerPort, Protocol: binding.protocol };
    if (port === 0) {
      out.push({ URL: '', PublishedPort: 0, ...base });
      return;
    }
    out.push({ URL: binding.hostIp === '' ? '0.0.0.0' : binding.hostIp, PublishedPort: port, ...base });
    if (binding.hostIp === '' && options.ipv6 === true) out.push({ URL: '::', PublishedPort: port, ...base });
  });
  return out;
}

export interface PublishedPortsOptions {
  allocator?: PortAllocator;
  udpIdleTimeoutMs?: number;
  /** Problems on single forwarded connections, for events; forwarding carries on. */
  onConnectionError?: (service: string, error: Error) => void;
}

export interface SyncResult {
  /** Per replica number: the host port bound per binding index (0 = not published for it). */
  boundPorts: Map<number, number[]>;
  /** Warnings not reported before for this service. */
  warnings: string[];
}

interface Active {
  publication: PlannedPublication;
  identity: string;
  hostPort: number;
  proxy?: PortProxy;
}

/** The live publications of one project: proxies bound on the host, kept in step with the replicas. */
export class PublishedPorts {
  private readonly allocator: PortAllocator;
  private readonly services = new Map<string, Map<string, Active>>();
  private readonly warned = new Map<string, Set<string>>();
  /** Host ports last chosen by the OS per publication, tried again so a restart keeps its port. */
  private readonly remembered = new Map<string, number>();

  constructor(private readonly options: PublishedPortsOptions = {}) {
    this.allocator = options.allocator ?? new PortAllocator();
  }

  /**
   * Binds, re-targets or closes the service's proxies for the replicas now started (call it after a
   * replica starts and after one stops for good). Throws the "port already in use" ComposeError, after
   * closing what this call bound.
   */
  async sync(
    serviceName: string,
    bindings: readonly PublishedBinding[],
    replicas: readonly ReplicaPorts[],
  ): Promise<SyncResult> {
    const plan = planPublications(serviceName, bindings, replicas);
    const current = this.services.get(serviceName) ?? new Map<string, Active>();
    this.services.set(serviceName, current);
    const wanted = new Map(plan.publications.map((p) => [p.key, p]));

    // Close what changed or went first: a port may move from one publication to another.
    for (const [key, active] of current) {
      const next = wanted.get(key);
      if (next === undefined || identityOf(next) !== active.identity) {
        current.delete(key);
        await this.closeActive(active);
      }
    }
    const added: Active[] = [];
    try {
      for (const publication of plan.publications) {
        const active = current.get(publication.key);
        if (active !== undefined) {
          active.publication = publication;
          active.proxy?.setBackends(toBackends(publication));
          continue;
        }
        const created = await this.open(serviceName, publication);
        current.set(publication.key, created);
        added.push(created);
      }
    } catch (error) {
      for (const active of added) {
        current.delete(active.publication.key);
        await this.closeActive(active);
      }
      throw error;
    }

    const boundPorts = new Map<number, number[]>();
    for (const replica of replicas)
      boundPorts.set(replica.number, this.boundPorts(serviceName, replica.number));
    return { boundPorts, warnings: this.newWarnings(serviceName, plan.warnings) };
  }

  /** Host port per binding index for one replica (0 = not published for it). */
  boundPorts(serviceName: string, replicaNumber: number): number[] {
    const out: number[] = [];
    for (const active of this.services.get(serviceName)?.values() ?? []) {
      if (!active.publication.members.includes(replicaNumber)) continue;
      out[active.publication.index] = active.hostPort;
    }
    return Array.from(out, (port) => port ?? 0);
  }

  /** `ps`'s Publishers for one replica, with `::` where the proxy also listens on IPv6. */
  publishers(serviceName: string, replicaNumber: number, bindings: readonly PortBinding[]): PortPublisher[] {
    const bound = this.boundPorts(serviceName, replicaNumber);
    const ipv6 = [...(this.services.get(serviceName)?.values() ?? [])].some((a) =>
      a.proxy?.addresses.includes('::'),
    );
    return portPublishers(bindings, bound, { ipv6 });
  }

  /** Closes the service's proxies (its last replica stopped or was removed). */
  async closeService(serviceName: string): Promise<void> {
    const current = this.services.get(serviceName);
    this.services.delete(serviceName);
    for (const active of current?.values() ?? []) await this.closeActive(active);
  }

  async close(): Promise<void> {
    for (const name of [...this.services.keys()]) await this.closeService(name);
  }

  private async open(serviceName: string, publication: PlannedPublication): Promise<Active> {
    const { binding } = publication;
    const identity = identityOf(publication);
    if (publication.selfBoundBy !== undefined) {
      return { publication, identity, hostPort: binding.hostPort };
    }
    const protocol: PortProtocol = binding.protocol;
    const memory = `${serviceName}/${publication.key}`;
    const candidates = hostPortCandidates(binding, this.remembered.get(memory));
    let lastError: NodeJS.ErrnoException | undefined;
    for (const port of candidates) {
      if (port !== 0 && this.allocator.isReserved(port, protocol)) continue;
      try {
        const proxy = await PortProxy.listen({
          protocol,
          hostIp: binding.hostIp,
          hostPort: port,
          backends: toBackends(publication),
          ...(this.options.udpIdleTimeoutMs === undefined
            ? {}
            : { udpIdleTimeoutMs: this.options.udpIdleTimeoutMs }),
          onConnectionError: (error) => this.options.onConnectionError?.(serviceName, error),
        });
        this.allocator.reserve(proxy.port, protocol);
        if (binding.hostPort === 0) this.remembered.set(memory, proxy.port);
        return { publication, identity, hostPort: proxy.port, proxy };
      } catch (error) {
        lastError = error as NodeJS.ErrnoException;
      }
    }
    const host = binding.hostIp === '' ? '0.0.0.0' : binding.hostIp;
    if (binding.hostPortEnd !== undefined) {
      throw new ComposeError(
        `service "${serviceName}": no port of ${binding.hostPort}-${binding.hostPortEnd} is free on ${host}; widen the range or choose other host ports in "ports"`,
      );
    }
    const port = binding.hostPort;
    const code = lastError?.code ?? 'EUNKNOWN';
    throw portInUseError(serviceName, port, formatBindAddress(host, port), code);
  }

  private async closeActive(active: Active): Promise<void> {
    if (active.proxy === undefined) return;
    this.allocator.release(active.proxy.port, active.proxy.protocol);
    await active.proxy.close();
  }

  private newWarnings(serviceName: string, warnings: string[]): string[] {
    const seen = this.warned.get(serviceName) ?? new Set<string>();
    this.warned.set(serviceName, seen);
    const fresh = warnings.filter((w) => !seen.has(w));
    for (const w of fresh) seen.add(w);
    return fresh;
  }
}

/** What must not change for a live publication to be kept as it is (its backends may). */
function identityOf(p: PlannedPublication): string {
  const b = p.binding;
  return JSON.stringify([b.hostIp, b.hostPort, b.hostPortEnd, b.protocol, b.containerPort, p.selfBoundBy]);
}

function toBackends(publication: PlannedPublication): ProxyBackend[] {
  return publication.backends.flatMap((b) => {
    if (b.port === undefined) return [];
    return [b.address === undefined ? { port: b.port } : { port: b.port, hosts: [b.address] }];
  });
}

/** Fixed: that port; a range: each in turn; none: the one used last time, else the OS's choice. */
function hostPortCandidates(binding: PublishedBinding, remembered: number | undefined): number[] {
  if (binding.hostPortEnd !== undefined) {
    const out: number[] = [];
    for (let p = binding.hostPort; p <= binding.hostPortEnd; p++) out.push(p);
    return out;
  }
  if (binding.hostPort !== 0) return [binding.hostPort];
  return remembered === undefined ? [0] : [remembered, 0];
}
