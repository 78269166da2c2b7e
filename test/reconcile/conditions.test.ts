import { describe, expect, it } from 'vitest';

import type { ContainerInfo } from '../../src/engine/types.js';
import { checkCondition } from '../../src/reconcile/conditions.js';
import type { WaitTarget } from '../../src/reconcile/operations.js';
import { makeProject, replica } from './fixtures.js';

const project = makeProject({ api: {}, db: {} });
const target = (condition: WaitTarget['condition'], healthcheck = true): WaitTarget => ({
  service: 'api',
  dependency: 'db',
  condition,
  required: true,
  healthcheck,
  containers: [
    { name: 'demo-db-1', ref: { id: 'a' } },
    { name: 'demo-db-2', ref: { id: 'b' } },
  ],
});
const db = (n: number, over: Partial<ContainerInfo>): ContainerInfo => ({
  ...replica(project, 'db', n),
  ...over,
});

describe('checkCondition', () => {
  it('service_started is met once the replicas exist', () => {
    expect(checkCondition(target('service_started'), [db(1, {}), db(2, { status: 'exited' })])).toMatchObject(
      {
        state: 'met',
      },
    );
    expect(checkCondition(target('service_started'), [db(1, {}), undefined])).toMatchObject({
      state: 'failed',
      reason: 'dependency failed to start: container demo-db-2 not found',
    });
  });

  it('service_healthy waits for every replica to be healthy', () => {
    const t = target('service_healthy');
    expect(checkCondition(t, [db(1, { health: 'healthy' }), db(2, { health: 'starting' })])).toEqual({
      state: 'waiting',
    });
    expect(checkCondition(t, [db(1, { health: 'healthy' }), db(2, {})])).toEqual({ state: 'waiting' });
    expect(checkCondition(t, [db(1, { health: 'healthy' }), db(2, { health: 'healthy' })])).toEqual({
      state: 'met',
      word: 'Healthy',
    });
  });

  it('service_healthy fails on an unhealthy, exited or unchecked replica', () => {
    const t = target('service_healthy');
    expect(checkCondition(t, [db(1, { health: 'unhealthy' }), db(2, {})])).toMatchObject({
      state: 'failed',
      reason: 'dependency failed to start: container demo-db-1 is unhealthy',
    });
    expect(checkCondition(t, [db(1, {}), db(2, { status: 'exited', exitCode: 3 })])).toMatchObject({
      reason: 'dependency failed to start: container demo-db-2 exited (3)',
    });
    expect(checkCondition(target('service_healthy', false), [db(1, {}), db(2, {})])).toMatchObject({
      reason: 'dependency failed to start: container demo-db-1 has no healthcheck configured',
    });
  });

  it('service_completed_successfully waits for every replica to exit 0', () => {
    const t = target('service_completed_successfully');
    expect(checkCondition(t, [db(1, { status: 'exited' }), db(2, {})])).toEqual({ state: 'waiting' });
    expect(checkCondition(t, [db(1, { status: 'exited' }), db(2, { status: 'exited' })])).toEqual({
      state: 'met',
      word: 'Exited',
    });
    expect(
      checkCondition(t, [db(1, { status: 'exited' }), db(2, { status: 'exited', exitCode: 1 })]),
    ).toMatchObject({ state: 'failed', reason: `service "db" didn't complete successfully: exit 1` });
  });
});
