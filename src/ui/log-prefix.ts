/**
 * The `web-1  | ` prefix of attached logs: the name padded to the longest name seen so far plus one,
 * one colour per replica taken in docker compose's palette order.
 */

/** cyan, yellow, green, magenta, blue, then the same five intense (bold). */
export const LOG_PALETTE: readonly string[] = [
  '36',
  '33',
  '32',
  '35',
  '34',
  '36;1',
  '33;1',
  '32;1',
  '35;1',
  '34;1',
];

/** Wraps text in an SGR colour and a reset, as compose's `ansiColor` does. */
export function paint(code: string, text: string): string {
  return `\u001b[${code}m${text}\u001b[0m`;
}

export interface LogPrefixOptions {
  color: boolean;
  /** `--no-log-prefix` sets this to false: lines are printed bare. */
  prefix: boolean;
}

export class LogPrefixes {
  private readonly colors = new Map<string, string | undefined>();
  private nextColor = 0;
  private width = 0;

  constructor(private readonly options: LogPrefixOptions) {}

  /** Gives a name its colour and widens every prefix when it is the longest. */
  register(name: string): void {
    if (this.colors.has(name)) return;
    let code: string | undefined;
    if (this.options.color) {
      code = LOG_PALETTE[this.nextColor % LOG_PALETTE.length];
      this.nextColor++;
    }
    this.colors.set(name, code);
    this.width = Math.max(this.width, [...name].length + 1);
  }

  /** `web-1  | `, coloured; empty with `--no-log-prefix`. */
  prefix(name: string): string {
    this.register(name);
    if (!this.options.prefix) return '';
    const padding = ' '.repeat(Math.max(0, this.width - [...name].length));
    return this.paint(name, `${name}${padding} | `);
  }

  /** Text in the name's colour (status lines), unchanged without colour. */
  paint(name: string, text: string): string {
    this.register(name);
    const code = this.colors.get(name);
    return code === undefined ? text : paint(code, text);
  }

  get color(): boolean {
    return this.options.color;
  }
}
