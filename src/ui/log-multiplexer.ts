/**
 * Attached output of `up` and `logs`: lines of many replicas merged as they arrive, each behind its
 * prefix, and status lines (`Attaching to api-1, web-1`, `web-1 exited with code 1`).
 */
import type { LogLine } from '../engine/types.js';
import { LogPrefixes } from './log-prefix.js';

export interface LogOutput {
  stdout: (text: string) => void;
  /** Where replicas' stderr lines go; stdout when absent. */
  stderr?: (text: string) => void;
  /** Resolves once the output has taken what was written (a slow reader holds the sources back). */
  drained?: () => Promise<void>;
}

export interface LogPrinterOptions {
  color: boolean;
  /** False with `--no-log-prefix`. Default true. */
  prefix?: boolean;
  /** `--timestamps`: each line starts with its RFC 3339 time, nanoseconds fixed to 9 digits. */
  timestamps?: boolean;
}

/** Compose's short name of a replica, without the project: `web-1`. */
export function replicaName(line: Pick<LogLine, 'service' | 'number'>): string {
  return `${line.service}-${line.number}`;
}

/** Clears the line before a status, as compose does, so it never lands after a partial line. */
const RESET_LINE = '\r\u001b[K';

export class LogPrinter {
  readonly prefixes: LogPrefixes;

  constructor(
    private readonly output: LogOutput,
    private readonly options: LogPrinterOptions,
  ) {
    this.prefixes = new LogPrefixes({ color: options.color, prefix: options.prefix ?? true });
  }

  /** Registers the names (so prefixes line up from the first line) and prints `Attaching to ...`. */
  attaching(names: readonly string[]): void {
    const sorted = [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    for (const name of sorted) this.prefixes.register(name);
    this.output.stdout(`Attaching to ${sorted.join(', ')}\n`);
  }

  line(line: LogLine, name: string = replicaName(line)): void {
    const write = line.stream === 'stderr' ? (this.output.stderr ?? this.output.stdout) : this.output.stdout;
    const prefix = this.prefixes.prefix(name);
    const stamp = this.options.timestamps ? `${fixedNanoTimestamp(line.time)} ` : '';
    write(
      line.text
        .split('\n')
        .map((text) => `${prefix}${stamp}${text}\n`)
        .join(''),
    );
  }

  /** Resolves once the output has taken the lines printed so far. */
  drained(): Promise<void> {
    return this.output.drained?.() ?? Promise.resolve();
  }

  /** `web-1 exited with code 1`, in the replica's colour. */
  status(name: string, message: string): void {
    const reset = this.prefixes.color ? RESET_LINE : '';
    this.output.stdout(this.prefixes.paint(name, `${reset}${name} ${message}`) + '\n');
  }

  exited(name: string, exitCode: number): void {
    this.status(name, `exited with code ${exitCode}`);
  }
}

/** `2024-01-02T03:04:05.1Z` -> `2024-01-02T03:04:05.100000000Z` (Docker's RFC3339NanoFixed). */
export function fixedNanoTimestamp(iso: string): string {
  const match = /^(.+T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!match) return iso;
  const [, seconds, fraction = '', zone] = match;
  return `${seconds}.${fraction.padEnd(9, '0').slice(0, 9)}${zone}`;
}

const CLOSED = Symbol('closed');

/**
 * Prints lines from any number of sources (one per attached replica, or one for many) as they come.
 * Sources can be added while others run, e.g. when a replica restarts or `up` scales.
 */
export class LogMultiplexer {
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  /**
   * What ends each pending read at close(). Not one shared "closed" promise raced with every read:
   * each race adds a reaction to that promise which keeps the line read until close, so a follow
   * that runs long keeps every line it printed.
   */
  private readonly wakeOnClose = new Set<() => void>();

  constructor(private readonly printer: LogPrinter) {}

  /** Consumes a source until it ends or the multiplexer closes; rejects if the source fails. */
  add(source: AsyncIterable<LogLine>, name?: (line: LogLine) => string): Promise<void> {
    const run = this.consume(source, name);
    // Tracked without its error: the caller of add() is the one told about a failing source.
    const settled: Promise<void> = run
      .catch(() => undefined)
      .then(() => {
        this.running.delete(settled);
      });
    this.running.add(settled);
    return run;
  }

  /** Resolves when every source added so far has ended (sources that fail count as ended). */
  async drained(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Stops printing and asks every source to stop; following sources never end by themselves. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakeOnClose) wake();
    await this.drained();
  }

  private async consume(source: AsyncIterable<LogLine>, name?: (line: LogLine) => string): Promise<void> {
    const iterator = source[Symbol.asyncIterator]();
    while (!this.closed) {
      const next = await new Promise<IteratorResult<LogLine> | typeof CLOSED>((resolve, reject) => {
        const wake = (): void => resolve(CLOSED);
        this.wakeOnClose.add(wake);
        iterator.next().then(
          (result) => {
            this.wakeOnClose.delete(wake);
            resolve(result);
          },
          (error: unknown) => {
            this.wakeOnClose.delete(wake);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
      if (next === CLOSED) break;
      if (next.done) return;
      this.printer.line(next.value, name?.(next.value));
      // Backpressure: read the next line only once the output took this one, so memory stays bounded.
      await this.printer.drained();
    }
    // A generator waiting for its next line settles return() only after that line; do not wait for it.
    void iterator.return?.().catch(() => undefined);
  }
}
