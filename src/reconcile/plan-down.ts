/**
 * `down` as a plan: stop dependents before what they depend on (replicas of a service in parallel),
 * remove the containers, then the project's networks and, with `-v`, its volumes.
 */
import { Labels } from '../engine/labels.js';
import type { ContainerInfo } from '../engine/types.js';
import { compareText } from '../graph/compare.js';
import { ComposeError } from '../project/errors.js';
import type { Project } from '../project/types.js';
import type { ObservedState } from './observe.js';
import type { Plan } from './operations.js';
import { PlanBuilder, isActive, orphanWarning } from './plan-builder.js';

export interface DownOptions {
  removeOrphans?: boolean;
  /** `-v`: named volumes of the project and anonymous volumes of the removed containers. */
  volumes?: boolean;
  timeoutSeconds?: number;
  /** Only these services' containers; networks and named volumes are then left alone. */
  services?: readonly string[];
}

/**
 * Without a project (`down -p name` and no compose file) the containers' labels tell the services and
 * their dependencies, and every network and volume labelled with the project is the project's.
 */
export function planDown(project: Project | null, observed: ObservedState, options: DownOptions = {}): Plan {
  const b = new PlanBuilder(observed.project);
  const known = (service: string): boolean =>
    project === null || service in project.services || service in project.meta.disabledServices;
  checkServices(observed, options.services, known);

  const selected = (c: ContainerInfo): boolean =>
    options.services === undefined || options.services.length === 0 || options.services.includes(c.service);
  const orphans = observed.containers.filter((c) => !known(c.service));
  if (orphans.length > 0 && options.removeOrphans !== true) {
    b.warnings.push(orphanWarning(orphans.map((c) => c.name)));
  }
  const containers = observed.containers.filter(
    (c) => selected(c) && (known(c.service) || options.removeOrphans === true),
  );

  const dependencies = dependencyMap(project, containers);
  const stopsOf = new Map<string, string[]>();
  const removes: string[] = [];
  for (const service of stopOrder(dependencies)) {
    const dependents = [...dependencies]
      .filter(([, deps]) => deps.includes(service))
      .flatMap(([dependent]) => stopsOf.get(dependent) ?? []);
    const stops: string[] = [];
    for (const c of containers.filter((x) => x.service === service)) {
      const target = { name: c.name, service: c.service, number: c.number, ref: { id: c.id } };
      const stop = isActive(c)
        ? b.add(
            'stopContainer',
            c.name,
            options.timeoutSeconds === undefined
              ? target
              : { ...target, timeoutSeconds: options.timeoutSeconds },
            dependents,
          )
        : undefined;
      if (stop !== undefined) stops.push(stop);
      removes.push(
        b.add('removeContainer', c.name, { ...target, volumes: options.volumes === true, force: false }, [
          stop,
        ]),
      );
    }
    // A service with nothing to stop passes its dependents' stops on, so the order holds transitively.
    stopsOf.set(service, stops.length > 0 ? stops : dependents);
  }

  if (options.services !== undefined && options.services.length > 0) return b.build();
  for (const name of networksToRemove(project, observed)) b.add('removeNetwork', name, { name }, removes);
  if (options.volumes === true) {
    for (const name of volumesToRemove(project, observed)) b.add('removeVolume', name, { name }, removes);
  }
  return b.build();
}

function checkServices(
  observed: ObservedState,
  services: readonly string[] | undefined,
  known: (service: string) => boolean,
): void {
  for (const name of services ?? []) {
    if (!known(name) && !observed.containers.some((c) => c.service === name)) {
      throw new ComposeError(`no such service: ${name}`);
    }
  }
}

/** For each service being taken down, the services it depends on: from the project, else from labels. */
function dependencyMap(project: Project | null, containers: readonly ContainerInfo[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const c of containers) {
    if (map.has(c.service)) continue;
    const service = project?.services[c.service] ?? project?.meta.disabledServices[c.service];
    const deps =
      service !== undefined
        ? Object.keys(service.depends_on ?? {})
        : (c.labels[Labels.dependsOn] ?? '')
            .split(',')
            .map((entry) => entry.split(':')[0] ?? '')
            .filter((name) => name !== '');
    map.set(c.service, deps);
  }
  return map;
}

/**
 * Services with dependents first. A dependency cycle (possible in hand-edited labels) is broken at the
 * first service by name rather than refused: down must always be able to stop everything.
 */
function stopOrder(dependencies: ReadonlyMap<string, readonly string[]>): string[] {
  const remaining = new Set([...dependencies.keys()].sort(compareText));
  const order: string[] = [];
  while (remaining.size > 0) {
    const hasDependent = (name: string): boolean =>
      [...remaining].some((other) => other !== name && (dependencies.get(other) ?? []).includes(name));
    const ready = [...remaining].filter((name) => !hasDependent(name));
    const next = ready.length > 0 ? ready : [[...remaining][0]!];
    for (const name of next) {
      remaining.delete(name);
      order.push(name);
    }
  }
  return order;
}

function networksToRemove(project: Project | null, observed: ObservedState): string[] {
  const existing = observed.networks.filter((n) => n.external !== true).map((n) => n.name);
  if (project === null) return unique(existing);
  const ours = Object.values(project.networks)
    .filter((n) => n.external !== true)
    .map((n) => n.name);
  return unique(ours.filter((name) => existing.includes(name)));
}

function volumesToRemove(project: Project | null, observed: ObservedState): string[] {
  const existing = observed.volumes.map((v) => v.name);
  if (project === null) return unique(existing);
  const ours = Object.values(project.volumes)
    .filter((v) => v.external !== true)
    .map((v) => v.name);
  return unique(ours.filter((name) => existing.includes(name)));
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)].sort(compareText);
}
