/** `pause` and `unpause`: the same walk over the containers of services, in opposite directions. */
import type { Command } from 'commander';

import type { ContainerInfo, Engine } from '../engine/types.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { actOnContainers, serviceContainers } from './service-containers.js';

interface Toggle {
  name: string;
  description: string;
  /** What the `[service...]` argument's help says the command does to them. */
  verb: string;
  /** The state of the containers the command acts on. */
  from: ContainerInfo['status'];
  working: string;
  done: string;
  run: (engine: Engine, id: string) => Promise<void>;
}

function toggleCommand(program: Command, io: CliIO, toggle: Toggle): Command {
  return program
    .command(toggle.name)
    .description(toggle.description)
    .argument('[service...]', `services to ${toggle.verb} (default: all)`)
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const context = new CommandContext(io, command);
      const project = await context.project(services);
      const access = await context.engine(project.name, 'existing');
      try {
        const engine = access.engine;
        const selected = (await serviceContainers(engine, project, services)).filter(
          (c) => c.status === toggle.from,
        );
        await actOnContainers(context, [selected], {
          working: toggle.working,
          done: toggle.done,
          run: (c) => toggle.run(engine, c.id),
        });
      } finally {
        await access.release();
      }
    });
}

export function pauseCommand(program: Command, io: CliIO): Command {
  return toggleCommand(program, io, {
    name: 'pause',
    description: 'Pause the running containers of services',
    verb: 'pause',
    from: 'running',
    working: 'Pausing',
    done: 'Paused',
    run: (engine, id) => engine.pauseContainer(id),
  });
}

export function unpauseCommand(program: Command, io: CliIO): Command {
  return toggleCommand(program, io, {
    name: 'unpause',
    description: 'Resume the paused containers of services',
    verb: 'resume',
    from: 'paused',
    working: 'Unpausing',
    done: 'Unpaused',
    run: (engine, id) => engine.unpauseContainer(id),
  });
}
