import { stat } from 'node:fs/promises';

import { type Command, type Option } from 'commander';

import { runExecPlan } from '../engine/local/exec.js';
import type { ContainerInfo, Engine, ExecPlan, ExecRequest } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { checkServices, exitWith, parseIndex, serviceContainers } from './service-containers.js';

interface ExecFlags {
  detach?: boolean;
  env?: string[];
  workdir?: string;
  user?: string;
  index?: number;
  TTY: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function execCommand(program: Command, io: CliIO): Command {
  const command = program
    .command('exec')
    .description('Run a command in a running service container')
    .argument('<service>', 'the service')
    .argument('<command...>', 'the command and its arguments')
    .option('-d, --detach', 'run the command in the background')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory of the command, a container path')
    .option('-u, --user <user>', 'run the command as this user')
    .option('--index <n>', 'replica of the service (default: the first)', parseIndex)
    .option('-T, --no-TTY', "don't allocate a terminal (the in-process engine never does)")
    .option('-i, --interactive', 'keep stdin open (always the case)')
    .action(async (service: string, argv: string[], flags: ExecFlags, cmd: Command) => {
      const context = new CommandContext(io, cmd);
      const project = await context.project([service]);
      checkServices(project, [service]);
      const access = await context.engine(project.name, 'existing');
      let plan: ExecPlan;
      try {
        const containers = await serviceContainers(access.engine, project, [service], { index: flags.index });
        const target = pickContainer(service, containers);
        const request: ExecRequest = {
          command: argv,
          environment: parseEnvironment(flags.env ?? [], io.env),
          tty: flags.TTY && process.stdin.isTTY === true,
          detach: flags.detach === true,
        };
        if (flags.workdir !== undefined) request.workingDir = flags.workdir;
        if (flags.user !== undefined) request.user = flags.user;
        if (access.engine.execAttached !== undefined) {
          // The engine runs the command where the container is; berth relays the streams.
          exitWith(
            await execThroughEngine(access.engine.execAttached.bind(access.engine), target.id, request),
          );
          return;
        }
        plan = await access.engine.prepareExec(target.id, request);
        if (flags.workdir !== undefined && !(await isDirectory(plan.cwd))) {
          throw new ComposeError(`working directory ${flags.workdir} does not exist in ${target.name}`, {
            hint: `it maps to ${plan.cwd} on this machine; mount a folder there or choose another -w`,
          });
        }
      } finally {
        // The command runs on from here on its own: no need to hold the engine meanwhile.
        await access.release();
      }
      // Ctrl-C reaches the command itself (same process group); berth waits for its exit code.
      const ignore = (): void => undefined;
      if (flags.detach !== true) process.on('SIGINT', ignore);
      try {
        const result = await runExecPlan(plan, { detach: flags.detach === true });
        exitWith(result.exitCode);
      } finally {
        process.off('SIGINT', ignore);
      }
    });
  keepArgumentsVerbatim(program, command);
  return command;
}

/**
 * `exec` through the engine's API: stdin is passed on unless detached, and with a terminal on both
 * sides it is put in raw mode so that keys reach the command as typed; Ctrl-C then goes to the command.
 */
async function execThroughEngine(
  execAttached: NonNullable<Engine['execAttached']>,
  id: string,
  request: ExecRequest,
): Promise<number> {
  const raw = request.tty === true && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  const ignore = (): void => undefined;
  if (request.detach !== true) process.on('SIGINT', ignore);
  try {
    const stdio = { stdout: process.stdout, stderr: process.stderr };
    const result = await execAttached(
      id,
      request,
      request.detach === true ? stdio : { ...stdio, stdin: process.stdin },
    );
    return result.exitCode;
  } finally {
    process.off('SIGINT', ignore);
    if (raw) process.stdin.setRawMode(false);
    // A stdin left flowing would keep berth alive after the command ended.
    process.stdin.pause();
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() === true;
}

/** The replica asked for with --index, else the first running one, else the first. */
function pickContainer(service: string, containers: readonly ContainerInfo[]): ContainerInfo {
  const chosen = containers.find((c) => c.status === 'running') ?? containers[0];
  if (chosen === undefined) {
    throw new ComposeError(`service "${service}" is not running`, {
      hint: `start it first: berth up -d ${service}`,
    });
  }
  return chosen;
}

/** `-e KEY=VALUE`, or `-e KEY` to pass the variable from berth's own environment, as docker does. */
export function parseEnvironment(
  entries: readonly string[],
  hostEnv: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const key = at < 0 ? entry : entry.slice(0, at);
    if (key === '') {
      throw new ComposeError(`invalid environment variable: "${entry}"`, { hint: 'use -e KEY=VALUE' });
    }
    if (at >= 0) out[key] = entry.slice(at + 1);
    else if (hostEnv[key] !== undefined) out[key] = hostEnv[key];
  }
  return out;
}

/**
 * Everything after `<command> SERVICE` belongs to the user's command, as with docker compose: neither
 * berth's global flags (`-f`, `-v` ...) nor the command's own are read there, so `berth exec web tail -f
 * log` works. Before SERVICE the command's own options win over global ones (see ./own-options.ts).
 * commander's passThroughOptions would need positional options on the whole program.
 */
export function keepArgumentsVerbatim(program: Command, command: Command): void {
  const programParse = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => {
    const at = firstOperand(program.options, args);
    if (at < 0 || args[at] !== command.name()) return programParse(args);
    const own: string[] = [];
    const global: string[] = [];
    for (let i = at + 1; i < args.length; i++) {
      const arg = args[i]!;
      const option = optionOf(command.options, arg) ?? optionOf(program.options, arg);
      if (arg === '--' || !arg.startsWith('-') || arg.length < 2 || option === undefined) {
        own.push(...args.slice(i));
        break;
      }
      const to = optionOf(command.options, arg) !== undefined ? own : global;
      to.push(arg);
      if (takesNext(option, arg) && i + 1 < args.length) to.push(args[++i]!);
    }
    const parsed = programParse([...args.slice(0, at + 1), ...global]);
    return { operands: parsed.operands, unknown: [...parsed.unknown, ...own] };
  };
  const commandParse = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => {
    const at = firstOperand(command.options, args);
    if (at < 0) return commandParse(args);
    const own = commandParse(args.slice(0, at + 1));
    return { operands: [...own.operands, ...args.slice(at + 1)], unknown: own.unknown };
  };
}

/** The option an argument starts with (`-e`, `-dT`, `--env`, `--env=A=1`, `--no-tty`). */
function optionOf(options: readonly Option[], arg: string): Option | undefined {
  if (!arg.startsWith('-') || arg.length < 2) return undefined;
  const flag = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
  return options.find((o) => o.short === flag || o.long === flag);
}

/** `-e A=1` takes the next argument; `-eA=1` and `--env=A=1` carry their value. */
function takesNext(option: Option, arg: string): boolean {
  return option.required && (arg === option.short || arg === option.long);
}

/** Index of the first argument that is not an option or an option's value; -1 if none or unsure. */
function firstOperand(options: readonly Option[], args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return -1;
    if (arg.length < 2 || !arg.startsWith('-')) return i;
    if (arg === '-h' || arg === '--help') continue;
    const option = optionOf(options, arg);
    // An option commander will reject: let commander see it.
    if (option === undefined) return -1;
    if (takesNext(option, arg)) i++;
  }
  return -1;
}
