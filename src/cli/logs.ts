import type { Command } from 'commander';

import { Labels } from '../engine/labels.js';
import type { EngineEvent, LogsOptions } from '../engine/types.js';
import { parseDuration } from '../project/canonical/durations.js';
import { ComposeError } from '../project/errors.js';
import { LogMultiplexer, LogPrinter, replicaName } from '../ui/log-multiplexer.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import { byName, checkServiceNames, engineHostEnded, projectTarget } from './project-target.js';

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  color: boolean;
  logPrefix: boolean;
  index?: string;
}

export function logsCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('logs')
    .description('View output from containers')
    .argument('[service...]', 'only the logs of these services')
    .option('-f, --follow', 'follow log output')
    .option(
      '-n, --tail <lines>',
      'number of lines to show from the end of the logs of each container, or "all"',
      'all',
    )
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'show logs since a timestamp (2013-01-02T13:23:37Z) or relative time (42m)')
    .option('--until <time>', 'show logs before a timestamp (2013-01-02T13:23:37Z) or relative time (42m)')
    .option('--no-color', 'produce monochrome output')
    .option('--no-log-prefix', "don't print prefix in logs")
    .option('--index <n>', 'index of the container if the service has several replicas')
    .action(async (services: string[], flags: LogsFlags, command: Command) => {
      await runLogs(new CommandContext(io, command, { noColor: !flags.color }), services, flags);
    });
  // `logs -f` follows: it is not berth's --file.
  ownOptionsWin(program, registered);
  return registered;
}

async function runLogs(ctx: CommandContext, services: string[], flags: LogsFlags): Promise<void> {
  const now = new Date();
  const options: LogsOptions = { follow: flags.follow === true };
  const tail = parseTail(flags.tail ?? 'all');
  if (tail !== undefined) options.tail = tail;
  if (flags.since !== undefined) options.since = parseLogTime(flags.since, '--since', now);
  if (flags.until !== undefined) options.until = parseLogTime(flags.until, '--until', now);
  const index = flags.index === undefined ? undefined : parseReplicaIndex(flags.index);

  const target = await projectTarget(ctx, services);
  checkServiceNames(target, services);
  const access = await ctx.engine(target.name, 'existing');
  const wanted = (c: { service: string; number: number; oneoff: boolean }): boolean =>
    !c.oneoff &&
    (services.length === 0 || services.includes(c.service)) &&
    (index === undefined || c.number === index);
  // Subscribed before listing, so that a replica started in between is not missed.
  const starts =
    options.follow === true
      ? access.engine.events({ project: target.name })[Symbol.asyncIterator]()
      : undefined;
  try {
    const containers = (
      await access.engine.listContainers({ project: target.name, all: true, oneoff: false })
    )
      .filter((c) => c.project === target.name && wanted(c))
      .sort(byName);
    if (index !== undefined && containers.length === 0) {
      throw new ComposeError(`no container with index ${index}`, {
        hint: 'see "berth ps -a" for the replicas and their numbers',
      });
    }
    if (containers.length === 0) return;

    const printer = new LogPrinter(
      { stdout: ctx.io.stdout, stderr: ctx.io.stderr, drained: ctx.io.drained },
      { color: ctx.terminal.color, prefix: flags.logPrefix, timestamps: flags.timestamps === true },
    );
    // Registered up front so that every prefix has the width of the longest name from the first line.
    for (const c of containers) printer.prefixes.register(replicaName(c));
    const multiplexer = new LogMultiplexer(printer);
    let failure: unknown;
    const streaming = new Set<string>();
    // Each stream with its error handling: done once the host-ended check of a failed one is too.
    const pending = new Set<Promise<void>>();
    const stream = (ids: string[], streamOptions: LogsOptions): void => {
      for (const id of ids) streaming.add(id);
      const chain: Promise<void> = multiplexer
        .add(access.engine.logs(ids, streamOptions))
        // A `down` elsewhere that ends the supervisor ends following too, without an error.
        .catch(async (error: unknown) => {
          if (!(await engineHostEnded(access, target.name))) failure ??= error;
        })
        .finally(() => {
          ids.forEach((id) => streaming.delete(id));
          pending.delete(chain);
        });
      pending.add(chain);
    };
    const allEnded = async (): Promise<void> => {
      while (pending.size > 0) await Promise.all([...pending]);
    };

    if (starts === undefined) {
      stream(
        containers.map((c) => c.id),
        options,
      );
      await allEnded();
    } else {
      // One stream per replica, so that one that starts again (or a new one) is followed anew.
      for (const c of containers) stream([c.id], options);
      const watcher = followStarts(starts, (event) => {
        const container = startedReplica(event);
        if (container === undefined || !wanted(container) || streaming.has(event.id)) return;
        printer.prefixes.register(replicaName(container));
        stream([event.id], { follow: true, since: event.time });
      });
      await untilInterrupted(allEnded(), async () => {
        watcher.stop();
        await multiplexer.close();
      });
    }
    if (failure !== undefined) throw failure;
  } finally {
    // Not awaited: a stream waiting for its next event settles return() only when one comes.
    void starts?.return?.().catch(() => undefined);
    await access.release();
  }
}

/** Calls `onEvent` for each event until stopped; the stream failing (host gone) just ends it. */
function followStarts(
  iterator: AsyncIterator<EngineEvent>,
  onEvent: (event: EngineEvent) => void,
): { stop(): void } {
  let stopped = false;
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (stopped || next.done === true) return;
        onEvent(next.value);
      }
    } catch {
      // Following ends with the streams of the replicas; nothing to report here.
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

/** The replica a `start` event is about, from its compose labels. */
function startedReplica(
  event: EngineEvent,
): { service: string; number: number; oneoff: boolean } | undefined {
  if (event.type !== 'container' || event.action !== 'start') return undefined;
  const service = event.attributes[Labels.service];
  const number = Number(event.attributes[Labels.containerNumber]);
  if (service === undefined || !Number.isInteger(number)) return undefined;
  return { service, number, oneoff: event.attributes[Labels.oneoff] === 'True' };
}

/**
 * Waits for `work`; Ctrl-C (or SIGTERM) ends following through `stop` and the command exits 0, as
 * compose's `logs -f` does.
 */
async function untilInterrupted(work: Promise<void>, stop: () => Promise<void>): Promise<void> {
  let onSignal: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => {
    onSignal = () => resolve();
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.race([work, interrupted]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  }
}

/** `--tail 10` or `all`; undefined for all. */
export function parseTail(value: string): number | undefined {
  if (value === 'all') return undefined;
  if (!/^\d+$/.test(value)) {
    throw new ComposeError(`invalid --tail "${value}"`, { hint: 'give a number of lines or "all"' });
  }
  return Number(value);
}

function parseReplicaIndex(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) {
    throw new ComposeError(`invalid --index "${value}"`, {
      hint: 'a replica number is a whole number from 1',
    });
  }
  return n;
}

/**
 * `--since`/`--until` as Docker reads them: RFC 3339 (`2026-01-02T13:23:37Z`, with or without a
 * fraction or zone), a date, Unix seconds (`1700000000.5`), or a duration back from now (`10m`, `1h30m`).
 */
export function parseLogTime(value: string, flag: string, now: Date = new Date()): string {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return new Date(Number(text) * 1000).toISOString();
  if (/^[\d.]+[a-zµμ]/.test(text)) {
    try {
      return new Date(now.getTime() - parseDuration(text)).toISOString();
    } catch {
      // Not a duration: tried as a time below.
    }
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new ComposeError(`invalid ${flag} "${value}"`, {
      hint: 'give a time (2026-01-02T13:23:37Z) or a duration back from now (10m, 1h30m)',
    });
  }
  return preciseIso(text, time);
}

/** Keeps the nanoseconds of an RFC 3339 time in UTC (Date keeps milliseconds only). */
function preciseIso(text: string, time: number): string {
  const fraction = /T\d{2}:\d{2}:\d{2}\.(\d{4,9})(Z|[+-]\d{2}:\d{2})$/.exec(text)?.[1];
  const iso = new Date(time).toISOString();
  return fraction === undefined ? iso : `${iso.slice(0, 19)}.${fraction}Z`;
}
