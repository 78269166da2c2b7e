import type { Command } from 'commander';

import type { ContainerInfo } from '../engine/types.js';
import { buildGraph, dependentsOf } from '../graph/index.js';
import { type Plan } from '../reconcile/index.js';
import { PlanBuilder } from '../reconcile/plan-builder.js';
import type { Project } from '../project/types.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import { isActive, parseTimeout, serviceContainers } from './service-containers.js';

interface StopFlags {
  timeout?: number;
}

export function stopCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('stop')
    .description('Stop running containers without removing them')
    .argument('[service...]', 'services to stop (default: all)')
    .option(
      '-t, --timeout <seconds>',
      'seconds to wait for a container to stop before killing it',
      parseTimeout,
    )
    .action(async (services: string[], flags: StopFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const project = await context.project(services);
      const access = await context.engine(project.name, 'existing');
      try {
        const containers = (await serviceContainers(access.engine, project, services)).filter(isActive);
        const plan = planStop(project, containers, flags.timeout);
        if (plan.operations.length === 0) return;
        await context.runPlan(plan, access.engine);
      } finally {
        await access.release();
      }
    });
  ownOptionsWin(program, registered);
  return registered;
}

/** Each container stops after the containers of the services that depend on its service. */
export function planStop(
  project: Project,
  containers: readonly ContainerInfo[],
  timeoutSeconds?: number,
): Plan {
  const graph = buildGraph(project);
  const b = new PlanBuilder(project.name);
  const stopsOf = new Map<string, string[]>();
  const add = (c: ContainerInfo, after: string[]): void => {
    const target = { name: c.name, service: c.service, number: c.number, ref: { id: c.id } };
    const id = b.add(
      'stopContainer',
      c.name,
      timeoutSeconds === undefined ? target : { ...target, timeoutSeconds },
      after,
    );
    stopsOf.set(c.service, [...(stopsOf.get(c.service) ?? []), id]);
  };
  // Dependents first: walk services from the ones nothing depends on.
  const services = [...new Set(containers.map((c) => c.service))];
  const known = services.filter((s) => s in project.services);
  for (const c of containers.filter((c) => !known.includes(c.service))) add(c, []);
  const pending = new Set(known);
  while (pending.size > 0) {
    const ready = [...pending].filter((s) =>
      dependentsOf(graph, s, { transitive: true }).every((d) => !pending.has(d)),
    );
    // A cycle cannot reach here (the graph refuses one); guard anyway against looping forever.
    const batch = ready.length > 0 ? ready : [...pending];
    for (const service of batch) {
      const after = dependentsOf(graph, service, { transitive: true }).flatMap((d) => stopsOf.get(d) ?? []);
      for (const c of containers.filter((c) => c.service === service)) add(c, after);
    }
    for (const service of batch) pending.delete(service);
  }
  return b.build();
}
