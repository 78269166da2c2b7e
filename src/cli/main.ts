import { Command } from 'commander';

import { addGlobalOptions, type GlobalFlags } from './global-options.js';
import { type CliIO, processIO } from './io.js';
import { LOADER_COMMANDS, registerLoaderCommands } from './loader-commands.js';
import { rewriteNoAttach } from './no-attach.js';
import { renderError } from './render-error.js';
import { berthVersion } from './version.js';

/** Global options that take a value, to find the command name after them. */
const GLOBAL_WITH_VALUE = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--project-directory',
  '--env-file',
  '--profile',
  '--engine',
  '--progress',
  '--ansi',
]);

/** The command word of a command line (`berth -f x.yaml config` -> `config`), if any. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The program with the commands a command line needs: `config`, `graph` and `version` start without
 * loading the engine (start-up time counts for them); anything else, help included, gets every command.
 */
export async function buildProgram(io: CliIO, args: readonly string[] = []): Promise<Command> {
  const program = new Command('berth')
    .description('Run Compose projects without a Docker daemon')
    .version(berthVersion(), '-v, --version', 'show the berth version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  addGlobalOptions(program);
  const name = commandName(args);
  if (name !== undefined && LOADER_COMMANDS.has(name)) registerLoaderCommands(program, io);
  else (await import('./commands.js')).registerAllCommands(program, io);
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs the CLI and returns its exit code; every error is rendered here, never thrown. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const args = rewriteNoAttach(argv.slice(2));
  let program: Command | undefined;
  try {
    program = await buildProgram(io, args);
    await program.parseAsync(args, { from: 'user' });
    // Commands that end with a code of their own (up --exit-code-from, exec, run) set process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const verbose = program?.opts<GlobalFlags>().verbose === true || argv.includes('--verbose');
    return renderError(error, io, verbose);
  }
}
