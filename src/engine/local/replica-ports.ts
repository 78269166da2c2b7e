/**
 * Which port each replica listens on in host networking mode. All replicas share the host network, so
 * two replicas of one service cannot both listen on its container port: a service created with one
 * replica listens on its container ports as written; a service created with several (and replicas
 * added later) gives each replica its own free port through the PORT environment variable, and the
 * published ports balance across them (see ./published-ports.ts).
 *
 * Limit: only one container port moves (the first target of `ports`, else the first `expose`). A
 * program that ignores PORT, or listens on several ports, cannot be scaled in host mode; isolated
 * networking, where each replica has its own address, lifts that.
 */
import type { Service } from '../../project/types.js';
import type { PortAllocator } from './port-allocator.js';
import { planPublications, portBindings, type PlannedPublication } from './published-ports.js';

export interface ContainerPort {
  port: number;
  protocol: string;
}

/** The service's container ports: targets of `ports`, then `expose` (ranges expanded); no duplicates. */
export function containerPorts(service: Service): ContainerPort[] {
  const out: ContainerPort[] = [];
  const add = (port: number, protocol: string): void => {
    if (!out.some((p) => p.port === port && p.protocol === protocol)) out.push({ port, protocol });
  };
  for (const port of service.ports ?? []) add(port.target, port.protocol.toLowerCase());
  for (const entry of service.expose ?? []) {
    const match = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(entry.trim());
    if (!match) continue;
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    for (let port = start; port <= end; port++) add(port, (match[3] ?? 'tcp').toLowerCase());
  }
  return out;
}

/** The one container port a replica is told to replace through PORT. */
export function listenPortCandidate(service: Service): number | undefined {
  return containerPorts(service)[0]?.port;
}

/**
 * The port a replica listens on when it cannot use its container port (sent to it as PORT), reserved
 * in `allocator`; undefined when it listens as written or the service has no container port.
 * `relocate` defaults to "not replica 1"; pass `planReplicaPorts(...).relocateNew` instead when the
 * service is being created with several replicas (then replica 1 moves too).
 */
export async function replicaListenPort(
  service: Service,
  replicaNumber: number,
  allocator: PortAllocator,
  options: { relocate?: boolean } = {},
): Promise<number | undefined> {
  const relocate = options.relocate ?? replicaNumber > 1;
  const candidate = containerPorts(service)[0];
  if (!relocate || candidate === undefined) return undefined;
  const protocol = candidate.protocol === 'udp' ? 'udp' : 'tcp';
  return allocator.allocate({ protocol });
}

/** A replica that keeps running as it is. */
export interface ExistingReplica {
  number: number;
  listenPort?: number;
}

export interface PlannedReplica {
  number: number;
  isNew: boolean;
  /** Listens on its own port through PORT rather than on the container port. */
  relocated: boolean;
  listenPort?: number;
}

export interface ReplicaPortPlan {
  /** The container port PORT replaces, if the service has one. */
  candidate?: number;
  /** Whether the replicas to create get their own port through PORT. */
  relocateNew: boolean;
  replicas: PlannedReplica[];
  /** What the published ports will do once every replica runs. */
  publications: PlannedPublication[];
  /** For events: e.g. a host port replica 1 binds itself, which new replicas cannot be reached through. */
  warnings: string[];
}

/**
 * The rule, as data. (a) A service created with one replica: it listens on its container port, a
 * published port equal to it is bound by the replica itself, any other is forwarded. (b) Created
 * with n > 1: every replica gets PORT and the proxy binds every published port. (c) Scaled up from
 * one: the new replicas get PORT; a published port replica 1 binds itself cannot reach them (warned).
 * New replicas are numbered after the highest existing one, like docker compose.
 */
export function planReplicaPorts(
  service: Service,
  replicaCount: number,
  context: { serviceName: string; existing?: readonly ExistingReplica[] },
): ReplicaPortPlan {
  const existing = [...(context.existing ?? [])].sort((a, b) => a.number - b.number);
  const candidate = listenPortCandidate(service);
  const relocateNew = candidate !== undefined && replicaCount > 1;
  const replicas: PlannedReplica[] = existing.slice(0, Math.max(replicaCount, 0)).map((r) => ({
    number: r.number,
    isNew: false,
    relocated: r.listenPort !== undefined,
    ...(r.listenPort === undefined ? {} : { listenPort: r.listenPort }),
  }));
  let next = existing.reduce((max, r) => Math.max(max, r.number), 0) + 1;
  while (replicas.length < replicaCount) {
    replicas.push({ number: next++, isNew: true, relocated: relocateNew });
  }
  const plan = planPublications(
    context.serviceName,
    portBindings(context.serviceName, service),
    replicas.map((r) => ({
      number: r.number,
      relocated: r.relocated,
      ...(r.listenPort === undefined ? {} : { listenPort: r.listenPort }),
    })),
  );
  return {
    ...(candidate === undefined ? {} : { candidate }),
    relocateNew,
    replicas,
    publications: plan.publications,
    warnings: plan.warnings,
  };
}
