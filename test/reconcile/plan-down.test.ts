import { describe, expect, it } from 'vitest';

import type { ObservedState } from '../../src/reconcile/observe.js';
import { planDown } from '../../src/reconcile/plan.js';
import {
  after,
  find,
  healthy,
  makeProject,
  nothing,
  replica,
  started,
  summary,
  upToDate,
} from './fixtures.js';

const project = makeProject(
  {
    web: { depends_on: { api: started } },
    api: { depends_on: { db: healthy } },
    db: { volumes: [{ type: 'volume', source: 'data', target: '/data' }] },
  },
  { volumes: { data: {}, shared: { external: true } }, networks: { outside: { external: true } } },
);

const running = (): ObservedState => {
  const state = upToDate(project, { api: 2 });
  state.volumes.push({ name: 'demo_other', labels: {} });
  return state;
};

describe('planDown', () => {
  it('stops dependents first, replicas of a service in parallel', () => {
    const plan = planDown(project, running());
    const stopWeb = find(plan, 'stopContainer', 'demo-web-1');
    const stopApi1 = find(plan, 'stopContainer', 'demo-api-1');
    const stopApi2 = find(plan, 'stopContainer', 'demo-api-2');
    const stopDb = find(plan, 'stopContainer', 'demo-db-1');
    expect(stopWeb.dependsOn).toEqual([]);
    expect(stopApi1.dependsOn).toEqual([stopWeb.id]);
    expect(stopApi2.dependsOn).toEqual([stopWeb.id]);
    expect(stopDb.dependsOn.sort()).toEqual([stopApi1.id, stopApi2.id].sort());
  });

  it('removes each container after it stopped, then the networks, and keeps volumes', () => {
    const plan = planDown(project, running());
    for (const name of ['demo-web-1', 'demo-api-1', 'demo-api-2', 'demo-db-1']) {
      const remove = find(plan, 'removeContainer', name);
      expect(remove.dependsOn).toEqual([find(plan, 'stopContainer', name).id]);
      expect(remove.target).toMatchObject({ volumes: false });
    }
    const network = find(plan, 'removeNetwork', 'demo_default');
    expect(after(plan, network, find(plan, 'removeContainer', 'demo-db-1'))).toBe(true);
    expect(summary(plan).filter((s) => !s.includes('Container'))).toEqual(['removeNetwork demo_default']);
  });

  it('with volumes, removes named volumes that are not external, and anonymous ones with the containers', () => {
    const observed = running();
    observed.volumes.push({ name: 'shared', labels: {} });
    const plan = planDown(project, observed, { volumes: true });
    expect(summary(plan).filter((s) => s.startsWith('removeVolume'))).toEqual(['removeVolume demo_data']);
    expect(find(plan, 'removeContainer', 'demo-web-1').target).toMatchObject({ volumes: true });
    expect(
      after(plan, find(plan, 'removeVolume', 'demo_data'), find(plan, 'removeContainer', 'demo-db-1')),
    ).toBe(true);
  });

  it('removes stopped containers without stopping them, and passes the timeout on', () => {
    const observed = running();
    observed.containers = observed.containers.map((c) =>
      c.service === 'api' ? { ...c, status: 'exited' } : c,
    );
    const plan = planDown(project, observed, { timeoutSeconds: 3 });
    expect(summary(plan).filter((s) => s.startsWith('stopContainer'))).toEqual([
      'stopContainer demo-web-1',
      'stopContainer demo-db-1',
    ]);
    // db still waits for web, through api that had nothing to stop.
    expect(find(plan, 'stopContainer', 'demo-db-1').dependsOn).toEqual([
      find(plan, 'stopContainer', 'demo-web-1').id,
    ]);
    expect(find(plan, 'stopContainer', 'demo-db-1').target).toMatchObject({ timeoutSeconds: 3 });
  });

  it('warns about orphans, or removes them', () => {
    const observed = running();
    observed.containers.push(replica(project, 'old', 1));
    const kept = planDown(project, observed);
    expect(kept.warnings[0]).toContain('demo-old-1');
    expect(summary(kept)).not.toContain('stopContainer demo-old-1');
    const removed = planDown(project, observed, { removeOrphans: true });
    expect(removed.warnings).toEqual([]);
    expect(summary(removed)).toContain('removeContainer demo-old-1');
  });

  it('takes down only the named services, and leaves networks and volumes', () => {
    const plan = planDown(project, running(), { services: ['web'], volumes: true });
    expect(summary(plan)).toEqual(['stopContainer demo-web-1', 'removeContainer demo-web-1']);
  });

  it('without a project, orders by the depends_on labels and removes what is labelled', () => {
    const observed: ObservedState = {
      project: 'demo',
      containers: [
        replica(project, 'db', 1),
        replica(project, 'web', 1, { dependsOn: 'db:service_healthy:false' }),
      ],
      networks: [{ id: 'n1', name: 'demo_default', labels: {} }],
      volumes: [{ name: 'demo_data', labels: {} }],
      images: {},
    };
    const plan = planDown(null, observed, { volumes: true });
    expect(find(plan, 'stopContainer', 'demo-db-1').dependsOn).toEqual([
      find(plan, 'stopContainer', 'demo-web-1').id,
    ]);
    expect(summary(plan).filter((s) => !s.includes('Container'))).toEqual([
      'removeNetwork demo_default',
      'removeVolume demo_data',
    ]);
  });

  it('survives a dependency cycle in labels', () => {
    const observed: ObservedState = {
      ...nothing(project),
      containers: [
        replica(project, 'a', 1, { dependsOn: 'b:service_started:false' }),
        replica(project, 'b', 1, { dependsOn: 'a:service_started:false' }),
      ],
    };
    const plan = planDown(null, observed);
    expect(summary(plan).filter((s) => s.startsWith('removeContainer'))).toHaveLength(2);
  });

  it('is empty when nothing exists', () => {
    expect(planDown(project, nothing(project)).operations).toEqual([]);
  });
});
