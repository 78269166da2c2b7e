import { describe, expect, it } from 'vitest';

import type { LogLine } from '../../src/engine/types.js';
import { fixedNanoTimestamp, LogMultiplexer, LogPrinter, replicaName } from '../../src/ui/log-multiplexer.js';
import { LOG_PALETTE, LogPrefixes, paint } from '../../src/ui/log-prefix.js';

const line = (
  service: string,
  number: number,
  text: string,
  stream: LogLine['stream'] = 'stdout',
): LogLine => ({
  container: `app-${service}-${number}`,
  service,
  number,
  stream,
  time: '2024-05-06T07:08:09.123Z',
  text,
});

function printer(options: { color: boolean; prefix?: boolean; timestamps?: boolean }) {
  const out = { stdout: '', stderr: '' };
  const p = new LogPrinter(
    { stdout: (text) => (out.stdout += text), stderr: (text) => (out.stderr += text) },
    options,
  );
  return { p, out };
}

describe('LogPrefixes', () => {
  it('pads every prefix to the longest name plus one', () => {
    const prefixes = new LogPrefixes({ color: false, prefix: true });
    prefixes.register('web-1');
    prefixes.register('worker-10');
    expect(prefixes.prefix('web-1')).toBe('web-1      | ');
    expect(prefixes.prefix('worker-10')).toBe('worker-10  | ');
  });

  it('gives each name the next colour of compose’s palette, and keeps it', () => {
    const prefixes = new LogPrefixes({ color: true, prefix: true });
    const names = Array.from({ length: 12 }, (_, i) => `s${i}-1`);
    for (const name of names) prefixes.register(name);
    expect(prefixes.prefix('s0-1')).toBe(paint('36', 's0-1   | '));
    expect(prefixes.prefix('s1-1')).toBe(paint('33', 's1-1   | '));
    expect(prefixes.prefix('s5-1')).toBe(paint('36;1', 's5-1   | '));
    expect(prefixes.prefix('s10-1')).toBe(paint(LOG_PALETTE[0]!, 's10-1  | '));
    expect(LOG_PALETTE).toEqual(['36', '33', '32', '35', '34', '36;1', '33;1', '32;1', '35;1', '34;1']);
  });

  it('prints no prefix with --no-log-prefix', () => {
    const prefixes = new LogPrefixes({ color: true, prefix: false });
    expect(prefixes.prefix('web-1')).toBe('');
  });
});

describe('LogPrinter', () => {
  it('prints `web-1  | line`, padded to the longest attached name, without colour', () => {
    const { p, out } = printer({ color: false });
    p.attaching(['web-1', 'api-1', 'worker-2']);
    p.line(line('web', 1, 'listening on 8080'));
    p.line(line('worker', 2, 'job done'));
    expect(out.stdout).toBe(
      [
        'Attaching to api-1, web-1, worker-2',
        'web-1     | listening on 8080',
        'worker-2  | job done',
        '',
      ].join('\n'),
    );
  });

  it('sorts names with numbers in numeric order', () => {
    const { p, out } = printer({ color: false });
    p.attaching(['web-10', 'web-2', 'web-1']);
    expect(out.stdout).toBe('Attaching to web-1, web-2, web-10\n');
  });

  it('colours the prefix when colour is on', () => {
    const { p, out } = printer({ color: true });
    p.attaching(['api-1', 'web-1']);
    p.line(line('web', 1, 'hello'));
    expect(out.stdout).toBe('Attaching to api-1, web-1\n\u001b[33mweb-1  | \u001b[0mhello\n');
  });

  it('widens every prefix when a longer name appears', () => {
    const { p, out } = printer({ color: false });
    p.line(line('web', 1, 'a'));
    p.line(line('database', 1, 'b'));
    p.line(line('web', 1, 'c'));
    expect(out.stdout).toBe('web-1  | a\ndatabase-1  | b\nweb-1       | c\n');
  });

  it('sends stderr lines to stderr', () => {
    const { p, out } = printer({ color: false });
    p.line(line('web', 1, 'oops', 'stderr'));
    expect(out.stderr).toBe('web-1  | oops\n');
    expect(out.stdout).toBe('');
  });

  it('prints bare lines with --no-log-prefix', () => {
    const { p, out } = printer({ color: true, prefix: false });
    p.line(line('web', 1, 'plain'));
    expect(out.stdout).toBe('plain\n');
  });

  it('puts the time after the prefix with --timestamps', () => {
    const { p, out } = printer({ color: false, timestamps: true });
    p.line(line('web', 1, 'hello'));
    expect(out.stdout).toBe('web-1  | 2024-05-06T07:08:09.123000000Z hello\n');
  });

  it('splits a text with newlines into prefixed lines', () => {
    const { p, out } = printer({ color: false });
    p.line(line('web', 1, 'one\ntwo'));
    expect(out.stdout).toBe('web-1  | one\nweb-1  | two\n');
  });

  it('prints status lines in the replica colour', () => {
    const plain = printer({ color: false });
    plain.p.exited('web-1', 1);
    expect(plain.out.stdout).toBe('web-1 exited with code 1\n');

    const coloured = printer({ color: true });
    coloured.p.exited('web-1', 0);
    expect(coloured.out.stdout).toBe('\u001b[36m\r\u001b[Kweb-1 exited with code 0\u001b[0m\n');
  });

  it('names replicas without the project', () => {
    expect(replicaName(line('web', 3, ''))).toBe('web-3');
  });
});

describe('fixedNanoTimestamp', () => {
  it.each([
    ['2024-05-06T07:08:09Z', '2024-05-06T07:08:09.000000000Z'],
    ['2024-05-06T07:08:09.5Z', '2024-05-06T07:08:09.500000000Z'],
    ['2024-05-06T07:08:09.123456789Z', '2024-05-06T07:08:09.123456789Z'],
    ['2024-05-06T07:08:09.1234567891Z', '2024-05-06T07:08:09.123456789Z'],
    ['2024-05-06T07:08:09.25+02:00', '2024-05-06T07:08:09.250000000+02:00'],
    ['yesterday', 'yesterday'],
  ])('%s -> %s', (input, output) => {
    expect(fixedNanoTimestamp(input)).toBe(output);
  });
});

async function* replica(service: string, count: number, delayMs: number): AsyncGenerator<LogLine> {
  for (let i = 1; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    yield line(service, 1, `${service} ${i}`);
  }
}

/** A following source: it never ends by itself, like `logs -f`. */
async function* following(service: string): AsyncGenerator<LogLine> {
  yield line(service, 1, 'first');
  await new Promise(() => undefined);
}

describe('LogMultiplexer', () => {
  it('merges sources as their lines arrive', async () => {
    const { p, out } = printer({ color: false });
    const mux = new LogMultiplexer(p);
    await Promise.all([mux.add(replica('api', 3, 1)), mux.add(replica('web', 2, 2))]);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('api-1  | '))).toEqual([
      'api-1  | api 1',
      'api-1  | api 2',
      'api-1  | api 3',
    ]);
    expect(lines.filter((l) => l.startsWith('web-1  | '))).toEqual(['web-1  | web 1', 'web-1  | web 2']);
  });

  it('waits for sources added while others run', async () => {
    const { p, out } = printer({ color: false });
    const mux = new LogMultiplexer(p);
    void mux.add(replica('api', 1, 1));
    void mux.add(replica('web', 1, 1));
    await mux.drained();
    expect(out.stdout.trimEnd().split('\n').sort()).toEqual(['api-1  | api 1', 'web-1  | web 1']);
  });

  it('closes following sources that never end', async () => {
    const { p, out } = printer({ color: false });
    const mux = new LogMultiplexer(p);
    const done = mux.add(following('web'));
    await expect.poll(() => out.stdout, { timeout: 5000 }).toBe('web-1  | first\n');
    await mux.close();
    await done;
  });

  it('rejects when a source fails', async () => {
    const { p } = printer({ color: false });
    const mux = new LogMultiplexer(p);
    // eslint-disable-next-line require-yield
    const failing = (async function* (): AsyncGenerator<LogLine> {
      throw new Error('engine went away');
    })();
    await expect(mux.add(failing)).rejects.toThrow('engine went away');
    await mux.drained();
  });

  it('uses a custom name for the prefix', async () => {
    const { p, out } = printer({ color: false });
    const mux = new LogMultiplexer(p);
    await mux.add(replica('web', 1, 0), (l) => l.container);
    expect(out.stdout).toBe('app-web-1  | web 1\n');
  });
});
