import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

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
    .action((flags: { short?: boolean; format: string }) => {
      const version = berthVersion();
      if (flags.short) io.stdout(`${version}\n`);
      else if (flags.format === 'json') io.stdout(`${JSON.stringify({ version, node: process.version })}\n`);
      else io.stdout(`berth version ${version} (Node.js ${process.version})\n`);
    });
}
