/**
 * A replica's logs in Docker's json-file format: `<dir>/<id>-json.log`, one JSON object per line
 * (`{"log":"text\n","stream":"stdout","time":"...Z"}`), rotated to `.1`, `.2` ... by size. Writing is
 * buffered with a bounded queue whose back-pressure pauses the process's output pipes; reading walks
 * the rotated files in order and can follow the live one.
 */
import { watch, promises as fs, type FSWatcher } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { ComposeError } from '../../project/errors.js';
import type { RuntimeSpec } from './types.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStream;
  /** RFC 3339 with nanoseconds, UTC. */
  time: string;
  /** The line without its newline. */
  text: string;
}

/** Queued bytes at which writers are told to wait (the output pipes pause). */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Bytes written to the file per system call at most. */
const BATCH_BYTES = 256 * 1024;
/** Docker splits longer lines into partial entries; it also bounds what one line can hold in memory. */
export const MAX_LINE_CHARS = 16 * 1024;
const FOLLOW_POLL_MS = 250;
const READ_CHUNK_BYTES = 64 * 1024;

export function logFilePath(dir: string, id: string): string {
  return path.join(dir, `${id}-json.log`);
}

// Wall-clock nanoseconds: Date.now() gives milliseconds, hrtime the digits below; re-anchored when
// the wall clock moves (NTP) so the two never drift apart.
let clockOriginNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  const ns = clockOriginNs + process.hrtime.bigint();
  const wallNs = BigInt(Date.now()) * 1_000_000n;
  const drift = ns > wallNs ? ns - wallNs : wallNs - ns;
  if (drift > 5_000_000n) {
    clockOriginNs = wallNs - process.hrtime.bigint();
    return wallNs;
  }
  return ns;
}

/** `2026-01-02T03:04:05.123456789Z`. */
export function formatTimeNs(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/** Parses an RFC 3339 time (any fraction length, `Z` or an offset) to nanoseconds since the epoch. */
export function parseTimeNs(time: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(time.trim());
  const whole = match ? Date.parse(`${match[1]}${match[3] ?? 'Z'}`) : Date.parse(time);
  if (Number.isNaN(whole)) {
    throw new ComposeError(`invalid time "${time}"`, {
      hint: 'use an RFC 3339 timestamp such as 2026-01-02T15:04:05Z',
    });
  }
  const fraction = BigInt((match?.[2] ?? '').padEnd(9, '0').slice(0, 9));
  return BigInt(whole) * 1_000_000n + fraction;
}

/** Appends entries to a replica's log file, rotating it by size; never blocks and never throws. */
export class LogWriter {
  private queue: string[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  /** The last write failure (a full disk, a removed folder): logs are dropped, the replica runs on. */
  lastError: unknown;

  private constructor(
    private readonly file: string,
    private handle: FileHandle | undefined,
    private size: number,
    private readonly maxSizeBytes: number | undefined,
    private readonly maxFiles: number,
  ) {}

  static async open(dir: string, id: string, logging: RuntimeSpec['logging']): Promise<LogWriter> {
    const file = logFilePath(dir, id);
    await fs.mkdir(dir, { recursive: true });
    const handle = await fs.open(file, 'a');
    const { size } = await handle.stat();
    return new LogWriter(file, handle, size, logging.maxSizeBytes, Math.max(1, logging.maxFiles));
  }

  /**
   * Queues one entry. `newline: false` marks a partial line (cut at MAX_LINE_CHARS or the last output
   * before exit), stored without `\n` as Docker does. Returns false when the caller should wait for
   * `onDrain` before writing more.
   */
  write(stream: LogStream, text: string, newline = true): boolean {
    if (this.closed) return true;
    const entry = {
      log: newline ? `${text}\n` : text,
      stream,
      time: formatTimeNs(nowNs()),
    };
    const line = `${JSON.stringify(entry)}\n`;
    this.queue.push(line);
    this.queuedBytes += Buffer.byteLength(line);
    this.flushing ??= this.flushLoop();
    return this.queuedBytes < HIGH_WATER_BYTES;
  }

  /** Calls `resume` once the queue is below its limit again (at once if it already is). */
  onDrain(resume: () => void): void {
    if (this.queuedBytes < HIGH_WATER_BYTES) resume();
    else this.drainWaiters.push(resume);
  }

  /** Resolves when everything queued so far is in the file. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Flushes and closes the file; later writes are ignored. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resume of waiters) resume();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.maxSizeBytes !== undefined && this.size >= this.maxSizeBytes) await this.rotate();
        const batch: string[] = [];
        let bytes = 0;
        // Stop a batch where the file reaches its maximum, so that rotation happens between lines.
        const room = this.maxSizeBytes === undefined ? Infinity : this.maxSizeBytes - this.size;
        while (this.queue.length > 0 && bytes < BATCH_BYTES && bytes < room) {
          const line = this.queue.shift()!;
          batch.push(line);
          bytes += Buffer.byteLength(line);
        }
        await this.append(batch.join(''));
        this.size += bytes;
        this.queuedBytes -= bytes;
        if (this.queuedBytes < HIGH_WATER_BYTES) this.releaseWaiters();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async append(text: string): Promise<void> {
    try {
      await this.handle?.write(text);
    } catch (error) {
      this.lastError = error;
    }
  }

  private async rotate(): Promise<void> {
    try {
      await this.handle?.close();
      if (this.maxFiles > 1) {
        // `.n-1` is dropped, every other rotated file moves up by one, the live file becomes `.1`.
        await fs.rm(`${this.file}.${this.maxFiles - 1}`, { force: true });
        for (let n = this.maxFiles - 2; n >= 1; n -= 1) {
          await fs.rename(`${this.file}.${n}`, `${this.file}.${n + 1}`).catch(() => undefined);
        }
        await fs.rename(this.file, `${this.file}.1`);
        this.handle = await fs.open(this.file, 'a');
      } else {
        this.handle = await fs.open(this.file, 'w');
      }
    } catch (error) {
      this.lastError = error;
      this.handle = await fs.open(this.file, 'a').catch(() => undefined);
    }
    this.size = 0;
  }
}

/**
 * Feeds one output pipe into the log, a line per entry, pausing the pipe while the writer's queue is
 * full. Resolves when the pipe has closed and its last partial line is written.
 */
export function pipeOutputToLog(output: Readable, stream: LogStream, writer: LogWriter): Promise<void> {
  output.setEncoding('utf8');
  let partial = '';
  return new Promise<void>((resolve) => {
    const onData = (chunk: string): void => {
      let ok = true;
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        ok = writer.write(stream, partial + chunk.slice(start, end)) && ok;
        partial = '';
        start = end + 1;
      }
      partial += chunk.slice(start);
      while (partial.length >= MAX_LINE_CHARS) {
        ok = writer.write(stream, partial.slice(0, MAX_LINE_CHARS), false) && ok;
        partial = partial.slice(MAX_LINE_CHARS);
      }
      if (!ok) {
        output.pause();
        writer.onDrain(() => output.resume());
      }
    };
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      output.off('data', onData);
      if (partial !== '') writer.write(stream, partial, false);
      partial = '';
      resolve();
    };
    output.on('data', onData);
    output.once('end', finish);
    output.once('close', finish);
    output.once('error', finish);
  });
}

export interface ReadLogsOptions {
  /** The last N entries (after since/until); undefined = all. */
  tail?: number;
  /** RFC 3339; entries at or after it. */
  since?: string;
  /** RFC 3339; entries at or before it. */
  until?: string;
  /** Keep reading what the replica writes next. */
  follow?: boolean;
  /** Ends following (and reading) when aborted. */
  signal?: AbortSignal;
  /**
   * While following: whether the replica may still write. Once it returns false and everything
   * has been read, following ends. Without it, following ends only through `signal`.
   */
  isLive?: () => boolean;
}

interface ParsedEntry extends LogEntry {
  ns: bigint;
}

function parseEntry(line: string): ParsedEntry | undefined {
  try {
    const value = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof value.log !== 'string' || typeof value.time !== 'string') return undefined;
    const stream: LogStream = value.stream === 'stderr' ? 'stderr' : 'stdout';
    const text = value.log.endsWith('\n') ? value.log.slice(0, -1) : value.log;
    return { stream, time: value.time, text, ns: parseTimeNs(value.time) };
  } catch {
    return undefined;
  }
}

/** Reads complete lines from an open file, remembering where it stopped and any partial line. */
class LineReader {
  private position = 0;
  private rest = Buffer.alloc(0);

  constructor(readonly handle: FileHandle) {}

  /** Every complete line from the current position to the end of the file, chunk by chunk. */
  async *lines(): AsyncGenerator<string> {
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      let data = Buffer.concat([this.rest, buffer.subarray(0, bytesRead)]);
      const last = data.lastIndexOf(0x0a);
      if (last === -1) {
        this.rest = data;
        continue;
      }
      this.rest = Buffer.from(data.subarray(last + 1));
      data = data.subarray(0, last);
      for (const line of data.toString('utf8').split('\n')) if (line !== '') yield line;
    }
  }
}

async function rotatedFiles(dir: string, id: string): Promise<string[]> {
  const base = `${id}-json.log.`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(base) && /^\d+$/.test(name.slice(base.length)))
    .map((name) => ({ name, n: Number(name.slice(base.length)) }))
    .sort((a, b) => b.n - a.n)
    .map(({ name }) => path.join(dir, name));
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await fs.open(file, 'r');
  } catch {
    return undefined;
  }
}

/** Resolves after a change in the folder, a poll interval, or an abort; whichever comes first. */
function waitForChange(watcher: FSWatcher | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      watcher?.off('change', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, FOLLOW_POLL_MS);
    watcher?.on('change', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A replica's log entries, oldest first, across rotated files; with `follow`, then what is written
 * next, through rotations, until `signal` aborts or `isLive()` says the replica has stopped.
 */
export async function* readLogs(
  dir: string,
  id: string,
  options: ReadLogsOptions = {},
): AsyncGenerator<LogEntry> {
  const sinceNs = options.since === undefined ? undefined : parseTimeNs(options.since);
  const untilNs = options.until === undefined ? undefined : parseTimeNs(options.until);
  const tail = options.tail;
  const signal = options.signal;
  const kept: LogEntry[] = [];
  let pastUntil = false;
  // The tail applies to the history; what is written while following all goes out.
  let holding = tail !== undefined;

  // Filters one stored line; with a tail, entries are held back until the history has been read.
  const take = (line: string): LogEntry | undefined => {
    const entry = parseEntry(line);
    if (!entry) return undefined;
    if (sinceNs !== undefined && entry.ns < sinceNs) return undefined;
    if (untilNs !== undefined && entry.ns > untilNs) {
      pastUntil = true;
      return undefined;
    }
    const out: LogEntry = { stream: entry.stream, time: entry.time, text: entry.text };
    if (!holding || tail === undefined) return out;
    if (tail <= 0) return undefined;
    kept.push(out);
    if (kept.length > tail) kept.shift();
    return undefined;
  };

  // History: rotated files, oldest first, then the live file up to its current end.
  for (const file of await rotatedFiles(dir, id)) {
    const handle = await openIfExists(file);
    if (!handle) continue;
    try {
      for await (const line of new LineReader(handle).lines()) {
        if (signal?.aborted || pastUntil) break;
        const entry = take(line);
        if (entry) yield entry;
      }
    } finally {
      await handle.close();
    }
  }
  const liveFile = logFilePath(dir, id);
  let reader: LineReader | undefined;
  const handle = await openIfExists(liveFile);
  if (handle) reader = new LineReader(handle);
  let watcher: FSWatcher | undefined;
  try {
    const drain = async function* (): AsyncGenerator<LogEntry> {
      if (!reader) return;
      for await (const line of reader.lines()) {
        if (signal?.aborted || pastUntil) return;
        const entry = take(line);
        if (entry) yield entry;
      }
    };
    yield* drain();
    holding = false;
    yield* kept.splice(0);
    if (!options.follow) return;

    try {
      watcher = watch(dir, { persistent: false });
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined; // polling alone still works
    }
    while (!signal?.aborted && !pastUntil) {
      // Decided before reading, so that the last words of a replica that just stopped are read.
      const live = options.isLive?.() ?? true;
      yield* drain();
      // Rotated (or created) since we opened it: finish the old file, continue with the new one.
      const current = await fs.stat(liveFile).catch(() => undefined);
      const opened = reader ? await reader.handle.stat().catch(() => undefined) : undefined;
      if (current && (!opened || current.ino !== opened.ino)) {
        yield* drain();
        await reader?.handle.close();
        const next = await openIfExists(liveFile);
        reader = next ? new LineReader(next) : undefined;
        continue;
      }
      if (!live) return;
      await waitForChange(watcher, signal);
    }
  } finally {
    watcher?.close();
    await reader?.handle.close().catch(() => undefined);
  }
}
