import { Command } from 'commander';

import { configCommand } from './config.js';
import { downCommand } from './down.js';
import { eventsCommand } from './events.js';
import { logsCommand } from './logs.js';
import { lsCommand } from './ls.js';
import { portCommand } from './port.js';
import { psCommand } from './ps.js';
import { topCommand } from './top.js';
import { waitCommand } from './wait.js';
import { addGlobalOptions, type GlobalFlags } from './global-options.js';
import { graphCommand } from './graph.js';
import { type CliIO, processIO } from './io.js';
import { renderError } from './render-error.js';
import { NO_ATTACH_ALIAS, upCommand } from './up.js';
import { berthVersion, versionCommand } from './version.js';
import { startCommand } from './start.js';
import { stopCommand } from './stop.js';
import { restartCommand } from './restart.js';
import { killCommand } from './kill.js';
import { rmCommand } from './rm.js';
import { pauseCommand, unpauseCommand } from './pause-unpause.js';
import { scaleCommand } from './scale.js';
import { execCommand } from './exec.js';
import { runCommand } from './run.js';

export function buildProgram(io: CliIO): Command {
  const program = new Command('berth')
    .description('Run Compose projects without a Docker daemon')
    .version(berthVersion(), '-v, --version', 'show the berth version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  addGlobalOptions(program);
  configCommand(program, io);
  graphCommand(program, io);
  upCommand(program, io);
  downCommand(program, io);
  eventsCommand(program, io);
  logsCommand(program, io);
  lsCommand(program, io);
  portCommand(program, io);
  psCommand(program, io);
  topCommand(program, io);
  waitCommand(program, io);
  startCommand(program, io);
  stopCommand(program, io);
  restartCommand(program, io);
  killCommand(program, io);
  rmCommand(program, io);
  pauseCommand(program, io);
  unpauseCommand(program, io);
  scaleCommand(program, io);
  execCommand(program, io);
  runCommand(program, io);
  versionCommand(program, io);
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs the CLI and returns its exit code; every error is rendered here, never thrown. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(rewriteArgv(argv));
    // Commands that end with a code of their own (up --exit-code-from, exec, run) set process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const verbose = program.opts<GlobalFlags>().verbose === true || argv.includes('--verbose');
    return renderError(error, io, verbose);
  }
}

/** `up --no-attach X`: commander would read it as the negation of `--attach`; it gets its own name. */
function rewriteArgv(argv: string[]): string[] {
  return argv.map((arg) =>
    arg === '--no-attach'
      ? NO_ATTACH_ALIAS
      : arg.startsWith('--no-attach=')
        ? `${NO_ATTACH_ALIAS}=${arg.slice(12)}`
        : arg,
  );
}
