/**
 * `up` as a plan: compare what the project wants with what the engine has, and list the engine calls
 * that close the gap (docker compose's convergence). Pure: the same inputs give the same plan.
 */
import type { ContainerInfo } from '../engine/types.js';
import { buildGraph, selectServices, startOrder } from '../graph/index.js';
import { ComposeError } from '../project/errors.js';
import type { Project, Service } from '../project/types.js';
import { serviceConfigHash } from './config-hash.js';
import {
  containerCreateRequest,
  networkCreateRequest,
  replicaName,
  serviceImage,
  serviceNetworkKeys,
  serviceVolumeKeys,
  volumeCreateRequest,
} from './create-request.js';
import type { ObservedState } from './observe.js';
import type { ContainerRef, Plan } from './operations.js';
import { PlanBuilder, isActive, orphanWarning } from './plan-builder.js';
import { decideReplicas, replicaCount } from './replicas.js';

export interface UpOptions {
  /** Services to bring up; empty or absent: all. */
  services?: readonly string[];
  /** `--no-deps`: the named services only, not what they depend on. */
  noDeps?: boolean;
  /** `--scale svc=n`. */
  scale?: Readonly<Record<string, number>>;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  /** `--no-start` (create only). */
  noStart?: boolean;
  /** `-t`: seconds before SIGKILL when stopping; absent: each service's stop_grace_period. */
  timeoutSeconds?: number;
}

/** What the plan holds for one service, for the services that depend on it. */
interface PlannedService {
  creates: string[];
  starts: string[];
  /** Its replicas once the plan is done. */
  replicas: { name: string; ref: ContainerRef }[];
  /** Some replica is recreated: dependents with `restart: true` restart. */
  recreated: boolean;
}

export function planUp(project: Project, observed: ObservedState, options: UpOptions = {}): Plan {
  checkOptions(project, options);
  const graph = buildGraph(project);
  const order = startOrder(graph);
  const wanted =
    options.services !== undefined && options.services.length > 0
      ? new Set(selectServices(graph, options.services, { withDependencies: options.noDeps !== true }))
      : new Set(order);
  const services = order.filter((name) => wanted.has(name));
  const b = new PlanBuilder(project.name);

  planOrphans(b, project, observed, options);
  const networkOps = planNetworks(b, project, observed, services);
  const volumeOps = planVolumes(b, project, observed, services);

  const planned = new Map<string, PlannedService>();
  for (const name of services) {
    const service = project.services[name]!;
    const count = replicaCount(service, options.scale?.[name]);
    const decision = decideReplicas(
      observed.containers.filter((c) => c.service === name),
      count,
      serviceConfigHash(service),
      {
        forceRecreate: options.forceRecreate === true,
        noRecreate: options.noRecreate === true,
        imageId: observed.images[serviceImage(project.name, name, service)],
      },
    );
    const deps = Object.keys(service.depends_on ?? {}).filter((d) => wanted.has(d));
    // Created after its networks and volumes, and after what it requires (volumes_from, service: namespaces).
    const createDeps = [
      ...serviceNetworkKeys(project, service).map((k) => networkOps.get(k)),
      ...serviceVolumeKeys(project, service).map((k) => volumeOps.get(k)),
      ...deps.filter((d) => service.depends_on![d]!.required).flatMap((d) => planned.get(d)?.creates ?? []),
    ];
    const here: PlannedService = { creates: [], starts: [], replicas: [], recreated: false };
    const restartedBy = deps.find(
      (d) => service.depends_on![d]!.restart === true && planned.get(d)?.recreated === true,
    );
    const startDeps: string[] = [];
    const pendingStarts: { name: string; number: number; ref: ContainerRef; after?: string }[] = [];

    for (const old of decision.remove) removeContainer(b, old, options, 'scale down');

    for (const { container: old, recreate } of decision.keep) {
      if (!recreate) {
        here.replicas.push({ name: old.name, ref: { id: old.id } });
        if (!isActive(old) && options.noStart !== true) {
          pendingStarts.push({ name: old.name, number: old.number, ref: { id: old.id } });
        } else if (isActive(old) && restartedBy !== undefined && options.noStart !== true) {
          // depends_on `restart: true`: restarted after the dependency was updated, as docker compose does.
          const target = { name: old.name, service: name, number: old.number, ref: { id: old.id } };
          const stop = b.add(
            'stopContainer',
            old.name,
            stopTarget(target, options),
            [],
            `${restartedBy} recreated`,
          );
          pendingStarts.push({ name: old.name, number: old.number, ref: { id: old.id }, after: stop });
        }
        continue;
      }
      here.recreated = true;
      // docker compose's sequence: stop the old one, move it aside, create the new one, remove the old.
      const ref = { id: old.id };
      const target = { name: old.name, service: name, number: old.number, ref };
      const stop = isActive(old)
        ? b.add('stopContainer', old.name, stopTarget(target, options), [], 'config changed')
        : undefined;
      const tmpName = `${old.id.slice(0, 12)}_${old.name}`;
      const rename = b.add('renameContainer', old.name, { ...target, newName: tmpName }, [stop]);
      const create = addCreate(
        b,
        project,
        name,
        service,
        old.number,
        [rename, ...createDeps],
        'config changed',
      );
      here.creates.push(create.id);
      here.replicas.push({ name: create.name, ref: { createdBy: create.id } });
      b.add('removeContainer', tmpName, { ...target, name: tmpName, volumes: false, force: false }, [
        create.id,
      ]);
      if (options.noStart !== true) {
        pendingStarts.push({
          name: create.name,
          number: old.number,
          ref: { createdBy: create.id },
          after: create.id,
        });
      }
    }

    for (const number of decision.add) {
      const create = addCreate(b, project, name, service, number, createDeps);
      here.creates.push(create.id);
      here.replicas.push({ name: create.name, ref: { createdBy: create.id } });
      if (options.noStart !== true) {
        pendingStarts.push({ name: create.name, number, ref: { createdBy: create.id }, after: create.id });
      }
    }

    if (pendingStarts.length > 0) {
      for (const dep of deps) {
        const wait = addWait(b, project, name, dep, planned.get(dep));
        if (wait !== undefined) startDeps.push(wait);
      }
    }
    for (const start of pendingStarts) {
      const id = b.add(
        'startContainer',
        start.name,
        { name: start.name, service: name, number: start.number, ref: start.ref },
        [start.after, ...startDeps],
      );
      here.starts.push(id);
    }
    planned.set(name, here);
  }
  return b.build();
}

function checkOptions(project: Project, options: UpOptions): void {
  if (options.forceRecreate === true && options.noRecreate === true) {
    throw new ComposeError('--force-recreate and --no-recreate are incompatible', {
      hint: 'use one of them',
    });
  }
  for (const [name, count] of Object.entries(options.scale ?? {})) {
    if (!(name in project.services)) {
      throw new ComposeError(`--scale ${name}=${count}: no such service: ${name}`, {
        hint: `services are: ${Object.keys(project.services).sort().join(', ')}`,
      });
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new ComposeError(`--scale ${name}=${count}: the number of replicas must be a whole number >= 0`);
    }
  }
}

function addCreate(
  b: PlanBuilder,
  project: Project,
  serviceName: string,
  service: Service,
  number: number,
  dependsOn: readonly (string | undefined)[],
  reason?: string,
): { id: string; name: string } {
  const name = replicaName(project.name, serviceName, service, number);
  const request = containerCreateRequest(project, serviceName, number);
  const id = b.add(
    'createContainer',
    name,
    { name, service: serviceName, number, request },
    dependsOn,
    reason,
  );
  return { id, name };
}

/** A wait before `service` starts, for each of its dependencies that will have replicas. */
function addWait(
  b: PlanBuilder,
  project: Project,
  service: string,
  dependency: string,
  planned: PlannedService | undefined,
): string | undefined {
  if (planned === undefined || planned.replicas.length === 0) return undefined;
  const config = project.services[service]!.depends_on![dependency]!;
  return b.add(
    'waitCondition',
    `${service}:${dependency}`,
    {
      service,
      dependency,
      condition: config.condition,
      required: config.required,
      healthcheck: hasHealthcheck(project.services[dependency]!),
      containers: planned.replicas,
    },
    planned.starts,
  );
}

function hasHealthcheck(service: Service): boolean {
  const check = service.healthcheck;
  if (check === undefined || check.disable === true) return false;
  return check.test !== undefined && check.test.length > 0 && check.test[0] !== 'NONE';
}

function planOrphans(b: PlanBuilder, project: Project, observed: ObservedState, options: UpOptions): void {
  const orphans = observed.containers.filter(
    (c) => !(c.service in project.services) && !(c.service in project.meta.disabledServices),
  );
  if (orphans.length === 0) return;
  if (options.removeOrphans !== true) {
    b.warnings.push(orphanWarning(orphans.map((c) => c.name)));
    return;
  }
  for (const orphan of orphans) removeContainer(b, orphan, options, 'orphan');
}

function planNetworks(
  b: PlanBuilder,
  project: Project,
  observed: ObservedState,
  services: readonly string[],
): Map<string, string> {
  const keys = usedKeys(services, (s) => serviceNetworkKeys(project, project.services[s]!));
  return planResources('network', project.networks, observed.networks, keys, (key, name) =>
    b.add('createNetwork', name, { key, name, request: networkCreateRequest(project, key) }),
  );
}

function planVolumes(
  b: PlanBuilder,
  project: Project,
  observed: ObservedState,
  services: readonly string[],
): Map<string, string> {
  const keys = usedKeys(services, (s) => serviceVolumeKeys(project, project.services[s]!));
  return planResources('volume', project.volumes, observed.volumes, keys, (key, name) =>
    b.add('createVolume', name, { key, name, request: volumeCreateRequest(project, key) }),
  );
}

/**
 * Creates the networks or volumes (by compose key) that do not exist yet; returns their operation ids
 * by key. An external one is never created: it must exist already (observe looked it up).
 */
function planResources(
  kind: 'network' | 'volume',
  definitions: Record<string, { name: string; external?: boolean }>,
  existing: readonly { name: string }[],
  keys: readonly string[],
  create: (key: string, name: string) => string,
): Map<string, string> {
  const ops = new Map<string, string>();
  for (const key of keys) {
    const { name, external } = definitions[key]!;
    if (existing.some((r) => r.name === name)) continue;
    if (external === true) {
      throw new ComposeError(`external ${kind} "${name}" not found`, {
        keyPath: [`${kind}s`, key],
        hint: 'create it first, or remove "external: true" so that berth creates it',
      });
    }
    ops.set(key, create(key, name));
  }
  return ops;
}

function usedKeys(services: readonly string[], keysOf: (service: string) => string[]): string[] {
  return [...new Set(services.flatMap(keysOf))].sort();
}

function stopTarget<T extends object>(target: T, options: UpOptions): T & { timeoutSeconds?: number } {
  return options.timeoutSeconds === undefined
    ? target
    : { ...target, timeoutSeconds: options.timeoutSeconds };
}

function removeContainer(b: PlanBuilder, c: ContainerInfo, options: UpOptions, reason: string): void {
  const target = { name: c.name, service: c.service, number: c.number, ref: { id: c.id } };
  const stop = isActive(c)
    ? b.add('stopContainer', c.name, stopTarget(target, options), [], reason)
    : undefined;
  b.add('removeContainer', c.name, { ...target, volumes: false, force: false }, [stop], reason);
}
