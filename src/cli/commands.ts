import type { Command } from 'commander';

import { configCommand } from './config.js';
import { downCommand } from './down.js';
import { eventsCommand } from './events.js';
import { execCommand } from './exec.js';
import { graphCommand } from './graph.js';
import { killCommand } from './kill.js';
import { logsCommand } from './logs.js';
import { lsCommand } from './ls.js';
import { pauseCommand, unpauseCommand } from './pause-unpause.js';
import { portCommand } from './port.js';
import { buildCommand, pullCommand } from './pull-build.js';
import { psCommand } from './ps.js';
import { restartCommand } from './restart.js';
import { rmCommand } from './rm.js';
import { runCommand } from './run.js';
import { scaleCommand } from './scale.js';
import { stackCommand } from './stack.js';
import { startCommand } from './start.js';
import { stopCommand } from './stop.js';
import { topCommand } from './top.js';
import { upCommand } from './up.js';
import { waitCommand } from './wait.js';
import { watchCommand } from './watch.js';
import type { CliIO } from './io.js';
import { versionCommand } from './version.js';

/** Every command, in the order `berth --help` lists them. Loaded only when a command needs more than the loader. */
export function registerAllCommands(program: Command, io: CliIO): void {
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
  watchCommand(program, io);
  execCommand(program, io);
  runCommand(program, io);
  pullCommand(program, io);
  buildCommand(program, io);
  stackCommand(program, io);
  versionCommand(program, io);
}
