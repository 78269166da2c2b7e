import type { Command } from 'commander';

import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import { actOnContainers, isActive, serviceContainers } from './service-containers.js';

interface KillFlags {
  signal: string;
  removeOrphans?: boolean;
}

export function killCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('kill')
    .description('Force stop service containers')
    .argument('[service...]', 'services to kill (default: all)')
    .option('-s, --signal <signal>', 'signal to send to the containers', 'SIGKILL')
    .option('--remove-orphans', 'remove containers of services not defined in the compose file')
    .action(async (services: string[], flags: KillFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const project = await context.project(services);
      const access = await context.engine(project.name, 'existing');
      try {
        const engine = access.engine;
        const all = await serviceContainers(engine, project, []);
        const known = (service: string): boolean =>
          service in project.services || service in project.meta.disabledServices;
        const orphans = flags.removeOrphans === true ? all.filter((c) => !known(c.service)) : [];
        const containers = (await serviceContainers(engine, project, services)).filter(
          (c) => isActive(c) && !orphans.some((o) => o.id === c.id),
        );
        if (orphans.length > 0) {
          await actOnContainers(context, [orphans], {
            working: 'Removing',
            done: 'Removed',
            run: (c) => engine.removeContainer(c.id, { force: true }),
          });
        }
        if (containers.length === 0) {
          io.stderr('no container to kill\n');
          return;
        }
        // No order: a kill does not wait for anything, as in docker compose.
        await actOnContainers(context, [containers], {
          working: 'Killing',
          done: 'Killed',
          run: (c) => engine.killContainer(c.id, flags.signal),
        });
      } finally {
        await access.release();
      }
    });
  ownOptionsWin(program, registered);
  return registered;
}
