/**
 * A plan is data: a list of operations, each one engine call, with explicit edges. It can be printed
 * (`--dry-run`), asserted in tests without an engine, and executed against any engine.
 */
import type { ContainerCreateRequest, NetworkCreateRequest, VolumeCreateRequest } from '../engine/types.js';
import type { DependsOnCondition } from '../project/types.js';

export type OperationKind =
  | 'createNetwork'
  | 'createVolume'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'renameContainer'
  | 'removeNetwork'
  | 'removeVolume'
  | 'waitCondition';

/**
 * A container an operation acts on: one that exists (its engine id), or one this plan creates (the id
 * of the createContainer operation; the executor learns the engine id when that operation is done).
 */
export type ContainerRef = { id: string } | { createdBy: string };

export interface ContainerTarget {
  /** The container's name when the operation runs (before a rename, for the renamed one). */
  name: string;
  service: string;
  number: number;
  ref: ContainerRef;
}

export interface WaitTarget {
  /** The service that waits. */
  service: string;
  /** The service it waits for. */
  dependency: string;
  condition: DependsOnCondition;
  /** `required: false`: a dependency that fails is a warning, not an error. */
  required: boolean;
  /** Whether the dependency defines a healthcheck (service_healthy needs one). */
  healthcheck: boolean;
  /** The dependency's replicas once the plan is done. */
  containers: { name: string; ref: ContainerRef }[];
}

export interface OperationTargets {
  createNetwork: { key: string; name: string; request: NetworkCreateRequest };
  createVolume: { key: string; name: string; request: VolumeCreateRequest };
  createContainer: { name: string; service: string; number: number; request: ContainerCreateRequest };
  startContainer: ContainerTarget;
  /** `timeoutSeconds` undefined: the service's stop_grace_period. */
  stopContainer: ContainerTarget & { timeoutSeconds?: number };
  /** `volumes`: also the container's anonymous volumes. */
  removeContainer: ContainerTarget & { volumes: boolean; force: boolean };
  renameContainer: ContainerTarget & { newName: string };
  removeNetwork: { key?: string; name: string };
  removeVolume: { key?: string; name: string };
  waitCondition: WaitTarget;
}

export interface OperationOf<K extends OperationKind> {
  id: string;
  kind: K;
  target: OperationTargets[K];
  /** Ids of the operations that must be done before this one starts. */
  dependsOn: string[];
  /** Why the plan contains it, for `--dry-run` (`config changed`, `scale down`, `orphan`). */
  reason?: string;
}

export type Operation = { [K in OperationKind]: OperationOf<K> }[OperationKind];

export interface Plan {
  project: string;
  operations: Operation[];
  /** Things the user should know that are not operations (orphan containers left in place). */
  warnings: string[];
}

/** How progress and `--dry-run` name what an operation acts on: `Container demo-web-1`. */
export function operationResource(op: Operation): string {
  switch (op.kind) {
    case 'createNetwork':
    case 'removeNetwork':
      return `Network ${op.target.name}`;
    case 'createVolume':
    case 'removeVolume':
      return `Volume ${op.target.name}`;
    case 'waitCondition':
      return `Service ${op.target.dependency}`;
    default:
      return `Container ${op.target.name}`;
  }
}
