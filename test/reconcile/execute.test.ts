/**
 * The executor's scheduling (order along edges, parallelism, failure propagation, abort), driven by a
 * recording stub. The stub is not an engine and tests no engine behaviour: end-to-end behaviour is
 * tested against the real local engine.
 */
import { setImmediate as tick } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import type {
  ContainerCreateRequest,
  ContainerInfo,
  Engine,
  EngineEvent,
  LogLine,
  NetworkInfo,
  VolumeInfo,
} from '../../src/engine/types.js';
import type { DependsOn } from '../../src/project/types.js';
import type { ProgressEvent } from '../../src/reconcile/events.js';
import { executePlan } from '../../src/reconcile/execute.js';
import { planUp } from '../../src/reconcile/plan.js';
import { healthcheck, healthy, makeProject, nothing, replica, started } from './fixtures.js';

/** Records each call; answers inspectContainer from `inspect`; fails the calls listed in `failOn`. */
class RecordingStubEngine implements Engine {
  readonly kind = 'local' as const;
  readonly calls: string[] = [];
  readonly failOn = new Set<string>();
  inspect: (name: string, calls: number) => Partial<ContainerInfo> = () => ({});
  inFlight = 0;
  maxInFlight = 0;
  private readonly inspections = new Map<string, number>();
  private readonly project = makeProject({});

  private async record(call: string): Promise<void> {
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // A few turns of the event loop, so that calls scheduled together overlap.
    for (let i = 0; i < 3; i++) await tick();
    this.inFlight--;
    if (this.failOn.has(call)) throw new Error(`${call}: refused by the stub`);
  }

  async createContainer(request: ContainerCreateRequest): Promise<ContainerInfo> {
    await this.record(`create ${request.name}`);
    return { ...replica(this.project, request.serviceName, request.number), id: `id:${request.name}` };
  }
  async startContainer(id: string): Promise<void> {
    await this.record(`start ${id}`);
  }
  async stopContainer(id: string): Promise<void> {
    await this.record(`stop ${id}`);
  }
  async removeContainer(id: string): Promise<void> {
    await this.record(`remove ${id}`);
  }
  async renameContainer(id: string, name: string): Promise<void> {
    await this.record(`rename ${id} ${name}`);
  }
  async createNetwork(request: { name: string }): Promise<NetworkInfo> {
    await this.record(`network ${request.name}`);
    return { id: request.name, name: request.name, labels: {} };
  }
  async removeNetwork(name: string): Promise<void> {
    await this.record(`remove-network ${name}`);
  }
  async createVolume(request: { name: string }): Promise<VolumeInfo> {
    await this.record(`volume ${request.name}`);
    return { name: request.name, labels: {} };
  }
  async removeVolume(name: string): Promise<void> {
    await this.record(`remove-volume ${name}`);
  }
  async inspectContainer(id: string): Promise<ContainerInfo> {
    const name = id.replace(/^id:/, '');
    const n = (this.inspections.get(name) ?? 0) + 1;
    this.inspections.set(name, n);
    const [, service = '', number = '1'] = /^demo-(.+)-(\d+)$/.exec(name) ?? [];
    return { ...replica(this.project, service, Number(number)), id, ...this.inspect(name, n) };
  }

  listContainers = unused;
  listNetworks = unused;
  listVolumes = unused;
  listProjects = unused;
  killContainer = unused;
  restartContainer = unused;
  pauseContainer = unused;
  unpauseContainer = unused;
  waitContainer = unused;
  exec = unused;
  prepareExec = unused;
  inspectNetwork = unused;
  inspectVolume = unused;
  top = unused;
  close = unused;
  logs(): AsyncIterable<LogLine> {
    throw new Error('not used by the executor');
  }
  events(): AsyncIterable<EngineEvent> {
    throw new Error('not used by the executor');
  }
}

function unused(): Promise<never> {
  return Promise.reject(new Error('not used by the executor'));
}

const webApp = (dependency: DependsOn = healthy) =>
  makeProject({
    web: { depends_on: { db: dependency } },
    db: { healthcheck },
    other: {},
  });

async function run(
  plan: Parameters<typeof executePlan>[0],
  engine: RecordingStubEngine,
  options: { parallelism?: number; signal?: AbortSignal } = {},
) {
  const events: ProgressEvent[] = [];
  const result = await executePlan(plan, engine, {
    onEvent: (e) => events.push(e),
    pollIntervalMs: 2,
    ...options,
  });
  return { result, events };
}

describe('executePlan', () => {
  it('runs every operation after the ones it depends on, with the ids the engine gave', async () => {
    const project = webApp();
    const engine = new RecordingStubEngine();
    engine.inspect = (name, calls) =>
      name === 'demo-db-1' ? { health: calls < 3 ? 'starting' : 'healthy' } : {};
    const plan = planUp(project, nothing(project));
    const { result, events } = await run(plan, engine);

    expect(result.ok).toBe(true);
    expect(result.done.sort()).toEqual(plan.operations.map((o) => o.id).sort());
    const at = (call: string) => engine.calls.indexOf(call);
    expect(at('network demo_default')).toBe(0);
    expect(at('create demo-db-1')).toBeLessThan(at('start id:demo-db-1'));
    expect(at('start id:demo-db-1')).toBeLessThan(at('start id:demo-web-1'));
    expect(at('create demo-web-1')).toBeGreaterThan(0);
    expect(result.created).toMatchObject({ 'create:demo-web-1': 'id:demo-web-1' });

    const wait = events.filter((e) => e.type === 'operation' && e.kind === 'waitCondition');
    expect(wait.map((e) => (e.type === 'operation' ? [e.resource, e.status, e.message] : []))).toEqual([
      ['Service db', 'working', 'Waiting'],
      ['Service db', 'done', 'Healthy'],
    ]);
    const web = events.filter((e) => e.type === 'operation' && e.resource === 'Container demo-web-1');
    expect(web.map((e) => (e.type === 'operation' ? e.message : ''))).toEqual([
      'Creating',
      'Created',
      'Starting',
      'Started',
    ]);
  });

  it('runs independent operations in parallel, up to the limit', async () => {
    const project = makeProject({ worker: { scale: 6 } });
    const plan = planUp(
      project,
      { ...nothing(project), networks: [{ id: 'n', name: 'demo_default', labels: {} }] },
      {
        noStart: true,
      },
    );
    const free = new RecordingStubEngine();
    expect((await run(plan, free)).result.ok).toBe(true);
    expect(free.maxInFlight).toBe(6);
    const limited = new RecordingStubEngine();
    expect((await run(plan, limited, { parallelism: 2 })).result.done).toHaveLength(6);
    expect(limited.maxInFlight).toBe(2);
  });

  it('skips what depends on a failed operation and carries on with the rest', async () => {
    const project = webApp(started);
    const engine = new RecordingStubEngine();
    engine.failOn.add('create demo-db-1');
    const plan = planUp(project, nothing(project));
    const { result, events } = await run(plan, engine);

    expect(result.ok).toBe(false);
    expect(result.failed.map((f) => [f.id, f.error.message])).toEqual([
      ['create:demo-db-1', 'create demo-db-1: refused by the stub'],
    ]);
    expect(result.skipped.sort()).toEqual([
      'create:demo-web-1',
      'start:demo-db-1',
      'start:demo-web-1',
      'wait:web:db',
    ]);
    expect(engine.calls).toContain('start id:demo-other-1');
    expect(engine.calls).not.toContain('start id:demo-web-1');
    expect(events).toContainEqual(
      expect.objectContaining({
        id: 'create:demo-db-1',
        status: 'error',
        message: 'create demo-db-1: refused by the stub',
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        id: 'start:demo-db-1',
        status: 'skipped',
        message: 'skipped: Container demo-db-1 failed',
      }),
    );
  });

  it('fails the wait with the reason, and does not start the dependent', async () => {
    const project = webApp();
    const engine = new RecordingStubEngine();
    engine.inspect = (name, calls) =>
      name === 'demo-db-1' ? { health: calls < 2 ? 'starting' : 'unhealthy' } : {};
    const { result } = await run(planUp(project, nothing(project)), engine);
    expect(result.failed.map((f) => f.error.message)).toEqual([
      'dependency failed to start: container demo-db-1 is unhealthy ("web" waits for it; see "berth logs db")',
    ]);
    expect(result.skipped).toEqual(['start:demo-web-1']);
  });

  it('says which service did not complete successfully', async () => {
    const project = webApp({ condition: 'service_completed_successfully', required: true });
    const engine = new RecordingStubEngine();
    engine.inspect = (name) => (name === 'demo-db-1' ? { status: 'exited', exitCode: 2 } : {});
    const { result } = await run(planUp(project, nothing(project)), engine);
    expect(result.failed[0]?.error.message).toMatch(/^service "db" didn't complete successfully: exit 2/);
  });

  it('warns about an optional dependency that is not ready and starts the dependent anyway', async () => {
    const project = webApp({ condition: 'service_healthy', required: false });
    const engine = new RecordingStubEngine();
    engine.failOn.add('start id:demo-db-1');
    engine.inspect = () => ({ status: 'created' });
    const { result, events } = await run(planUp(project, nothing(project)), engine);
    expect(engine.calls).toContain('start id:demo-web-1');
    expect(result.failed.map((f) => f.id)).toEqual(['start:demo-db-1']);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'warning',
        message: expect.stringContaining('optional dependency "db" of "web"'),
      }),
    );
  });

  it('starts nothing once aborted, and ends a wait under way', async () => {
    const project = webApp();
    const before = new AbortController();
    before.abort();
    const idle = new RecordingStubEngine();
    const first = await run(planUp(project, nothing(project)), idle, { signal: before.signal });
    expect(idle.calls).toEqual([]);
    expect(first.result.aborted).toBe(true);
    expect(first.result.skipped).toHaveLength(planUp(project, nothing(project)).operations.length);

    const during = new AbortController();
    const engine = new RecordingStubEngine();
    engine.inspect = (name, calls) => {
      if (calls === 2) during.abort();
      return name === 'demo-db-1' ? { health: 'starting' } : {};
    };
    const second = await run(planUp(project, nothing(project)), engine, { signal: during.signal });
    expect(second.result.aborted).toBe(true);
    expect(second.result.failed.map((f) => f.id)).toEqual(['wait:web:db']);
    expect(engine.calls).not.toContain('start id:demo-web-1');
  });

  it('emits the plan warnings', async () => {
    const project = makeProject({ web: {} });
    const observed = { ...nothing(project), containers: [replica(project, 'gone', 1)] };
    const plan = planUp(project, observed);
    const { events } = await run(plan, new RecordingStubEngine());
    expect(events[0]).toMatchObject({ type: 'warning', message: expect.stringContaining('demo-gone-1') });
  });

  it('drives a recreation with the old id and the new one', async () => {
    const project = makeProject({ web: {} });
    const old = { ...replica(project, 'web', 1), configHash: 'old', id: 'abcdefabcdef0000' };
    const plan = planUp(project, {
      ...nothing(project),
      containers: [old],
      networks: [{ id: 'n', name: 'demo_default', labels: {} }],
    });
    const engine = new RecordingStubEngine();
    await run(plan, engine);
    expect(engine.calls).toEqual([
      'stop abcdefabcdef0000',
      'rename abcdefabcdef0000 abcdefabcdef_demo-web-1',
      'create demo-web-1',
      'remove abcdefabcdef0000',
      'start id:demo-web-1',
    ]);
  });
});
