import { createInterface } from 'node:readline/promises';

import type { Command } from 'commander';

import type { ContainerInfo } from '../engine/types.js';
import { type Plan } from '../reconcile/index.js';
import { PlanBuilder } from '../reconcile/plan-builder.js';
import type { Project } from '../project/types.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import { isActive, serviceContainers } from './service-containers.js';
import { planStop } from './stop.js';

interface RmFlags {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

export function rmCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('rm')
    .description('Remove stopped service containers')
    .argument('[service...]', 'services whose containers to remove (default: all)')
    .option('-f, --force', "don't ask to confirm removal")
    .option('-s, --stop', 'stop the containers first, if they are running')
    .option('-v, --volumes', 'remove the anonymous volumes attached to the containers')
    .action(async (services: string[], flags: RmFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const project = await context.project(services);
      const access = await context.engine(project.name, 'existing');
      try {
        const all = await serviceContainers(access.engine, project, services, { oneoff: true });
        const containers = flags.stop === true ? all : all.filter((c) => !isActive(c));
        if (containers.length === 0) {
          io.stderr('No stopped containers\n');
          return;
        }
        const names = containers.map((c) => c.name).join(', ');
        if (flags.force !== true && process.stdin.isTTY === true) {
          if (!(await confirm(`Going to remove ${names}\nAre you sure? [yN] `, io))) return;
        } else {
          io.stderr(`Going to remove ${names}\n`);
        }
        const plan = planRemove(project, containers, flags.volumes === true);
        await context.runPlan(plan, access.engine);
      } finally {
        await access.release();
      }
    });
  ownOptionsWin(program, registered);
  return registered;
}

/** Asks on the terminal, as docker compose does; anything but y/yes keeps the containers. */
async function confirm(question: string, io: CliIO): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    io.stderr('\n');
    return false;
  } finally {
    prompt.close();
  }
}

/** Each container removed, after its stop when it still runs (`rm -s`, dependents stopped first). */
export function planRemove(project: Project, containers: readonly ContainerInfo[], volumes: boolean): Plan {
  const stops = planStop(project, containers.filter(isActive));
  const b = new PlanBuilder(project.name);
  for (const c of containers) {
    const target = { name: c.name, service: c.service, number: c.number, ref: { id: c.id } };
    const stop = stops.operations.find(
      (op) => 'ref' in op.target && 'id' in op.target.ref && op.target.ref.id === c.id,
    );
    b.add('removeContainer', c.name, { ...target, volumes, force: false }, [stop?.id]);
  }
  const removes = b.build();
  return { ...removes, operations: [...stops.operations, ...removes.operations] };
}
