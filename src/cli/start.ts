import type { Command } from 'commander';

import type { ContainerInfo } from '../engine/types.js';
import { type Plan } from '../reconcile/index.js';
import { PlanBuilder } from '../reconcile/plan-builder.js';
import type { Project, Service } from '../project/types.js';
import { ComposeError } from '../project/errors.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import {
  checkServices,
  inDependencyOrder,
  isActive,
  reopenToLaunch,
  serviceContainers,
} from './service-containers.js';

export function startCommand(program: Command, io: CliIO): Command {
  return program
    .command('start')
    .description('Start existing containers of services')
    .argument('[service...]', 'services to start (default: all)')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const context = new CommandContext(io, command);
      const project = await context.project(services);
      checkServices(project, services);
      let access = await context.engine(project.name, 'existing');
      try {
        const all = await serviceContainers(access.engine, project, []);
        const containers = services.length === 0 ? all : all.filter((c) => services.includes(c.service));
        if (containers.length === 0) {
          throw new ComposeError('no containers to start', {
            hint: 'create them first with "berth up" (or "berth up --no-start")',
          });
        }
        const plan = planStart(project, containers, all);
        if (plan.operations.length === 0) return;
        access = await reopenToLaunch(context, project.name, access);
        await context.runPlan(plan, access.engine);
      } finally {
        await access.release();
      }
    });
}

/**
 * Starts the stopped containers in dependency order: a service's containers start once the
 * depends_on conditions of what it depends on are met, as `up` waits for them.
 */
export function planStart(
  project: Project,
  containers: readonly ContainerInfo[],
  all: readonly ContainerInfo[] = containers,
): Plan {
  const b = new PlanBuilder(project.name);
  const starts = new Map<string, string[]>();
  for (const group of inDependencyOrder(project, containers, 'start')) {
    for (const service of new Set(group.map((c) => c.service))) {
      const stopped = group.filter((c) => c.service === service && !isActive(c));
      if (stopped.length === 0) continue;
      const waits = dependencyWaits(b, project, service, all, starts);
      const ids = stopped.map((c) =>
        b.add(
          'startContainer',
          c.name,
          { name: c.name, service, number: c.number, ref: { id: c.id } },
          waits,
        ),
      );
      starts.set(service, ids);
    }
  }
  return b.build();
}

/** One wait per dependency that has containers, after the starts of that dependency in this plan. */
function dependencyWaits(
  b: PlanBuilder,
  project: Project,
  service: string,
  containers: readonly ContainerInfo[],
  starts: ReadonlyMap<string, string[]>,
): string[] {
  const definition: Service | undefined = project.services[service];
  const waits: string[] = [];
  for (const [dependency, config] of Object.entries(definition?.depends_on ?? {})) {
    const replicas = containers.filter((c) => c.service === dependency && !c.oneoff);
    if (replicas.length === 0) continue;
    const target = {
      service,
      dependency,
      condition: config.condition,
      required: config.required,
      healthcheck: hasHealthcheck(project.services[dependency]),
      containers: replicas.map((c) => ({ name: c.name, ref: { id: c.id } })),
    };
    waits.push(b.add('waitCondition', `${service}:${dependency}`, target, starts.get(dependency) ?? []));
  }
  return waits;
}

function hasHealthcheck(service: Service | undefined): boolean {
  const check = service?.healthcheck;
  if (check === undefined || check.disable === true) return false;
  return check.test !== undefined && check.test.length > 0 && check.test[0] !== 'NONE';
}
