/** Hand-built canonical projects and observed states for plan tests: the plan is data, so no engine. */
import { Labels, containerName } from '../../src/engine/labels.js';
import type { ContainerInfo, ContainerStatus } from '../../src/engine/types.js';
import { serviceConfigHash } from '../../src/reconcile/config-hash.js';
import type { ObservedState } from '../../src/reconcile/observe.js';
import type { Operation, OperationKind, Plan } from '../../src/reconcile/operations.js';
import type { Project, Service } from '../../src/project/types.js';

/** A project named `demo` whose services join `default` unless they say otherwise, as the loader does. */
export function makeProject(
  services: Record<string, Service>,
  resources: {
    volumes?: Record<string, { external?: boolean; name?: string }>;
    networks?: Record<string, { external?: boolean; name?: string }>;
    disabled?: Record<string, Service>;
  } = {},
): Project {
  const withNetworks = Object.fromEntries(
    Object.entries(services).map(([name, s]) => [
      name,
      s.networks === undefined && s.network_mode === undefined ? { ...s, networks: { default: null } } : s,
    ]),
  );
  const named = <T extends { external?: boolean; name?: string }>(defs: Record<string, T>) =>
    Object.fromEntries(
      Object.entries(defs).map(([key, d]) => [
        key,
        { ...d, name: d.name ?? (d.external ? key : `demo_${key}`) },
      ]),
    );
  return {
    name: 'demo',
    services: withNetworks,
    networks: named({ default: {}, ...resources.networks }),
    volumes: named(resources.volumes ?? {}),
    secrets: {},
    configs: {},
    extensions: {},
    meta: {
      workingDir: '/work/demo',
      configFiles: ['/work/demo/compose.yaml'],
      sourceFiles: [],
      environment: {},
      profiles: [],
      disabledServices: resources.disabled ?? {},
    },
  };
}

export const started = { condition: 'service_started', required: true } as const;
export const healthy = { condition: 'service_healthy', required: true } as const;
export const completed = { condition: 'service_completed_successfully', required: true } as const;
export const healthcheck = { test: ['CMD', 'true'], interval: '1s' };

/** A replica as an engine would report it, current with the project's definition unless told otherwise. */
export function replica(
  project: Project,
  service: string,
  number: number,
  options: { status?: ContainerStatus; hash?: string; dependsOn?: string } = {},
): ContainerInfo {
  const definition = project.services[service];
  const hash = options.hash ?? (definition ? serviceConfigHash(definition) : 'gone');
  const name = containerName(project.name, service, number);
  return {
    id: `${service}${number}`.padEnd(12, 'x') + 'ffff',
    name,
    labels: {
      [Labels.project]: project.name,
      [Labels.service]: service,
      [Labels.containerNumber]: String(number),
      [Labels.configHash]: hash,
      [Labels.oneoff]: 'False',
      [Labels.dependsOn]: options.dependsOn ?? '',
    },
    project: project.name,
    service,
    number,
    oneoff: false,
    configHash: hash,
    image: 'node',
    command: 'node server.js',
    status: options.status ?? 'running',
    exitCode: 0,
    restartCount: 0,
    created: '2025-01-01T00:00:00Z',
    publishers: [],
  };
}

/** What exists after a successful `up` of the whole project: every network, volume and replica. */
export function upToDate(project: Project, replicas: Record<string, number> = {}): ObservedState {
  const containers = Object.keys(project.services).flatMap((s) =>
    Array.from({ length: replicas[s] ?? 1 }, (_, i) => replica(project, s, i + 1)),
  );
  return {
    project: project.name,
    containers,
    networks: Object.values(project.networks).map((n) => ({ id: n.name, name: n.name, labels: {} })),
    volumes: Object.values(project.volumes).map((v) => ({ name: v.name, labels: {} })),
    images: {},
  };
}

export function nothing(project: Project): ObservedState {
  return { project: project.name, containers: [], networks: [], volumes: [], images: {} };
}

/** `kind name` for each operation, e.g. `startContainer demo-web-1`, in plan order. */
export function summary(plan: Plan): string[] {
  return plan.operations.map((op) => `${op.kind} ${targetName(op)}`);
}

export function targetName(op: Operation): string {
  return op.kind === 'waitCondition' ? `${op.target.service}->${op.target.dependency}` : op.target.name;
}

export function find(plan: Plan, kind: OperationKind, name: string): Operation {
  const op = plan.operations.find((o) => o.kind === kind && targetName(o) === name);
  if (op === undefined) throw new Error(`no ${kind} ${name} in plan:\n${summary(plan).join('\n')}`);
  return op;
}

/** Whether `later` depends on `earlier`, directly or through other operations. */
export function after(plan: Plan, later: Operation, earlier: Operation): boolean {
  const byId = new Map(plan.operations.map((o) => [o.id, o]));
  const seen = new Set<string>();
  const stack = [...later.dependsOn];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === earlier.id) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return false;
}
