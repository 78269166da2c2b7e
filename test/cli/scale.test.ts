import { describe, expect, it } from 'vitest';

import { expectCleanFailure } from './helpers.js';
import { fixture, type PsEntry, ps, sleeper } from './lifecycle-fixture.js';

const stack = `
services:
  db:
    image: node
    command: ${sleeper}
  web:
    image: node
    command: ${sleeper}
    depends_on: [db]
`;

function names(states: Record<string, PsEntry>, state = 'running'): string[] {
  return Object.values(states)
    .filter((c) => c.State === state)
    .map((c) => c.Name)
    .sort();
}

describe('berth scale', () => {
  it('adds replicas, then removes the highest numbers first', async () => {
    const f = await fixture('scale', stack);
    expect((await f.berth(['up', '-d'])).exitCode).toBe(0);
    const three = await f.berth(['scale', 'web=3']);
    expect(three.exitCode, three.stderr).toBe(0);
    expect(three.stderr).toContain(' Container demo-web-3  Started\n');
    expect(three.stderr).not.toContain('demo-web-1');
    expect(names(await ps(f))).toEqual(['demo-db-1', 'demo-web-1', 'demo-web-2', 'demo-web-3']);

    const one = await f.berth(['scale', 'web=1']);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(one.stderr).toContain(' Container demo-web-3  Removed\n');
    expect(one.stderr).toContain(' Container demo-web-2  Removed\n');
    expect(Object.keys(await ps(f)).sort()).toEqual(['demo-db-1', 'demo-web-1']);
  });

  it('scales several services at once, down to zero', async () => {
    const f = await fixture('scale', stack);
    const up = await f.berth(['scale', 'web=2', 'db=2']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(names(await ps(f))).toEqual(['demo-db-1', 'demo-db-2', 'demo-web-1', 'demo-web-2']);
    const zero = await f.berth(['scale', 'web=0']);
    expect(zero.exitCode, zero.stderr).toBe(0);
    expect(Object.keys(await ps(f)).sort()).toEqual(['demo-db-1', 'demo-db-2']);
  });

  it('starts what the service depends on, unless --no-deps', async () => {
    const withDeps = await fixture('scale', stack);
    expect((await withDeps.berth(['scale', 'web=2'])).exitCode).toBe(0);
    expect(names(await ps(withDeps))).toEqual(['demo-db-1', 'demo-web-1', 'demo-web-2']);

    const noDeps = await fixture('scale', stack);
    const run = await noDeps.berth(['scale', '--no-deps', 'web=1']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(names(await ps(noDeps))).toEqual(['demo-web-1']);
  });

  it('refuses a malformed specifier and an unknown service', async () => {
    const f = await fixture('scale', stack);
    const malformed = await f.berth(['scale', 'web']);
    expectCleanFailure(malformed);
    expect(malformed.stderr).toContain('invalid scale specifier: web');
    const negative = await f.berth(['scale', 'web=-1']);
    expectCleanFailure(negative);
    const unknown = await f.berth(['scale', 'nope=2']);
    expectCleanFailure(unknown);
    expect(unknown.stderr).toContain('no such service: nope');
    const missing = await f.berth(['scale']);
    expect(missing.exitCode).toBe(1);
    expect(await ps(f)).toEqual({});
  });
});
