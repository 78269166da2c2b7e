/**
 * Container logs as the Docker Engine API sends them, turned into lines: the stream of a container
 * without a TTY is multiplexed (8-byte frame headers: stream type, 3 zero bytes, payload size), that of a
 * TTY container is raw. Logs are always requested with timestamps (`<RFC 3339 nano> <text>`), one log
 * message per frame; a message longer than the logging driver's buffer arrives in parts without a
 * newline, each with its own timestamp, and is joined again here.
 */
import type { LogLine } from '../types.js';

export type LogStreamName = LogLine['stream'];

/** One line of one container, before it is labelled with the container's name. */
export interface LogRecord {
  stream: LogStreamName;
  time: string;
  text: string;
}

const HEADER = 8;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** Splits an 8-byte-header stream into frames, whatever the chunk boundaries. */
export class FrameDemuxer {
  private buffer: Buffer = Buffer.alloc(0);

  /** The complete frames the chunk finishes; an incomplete one waits for the next chunk. */
  push(chunk: Buffer): { stream: LogStreamName; payload: Buffer }[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: { stream: LogStreamName; payload: Buffer }[] = [];
    let offset = 0;
    while (this.buffer.length - offset >= HEADER) {
      const size = this.buffer.readUInt32BE(offset + 4);
      if (this.buffer.length - offset - HEADER < size) break;
      const type = this.buffer[offset];
      const payload = this.buffer.subarray(offset + HEADER, offset + HEADER + size);
      frames.push({ stream: type === 2 ? 'stderr' : 'stdout', payload });
      offset += HEADER + size;
    }
    this.buffer = this.buffer.subarray(offset);
    return frames;
  }
}

/** Joins the timestamped messages of one stream into lines; a line keeps the time of its first part. */
class LineAssembler {
  private pending: Buffer[] = [];
  private time: string | undefined;

  constructor(
    private readonly stream: LogStreamName,
    private readonly tty: boolean,
  ) {}

  /** One timestamped message: `<time> <text>`, usually ending with a newline. */
  message(message: Buffer): LogRecord[] {
    const { time, text } = splitTimestamp(message);
    this.time ??= time;
    const out: LogRecord[] = [];
    let rest = text;
    for (let at = rest.indexOf(NEWLINE); at >= 0; at = rest.indexOf(NEWLINE)) {
      this.pending.push(rest.subarray(0, at));
      out.push(this.take());
      rest = rest.subarray(at + 1);
    }
    if (rest.length > 0) this.pending.push(rest);
    return out;
  }

  /** What is left when the stream ends (a last line without newline). */
  flush(): LogRecord[] {
    return this.pending.length > 0 ? [this.take()] : [];
  }

  private take(): LogRecord {
    let text = Buffer.concat(this.pending).toString('utf8');
    // A TTY ends lines with CRLF.
    if (this.tty && text.endsWith('\r')) text = text.slice(0, -1);
    const record: LogRecord = { stream: this.stream, time: this.time ?? '', text };
    this.pending = [];
    this.time = undefined;
    return record;
  }
}

function splitTimestamp(message: Buffer): { time: string; text: Buffer } {
  // RFC 3339 with nanoseconds and a zone is at most 35 characters.
  const space = message.subarray(0, 40).indexOf(SPACE);
  if (space > 0 && /^\d{4}-\d\d-\d\dT/.test(message.subarray(0, 11).toString('latin1'))) {
    return { time: message.subarray(0, space).toString('latin1'), text: message.subarray(space + 1) };
  }
  return { time: '', text: message };
}

/**
 * The lines of one container's log response (a Buffer when not following, a stream when following),
 * in order. Breaking out of the iteration leaves the stream to the caller, who destroys it.
 */
export async function* logRecords(
  source: AsyncIterable<Buffer | string> | Buffer,
  tty: boolean,
): AsyncGenerator<LogRecord> {
  const chunks: AsyncIterable<Buffer | string> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  if (tty) {
    // Raw: messages are separated by newlines only.
    const lines = new LineAssembler('stdout', true);
    let carry: Buffer = Buffer.alloc(0);
    for await (const chunk of chunks) {
      let data = carry.length === 0 ? toBuffer(chunk) : Buffer.concat([carry, toBuffer(chunk)]);
      for (let at = data.indexOf(NEWLINE); at >= 0; at = data.indexOf(NEWLINE)) {
        yield* lines.message(data.subarray(0, at + 1));
        data = data.subarray(at + 1);
      }
      carry = data;
    }
    if (carry.length > 0) yield* lines.message(carry);
    yield* lines.flush();
    return;
  }
  const demuxer = new FrameDemuxer();
  const assemblers = {
    stdout: new LineAssembler('stdout', false),
    stderr: new LineAssembler('stderr', false),
  };
  for await (const chunk of chunks) {
    for (const frame of demuxer.push(toBuffer(chunk))) {
      yield* assemblers[frame.stream].message(frame.payload);
    }
  }
  yield* assemblers.stdout.flush();
  yield* assemblers.stderr.flush();
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** `--since`/`--until` for the API: Unix seconds with the fraction the ISO time gives (nanoseconds kept). */
export function unixSeconds(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  const fraction = /T\d\d:\d\d:\d\d\.(\d+)/.exec(iso)?.[1] ?? '';
  const seconds = Math.floor(ms / 1000);
  return fraction === '' ? String(seconds) : `${seconds}.${fraction.slice(0, 9)}`;
}
