import { describe, expect, it } from 'vitest';

import { FeedbackGuard } from '../../src/watch/feedback-guard.js';
import type { FileChange } from '../../src/watch/types.js';

const changed = (path: string, time: number): FileChange => ({ path, kind: 'change', time });

describe('FeedbackGuard', () => {
  it('stops a restart that writes into its own watched path after one extra trigger', () => {
    const guard = new FeedbackGuard({ settleMs: 500, rounds: 2 });
    const triggers: string[][] = [];
    const reported: string[] = [];
    // The user edits the source once; every restart of the service then rewrites app.log.
    let batch = [changed('/p/src/app.js', 1_000)];
    let now = 2_000;
    for (let round = 0; round < 10 && batch.length > 0; round++) {
      const result = guard.filter('web', batch);
      reported.push(...result.loopPaths);
      if (result.changes.length === 0) break;
      triggers.push(result.changes.map((c) => c.path));
      guard.actionStarted('web', now);
      const logWrite = now + 100;
      guard.actionEnded('web', now + 200);
      batch = [changed('/p/app.log', logWrite)];
      now += 1_000;
    }
    expect(triggers).toEqual([['/p/src/app.js'], ['/p/app.log']]);
    expect(reported).toEqual(['/p/app.log']);

    // Later self-caused writes to the loop path stay ignored and are not reported again.
    guard.actionStarted('web', 10_000);
    guard.actionEnded('web', 10_100);
    expect(guard.filter('web', [changed('/p/app.log', 10_050)])).toEqual({ changes: [], loopPaths: [] });
  });

  it('lets a user edit to a loop path through when it comes outside the window', () => {
    const guard = new FeedbackGuard({ settleMs: 500, rounds: 2 });
    guard.filter('web', [changed('/p/src/app.js', 100)]);
    guard.actionStarted('web', 200);
    guard.actionEnded('web', 300);
    expect(guard.filter('web', [changed('/p/app.log', 250)]).changes).toHaveLength(1);
    guard.actionStarted('web', 400);
    guard.actionEnded('web', 500);
    expect(guard.filter('web', [changed('/p/app.log', 450)])).toEqual({
      changes: [],
      loopPaths: ['/p/app.log'],
    });

    const edit = changed('/p/app.log', 5_000);
    expect(guard.filter('web', [edit])).toEqual({ changes: [edit], loopPaths: [] });
    // A mixed batch: the in-window loop write is dropped, the user's edit to another file passes.
    guard.actionStarted('web', 6_000);
    const userEdit = changed('/p/src/app.js', 6_050);
    const result = guard.filter('web', [changed('/p/app.log', 6_010), userEdit]);
    expect(result).toEqual({ changes: [userEdit], loopPaths: [] });
  });

  it('counts changes while an action still runs as in-window', () => {
    const guard = new FeedbackGuard({ rounds: 2 });
    guard.actionStarted('web', 100);
    expect(guard.filter('web', [changed('/p/cache', 5_000)]).changes).toHaveLength(1);
    guard.actionStarted('web', 6_000);
    expect(guard.filter('web', [changed('/p/cache', 60_000)]).loopPaths).toEqual(['/p/cache']);
  });

  it('does not form a loop from different paths in-window', () => {
    const guard = new FeedbackGuard({ settleMs: 500, rounds: 2 });
    guard.actionStarted('web', 100);
    guard.actionEnded('web', 200);
    expect(guard.filter('web', [changed('/p/a', 150)]).changes).toHaveLength(1);
    guard.actionStarted('web', 300);
    guard.actionEnded('web', 400);
    expect(guard.filter('web', [changed('/p/b', 350)])).toEqual({
      changes: [changed('/p/b', 350)],
      loopPaths: [],
    });
    guard.actionStarted('web', 500);
    guard.actionEnded('web', 600);
    // Shares /p/b with the previous batch: only that path loops, the new one passes.
    const result = guard.filter('web', [changed('/p/b', 550), changed('/p/c', 560)]);
    expect(result).toEqual({ changes: [changed('/p/c', 560)], loopPaths: ['/p/b'] });
  });

  it('needs both batches in-window: an out-of-window batch in between breaks the chain', () => {
    const guard = new FeedbackGuard({ settleMs: 500, rounds: 2 });
    guard.actionStarted('web', 100);
    guard.actionEnded('web', 200);
    expect(guard.filter('web', [changed('/p/a', 150)]).changes).toHaveLength(1);
    expect(guard.filter('web', [changed('/p/a', 5_000)]).changes).toHaveLength(1);
    guard.actionStarted('web', 6_000);
    guard.actionEnded('web', 6_100);
    expect(guard.filter('web', [changed('/p/a', 6_050)])).toEqual({
      changes: [changed('/p/a', 6_050)],
      loopPaths: [],
    });
    // A change before the action started is not in its window either.
    expect(guard.filter('web', [changed('/p/a', 5_999)]).loopPaths).toEqual([]);
  });

  it('keeps services independent', () => {
    const guard = new FeedbackGuard({ settleMs: 500, rounds: 2 });
    guard.actionStarted('web', 100);
    guard.actionEnded('web', 200);
    guard.actionStarted('worker', 100);
    guard.actionEnded('worker', 200);
    expect(guard.filter('web', [changed('/p/shared.log', 150)]).changes).toHaveLength(1);
    // The first in-window batch of worker: nothing to compare with yet.
    expect(guard.filter('worker', [changed('/p/shared.log', 160)]).changes).toHaveLength(1);
    guard.actionStarted('web', 300);
    guard.actionEnded('web', 400);
    expect(guard.filter('web', [changed('/p/shared.log', 350)]).loopPaths).toEqual(['/p/shared.log']);
    // worker's window is over: the same path still triggers it.
    expect(guard.filter('worker', [changed('/p/shared.log', 5_000)]).changes).toHaveLength(1);
  });

  it('by default needs three rounds: a developer saving one file twice right after a restart is no loop', () => {
    const guard = new FeedbackGuard({ settleMs: 500 });
    guard.filter('web', [changed('/p/src/app.js', 100)]);
    for (const [start, save] of [
      [200, 400],
      [500, 700],
    ]) {
      guard.actionStarted('web', start!);
      guard.actionEnded('web', start! + 100);
      expect(guard.filter('web', [changed('/p/src/app.js', save!)]).changes).toHaveLength(1);
    }
    // A third self-caused round in a row is a loop.
    guard.actionStarted('web', 800);
    guard.actionEnded('web', 900);
    expect(guard.filter('web', [changed('/p/src/app.js', 950)])).toEqual({
      changes: [],
      loopPaths: ['/p/src/app.js'],
    });
  });

  it('widens the window by as long as a slow action took, up to a second', () => {
    const guard = new FeedbackGuard({ settleMs: 500, rounds: 2 });
    // A restart that took 800 ms (a loaded machine): a write 1.2 s after it ended still counts as its own.
    guard.actionStarted('web', 1_000);
    guard.actionEnded('web', 1_800);
    expect(guard.filter('web', [changed('/p/app.log', 3_000)]).changes).toHaveLength(1);
    guard.actionStarted('web', 4_000);
    guard.actionEnded('web', 4_800);
    expect(guard.filter('web', [changed('/p/app.log', 6_000)])).toEqual({
      changes: [],
      loopPaths: ['/p/app.log'],
    });
    // A rebuild of a minute widens it by one second only: a user edit 2 s after it is the user's.
    const other = new FeedbackGuard({ settleMs: 500, rounds: 1 });
    other.actionStarted('api', 10_000);
    other.actionEnded('api', 70_000);
    expect(other.filter('api', [changed('/p/src/a.js', 72_000)]).loopPaths).toEqual([]);
    expect(other.filter('api', [changed('/p/src/a.js', 71_400)]).loopPaths).toEqual(['/p/src/a.js']);
  });
});
