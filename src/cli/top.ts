import type { Command } from 'commander';

import type { ContainerInfo, Engine } from '../engine/types.js';
import { formatTable } from '../ui/table.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { byName, checkServiceNames, projectTarget } from './project-target.js';

export function topCommand(program: Command, io: CliIO): Command {
  return program
    .command('top')
    .description('Display the running processes')
    .argument('[service...]', 'only the containers of these services')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      await runTop(new CommandContext(io, command), services);
    });
}

async function runTop(ctx: CommandContext, services: string[]): Promise<void> {
  const target = await projectTarget(ctx, services);
  checkServiceNames(target, services);
  const access = await ctx.engine(target.name, 'existing');
  try {
    const containers = (await access.engine.listContainers({ project: target.name, all: false }))
      .filter((c) => c.project === target.name && c.status === 'running')
      .filter((c) => services.length === 0 || services.includes(c.service))
      .sort(byName);
    const tables = await Promise.all(containers.map((c) => processTable(access.engine, c)));
    ctx.io.stdout(tables.join(''));
  } finally {
    await access.release();
  }
}

/**
 * compose's block per container: its name, its processes as `docker top` prints them, a blank line.
 * A container that stopped since it was listed has no block.
 */
async function processTable(engine: Engine, container: ContainerInfo): Promise<string> {
  let top: { titles: string[]; processes: string[][] };
  try {
    top = await engine.top(container.id);
  } catch (error) {
    const now = await engine.inspectContainer(container.id).catch(() => undefined);
    if (now === undefined || now.status !== 'running') return '';
    throw error;
  }
  // docker's tabwriter for top: minimum width 5, padding 3.
  return `${container.name}\n${formatTable(top.titles, top.processes, { minWidth: 5, padding: 3 })}\n`;
}
