import { describe, expect, it } from 'vitest';

import {
  BACKOFF_RESET_AFTER_MS,
  MAX_BACKOFF_MS,
  RestartBackoff,
  shouldRestart,
  shouldStartOnEngineStart,
} from '../../../src/engine/local/restart-policy.js';
import type { RuntimeSpec } from '../../../src/engine/local/types.js';

type Policy = RuntimeSpec['restart'];

describe('shouldRestart', () => {
  const cases: [
    string,
    Policy,
    { exitCode: number; stoppedByUser: boolean; restartCount: number },
    boolean,
  ][] = [
    ['no never restarts', { policy: 'no' }, { exitCode: 1, stoppedByUser: false, restartCount: 0 }, false],
    [
      'always after success',
      { policy: 'always' },
      { exitCode: 0, stoppedByUser: false, restartCount: 5 },
      true,
    ],
    [
      'always after failure',
      { policy: 'always' },
      { exitCode: 137, stoppedByUser: false, restartCount: 0 },
      true,
    ],
    [
      'always not after a user stop',
      { policy: 'always' },
      { exitCode: 0, stoppedByUser: true, restartCount: 0 },
      false,
    ],
    [
      'unless-stopped after failure',
      { policy: 'unless-stopped' },
      { exitCode: 2, stoppedByUser: false, restartCount: 0 },
      true,
    ],
    [
      'unless-stopped not after a user stop',
      { policy: 'unless-stopped' },
      { exitCode: 2, stoppedByUser: true, restartCount: 0 },
      false,
    ],
    [
      'on-failure after failure',
      { policy: 'on-failure' },
      { exitCode: 1, stoppedByUser: false, restartCount: 100 },
      true,
    ],
    [
      'on-failure not after success',
      { policy: 'on-failure' },
      { exitCode: 0, stoppedByUser: false, restartCount: 0 },
      false,
    ],
    [
      'on-failure:3 below its maximum',
      { policy: 'on-failure', maxRetries: 3 },
      { exitCode: 1, stoppedByUser: false, restartCount: 2 },
      true,
    ],
    [
      'on-failure:3 at its maximum',
      { policy: 'on-failure', maxRetries: 3 },
      { exitCode: 1, stoppedByUser: false, restartCount: 3 },
      false,
    ],
    [
      'on-failure:0 means no limit',
      { policy: 'on-failure', maxRetries: 0 },
      { exitCode: 1, stoppedByUser: false, restartCount: 50 },
      true,
    ],
    [
      'on-failure not after a user stop',
      { policy: 'on-failure' },
      { exitCode: 143, stoppedByUser: true, restartCount: 0 },
      false,
    ],
  ];
  it.each(cases)('%s', (_name, policy, exit, expected) => {
    expect(shouldRestart(policy, exit)).toBe(expected);
  });
});

describe('shouldStartOnEngineStart', () => {
  it('always starts even after a user stop; unless-stopped only without one', () => {
    expect(shouldStartOnEngineStart({ policy: 'always' }, { status: 'exited', stoppedByUser: true })).toBe(
      true,
    );
    expect(
      shouldStartOnEngineStart({ policy: 'unless-stopped' }, { status: 'exited', stoppedByUser: true }),
    ).toBe(false);
    expect(
      shouldStartOnEngineStart({ policy: 'unless-stopped' }, { status: 'running', stoppedByUser: false }),
    ).toBe(true);
    expect(shouldStartOnEngineStart({ policy: 'no' }, { status: 'running', stoppedByUser: false })).toBe(
      false,
    );
    expect(
      shouldStartOnEngineStart({ policy: 'on-failure' }, { status: 'running', stoppedByUser: false }),
    ).toBe(true);
    expect(
      shouldStartOnEngineStart({ policy: 'on-failure' }, { status: 'exited', stoppedByUser: false }),
    ).toBe(false);
  });
});

describe('RestartBackoff', () => {
  it('starts at 100 ms and doubles up to one minute', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 12 }, () => backoff.next(0));
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(delays.at(-1)).toBe(MAX_BACKOFF_MS);
    expect(Math.max(...delays)).toBe(MAX_BACKOFF_MS);
  });

  it('starts over after a run of ten seconds or more, or after reset()', () => {
    const backoff = new RestartBackoff();
    backoff.next(0);
    backoff.next(0);
    expect(backoff.next(0)).toBe(400);
    expect(backoff.next(BACKOFF_RESET_AFTER_MS)).toBe(100);
    expect(backoff.next(BACKOFF_RESET_AFTER_MS - 1)).toBe(200);
    backoff.reset();
    expect(backoff.next(0)).toBe(100);
  });
});
