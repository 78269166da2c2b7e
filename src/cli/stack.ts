import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { type Command, Option } from 'commander';

import {
  convertToStack,
  renderChange,
  renderChangeJson,
  renderStack,
  type StackConversion,
  type StackFormat,
} from '../convert/index.js';
import { ComposeError } from '../project/errors.js';
import { loadProject } from '../project/load.js';
import { runDockerCli } from './docker-cli.js';
import { makeFolders } from './make-folders.js';
import { newestVersionDeployable } from './stack-version-probe.js';
import { type GlobalFlags, loadOptionsFrom } from './global-options.js';
import type { CliIO } from './io.js';
import { renderWarnings } from './render-error.js';

interface ConvertFlags {
  stackVersion?: string;
  registry?: string;
  strict?: boolean;
}

interface ConvertCommandFlags extends ConvertFlags {
  output?: string;
  format: StackFormat;
}

/** `berth stack`: the project as a Docker Swarm stack, written out or handed to `docker stack`. */
export function stackCommand(program: Command, io: CliIO): Command {
  const stack = program
    .command('stack')
    .description('Export the project to Docker Swarm and deploy it there');
  withConvertOptions(
    stack
      .command('convert')
      .description('Write the project as a Docker Swarm stack file, reporting every key it drops or rewrites')
      .option('-o, --output <file>', 'write the stack file here (secrets given by value go beside it)')
      .addOption(
        new Option('--format <format>', 'stack file and report format')
          .choices(['yaml', 'json'])
          .default('yaml'),
      ),
  ).action(async (flags: ConvertCommandFlags, command: Command) => {
    const output = flags.output === undefined ? undefined : path.resolve(io.cwd, flags.output);
    const contentDir = output === undefined ? undefined : contentFolder(output);
    const conversion = await convert(command, flags, contentDir, flags.format);
    const text = renderStack(conversion, flags.format);
    if (output === undefined) {
      io.stdout(text);
      return;
    }
    await writeOut(output, async () => {
      await writeContentFiles(conversion);
      await makeFolders(path.dirname(output));
      await writeFile(output, text);
    });
  });
  withConvertOptions(
    stack
      .command('deploy')
      .description('Convert the project and deploy it to the swarm with `docker stack deploy`')
      .argument('[name]', 'stack name (default: the project name)')
      .option('--prune', 'remove services the project no longer has')
      .option('--with-registry-auth', 'send registry credentials to the swarm agents')
      .addOption(
        new Option('--resolve-image <when>', 'query the registry for image digests and platforms').choices([
          'always',
          'changed',
          'never',
        ]),
      ),
  ).action(async (name: string | undefined, flags: DeployFlags, command: Command) => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'berth-stack-'));
    try {
      await chmod(folder, 0o700);
      // Without a version asked for, the newest this docker CLI deploys (it may be older than berth).
      const version = flags.stackVersion ?? (await newestVersionDeployable(io, folder));
      const conversion = await convert(
        command,
        { ...flags, stackVersion: version },
        path.join(folder, 'files'),
        'yaml',
      );
      const file = path.join(folder, 'stack.yaml');
      await writeContentFiles(conversion);
      await writeFile(file, renderStack(conversion, 'yaml'), { mode: 0o600 });
      const stackName = name ?? (await projectName(command));
      const args = ['stack', 'deploy', '--compose-file', file];
      if (flags.prune) args.push('--prune');
      if (flags.withRegistryAuth) args.push('--with-registry-auth');
      if (flags.resolveImage !== undefined) args.push('--resolve-image', flags.resolveImage);
      await handOver(io, [...args, stackName], folder);
    } finally {
      // Swarm took the secrets' contents when it created them: nothing refers to these files any more.
      await rm(folder, { recursive: true, force: true });
    }
  });
  stack
    .command('rm')
    .description('Remove a stack deployed to the swarm (`docker stack rm`)')
    .argument('[name]', 'stack name (default: the project name)')
    .action(async (name: string | undefined, _flags: unknown, command: Command) => {
      await handOver(io, ['stack', 'rm', name ?? (await projectName(command))], io.cwd);
    });
  return stack;

  async function convert(
    command: Command,
    flags: ConvertFlags,
    contentDir: string | undefined,
    format: StackFormat,
  ): Promise<StackConversion> {
    const { project, warnings } = await loadProject(
      loadOptionsFrom(command.optsWithGlobals<GlobalFlags>(), io),
    );
    renderWarnings(warnings, io);
    const conversion = convertToStack(project, {
      version: flags.stackVersion,
      registry: flags.registry,
      contentDir,
    });
    const level = flags.strict ? 'error' : 'warning';
    for (const change of conversion.changes) {
      if (format === 'json') io.stderr(`${renderChangeJson(change, level)}\n`);
      else io.stderr(flags.strict ? `error: ${renderChange(change)}\n` : `${renderChange(change)}\n`);
    }
    if (flags.strict && conversion.changes.length > 0) {
      const count = conversion.changes.length;
      throw new ComposeError(
        `the stack file would differ from the project in ${count} key${count === 1 ? '' : 's'}`,
        {
          hint: 'change the project as each line above says, or convert without --strict',
        },
      );
    }
    return conversion;
  }

  async function projectName(command: Command): Promise<string> {
    const { project } = await loadProject(loadOptionsFrom(command.optsWithGlobals<GlobalFlags>(), io));
    return project.name;
  }
}

interface DeployFlags extends ConvertFlags {
  prune?: boolean;
  withRegistryAuth?: boolean;
  resolveImage?: string;
}

function withConvertOptions(command: Command): Command {
  return command
    .option('--stack-version <version>', 'stack file version, 3.0 to 3.13 (default: the newest)')
    .option('--registry <prefix>', 'run a service that only has build: as image <prefix>/<project>-<service>')
    .option('--strict', 'refuse to convert when any key would be dropped or rewritten');
}

/** `stack.yaml` -> `stack.files/` beside it: where secrets and configs given by value are written. */
function contentFolder(output: string): string {
  const stem = path.basename(output, path.extname(output));
  return path.join(path.dirname(output), `${stem}.files`);
}

/** Secret values: folders private to the user, files with the mode the conversion asks for. */
async function writeContentFiles(conversion: StackConversion): Promise<void> {
  for (const file of conversion.files) {
    await makeFolders(path.dirname(file.path), 0o700);
    await writeFile(file.path, file.content, { mode: file.mode });
    await chmod(file.path, file.mode);
  }
}

/** A file that cannot be written (a read-only or missing folder, a full disk) is the user's to fix. */
async function writeOut(output: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new ComposeError(`cannot write the stack file ${output}: ${(error as Error).message}`, {
      hint: 'choose a folder you can write to with -o',
      cause: error,
    });
  }
}

async function handOver(io: CliIO, args: string[], cwd: string): Promise<void> {
  const code = await runDockerCli(io, args, cwd);
  if (code !== 0) {
    throw new ComposeError(`docker ${args.slice(0, 2).join(' ')} failed (exit code ${code})`, {
      hint: 'see its message above',
    });
  }
}
