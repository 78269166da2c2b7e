import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { chooseNetworking } from '../engine/local/network/mode.js';
import type { CliIO } from './io.js';

/** The installed package's version, read from its package.json. */
export function berthVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return pkg && typeof pkg === 'object' && 'version' in pkg ? String(pkg.version) : 'unknown';
}

export function versionCommand(program: Command, io: CliIO): Command {
  return program
    .command('version')
    .description('Show the berth version information')
    .option('--short', 'print only the version number')
    .option('--format <format>', 'output format (pretty or json)', 'pretty')
    .action((flags: { short?: boolean; format: string }, command: Command) => {
      const version = berthVersion();
      if (flags.short) {
        io.stdout(`${version}\n`);
        return;
      }
      const asked = command.optsWithGlobals<{ networking?: string }>().networking;
      const networking = chooseNetworking({
        env: asked === undefined ? io.env : { ...io.env, BERTH_NETWORKING: asked },
      });
      if (flags.format === 'json') {
        const info = {
          version,
          node: process.version,
          networking: networking.mode,
          networkingReason: networking.reason,
        };
        io.stdout(`${JSON.stringify(info)}\n`);
      } else {
        io.stdout(`berth version ${version} (Node.js ${process.version})\n`);
        io.stdout(`networking: ${networking.mode} (${networking.reason})\n`);
      }
    });
}
