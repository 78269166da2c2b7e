/**
 * `pull` and `build`: the image steps of `up` on their own. On the in-process engine there are no
 * images: both say so and succeed, as there is nothing to fetch or build.
 */
import type { Command } from 'commander';

import type { Engine } from '../engine/types.js';
import type { Project } from '../project/types.js';
import { CommandContext } from './command-context.js';
import { type ImageFlags, prepareServiceImages } from './images.js';
import type { CliIO } from './io.js';
import { checkServices } from './service-containers.js';

export function pullCommand(program: Command, io: CliIO): Command {
  return program
    .command('pull')
    .description('Pull service images')
    .argument('[service...]', 'only these services')
    .option('-q, --quiet', 'pull without printing progress information')
    .action(async (services: string[], flags: { quiet?: boolean }, command: Command) => {
      // Every service with an image, whatever its pull_policy, as compose does; build-only ones are skipped.
      await withImageEngine(
        io,
        command,
        services,
        'pull',
        (project, names) => names.filter((name) => project.services[name]!.image !== undefined),
        { pull: 'always', build: false, quietPull: flags.quiet === true },
      );
    });
}

export function buildCommand(program: Command, io: CliIO): Command {
  return program
    .command('build')
    .description('Build or rebuild services')
    .argument('[service...]', 'only these services')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      await withImageEngine(
        io,
        command,
        services,
        'build',
        (project, names) => names.filter((name) => project.services[name]!.build !== undefined),
        { build: true },
      );
    });
}

async function withImageEngine(
  io: CliIO,
  command: Command,
  services: string[],
  verb: string,
  select: (project: Project, names: string[]) => string[],
  flags: ImageFlags,
): Promise<void> {
  const ctx = new CommandContext(io, command);
  const project = await ctx.project(services);
  checkServices(project, services);
  const access = await ctx.engine(project.name, 'existing');
  try {
    const engine: Engine = access.engine;
    if (engine.prepareImages === undefined) {
      io.stderr(
        `the in-process engine runs no images: nothing to ${verb} (use --engine docker for images)\n`,
      );
      return;
    }
    const names = select(project, services.length > 0 ? services : Object.keys(project.services));
    await prepareServiceImages(ctx, engine, project, names, flags);
  } finally {
    await access.release();
  }
}
