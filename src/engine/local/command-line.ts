/**
 * What a replica executes: entrypoint + command, combined the way Docker combines a container's
 * settings with its image's (here: the Dockerfile's defaults, when the service builds from one).
 */
import { ComposeError } from '../../project/errors.js';
import { mapArgument, mapPathsInScript } from './path-mapping.js';
import type { MountPlan } from './types.js';

export interface CommandSources {
  serviceName: string;
  /** `service.image`, named in the error when nothing can be run. */
  image?: string | undefined;
  /** The Dockerfile read for defaults, named in the error; undefined when the service does not build. */
  dockerfile?: string | undefined;
  /** The service's (or `run --entrypoint`'s): undefined = not set; `[]`/null = set to nothing. */
  entrypoint?: string[] | null | undefined;
  command?: string[] | null | undefined;
  imageEntrypoint?: string[] | undefined;
  imageCmd?: string[] | undefined;
}

const HINT =
  'berth runs services without images, so give it a command or an entrypoint, or a build context whose Dockerfile has CMD or ENTRYPOINT';

/**
 * Docker's rule: an entrypoint set on the service replaces the image's and drops the image's CMD; an
 * explicitly empty one (`entrypoint: []`, `""`, null) clears the image's entrypoint but keeps its CMD;
 * a non-empty command replaces the image's CMD. Throws ComposeError when the result is empty.
 */
export function resolveCommandLine(sources: CommandSources): string[] {
  const userEntrypoint = sources.entrypoint === null ? [] : sources.entrypoint;
  const userCommand = sources.command ?? [];
  let argv: string[];
  if (userEntrypoint !== undefined && userEntrypoint.length > 0) {
    argv = [...userEntrypoint, ...userCommand];
  } else {
    const entrypoint = userEntrypoint === undefined ? (sources.imageEntrypoint ?? []) : [];
    const command = userCommand.length > 0 ? userCommand : (sources.imageCmd ?? []);
    argv = [...entrypoint, ...command];
  }
  if (argv.length > 0) return argv;
  let problem = `service "${sources.serviceName}" has no command to run`;
  if (sources.dockerfile !== undefined)
    problem += `: its Dockerfile ${sources.dockerfile} has no CMD or ENTRYPOINT`;
  else if (sources.image !== undefined) problem += `: berth cannot look inside image "${sources.image}"`;
  throw new ComposeError(problem, { hint: HINT });
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'busybox']);

/**
 * Container paths in argv mapped to host paths (see ./path-mapping.ts for the rule): each argument that
 * is an absolute path or `--opt=/path` covered by an explicit mount, and the paths inside the script of
 * `sh -c "script"`.
 */
export function mapArgv(argv: readonly string[], mounts: readonly MountPlan[]): string[] {
  const shell = argv.length > 0 && SHELLS.has(basename(argv[0]!));
  return argv.map((arg, i) => {
    if (shell && i > 0 && argv[i - 1] === '-c') return mapPathsInScript(arg, mounts);
    return mapArgument(arg, mounts);
  });
}

/** `ps`'s COMMAND: the words joined, quoted only where a shell would need it. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

function quoteWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
