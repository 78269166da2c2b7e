import type { Command } from 'commander';

import { CommandContext } from './command-context.js';
import { convergeProject, planErrors } from './converge.js';
import { prepareServiceImages } from './images.js';
import type { CliIO } from './io.js';
import { checkServices } from './service-containers.js';
import { servicesToStart } from './service-selection.js';
import { startWatchMode } from './watch-session.js';

interface WatchFlags {
  up: boolean;
  quiet?: boolean;
}

export function watchCommand(program: Command, io: CliIO): Command {
  return program
    .command('watch')
    .description('Watch the services’ develop.watch paths and the compose files; keep the project in step')
    .argument('[service...]', 'services to watch (default: all with develop.watch rules)')
    .option('--no-up', "don't build and start the services before watching")
    .option('--quiet', 'print only the watcher’s warnings and errors, no progress')
    .action(async (services: string[], flags: WatchFlags, command: Command) => {
      await runWatch(io, command, services, flags);
    });
}

/**
 * `up -d` (unless --no-up), then watching until Ctrl-C or SIGTERM; the project keeps running after it.
 * On the in-process engine the replicas run under the project's detached supervisor, as with `up -d`.
 */
async function runWatch(io: CliIO, command: Command, services: string[], flags: WatchFlags): Promise<void> {
  const ctx = new CommandContext(io, command, { quiet: flags.quiet === true });
  const project = await ctx.project(services);
  checkServices(project, services);
  const access = await ctx.engine(project.name, 'launch');
  try {
    if (flags.up) {
      await prepareServiceImages(ctx, access.engine, project, servicesToStart(project, services), {});
      const result = await convergeProject(ctx, access, project, { services });
      if (!result.ok) throw planErrors(result);
    }
    const session = await startWatchMode(ctx, access, project, {
      services,
      upOptions: { services },
      images: {},
      quiet: flags.quiet === true,
    });
    await interrupted();
    await session.close();
  } finally {
    await access.release();
  }
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
