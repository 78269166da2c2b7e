import { type Command, CommanderError } from 'commander';

import { ComposeError } from '../project/errors.js';
import { CommandContext } from './command-context.js';
import { bringDown, hostExited } from './down.js';
import type { CliIO } from './io.js';
import { byName, checkServiceNames, engineHostEnded, projectTarget } from './project-target.js';

interface WaitFlags {
  downProject?: boolean;
}

export function waitCommand(program: Command, io: CliIO): Command {
  return program
    .command('wait')
    .description('Block until the containers of all given services stop')
    .argument('<service...>', 'the services to wait for')
    .option('--down-project', 'stop and remove the project when the first container stops')
    .action(async (services: string[], flags: WaitFlags, command: Command) => {
      const code = await runWait(new CommandContext(io, command), services, flags);
      // main() renders a CommanderError as its exit code alone, without a message.
      if (code !== 0) throw new CommanderError(code, 'berth.exitCode', '');
    });
}

/**
 * Prints each container's exit code as it stops, by id like compose; the command's code is the first
 * one's. With --down-project the project goes down (orphans too, as compose does) after the first.
 */
async function runWait(ctx: CommandContext, services: string[], flags: WaitFlags): Promise<number> {
  const target = await projectTarget(ctx, services);
  checkServiceNames(target, services);
  const access = await ctx.engine(target.name, 'existing');
  let shutDown = false;
  try {
    const engine = access.engine;
    // Stopped ones count too: a one-shot job that already ended reports its code at once.
    const containers = (await engine.listContainers({ project: target.name, all: true, oneoff: false }))
      .filter((c) => c.project === target.name && !c.oneoff && services.includes(c.service))
      .sort(byName);
    if (containers.length === 0) {
      throw new ComposeError(
        `no containers for ${services.map((s) => `"${s}"`).join(', ')} in project "${target.name}"`,
        {
          hint: 'start them first (berth up -d)',
        },
      );
    }
    let first: number | undefined;
    let downing = false;
    let afterHost: Promise<Map<string, number>> | undefined;
    const exitCode = async (id: string): Promise<number> => {
      try {
        return await engine.waitContainer(id);
      } catch (error) {
        if (downing || !(await engineHostEnded(access, target.name))) throw error;
        // A foreground `up` that ended stopped its containers with it: their codes are in its state.
        afterHost ??= exitCodesAfterHost(ctx, target.name, access.stateRoot);
        const code = (await afterHost).get(id);
        if (code === undefined) throw error;
        return code;
      }
    };
    // With --down-project only the first exit is reported: the others are the down's doing.
    const exited = containers.map((c) =>
      exitCode(c.id).then((code) => {
        if (first !== undefined && flags.downProject === true) return;
        ctx.io.stdout(`container "${c.id}" exited with status code ${code}\n`);
        first ??= code;
      }),
    );
    if (flags.downProject === true) {
      // The down ends the engine's host: the waits still pending then fail, and are not needed.
      for (const wait of exited) wait.catch(() => undefined);
      await Promise.race(exited);
      downing = true;
      shutDown = await bringDown(ctx, target, access, { removeOrphans: true });
    } else {
      await Promise.all(exited);
    }
    return first ?? 0;
  } finally {
    if (!shutDown) await access.release();
  }
}

/** Exit codes from the state a host left once it has exited, through a view of it. */
async function exitCodesAfterHost(
  ctx: CommandContext,
  project: string,
  stateRoot: string,
): Promise<Map<string, number>> {
  await hostExited(stateRoot, project);
  const view = await ctx.engine(project, 'existing');
  try {
    const containers = await view.engine.listContainers({ project, all: true });
    return new Map(containers.map((c) => [c.id, c.exitCode]));
  } finally {
    await view.release();
  }
}
