import { describe, expect, it } from 'vitest';

import type { Plan } from '../../src/reconcile/operations.js';
import { planDown, planUp } from '../../src/reconcile/plan.js';
import { renderPlan } from '../../src/reconcile/render-plan.js';
import { healthy, makeProject, nothing, upToDate } from './fixtures.js';

describe('renderPlan', () => {
  const project = makeProject({ web: { depends_on: { db: healthy } }, db: {} });

  it('prints one line per operation, each after what it depends on', () => {
    expect(renderPlan(planUp(project, nothing(project)))).toBe(
      [
        'create network demo_default',
        'create container demo-db-1',
        'start container demo-db-1',
        'create container demo-web-1',
        'wait for db to be healthy before starting web',
        'start container demo-web-1',
      ].join('\n'),
    );
  });

  it('says why, for recreation and scale down', () => {
    const observed = upToDate(project, { db: 2 });
    observed.containers = observed.containers.map((c) =>
      c.service === 'web' ? { ...c, configHash: 'x' } : c,
    );
    const text = renderPlan(planUp(project, observed));
    expect(text).toContain('stop container demo-db-2 (scale down)');
    expect(text).toContain('stop container demo-web-1 (config changed)');
    expect(text).toMatch(/rename container demo-web-1 to \w{12}_demo-web-1/);
  });

  it('prints down and -v', () => {
    const text = renderPlan(planDown(project, upToDate(project), { volumes: true }));
    expect(text.split('\n')).toEqual([
      'stop container demo-web-1',
      'remove container demo-web-1 and its anonymous volumes',
      'stop container demo-db-1',
      'remove container demo-db-1 and its anonymous volumes',
      'remove network demo_default',
    ]);
  });

  it('is empty for an empty plan, and refuses a plan with a cycle', () => {
    expect(renderPlan(planUp(project, upToDate(project)))).toBe('');
    const cyclic: Plan = {
      project: 'demo',
      warnings: [],
      operations: [
        { id: 'a', kind: 'removeNetwork', target: { name: 'a' }, dependsOn: ['b'] },
        { id: 'b', kind: 'removeNetwork', target: { name: 'b' }, dependsOn: ['a'] },
      ],
    };
    expect(() => renderPlan(cyclic)).toThrow(/cycle/);
  });
});
