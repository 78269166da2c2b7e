import { type Command, Option } from 'commander';

import type { LoadOptions } from '../project/options.js';
import type { CliIO } from './io.js';

export interface GlobalFlags {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string[];
  profile?: string[];
  verbose?: boolean;
  engine?: string;
  networking?: string;
  progress?: string;
  ansi?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The flags docker compose accepts before any command. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option('-f, --file <path>', 'compose configuration file (repeatable; - for stdin)').argParser(
        collect,
      ),
    )
    .addOption(new Option('-p, --project-name <name>', 'project name'))
    .addOption(
      new Option(
        '--project-directory <path>',
        "alternate working directory (default: the first file's folder)",
      ),
    )
    .addOption(new Option('--env-file <path>', 'alternate environment file (repeatable)').argParser(collect))
    .addOption(new Option('--profile <name>', 'profile to enable (repeatable)').argParser(collect))
    .addOption(
      new Option(
        '--engine <engine>',
        'engine to run the project: local (default) or docker (env BERTH_ENGINE)',
      ),
    )
    .addOption(
      new Option(
        '--networking <mode>',
        'in-process engine networking: isolated (a network namespace per replica; Linux as root) or host (env BERTH_NETWORKING; default: isolated where possible)',
      ),
    )
    .addOption(new Option('--progress <mode>', 'progress output: auto, tty, plain, json or quiet'))
    .addOption(new Option('--ansi <when>', 'control characters: never, always or auto'))
    .addOption(new Option('--verbose', 'show stack traces of internal errors'));
}

export function loadOptionsFrom(flags: GlobalFlags, io: CliIO, services: string[] = []): LoadOptions {
  const options: LoadOptions = { cwd: io.cwd, env: io.env, services };
  if (flags.file) options.files = flags.file;
  if (flags.projectName !== undefined) options.projectName = flags.projectName;
  if (flags.projectDirectory !== undefined) options.projectDirectory = flags.projectDirectory;
  if (flags.envFile) options.envFiles = flags.envFile;
  if (flags.profile) options.profiles = flags.profile;
  if (io.readStdin) options.readStdin = io.readStdin;
  return options;
}
