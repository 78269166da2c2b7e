import type { Command, Option } from 'commander';

/**
 * After the command's name, its own options win over berth's global ones, as with docker compose:
 * `down -v` removes volumes (not `--version`), `logs -f` follows (not `--file`). commander reads the
 * program's options anywhere on the line, so the command's own are kept out of the program's parse
 * and handed to the command; global options after the command name still work (`ps -p demo`).
 */
export function ownOptionsWin(program: Command, command: Command): void {
  const programParse = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => {
    const at = commandPosition(program.options, args);
    if (at < 0 || args[at] !== command.name()) return programParse(args);
    const own: string[] = [];
    const rest: string[] = [];
    for (let i = at + 1; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--') {
        own.push(...args.slice(i));
        break;
      }
      const option = ownOption(command.options, arg);
      if (option === undefined) {
        rest.push(arg);
        continue;
      }
      own.push(arg);
      if (takesNextArgument(command.options, arg, option) && i + 1 < args.length) own.push(args[++i]!);
    }
    const parsed = programParse([...args.slice(0, at + 1), ...rest]);
    return { operands: parsed.operands, unknown: [...parsed.unknown, ...own] };
  };
}

/** The command's option an argument starts with (`-v`, `-ft`, `--follow`, `--tail=5`). */
function ownOption(options: readonly Option[], arg: string): Option | undefined {
  if (!arg.startsWith('-') || arg.length < 2) return undefined;
  const flag = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
  return options.find((o) => o.short === flag || o.long === flag);
}

/**
 * `-n 5` and `--tail 5` take the next argument; `-n5`, `--tail=5` carry their value; a cluster of
 * short flags (`-ftn 5`) takes it when its last flag wants a value.
 */
function takesNextArgument(options: readonly Option[], arg: string, first: Option): boolean {
  if (arg.startsWith('--')) return first.required && !arg.includes('=');
  for (let at = 1; at < arg.length; at++) {
    const option = options.find((o) => o.short === `-${arg[at]}`);
    if (option === undefined) return false;
    // A flag that wants a value takes the rest of the cluster, or the next argument.
    if (option.required) return at === arg.length - 1;
  }
  return false;
}

/** Index of the program's first operand (the command's name); -1 when unsure. */
function commandPosition(options: readonly Option[], args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return -1;
    if (arg.length < 2 || !arg.startsWith('-')) return i;
    if (arg.startsWith('--') && arg.includes('=')) continue;
    const flag = arg.startsWith('--') ? arg : arg.slice(0, 2);
    const option = options.find((o) => o.long === flag || o.short === flag);
    if (option === undefined) return -1;
    if (option.required && arg === flag) i++;
  }
  return -1;
}
