import type { Command } from 'commander';

import { buildGraph, dependentsOf } from '../graph/index.js';
import { ComposeError } from '../project/errors.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import {
  actOnContainers,
  checkServices,
  inDependencyOrder,
  parseTimeout,
  reopenToLaunch,
  serviceContainers,
} from './service-containers.js';

interface RestartFlags {
  timeout?: number;
  deps: boolean;
}

export function restartCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('restart')
    .description('Restart service containers, running or stopped')
    .argument('[service...]', 'services to restart (default: all)')
    .option(
      '-t, --timeout <seconds>',
      'seconds to wait for a container to stop before killing it',
      parseTimeout,
    )
    .option('--no-deps', "don't restart the services that depend on the named ones")
    .action(async (services: string[], flags: RestartFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const project = await context.project(services);
      checkServices(project, services);
      // As docker compose: the services that depend on a restarted one restart after it.
      const graph = buildGraph(project);
      const selected =
        services.length === 0 || !flags.deps
          ? services
          : [
              ...new Set([
                ...services,
                ...services.flatMap((s) => dependentsOf(graph, s, { transitive: true })),
              ]),
            ];
      let access = await context.engine(project.name, 'existing');
      try {
        const containers = await serviceContainers(access.engine, project, selected);
        if (containers.length === 0) {
          throw new ComposeError('no containers to restart', { hint: 'create them first with "berth up"' });
        }
        access = await reopenToLaunch(context, project.name, access);
        const engine = access.engine;
        await actOnContainers(context, inDependencyOrder(project, containers, 'start'), {
          working: 'Restarting',
          done: 'Started',
          run: (c) => engine.restartContainer(c.id, flags.timeout),
        });
      } finally {
        await access.release();
      }
    });
  ownOptionsWin(program, registered);
  return registered;
}
