import type { Command } from 'commander';

import { withProjectLock } from '../engine/local/project-lock.js';
import { buildGraph, selectServices } from '../graph/index.js';
import { observe, planUp } from '../reconcile/index.js';
import { ComposeError } from '../project/errors.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import { checkServices, currentScale } from './service-containers.js';

interface ScaleFlags {
  deps: boolean;
}

export function scaleCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('scale')
    .description('Scale services: SERVICE=REPLICAS ...')
    .argument('<service=replicas...>', 'the number of replicas each service should run')
    .option('--no-deps', "don't start the services the named ones depend on")
    .action(async (pairs: string[], flags: ScaleFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const scale = parseScale(pairs);
      const services = Object.keys(scale);
      const project = await context.project(services);
      checkServices(project, services);
      const access = await context.engine(project.name, 'launch');
      try {
        // Under the project's lock, as `up`: a plan made from what another command is changing is wrong.
        await withProjectLock(access.stateRoot, project.name, async () => {
          // `up --scale svc=n --no-recreate` for those services: only replicas are added or removed.
          const observed = await observe(access.engine, project);
          const deps = flags.deps
            ? selectServices(buildGraph(project), services, { withDependencies: true }).filter(
                (s) => !(s in scale),
              )
            : [];
          const plan = planUp(project, observed, {
            services,
            scale: { ...currentScale(observed.containers, deps), ...scale },
            noRecreate: true,
            noDeps: !flags.deps,
          });
          await context.runPlan(plan, access.engine);
        });
      } finally {
        await access.release();
      }
    });
  ownOptionsWin(program, registered);
  return registered;
}

/** `web=3 worker=0` -> { web: 3, worker: 0 }. */
export function parseScale(pairs: readonly string[]): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([^=]+)=(\d+)$/.exec(pair);
    if (match === null) {
      throw new ComposeError(`invalid scale specifier: ${pair}`, {
        hint: 'use SERVICE=REPLICAS, for example: berth scale web=3',
      });
    }
    scale[match[1]!] = Number(match[2]);
  }
  return scale;
}
