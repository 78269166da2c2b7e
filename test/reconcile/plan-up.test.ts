import { describe, expect, it } from 'vitest';

import { COMPOSE_VERSION, Labels } from '../../src/engine/labels.js';
import { ComposeError } from '../../src/project/errors.js';
import { serviceConfigHash } from '../../src/reconcile/config-hash.js';
import { serviceImage } from '../../src/reconcile/create-request.js';
import type { ObservedState } from '../../src/reconcile/observe.js';
import { planUp } from '../../src/reconcile/plan.js';
import {
  after,
  completed,
  find,
  healthcheck,
  healthy,
  makeProject,
  nothing,
  replica,
  started,
  summary,
  upToDate,
} from './fixtures.js';

const webApp = () =>
  makeProject(
    {
      web: { image: 'node', depends_on: { api: started }, labels: { team: 'front' } },
      api: { image: 'node', depends_on: { db: healthy, migrate: completed } },
      db: { image: 'node', healthcheck, volumes: [{ type: 'volume', source: 'data', target: '/data' }] },
      migrate: { image: 'node', depends_on: { db: healthy } },
    },
    { volumes: { data: {} } },
  );

describe('planUp: first up', () => {
  const project = webApp();
  const plan = planUp(project, nothing(project));

  it('creates the networks, volumes and replicas, and starts them', () => {
    expect(summary(plan).sort()).toEqual(
      [
        'createNetwork demo_default',
        'createVolume demo_data',
        ...['web', 'api', 'db', 'migrate'].flatMap((s) => [
          `createContainer demo-${s}-1`,
          `startContainer demo-${s}-1`,
        ]),
        'waitCondition web->api',
        'waitCondition api->db',
        'waitCondition api->migrate',
        'waitCondition migrate->db',
      ].sort(),
    );
    expect(plan.warnings).toEqual([]);
  });

  it('creates containers after their network and volume', () => {
    const db = find(plan, 'createContainer', 'demo-db-1');
    expect(db.dependsOn).toContain(find(plan, 'createNetwork', 'demo_default').id);
    expect(db.dependsOn).toContain(find(plan, 'createVolume', 'demo_data').id);
    expect(find(plan, 'createContainer', 'demo-web-1').dependsOn).not.toContain(
      find(plan, 'createVolume', 'demo_data').id,
    );
  });

  it("starts a service after its dependencies' conditions", () => {
    const wait = find(plan, 'waitCondition', 'api->db');
    expect(wait.target).toMatchObject({ condition: 'service_healthy', required: true, healthcheck: true });
    expect(wait.dependsOn).toEqual([find(plan, 'startContainer', 'demo-db-1').id]);
    const apiStart = find(plan, 'startContainer', 'demo-api-1');
    expect(apiStart.dependsOn).toContain(wait.id);
    expect(apiStart.dependsOn).toContain(find(plan, 'waitCondition', 'api->migrate').id);
    expect(after(plan, find(plan, 'startContainer', 'demo-web-1'), apiStart)).toBe(true);
    expect(after(plan, apiStart, find(plan, 'startContainer', 'demo-migrate-1'))).toBe(true);
  });

  it('labels the container like docker compose', () => {
    const op = find(plan, 'createContainer', 'demo-api-1');
    if (op.kind !== 'createContainer') throw new Error('unreachable');
    const { request } = op.target;
    expect(request.name).toBe('demo-api-1');
    expect(request.number).toBe(1);
    expect(request.oneoff).toBe(false);
    expect(request.labels).toEqual({
      [Labels.project]: 'demo',
      [Labels.service]: 'api',
      [Labels.containerNumber]: '1',
      [Labels.configHash]: serviceConfigHash(project.services.api!),
      [Labels.oneoff]: 'False',
      [Labels.version]: COMPOSE_VERSION,
      [Labels.workingDir]: '/work/demo',
      [Labels.configFiles]: '/work/demo/compose.yaml',
      [Labels.dependsOn]: 'db:service_healthy:false,migrate:service_completed_successfully:false',
      [Labels.image]: 'node',
    });
    expect(request.networkNames).toEqual({ default: 'demo_default' });
    const web = find(plan, 'createContainer', 'demo-web-1');
    if (web.kind !== 'createContainer') throw new Error('unreachable');
    expect(web.target.request.labels.team).toBe('front');
    const db = find(plan, 'createContainer', 'demo-db-1');
    if (db.kind !== 'createContainer') throw new Error('unreachable');
    expect(db.target.request.volumeNames).toEqual({ data: 'demo_data' });
  });

  it('creates as many replicas as scale, deploy.replicas or --scale ask for', () => {
    const p = makeProject({ a: { scale: 2 }, b: { deploy: { replicas: 3 } }, c: {} });
    const names = (o: Parameters<typeof planUp>[2]) =>
      summary(planUp(p, nothing(p), o)).filter((s) => s.startsWith('createContainer'));
    expect(names({})).toEqual([
      'createContainer demo-a-1',
      'createContainer demo-a-2',
      'createContainer demo-b-1',
      'createContainer demo-b-2',
      'createContainer demo-b-3',
      'createContainer demo-c-1',
    ]);
    expect(names({ scale: { a: 1, b: 0, c: 2 } })).toEqual([
      'createContainer demo-a-1',
      'createContainer demo-c-1',
      'createContainer demo-c-2',
    ]);
  });

  it('with noStart, only creates', () => {
    const p = planUp(project, nothing(project), { noStart: true });
    expect(p.operations.map((o) => o.kind)).not.toContain('startContainer');
    expect(p.operations.map((o) => o.kind)).not.toContain('waitCondition');
  });
});

describe('planUp: converging', () => {
  it('does nothing when everything is up to date', () => {
    const project = webApp();
    const plan = planUp(project, upToDate(project));
    expect(plan.operations).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('starts stopped replicas with the same config, after their dependencies', () => {
    const project = webApp();
    const observed = upToDate(project);
    observed.containers = observed.containers.map((c) =>
      c.service === 'api' ? { ...c, status: 'exited', exitCode: 137 } : c,
    );
    const plan = planUp(project, observed);
    expect(summary(plan)).toEqual([
      'waitCondition api->db',
      'waitCondition api->migrate',
      'startContainer demo-api-1',
    ]);
    const wait = find(plan, 'waitCondition', 'api->db');
    expect(wait.dependsOn).toEqual([]);
    if (wait.kind !== 'waitCondition') throw new Error('unreachable');
    expect(wait.target.containers).toEqual([
      { name: 'demo-db-1', ref: { id: observed.containers.find((c) => c.service === 'db')!.id } },
    ]);
  });

  it('recreates only the service whose definition changed, in docker compose order', () => {
    const before = webApp();
    const observed = upToDate(before);
    const project = webApp();
    project.services.api = { ...project.services.api!, environment: { DEBUG: '1' } };
    const plan = planUp(project, observed);
    const old = observed.containers.find((c) => c.service === 'api')!;
    const tmp = `${old.id.slice(0, 12)}_demo-api-1`;
    expect(summary(plan)).toEqual([
      'stopContainer demo-api-1',
      'renameContainer demo-api-1',
      'createContainer demo-api-1',
      `removeContainer ${tmp}`,
      'waitCondition api->db',
      'waitCondition api->migrate',
      'startContainer demo-api-1',
    ]);
    const stop = find(plan, 'stopContainer', 'demo-api-1');
    const rename = find(plan, 'renameContainer', 'demo-api-1');
    const create = find(plan, 'createContainer', 'demo-api-1');
    const start = find(plan, 'startContainer', 'demo-api-1');
    const remove = find(plan, 'removeContainer', tmp);
    expect(rename.target).toMatchObject({ newName: tmp, ref: { id: old.id } });
    expect(rename.dependsOn).toEqual([stop.id]);
    expect(create.dependsOn).toContain(rename.id);
    expect(start.dependsOn).toContain(create.id);
    expect(start.target).toMatchObject({ ref: { createdBy: create.id } });
    expect(remove.dependsOn).toEqual([create.id]);
    expect(remove.target).toMatchObject({ ref: { id: old.id }, volumes: false });
  });

  it('restarts running dependents that ask for it when their dependency is recreated', () => {
    const make = () =>
      makeProject({
        app: { depends_on: { vpn: { ...started, restart: true } } },
        other: { depends_on: { vpn: started } },
        vpn: {},
      });
    const observed = upToDate(make());
    const project = make();
    project.services.vpn = { ...project.services.vpn!, environment: { A: '1' } };
    const plan = planUp(project, observed);
    expect(summary(plan).filter((s) => s.includes('app') || s.includes('other'))).toEqual([
      'stopContainer demo-app-1',
      'waitCondition app->vpn',
      'startContainer demo-app-1',
    ]);
    const start = find(plan, 'startContainer', 'demo-app-1');
    expect(start.dependsOn).toContain(find(plan, 'stopContainer', 'demo-app-1').id);
    expect(after(plan, start, find(plan, 'startContainer', 'demo-vpn-1'))).toBe(true);
    expect(find(plan, 'stopContainer', 'demo-app-1').reason).toBe('vpn recreated');
  });

  it('recreates everything with forceRecreate, and nothing with noRecreate', () => {
    const project = webApp();
    const forced = planUp(project, upToDate(project), { forceRecreate: true });
    expect(
      summary(forced)
        .filter((s) => s.startsWith('createContainer'))
        .sort(),
    ).toEqual([
      'createContainer demo-api-1',
      'createContainer demo-db-1',
      'createContainer demo-migrate-1',
      'createContainer demo-web-1',
    ]);
    const observed = upToDate(project);
    observed.containers = observed.containers.map((c) => ({ ...c, configHash: 'old' }));
    expect(planUp(project, observed, { noRecreate: true }).operations).toEqual([]);
    observed.containers[0] = { ...observed.containers[0]!, status: 'exited' };
    expect(summary(planUp(project, observed, { noRecreate: true }))).toContain(
      `startContainer ${observed.containers[0].name}`,
    );
  });

  it('recreates the replicas of a service whose image changed in the engine (a pull or build), unless noRecreate', () => {
    const project = webApp();
    project.services.api = { ...project.services.api!, image: 'api-image' };
    const observed = upToDate(project);
    const imageOf = (service: string): string =>
      serviceImage(project.name, service, project.services[service]!);
    observed.containers = observed.containers.map((c) => ({ ...c, imageId: `sha256:${imageOf(c.service)}` }));
    observed.images = Object.fromEntries(observed.containers.map((c) => [imageOf(c.service), c.imageId!]));
    expect(planUp(project, observed).operations).toEqual([]);
    observed.images['api-image'] = 'sha256:api-new';
    expect(summary(planUp(project, observed)).filter((s) => s.startsWith('createContainer'))).toEqual([
      'createContainer demo-api-1',
    ]);
    expect(planUp(project, observed, { noRecreate: true }).operations).toEqual([]);
    // An engine that does not know the containers' image ids recreates nothing for it.
    observed.containers = observed.containers.map((c) => ({ ...c, imageId: undefined }));
    expect(planUp(project, observed).operations).toEqual([]);
  });

  it('refuses forceRecreate with noRecreate', () => {
    const project = webApp();
    expect(() => planUp(project, nothing(project), { forceRecreate: true, noRecreate: true })).toThrow(
      ComposeError,
    );
  });
});

describe('planUp: scale', () => {
  const project = makeProject({ worker: { image: 'node' } });
  const withReplicas = (statuses: { n: number; hash?: string }[]): ObservedState => ({
    ...upToDate(project),
    containers: statuses.map((s) => replica(project, 'worker', s.n, s.hash ? { hash: s.hash } : {})),
  });

  it('adds replicas without touching the running ones', () => {
    const plan = planUp(project, withReplicas([{ n: 1 }]), { scale: { worker: 3 } });
    expect(summary(plan)).toEqual([
      'createContainer demo-worker-2',
      'createContainer demo-worker-3',
      'startContainer demo-worker-2',
      'startContainer demo-worker-3',
    ]);
  });

  it('removes the highest numbers first', () => {
    const plan = planUp(project, withReplicas([{ n: 1 }, { n: 2 }, { n: 3 }]), { scale: { worker: 1 } });
    expect(summary(plan)).toEqual([
      'stopContainer demo-worker-3',
      'removeContainer demo-worker-3',
      'stopContainer demo-worker-2',
      'removeContainer demo-worker-2',
    ]);
    expect(find(plan, 'removeContainer', 'demo-worker-3').dependsOn).toEqual([
      find(plan, 'stopContainer', 'demo-worker-3').id,
    ]);
  });

  it('removes obsolete replicas first', () => {
    const plan = planUp(project, withReplicas([{ n: 1, hash: 'old' }, { n: 2 }, { n: 3 }]), {
      scale: { worker: 2 },
    });
    expect(summary(plan)).toEqual(['stopContainer demo-worker-1', 'removeContainer demo-worker-1']);
  });

  it('recreates the obsolete replicas it keeps', () => {
    const plan = planUp(project, withReplicas([{ n: 1, hash: 'old' }, { n: 2, hash: 'old' }, { n: 3 }]), {
      scale: { worker: 2 },
    });
    const ops = summary(plan);
    expect(ops.slice(0, 2)).toEqual(['stopContainer demo-worker-2', 'removeContainer demo-worker-2']);
    expect(ops).toContain('createContainer demo-worker-1');
    expect(ops).not.toContain('createContainer demo-worker-3');
  });

  it('fills the lowest free numbers', () => {
    const plan = planUp(project, withReplicas([{ n: 2 }]), { scale: { worker: 2 } });
    expect(summary(plan)).toEqual(['createContainer demo-worker-1', 'startContainer demo-worker-1']);
  });

  it('refuses a scale for an unknown service or a negative one', () => {
    expect(() => planUp(project, nothing(project), { scale: { nope: 1 } })).toThrow(/no such service: nope/);
    expect(() => planUp(project, nothing(project), { scale: { worker: -1 } })).toThrow(ComposeError);
  });
});

describe('planUp: orphans', () => {
  const project = makeProject({ web: {} }, { disabled: { debug: {} } });
  const observed = (): ObservedState => {
    const state = upToDate(project);
    state.containers.push(replica(project, 'old', 1), replica(project, 'debug', 1, { status: 'exited' }));
    return state;
  };

  it('warns about containers of services the project no longer has', () => {
    const plan = planUp(project, observed());
    expect(plan.operations).toEqual([]);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toContain('Found orphan containers ([demo-old-1])');
    expect(plan.warnings[0]).toContain('--remove-orphans');
  });

  it('stops and removes them with removeOrphans', () => {
    const plan = planUp(project, observed(), { removeOrphans: true });
    expect(summary(plan)).toEqual(['stopContainer demo-old-1', 'removeContainer demo-old-1']);
    expect(plan.warnings).toEqual([]);
  });
});

describe('planUp: selected services', () => {
  const project = webApp();

  it('brings up a service with its dependencies', () => {
    const plan = planUp(project, nothing(project), { services: ['api'] });
    const created = summary(plan).filter((s) => s.startsWith('createContainer'));
    expect(created.sort()).toEqual([
      'createContainer demo-api-1',
      'createContainer demo-db-1',
      'createContainer demo-migrate-1',
    ]);
  });

  it('with noDeps, only the named service and no waits', () => {
    const plan = planUp(project, nothing(project), { services: ['api'], noDeps: true });
    expect(summary(plan)).toEqual([
      'createNetwork demo_default',
      'createContainer demo-api-1',
      'startContainer demo-api-1',
    ]);
  });

  it('rejects an unknown service', () => {
    expect(() => planUp(project, nothing(project), { services: ['nope'] })).toThrow(/no such service: nope/);
  });
});

describe('planUp: resources', () => {
  it('does not create external resources, and refuses a missing external network or volume', () => {
    const project = makeProject(
      {
        app: {
          volumes: [{ type: 'volume', source: 'shared', target: '/shared' }],
          networks: { outside: null },
        },
      },
      { volumes: { shared: { external: true } }, networks: { outside: { external: true } } },
    );
    expect(() => planUp(project, nothing(project))).toThrow(/external network "outside" not found/);
    const withNetwork: ObservedState = {
      ...nothing(project),
      networks: [{ id: 'n', name: 'outside', labels: {}, external: true }],
    };
    expect(() => planUp(project, withNetwork)).toThrow(/external volume "shared" not found/);
    const observed: ObservedState = { ...withNetwork, volumes: [{ name: 'shared', labels: {} }] };
    expect(summary(planUp(project, observed))).toEqual([
      'createContainer demo-app-1',
      'startContainer demo-app-1',
    ]);
  });

  it('creates only the resources of the selected services', () => {
    const project = makeProject(
      {
        a: { volumes: [{ type: 'volume', source: 'va', target: '/a' }] },
        b: { volumes: [{ type: 'volume', source: 'vb', target: '/b' }], networks: { back: null } },
      },
      { volumes: { va: {}, vb: {} }, networks: { back: {} } },
    );
    expect(summary(planUp(project, nothing(project), { services: ['a'] }))).toEqual([
      'createNetwork demo_default',
      'createVolume demo_va',
      'createContainer demo-a-1',
      'startContainer demo-a-1',
    ]);
  });

  it('waits for optional dependencies only when the project has them', () => {
    const project = makeProject({
      web: {
        depends_on: {
          cache: { condition: 'service_healthy', required: false },
          gone: { ...started, required: false },
        },
      },
      cache: {},
    });
    const plan = planUp(project, nothing(project));
    const wait = find(plan, 'waitCondition', 'web->cache');
    expect(wait.target).toMatchObject({ required: false, healthcheck: false });
    expect(summary(plan).filter((s) => s.startsWith('waitCondition'))).toEqual(['waitCondition web->cache']);
  });

  it('does not wait for a dependency scaled to zero', () => {
    const project = makeProject({ web: { depends_on: { db: healthy } }, db: { scale: 0 } });
    expect(summary(planUp(project, nothing(project)))).toEqual([
      'createNetwork demo_default',
      'createContainer demo-web-1',
      'startContainer demo-web-1',
    ]);
  });
});
