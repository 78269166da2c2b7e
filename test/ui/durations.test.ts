import { describe, expect, it } from 'vitest';

import { elapsedSince, humanDuration } from '../../src/ui/durations.js';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

describe('humanDuration (go-units HumanDuration)', () => {
  const cases: [number, string][] = [
    [-5 * second, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * second, '1 second'],
    [1999, '1 second'],
    [2 * second, '2 seconds'],
    [59 * second, '59 seconds'],
    [60 * second, 'About a minute'],
    [119 * second, 'About a minute'],
    [2 * minute, '2 minutes'],
    [59 * minute + 59 * second, '59 minutes'],
    [60 * minute, 'About an hour'],
    [89 * minute, 'About an hour'],
    [90 * minute, '2 hours'],
    [47 * hour, '47 hours'],
    [48 * hour, '2 days'],
    [13 * day, '13 days'],
    [14 * day, '2 weeks'],
    [59 * day, '8 weeks'],
    [60 * day, '2 months'],
    [729 * day, '24 months'],
    [730 * day, '2 years'],
    [3 * 365 * day, '3 years'],
  ];
  it.each(cases)('%d ms -> %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('elapsedSince', () => {
  const now = new Date('2024-05-06T07:08:09.000Z');
  it('measures from an ISO time', () => {
    expect(elapsedSince('2024-05-06T07:08:04.000Z', now)).toBe(5000);
  });
  it('is 0 for a missing or unreadable time', () => {
    expect(elapsedSince(undefined, now)).toBe(0);
    expect(elapsedSince('not a time', now)).toBe(0);
  });
});
