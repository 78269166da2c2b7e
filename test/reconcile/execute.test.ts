/**
 * The executor against the real in-process engine: order along the plan's edges, parallelism,
 * failure propagation, depends_on waits, abort and recreation, with real processes in a temporary
 * state folder.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createLocalEngine, type LocalEngineInstance } from '../../src/engine/local/engine.js';
import { loadProject } from '../../src/project/load.js';
import type { Project } from '../../src/project/types.js';
import type { ProgressEvent } from '../../src/reconcile/events.js';
import { executePlan } from '../../src/reconcile/execute.js';
import { observe } from '../../src/reconcile/observe.js';
import { planDown, planUp } from '../../src/reconcile/plan.js';
import { describeIsolated } from '../support/isolation.js';

const node = JSON.stringify(process.execPath);
const idle = `[${node}, "-e", "setInterval(() => {}, 1000)"]`;
const passes = `["CMD", ${node}, "-e", "process.exit(0)"]`;

interface Bench {
  engine: LocalEngineInstance;
  /** `type action name` of every engine event, in order. */
  log: string[];
  load(compose: string): Promise<Project>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bench(): Promise<Bench> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-execute-'));
  const engine = await createLocalEngine({ stateRoot: path.join(dir, 'state'), project: 'demo' });
  const log: string[] = [];
  const events = (async () => {
    for await (const e of engine.events({ project: 'demo' })) log.push(`${e.type} ${e.action} ${e.name}`);
  })();
  cleanups.push(async () => {
    const plan = planDown(null, await observe(engine, 'demo'), { volumes: true, removeOrphans: true });
    await executePlan(plan, engine, { onEvent: () => undefined });
    await engine.shutdown();
    await events;
    await rm(dir, { recursive: true, force: true });
  });
  const load = async (compose: string): Promise<Project> => {
    await writeFile(path.join(dir, 'compose.yaml'), compose);
    const { project } = await loadProject({ cwd: dir, projectName: 'demo', env: { PATH: process.env.PATH } });
    return project;
  };
  return { engine, log, load };
}

async function up(b: Bench, project: Project, options: { parallelism?: number; signal?: AbortSignal } = {}) {
  const events: ProgressEvent[] = [];
  const plan = planUp(project, await observe(b.engine, 'demo'));
  const result = await executePlan(plan, b.engine, {
    onEvent: (e) => events.push(e),
    pollIntervalMs: 20,
    ...options,
  });
  return { plan, result, events };
}

/** A web service that waits for db, and an unrelated one. */
const webApp = (db: string, dependency = 'service_healthy', required = true) => `
services:
  web:
    image: local
    command: ${idle}
    depends_on:
      db: { condition: ${dependency}, required: ${required} }
  db:
    image: local
${db}
  other:
    image: local
    command: ${idle}
`;

const healthyDb = `    command: ${idle}\n    healthcheck: { test: ${passes}, interval: 100ms }\n`;

const index = (log: string[], entry: string): number => {
  const at = log.indexOf(entry);
  expect(at, `${entry} in:\n${log.join('\n')}`).toBeGreaterThanOrEqual(0);
  return at;
};

describe('executePlan', () => {
  it('runs every operation after the ones it depends on, with the ids the engine gave', async () => {
    const b = await bench();
    const { plan, result, events } = await up(b, await b.load(webApp(healthyDb)));

    expect(result.ok).toBe(true);
    expect(result.done.sort()).toEqual(plan.operations.map((o) => o.id).sort());
    expect(index(b.log, 'network create demo_default')).toBeLessThan(
      index(b.log, 'container create demo-db-1'),
    );
    expect(index(b.log, 'container start demo-db-1')).toBeLessThan(
      index(b.log, 'container start demo-web-1'),
    );
    expect(index(b.log, 'container health_status: healthy demo-db-1')).toBeLessThan(
      index(b.log, 'container start demo-web-1'),
    );
    const web = await b.engine.inspectContainer('demo-web-1');
    expect(result.created['create:demo-web-1']).toBe(web.id);

    const wait = events.filter((e) => e.type === 'operation' && e.kind === 'waitCondition');
    expect(wait.map((e) => (e.type === 'operation' ? [e.resource, e.status, e.message] : []))).toEqual([
      ['Service db', 'working', 'Waiting'],
      ['Service db', 'done', 'Healthy'],
    ]);
    const webLines = events.filter((e) => e.type === 'operation' && e.resource === 'Container demo-web-1');
    expect(webLines.map((e) => (e.type === 'operation' ? e.message : ''))).toEqual([
      'Creating',
      'Created',
      'Starting',
      'Started',
    ]);
  });

  it('runs independent operations in parallel, up to the limit', async () => {
    const compose = `services:\n  worker:\n    image: local\n    command: ${idle}\n    scale: 6\n`;
    const inFlight = (events: ProgressEvent[]): number => {
      let now = 0;
      let max = 0;
      for (const e of events) {
        if (e.type !== 'operation' || e.kind !== 'createContainer') continue;
        now += e.status === 'working' ? 1 : -1;
        max = Math.max(max, now);
      }
      return max;
    };
    const free = await bench();
    const all = await up(free, await free.load(compose));
    expect(all.result.ok).toBe(true);
    expect(inFlight(all.events)).toBe(6);

    const limited = await bench();
    const two = await up(limited, await limited.load(compose), { parallelism: 2 });
    expect(two.result.ok).toBe(true);
    expect((await limited.engine.listContainers({ project: 'demo' })).length).toBe(6);
    expect(inFlight(two.events)).toBe(2);
  });

  it('skips what depends on a failed operation and carries on with the rest', async () => {
    const b = await bench();
    // db names only an image: the engine refuses to create it.
    const { result, events } = await up(b, await b.load(webApp('', 'service_started')));

    expect(result.ok).toBe(false);
    expect(result.failed.map((f) => f.id)).toEqual(['create:demo-db-1']);
    expect(result.failed[0]!.error.message).toMatch(/service "db" has no command to run/);
    expect(result.skipped.sort()).toEqual([
      'create:demo-web-1',
      'start:demo-db-1',
      'start:demo-web-1',
      'wait:web:db',
    ]);
    expect(b.log).toContain('container start demo-other-1');
    expect(b.log).not.toContain('container create demo-web-1');
    expect(events).toContainEqual(
      expect.objectContaining({
        id: 'start:demo-db-1',
        status: 'skipped',
        message: 'skipped: Container demo-db-1 failed',
      }),
    );
  });

  it('fails the wait with the reason, and does not start the dependent', async () => {
    const b = await bench();
    const sick = `    command: ${idle}\n    healthcheck: { test: ["CMD", "false"], interval: 100ms, retries: 2 }\n`;
    const { result } = await up(b, await b.load(webApp(sick)));
    expect(result.failed.map((f) => f.error.message)).toEqual([
      'dependency failed to start: container demo-db-1 is unhealthy ("web" waits for it; see "berth logs db")',
    ]);
    expect(result.skipped).toEqual(['start:demo-web-1']);
    expect(b.log).not.toContain('container start demo-web-1');
  });

  it('says which service did not complete successfully', async () => {
    const b = await bench();
    const failing = `    command: [${node}, "-e", "process.exit(2)"]\n`;
    const { result } = await up(b, await b.load(webApp(failing, 'service_completed_successfully')));
    expect(result.failed[0]?.error.message).toMatch(/^service "db" didn't complete successfully: exit 2/);
  });

  it('warns about an optional dependency that is not ready and starts the dependent anyway', async () => {
    const b = await bench();
    const missing = `    command: ["no-such-program-berth"]\n`;
    const { result, events } = await up(b, await b.load(webApp(missing, 'service_healthy', false)));
    expect(b.log).toContain('container start demo-web-1');
    expect(result.failed.map((f) => f.id)).toEqual(['start:demo-db-1']);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'warning',
        message: expect.stringContaining('optional dependency "db" of "web"'),
      }),
    );
  });

  it('starts nothing once aborted, and ends a wait under way', async () => {
    const before = await bench();
    const project = await before.load(webApp(healthyDb));
    const aborted = new AbortController();
    aborted.abort();
    const first = await up(before, project, { signal: aborted.signal });
    expect(first.result.aborted).toBe(true);
    expect(first.result.skipped).toHaveLength(first.plan.operations.length);
    expect(await before.engine.listContainers({ project: 'demo' })).toEqual([]);

    const during = await bench();
    const never = `    command: ${idle}\n    healthcheck: { test: ["CMD", "false"], interval: 100ms, retries: 1000 }\n`;
    const controller = new AbortController();
    const second = executePlan(
      planUp(await during.load(webApp(never)), await observe(during.engine, 'demo')),
      during.engine,
      {
        onEvent: (e) => {
          if (e.type === 'operation' && e.kind === 'waitCondition' && e.status === 'working')
            controller.abort();
        },
        pollIntervalMs: 20,
        signal: controller.signal,
      },
    );
    const result = await second;
    expect(result.aborted).toBe(true);
    expect(result.failed.map((f) => f.id)).toEqual(['wait:web:db']);
    expect(during.log).not.toContain('container start demo-web-1');
  });

  it('emits the plan warnings (an orphan container)', async () => {
    const b = await bench();
    await up(
      b,
      await b.load(
        `services:\n  web: { image: local, command: ${idle} }\n  gone: { image: local, command: ${idle} }\n`,
      ),
    );
    const { events } = await up(b, await b.load(`services:\n  web: { image: local, command: ${idle} }\n`));
    expect(events[0]).toMatchObject({ type: 'warning', message: expect.stringContaining('demo-gone-1') });
  });

  it('recreates a changed service as docker compose does: stop, rename, create, then remove and start', async () => {
    const b = await bench();
    const service = (value: string) =>
      `services:\n  web:\n    image: local\n    command: ${idle}\n    environment: { VERSION: "${value}" }\n`;
    await up(b, await b.load(service('1')));
    const old = await b.engine.inspectContainer('demo-web-1');
    b.log.length = 0;
    const { result } = await up(b, await b.load(service('2')));
    expect(result.ok).toBe(true);
    const steps = b.log.filter((e) => /^container (stop|rename|create|destroy|start) /.test(e));
    // Removing the old container and starting the new one both follow the create, in parallel.
    expect(steps.slice(0, 3)).toEqual([
      'container stop demo-web-1',
      `container rename ${old.id.slice(0, 12)}_demo-web-1`,
      'container create demo-web-1',
    ]);
    expect(steps.slice(3).sort()).toEqual([
      `container destroy ${old.id.slice(0, 12)}_demo-web-1`,
      'container start demo-web-1',
    ]);
    expect((await b.engine.inspectContainer('demo-web-1')).id).not.toBe(old.id);
  });
});

describeIsolated('executePlan with isolated networking', () => {
  it('leaves a network an orphan still uses, with a warning, and carries on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-execute-isolated-'));
    const engine = await createLocalEngine({
      stateRoot: path.join(dir, 'state'),
      project: 'demo',
      networking: 'isolated',
      subnetClaimsDir: path.join(dir, 'claims'),
    });
    cleanups.push(async () => {
      const plan = planDown(null, await observe(engine, 'demo'), { removeOrphans: true });
      await executePlan(plan, engine, { onEvent: () => undefined });
      await engine.shutdown();
      await rm(dir, { recursive: true, force: true });
    });
    const load = async (compose: string): Promise<Project> => {
      await writeFile(path.join(dir, 'compose.yaml'), compose);
      return (await loadProject({ cwd: dir, projectName: 'demo', env: { PATH: process.env.PATH } })).project;
    };
    const both = `services:\n  web:\n    image: local\n    command: ${idle}\n  other:\n    image: local\n    command: ${idle}\n`;
    const started = await executePlan(planUp(await load(both), await observe(engine, 'demo')), engine, {
      onEvent: () => undefined,
    });
    expect(started.ok).toBe(true);

    // web is gone from the file: down without --remove-orphans keeps it, and with it the network.
    const onlyOther = `services:\n  other:\n    image: local\n    command: ${idle}\n`;
    const plan = planDown(await load(onlyOther), await observe(engine, 'demo'), {});
    expect(plan.operations.some((op) => op.kind === 'removeNetwork')).toBe(true);
    const events: ProgressEvent[] = [];
    const result = await executePlan(plan, engine, { onEvent: (e) => events.push(e) });

    expect(result.failed).toEqual([]);
    expect(result.ok).toBe(true);
    expect(events).toContainEqual({
      type: 'warning',
      resource: 'Network demo_default',
      message: 'network demo_default is in use by container demo-web-1 (remove the container first)',
    });
    const networkDone = events.filter((e) => e.type === 'operation' && e.resource === 'Network demo_default');
    expect(networkDone.at(-1)).toMatchObject({ status: 'done', message: 'Resource is still in use' });
    expect((await engine.listNetworks('demo')).map((n) => n.name)).toEqual(['demo_default']);
    expect((await engine.inspectContainer('demo-web-1')).status).toBe('running');
    await expect(engine.inspectContainer('demo-other-1')).rejects.toThrow(/no such container/);
  });
});

describe('executePlan with a volume still in use', () => {
  it('leaves a volume an orphan still mounts, with a warning, and carries on (down -v)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-execute-volume-'));
    const engine = await createLocalEngine({ stateRoot: path.join(dir, 'state'), project: 'demo' });
    cleanups.push(async () => {
      const plan = planDown(null, await observe(engine, 'demo'), { removeOrphans: true, volumes: true });
      await executePlan(plan, engine, { onEvent: () => undefined });
      await engine.shutdown();
      await rm(dir, { recursive: true, force: true });
    });
    const load = async (compose: string): Promise<Project> => {
      await writeFile(path.join(dir, 'compose.yaml'), compose);
      return (await loadProject({ cwd: dir, projectName: 'demo', env: { PATH: process.env.PATH } })).project;
    };
    const web = `  web:\n    image: local\n    command: ${idle}\n    volumes: [data:/data]\n`;
    const other = `  other:\n    image: local\n    command: ${idle}\n    volumes: [data:/data]\n`;
    const volumes = 'volumes:\n  data: {}\n';
    const started = await executePlan(
      planUp(await load(`services:\n${web}${other}${volumes}`), await observe(engine, 'demo')),
      engine,
      { onEvent: () => undefined },
    );
    expect(started.ok).toBe(true);

    const plan = planDown(await load(`services:\n${other}${volumes}`), await observe(engine, 'demo'), {
      volumes: true,
    });
    expect(plan.operations.some((op) => op.kind === 'removeVolume')).toBe(true);
    const events: ProgressEvent[] = [];
    const result = await executePlan(plan, engine, { onEvent: (e) => events.push(e) });

    expect(result.ok).toBe(true);
    expect(events).toContainEqual({
      type: 'warning',
      resource: 'Volume demo_data',
      message: 'volume demo_data is in use by container demo-web-1 (remove the container first)',
    });
    expect((await engine.listVolumes('demo')).map((v) => v.name)).toEqual(['demo_data']);
  });
});
