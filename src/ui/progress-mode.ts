/**
 * How berth writes to the terminal, decided once at the CLI's edge like docker compose does:
 * `--progress` (or COMPOSE_PROGRESS), `--ansi` (or COMPOSE_ANSI), NO_COLOR and `--no-color`.
 */
import { ComposeError } from '../project/errors.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json', 'quiet'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
/** The progress display actually used once `auto` is resolved. */
export type ProgressDisplay = Exclude<ProgressMode, 'auto'>;

export const ANSI_MODES = ['never', 'always', 'auto'] as const;
export type AnsiMode = (typeof ANSI_MODES)[number];

export interface TerminalInput {
  /** `--progress`, when given. */
  progress?: string | undefined;
  /** `--ansi`, when given. */
  ansi?: string | undefined;
  /** `--no-color` of `up` and `logs`. */
  noColor?: boolean | undefined;
  env: Record<string, string | undefined>;
  /** Logs and tables go to stdout; progress goes to stderr. */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

export interface TerminalSettings {
  progress: ProgressDisplay;
  /** Colour log prefixes and status lines. */
  color: boolean;
  ansi: AnsiMode;
}

export function parseProgressMode(value: string): ProgressMode {
  if (value === 'none') return 'quiet'; // docker compose's alias
  if ((PROGRESS_MODES as readonly string[]).includes(value)) return value as ProgressMode;
  throw new ComposeError(`unsupported --progress value "${value}"`, {
    hint: `use one of ${PROGRESS_MODES.join(', ')}`,
  });
}

export function parseAnsiMode(value: string): AnsiMode {
  if ((ANSI_MODES as readonly string[]).includes(value)) return value as AnsiMode;
  throw new ComposeError(`unsupported --ansi value "${value}"`, {
    hint: `use one of ${ANSI_MODES.join(', ')}`,
  });
}

/** Flags win over the environment; conflicting choices fail as they do in docker compose. */
export function resolveTerminalSettings(input: TerminalInput): TerminalSettings {
  const ansi = parseAnsiMode(nonEmpty(input.ansi) ?? nonEmpty(input.env.COMPOSE_ANSI) ?? 'auto');
  const progress = parseProgressMode(
    nonEmpty(input.progress) ?? nonEmpty(input.env.COMPOSE_PROGRESS) ?? 'auto',
  );
  const noColorEnv = nonEmpty(input.env.NO_COLOR) !== undefined;
  const ansiAllowed = ansi === 'always' || (ansi === 'auto' && input.stdoutIsTTY);
  const color = ansiAllowed && !noColorEnv && input.noColor !== true;
  return { progress: resolveProgress(progress, ansi, input), color, ansi };
}

function resolveProgress(progress: ProgressMode, ansi: AnsiMode, input: TerminalInput): ProgressDisplay {
  switch (progress) {
    case 'auto':
      if (ansi === 'never') return 'plain';
      if (ansi === 'always') return 'tty';
      // Live rendering needs both: stderr to draw on, stdout not piped into a file or another program.
      return input.stdoutIsTTY && input.stderrIsTTY ? 'tty' : 'plain';
    case 'tty':
      if (ansi === 'never') {
        throw new ComposeError("can't use --progress tty while ANSI support is disabled", {
          hint: 'drop --ansi never (or COMPOSE_ANSI=never), or use --progress plain',
        });
      }
      return 'tty';
    case 'plain':
      if (ansi === 'always') {
        throw new ComposeError("can't use --progress plain while ANSI support is forced", {
          hint: 'drop --ansi always (or COMPOSE_ANSI=always), or use --progress tty',
        });
      }
      return 'plain';
    default:
      return progress;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
