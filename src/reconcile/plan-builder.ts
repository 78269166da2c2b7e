import type { ContainerInfo } from '../engine/types.js';
import type { Operation, OperationKind, OperationOf, OperationTargets, Plan } from './operations.js';

/** Collects operations with readable, unique ids (`start:demo-web-1`), in the order they are added. */
export class PlanBuilder {
  readonly operations: Operation[] = [];
  readonly warnings: string[] = [];
  private readonly ids = new Set<string>();

  constructor(private readonly project: string) {}

  add<K extends OperationKind>(
    kind: K,
    name: string,
    target: OperationTargets[K],
    dependsOn: readonly (string | undefined)[] = [],
    reason?: string,
  ): string {
    const id = this.uniqueId(`${ID_PREFIX[kind]}:${name}`);
    const op: OperationOf<K> = {
      id,
      kind,
      target,
      dependsOn: [...new Set(dependsOn.filter((d): d is string => d !== undefined))],
    };
    if (reason !== undefined) op.reason = reason;
    this.operations.push(op as Operation);
    return id;
  }

  build(): Plan {
    return { project: this.project, operations: this.operations, warnings: this.warnings };
  }

  private uniqueId(base: string): string {
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}#${n}`;
    this.ids.add(id);
    return id;
  }
}

const ID_PREFIX: Record<OperationKind, string> = {
  createNetwork: 'create-network',
  createVolume: 'create-volume',
  createContainer: 'create',
  startContainer: 'start',
  stopContainer: 'stop',
  removeContainer: 'remove',
  renameContainer: 'rename',
  removeNetwork: 'remove-network',
  removeVolume: 'remove-volume',
  waitCondition: 'wait',
};

/** A container with a process that must be stopped before it is renamed or removed. */
export function isActive(container: ContainerInfo): boolean {
  return container.status === 'running' || container.status === 'paused' || container.status === 'restarting';
}

/** docker compose's words, so users searching for them find the same advice. */
export function orphanWarning(names: readonly string[]): string {
  return (
    `Found orphan containers ([${names.join(' ')}]) for this project. If you removed or renamed this ` +
    `service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`
  );
}
