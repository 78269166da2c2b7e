import type { Command } from 'commander';

import { configCommand } from './config.js';
import { graphCommand } from './graph.js';
import { stackCommand } from './stack.js';
import type { CliIO } from './io.js';
import { versionCommand } from './version.js';

/**
 * The commands that only read compose files (and `stack`, which hands the result to the docker CLI):
 * they start without loading the engine.
 */
export const LOADER_COMMANDS = new Set(['config', 'graph', 'stack', 'version']);

export function registerLoaderCommands(program: Command, io: CliIO): void {
  configCommand(program, io);
  graphCommand(program, io);
  stackCommand(program, io);
  versionCommand(program, io);
}
