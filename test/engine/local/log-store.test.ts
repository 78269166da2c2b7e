import { readdir, readFile, mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  LogWriter,
  MAX_LINE_CHARS,
  formatTimeNs,
  logFilePath,
  parseTimeNs,
  pipeOutputToLog,
  readLogs,
  type LogEntry,
  type ReadLogsOptions,
} from '../../../src/engine/local/log-store.js';

const ID = 'c0ffee';
let dir: string;
const writers: LogWriter[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
});

afterEach(async () => {
  for (const writer of writers.splice(0)) await writer.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(
  logging: { maxSizeBytes?: number; maxFiles: number } = { maxFiles: 1 },
): Promise<LogWriter> {
  const writer = await LogWriter.open(dir, ID, logging);
  writers.push(writer);
  return writer;
}

async function readAll(options: ReadLogsOptions = {}): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for await (const entry of readLogs(dir, ID, options)) entries.push(entry);
  return entries;
}

/** A log file written by hand, with chosen times. */
async function writeFixture(file: string, lines: [string, string][]): Promise<void> {
  const text = lines
    .map(([time, log]) => `${JSON.stringify({ log: `${log}\n`, stream: 'stdout', time })}\n`)
    .join('');
  await writeFile(file, text);
}

async function poll(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('times', () => {
  it('formats with nanoseconds and parses any RFC 3339 form', () => {
    const ns = parseTimeNs('2026-01-02T03:04:05.123456789Z');
    expect(formatTimeNs(ns)).toBe('2026-01-02T03:04:05.123456789Z');
    expect(parseTimeNs('2026-01-02T03:04:05Z')).toBe(parseTimeNs('2026-01-02T03:04:05.000Z'));
    expect(parseTimeNs('2026-01-02T05:04:05.5+02:00')).toBe(parseTimeNs('2026-01-02T03:04:05.500000000Z'));
    expect(() => parseTimeNs('yesterday-ish')).toThrow(/invalid time/);
  });
});

describe('LogWriter', () => {
  it("writes Docker's json-file lines", async () => {
    const writer = await open();
    writer.write('stdout', 'hello');
    writer.write('stderr', 'oops');
    await writer.flush();
    const lines = (await readFile(logFilePath(dir, ID), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as Record<string, string>)).toEqual([
      {
        log: 'hello\n',
        stream: 'stdout',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
      },
      { log: 'oops\n', stream: 'stderr', time: expect.any(String) },
    ]);
  });

  it('rotates by size, keeping max-file files, and reads them back in order', async () => {
    const writer = await open({ maxSizeBytes: 300, maxFiles: 3 });
    for (let i = 0; i < 40; i += 1) writer.write('stdout', `line ${String(i).padStart(3, '0')}`);
    await writer.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`${ID}-json.log`, `${ID}-json.log.1`, `${ID}-json.log.2`]);
    for (const file of files) expect((await stat(path.join(dir, file))).size).toBeLessThan(300 + 120);
    const texts = (await readAll()).map((e) => e.text);
    // The oldest lines were rotated away; what is left is the newest, in order, ending with the last.
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.length).toBeLessThan(40);
    expect(texts.at(-1)).toBe('line 039');
    expect(texts).toEqual([...texts].sort());
    const first = Number(texts[0]!.slice(5));
    expect(texts).toEqual(
      Array.from({ length: 40 - first }, (_, i) => `line ${String(first + i).padStart(3, '0')}`),
    );
  });

  it('truncates instead of rotating when only one file is kept', async () => {
    const writer = await open({ maxSizeBytes: 200, maxFiles: 1 });
    for (let i = 0; i < 20; i += 1) writer.write('stdout', `line ${i}`);
    await writer.close();
    expect(await readdir(dir)).toEqual([`${ID}-json.log`]);
    expect((await readAll()).map((e) => e.text).at(-1)).toBe('line 19');
  });

  it('appends to an existing log (a restarted replica keeps its history)', async () => {
    const first = await open();
    first.write('stdout', 'run 1');
    await first.close();
    const second = await open();
    second.write('stdout', 'run 2');
    await second.close();
    expect((await readAll()).map((e) => e.text)).toEqual(['run 1', 'run 2']);
  });
});

describe('readLogs', () => {
  const times = [
    '2026-01-01T00:00:01.000000000Z',
    '2026-01-01T00:00:02.000000000Z',
    '2026-01-01T00:00:03.000000000Z',
    '2026-01-01T00:00:04.000000000Z',
    '2026-01-01T00:00:05.000000000Z',
  ];

  beforeEach(async () => {
    // Two lines in a rotated file, three in the live one.
    await writeFixture(`${logFilePath(dir, ID)}.1`, [
      [times[0]!, 'one'],
      [times[1]!, 'two'],
    ]);
    await writeFixture(logFilePath(dir, ID), [
      [times[2]!, 'three'],
      [times[3]!, 'four'],
      [times[4]!, 'five'],
    ]);
  });

  it('reads everything across rotated files, oldest first', async () => {
    expect(await readAll()).toEqual(
      ['one', 'two', 'three', 'four', 'five'].map((text, i) => ({ stream: 'stdout', time: times[i], text })),
    );
  });

  it('keeps the last N with tail', async () => {
    expect((await readAll({ tail: 2 })).map((e) => e.text)).toEqual(['four', 'five']);
    expect((await readAll({ tail: 4 })).map((e) => e.text)).toEqual(['two', 'three', 'four', 'five']);
    expect(await readAll({ tail: 0 })).toEqual([]);
  });

  it('filters by since and until (inclusive), then tails', async () => {
    expect((await readAll({ since: '2026-01-01T00:00:02Z' })).map((e) => e.text)).toEqual([
      'two',
      'three',
      'four',
      'five',
    ]);
    expect((await readAll({ until: '2026-01-01T00:00:03.5Z' })).map((e) => e.text)).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(
      (await readAll({ since: '2026-01-01T00:00:02Z', until: '2026-01-01T00:00:04Z', tail: 2 })).map(
        (e) => e.text,
      ),
    ).toEqual(['three', 'four']);
  });

  it('skips lines that are not log entries', async () => {
    await writeFile(
      logFilePath(dir, ID),
      'not json\n{"log":"ok\\n","stream":"stderr","time":"2026-01-01T00:00:09Z"}\n',
    );
    expect((await readAll()).slice(-1)).toEqual([
      { stream: 'stderr', time: '2026-01-01T00:00:09Z', text: 'ok' },
    ]);
  });
});

describe('following', () => {
  it('yields what is written next, through rotations, until the replica is no longer live', async () => {
    const writer = await open({ maxSizeBytes: 150, maxFiles: 3 });
    writer.write('stdout', 'before');
    await writer.flush();
    let live = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const entry of readLogs(dir, ID, { follow: true, tail: 1, isLive: () => live }))
        seen.push(entry.text);
    })();
    await poll(() => seen.length === 1, 'the history');
    for (let i = 0; i < 3; i += 1) {
      writer.write('stdout', `after ${i}`);
      await writer.flush();
      await poll(() => seen.length === 2 + i, `line ${i}`);
    }
    // The last lines arrive just before the replica stops: they are still read.
    writer.write('stderr', 'last words');
    await writer.close();
    live = false;
    await reading;
    expect(seen).toEqual(['before', 'after 0', 'after 1', 'after 2', 'last words']);
  });

  it('ends when its signal aborts', async () => {
    const writer = await open();
    writer.write('stdout', 'x');
    await writer.flush();
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const entry of readLogs(dir, ID, { follow: true, signal: abort.signal }))
        seen.push(entry.text);
    })();
    await poll(() => seen.length === 1, 'the first line');
    abort.abort();
    await reading;
    expect(seen).toEqual(['x']);
  });

  it('waits for a log file that does not exist yet', async () => {
    let live = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const entry of readLogs(dir, ID, { follow: true, isLive: () => live }))
        seen.push(entry.text);
    })();
    const writer = await open();
    writer.write('stdout', 'first');
    await writer.close();
    await poll(() => seen.length === 1, 'the first line');
    live = false;
    await reading;
    expect(seen).toEqual(['first']);
  });
});

describe('pipeOutputToLog', () => {
  it('splits output into lines, cuts very long ones and keeps a last partial line', async () => {
    const writer = await open();
    const output = new PassThrough();
    const piping = pipeOutputToLog(output, 'stdout', writer);
    output.write('a\nb');
    output.write('c\n\n');
    output.write('x'.repeat(MAX_LINE_CHARS + 10));
    output.end('\nno newline');
    await piping;
    await writer.close();
    const raw = (await readFile(logFilePath(dir, ID), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { log: string }).log);
    expect(raw).toEqual([
      'a\n',
      'bc\n',
      '\n',
      'x'.repeat(MAX_LINE_CHARS),
      'x'.repeat(10) + '\n',
      'no newline',
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const writer = await open();
    const output = new PassThrough();
    const piping = pipeOutputToLog(output, 'stderr', writer);
    const bytes = Buffer.from('héllo wörld\n');
    output.write(bytes.subarray(0, 2));
    output.end(bytes.subarray(2));
    await piping;
    await writer.close();
    expect(await readAll()).toEqual([{ stream: 'stderr', time: expect.any(String), text: 'héllo wörld' }]);
  });

  it("pauses a fast writer's pipe while the file writes catch up, losing nothing", async () => {
    const writer = await open();
    const output = new PassThrough();
    let paused = 0;
    output.on('pause', () => (paused += 1));
    const piping = pipeOutputToLog(output, 'stdout', writer);
    // 4 MB at once: far more than the writer queues before it asks for a pause.
    const line = `${'y'.repeat(1023)}\n`;
    for (let i = 0; i < 4096; i += 1) output.write(line);
    output.end();
    await piping;
    await writer.close();
    expect(paused).toBeGreaterThan(0);
    const entries = await readAll();
    expect(entries).toHaveLength(4096);
    expect(entries.every((e) => e.text.length === 1023)).toBe(true);
  });
});
