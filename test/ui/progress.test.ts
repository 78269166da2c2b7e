import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { createProgress, jsonLine, plainLine } from '../../src/ui/progress.js';
import type { ProgressEvent } from '../../src/ui/progress-event.js';

const up: ProgressEvent[] = [
  {
    type: 'operation',
    id: 'network:default',
    resource: 'Network app_default',
    status: 'working',
    text: 'Creating',
  },
  {
    type: 'operation',
    id: 'network:default',
    resource: 'Network app_default',
    status: 'done',
    text: 'Created',
  },
  {
    type: 'operation',
    id: 'container:web-1',
    resource: 'Container app-web-1',
    status: 'working',
    text: 'Creating',
  },
  {
    type: 'operation',
    id: 'container:db-1',
    resource: 'Container app-db-1',
    status: 'working',
    text: 'Starting',
  },
  { type: 'warning', message: 'Found orphan containers ([app-old-1]) for this project.' },
  {
    type: 'operation',
    id: 'container:db-1',
    resource: 'Container app-db-1',
    status: 'done',
    text: 'Started',
  },
  {
    type: 'operation',
    id: 'container:web-1',
    resource: 'Container app-web-1',
    status: 'error',
    text: 'Error',
    message: 'port 8080 is already in use',
  },
  { type: 'operation', id: 'volume:data', resource: 'Volume app_data', status: 'skipped', text: 'Exists' },
];

function capture(): { write: (text: string) => void; text: () => string } {
  let text = '';
  return { write: (chunk) => (text += chunk), text: () => text };
}

async function render(display: 'plain' | 'json' | 'quiet', dryRun = false): Promise<string> {
  const out = capture();
  const progress = createProgress({
    display,
    write: out.write,
    dryRun,
    now: () => new Date('2024-05-06T07:08:09.000Z'),
  });
  for (const event of up) progress.event(event);
  await progress.stop();
  return out.text();
}

describe('plain progress', () => {
  it("prints compose's plain lines", async () => {
    expect(await render('plain')).toBe(
      [
        ' Network app_default  Creating',
        ' Network app_default  Created',
        ' Container app-web-1  Creating',
        ' Container app-db-1  Starting',
        'WARNING: Found orphan containers ([app-old-1]) for this project.',
        ' Container app-db-1  Started',
        ' Container app-web-1  Error port 8080 is already in use',
        ' Volume app_data  Exists',
        '',
      ].join('\n'),
    );
  });

  it('marks a dry run', () => {
    expect(plainLine(up[1]!, true)).toBe('DRY-RUN MODE - Network app_default  Created');
  });
});

describe('json progress', () => {
  it('prints one JSON object per event', async () => {
    const lines = (await render('json')).trimEnd().split('\n');
    expect(lines).toHaveLength(up.length);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { id: 'Network app_default', text: 'Creating' },
      { id: 'Network app_default', text: 'Created' },
      { id: 'Container app-web-1', text: 'Creating' },
      { id: 'Container app-db-1', text: 'Starting' },
      {
        level: 'warning',
        msg: 'Found orphan containers ([app-old-1]) for this project.',
        time: '2024-05-06T07:08:09.000Z',
      },
      { id: 'Container app-db-1', text: 'Started' },
      { id: 'Container app-web-1', text: 'Error', status: 'port 8080 is already in use' },
      { id: 'Volume app_data', text: 'Exists' },
    ]);
  });

  it('marks a dry run', () => {
    expect(JSON.parse(jsonLine(up[0]!, { dryRun: true }))).toEqual({
      'dry-run': true,
      id: 'Network app_default',
      text: 'Creating',
    });
  });
});

describe('quiet progress', () => {
  it('prints nothing', async () => {
    expect(await render('quiet')).toBe('');
  });
});

/** A stream that is not a terminal, standing in for stderr; listr2 only writes to it. */
function stringStream(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const writable = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream: writable as unknown as NodeJS.WriteStream, text: () => text };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

describe('terminal progress (listr2)', () => {
  for (const renderer of ['simple', 'verbose'] as const) {
    it(`runs one task per resource and ends on the summary (${renderer} renderer)`, async () => {
      const out = stringStream();
      const progress = createProgress({
        display: 'tty',
        write: () => undefined,
        stream: out.stream,
        renderer,
      });
      for (const event of up) {
        progress.event(event);
        // Let listr2 start the tasks of resources that just appeared.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await progress.stop();
      const text = stripAnsi(out.text());
      expect(text).toContain('Network app_default  Created');
      expect(text).toContain('Container app-db-1   Started');
      expect(text).toContain('Container app-web-1  Error port 8080 is already in use');
      expect(text).toContain('Volume app_data      Exists');
      expect(text).toMatch(/\[\+\] Running 4\/4/);
      expect(text.trimEnd().split('\n').at(-1)).toBe(
        'WARNING: Found orphan containers ([app-old-1]) for this project.',
      );
    });
  }

  it('settles when stopped with resources still working, without claiming success', async () => {
    const out = stringStream();
    const progress = createProgress({
      display: 'tty',
      write: () => undefined,
      stream: out.stream,
      renderer: 'simple',
    });
    progress.event({
      type: 'operation',
      id: 'a',
      resource: 'Container app-a-1',
      status: 'working',
      text: 'Stopping',
    });
    await progress.stop();
    const text = stripAnsi(out.text());
    expect(text).toContain('[+] Running 0/1');
    expect(text).not.toMatch(/✔ Container app-a-1/);
  });

  it('ignores resources that appear after it stopped', async () => {
    const out = stringStream();
    const progress = createProgress({
      display: 'tty',
      write: () => undefined,
      stream: out.stream,
      renderer: 'simple',
    });
    progress.event({
      type: 'operation',
      id: 'a',
      resource: 'Container app-a-1',
      status: 'done',
      text: 'Started',
    });
    await progress.stop();
    progress.event({
      type: 'operation',
      id: 'b',
      resource: 'Container app-b-1',
      status: 'done',
      text: 'Started',
    });
    await progress.stop();
    expect(stripAnsi(out.text())).not.toContain('app-b-1');
  });

  it('draws nothing when no event came', async () => {
    const out = stringStream();
    const progress = createProgress({
      display: 'tty',
      write: () => undefined,
      stream: out.stream,
      renderer: 'simple',
    });
    await progress.stop();
    expect(out.text()).toBe('');
  });

  it('uses the given summary verb', async () => {
    const out = stringStream();
    const progress = createProgress({
      display: 'tty',
      write: () => undefined,
      stream: out.stream,
      renderer: 'simple',
      title: 'Stopping',
    });
    progress.event({
      type: 'operation',
      id: 'a',
      resource: 'Container app-a-1',
      status: 'done',
      text: 'Stopped',
    });
    await progress.stop();
    expect(stripAnsi(out.text())).toContain('[+] Stopping 1/1');
  });
});
