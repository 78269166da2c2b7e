import { afterEach, describe, expect, it } from 'vitest';

import { ChangeBatcher, netKind } from '../../src/watch/batcher.js';
import type { FileChange, FileChangeKind } from '../../src/watch/types.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const change = (path: string, kind: FileChangeKind, time = Date.now()): FileChange => ({ path, kind, time });

describe('ChangeBatcher', () => {
  const batchers: ChangeBatcher[] = [];
  afterEach(() => {
    for (const batcher of batchers.splice(0)) batcher.close();
  });

  function open(quietMs: number, maxDelayMs: number): { batcher: ChangeBatcher; batches: FileChange[][] } {
    const batches: FileChange[][] = [];
    const batcher = new ChangeBatcher({ quietMs, maxDelayMs, onBatch: (changes) => batches.push(changes) });
    batchers.push(batcher);
    return { batcher, batches };
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  }

  it('emits one batch once changes stop, with one entry per path in the order of first appearance', async () => {
    const { batcher, batches } = open(20, 10_000);
    batcher.push(change('/p/b', 'change', 1));
    batcher.push(change('/p/a', 'add', 2));
    batcher.push(change('/p/b', 'change', 5));
    batcher.push(change('/p/a', 'change', 3));
    await until(() => batches.length > 0);
    await sleep(50);
    expect(batches).toEqual([
      [
        { path: '/p/b', kind: 'change', time: 5 },
        { path: '/p/a', kind: 'add', time: 3 },
      ],
    ]);
  });

  it('starts a new batch for changes after a quiet period', async () => {
    const { batcher, batches } = open(20, 10_000);
    batcher.push(change('/p/a', 'change'));
    await until(() => batches.length === 1);
    batcher.push(change('/p/a', 'change'));
    batcher.push(change('/p/b', 'unlink'));
    await until(() => batches.length === 2);
    expect(batches.map((batch) => batch.map((c) => `${c.kind} ${c.path}`))).toEqual([
      ['change /p/a'],
      ['change /p/a', 'unlink /p/b'],
    ]);
  });

  it('still emits during an endless stream of writes, every maxDelayMs', async () => {
    const { batcher, batches } = open(50, 100);
    let written = 0;
    // Writes every 5 ms never leave 50 ms of quiet: only maxDelayMs can emit.
    while (batches.length < 2 && written < 2_000) {
      batcher.push(change(`/p/${written % 3}`, 'change'));
      written++;
      await sleep(5);
    }
    batcher.close();
    expect(batches).toHaveLength(2);
    expect(batches.every((batch) => batch.length > 0 && batch.length <= 3)).toBe(true);
    expect(written).toBeGreaterThan(2);
  });

  it('flush() emits now, and close() drops pending changes and later pushes', async () => {
    const { batcher, batches } = open(10_000, 10_000);
    batcher.flush();
    expect(batches).toEqual([]);
    batcher.push(change('/p/a', 'add', 1));
    batcher.flush();
    expect(batches).toEqual([[{ path: '/p/a', kind: 'add', time: 1 }]]);
    batcher.push(change('/p/b', 'add', 2));
    batcher.close();
    batcher.push(change('/p/c', 'add', 3));
    batcher.flush();
    expect(batches).toHaveLength(1);
  });

  it('lets onBatch push changes into a new batch', () => {
    const batches: FileChange[][] = [];
    const batcher: ChangeBatcher = new ChangeBatcher({
      quietMs: 10_000,
      maxDelayMs: 10_000,
      onBatch: (changes) => {
        batches.push(changes);
        if (batches.length === 1) batcher.push(change('/p/log', 'change', 9));
      },
    });
    batchers.push(batcher);
    batcher.push(change('/p/a', 'change', 1));
    batcher.flush();
    batcher.flush();
    expect(batches).toEqual([
      [{ path: '/p/a', kind: 'change', time: 1 }],
      [{ path: '/p/log', kind: 'change', time: 9 }],
    ]);
  });
});

describe('netKind', () => {
  it.each<[FileChangeKind, FileChangeKind, FileChangeKind]>([
    ['add', 'unlink', 'unlink'],
    ['unlink', 'add', 'change'],
    ['add', 'change', 'add'],
    ['change', 'change', 'change'],
    ['change', 'unlink', 'unlink'],
    ['change', 'add', 'change'],
    ['addDir', 'unlinkDir', 'unlinkDir'],
    ['unlinkDir', 'addDir', 'addDir'],
  ])('%s then %s -> %s', (first, then, net) => {
    expect(netKind(first, then)).toBe(net);
  });
});
