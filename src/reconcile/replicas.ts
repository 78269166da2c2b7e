import type { ContainerInfo } from '../engine/types.js';
import type { Service } from '../project/types.js';

export interface ReplicaDecision {
  /** Scale down: obsolete replicas first, then the highest numbers first. */
  remove: ContainerInfo[];
  /** Kept replicas, and whether each must be recreated. */
  keep: { container: ContainerInfo; recreate: boolean }[];
  /** Numbers of the replicas to add: the lowest free ones, so a fresh project gets 1..n. */
  add: number[];
}

export interface RecreatePolicy {
  forceRecreate: boolean;
  noRecreate: boolean;
  /** The engine's id of the service's image now: a replica made from another image is out of date. */
  imageId?: string | undefined;
}

/** Replica count: `up --scale` wins over `scale`, which wins over `deploy.replicas`; default 1. */
export function replicaCount(service: Service, override: number | undefined): number {
  return override ?? service.scale ?? service.deploy?.replicas ?? 1;
}

/** What happens to a service's replicas so that `count` of them run with config hash `hash`. */
export function decideReplicas(
  current: readonly ContainerInfo[],
  count: number,
  hash: string,
  policy: RecreatePolicy,
): ReplicaDecision {
  const obsolete = (c: ContainerInfo): boolean =>
    !policy.noRecreate &&
    (policy.forceRecreate ||
      c.configHash !== hash ||
      (policy.imageId !== undefined && c.imageId !== undefined && c.imageId !== policy.imageId));
  const byRemovalPriority = [...current].sort(
    (a, b) => Number(obsolete(b)) - Number(obsolete(a)) || b.number - a.number,
  );
  const excess = Math.max(0, current.length - count);
  const remove = byRemovalPriority.slice(0, excess);
  const kept = byRemovalPriority.slice(excess).sort((a, b) => a.number - b.number);

  const taken = new Set(kept.map((c) => c.number));
  const add: number[] = [];
  for (let n = 1; add.length < count - kept.length; n++) if (!taken.has(n)) add.push(n);

  return { remove, keep: kept.map((container) => ({ container, recreate: obsolete(container) })), add };
}
