/**
 * Runs a plan against an engine: each operation starts as soon as the operations it depends on are
 * done, in parallel. A failure skips what depends on it; everything else goes on. Every step is an
 * event; nothing is printed.
 */
import { ResourceInUseError } from '../engine/resource-in-use.js';
import type { Engine } from '../engine/types.js';
import { waitForCondition } from './conditions.js';
import type { OperationStatus, ProgressListener } from './events.js';
import {
  type ContainerRef,
  type Operation,
  type OperationKind,
  type Plan,
  operationResource,
} from './operations.js';
import { topologicalOrder } from './plan-order.js';

export interface ExecuteOptions {
  onEvent: ProgressListener;
  /** Aborting starts nothing new; waits end at once, engine calls under way are let finish. */
  signal?: AbortSignal;
  /** Engine calls at once (waits for conditions do not count); default: no limit. */
  parallelism?: number;
  /** How often a depends_on condition is checked; default 250 ms. */
  pollIntervalMs?: number;
}

export interface OperationFailure {
  id: string;
  kind: OperationKind;
  resource: string;
  error: Error;
}

export interface ExecuteResult {
  /** No operation failed or was skipped. */
  ok: boolean;
  done: string[];
  failed: OperationFailure[];
  skipped: string[];
  aborted: boolean;
  /** Engine ids of the containers the plan created, by createContainer operation id. */
  created: Record<string, string>;
}

type State = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

const WORDS: Record<OperationKind, [working: string, done: string]> = {
  createNetwork: ['Creating', 'Created'],
  createVolume: ['Creating', 'Created'],
  createContainer: ['Creating', 'Created'],
  startContainer: ['Starting', 'Started'],
  stopContainer: ['Stopping', 'Stopped'],
  removeContainer: ['Removing', 'Removed'],
  renameContainer: ['Renaming', 'Renamed'],
  removeNetwork: ['Removing', 'Removed'],
  removeVolume: ['Removing', 'Removed'],
  waitCondition: ['Waiting', 'Ready'],
};

export async function executePlan(
  plan: Plan,
  engine: Engine,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const order = topologicalOrder(plan);
  const limit = options.parallelism !== undefined && options.parallelism > 0 ? options.parallelism : Infinity;
  const state = new Map<string, State>(order.map((op) => [op.id, 'pending']));
  const created = new Map<string, string>();
  // An attribute the engine cannot honour is said once per plan, not once per replica.
  const warned = new Set<string>();
  const result: ExecuteResult = { ok: true, done: [], failed: [], skipped: [], aborted: false, created: {} };
  const running = new Map<string, Promise<void>>();
  let engineCalls = 0;

  const emit = (op: Operation, status: OperationStatus, message?: string): void => {
    const event = {
      type: 'operation',
      id: op.id,
      kind: op.kind,
      resource: operationResource(op),
      status,
    } as const;
    options.onEvent(message === undefined ? event : { ...event, message });
  };
  const skip = (op: Operation, why: string): void => {
    state.set(op.id, 'skipped');
    result.skipped.push(op.id);
    emit(op, 'skipped', why);
  };
  // An optional dependency that is not ready is a warning; the dependent starts anyway.
  const notReady = (op: Operation & { kind: 'waitCondition' }, why: string): void => {
    options.onEvent({
      type: 'warning',
      resource: operationResource(op),
      message: `optional dependency "${op.target.dependency}" of "${op.target.service}" is not ready: ${why}`,
    });
    state.set(op.id, 'done');
    result.done.push(op.id);
    emit(op, 'done', 'Skipped');
  };
  const resolve = (ref: ContainerRef): string | undefined =>
    'id' in ref ? ref.id : created.get(ref.createdBy);

  const launch = (op: Operation): void => {
    state.set(op.id, 'running');
    const counted = op.kind !== 'waitCondition';
    if (counted) engineCalls++;
    emit(op, 'working', WORDS[op.kind][0]);
    const run = (async (): Promise<void> => {
      try {
        const word = await perform(op, engine, resolve, { created, warned }, options);
        state.set(op.id, 'done');
        result.done.push(op.id);
        emit(op, 'done', word ?? WORDS[op.kind][1]);
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        if (op.kind === 'waitCondition' && !op.target.required && !isAbort(error, options.signal)) {
          notReady(op, error.message);
          return;
        }
        state.set(op.id, 'failed');
        result.failed.push({ id: op.id, kind: op.kind, resource: operationResource(op), error });
        emit(op, 'error', isAbort(error, options.signal) ? 'canceled' : error.message);
      } finally {
        if (counted) engineCalls--;
        running.delete(op.id);
      }
    })();
    running.set(op.id, run);
  };

  for (const warning of plan.warnings) options.onEvent({ type: 'warning', message: warning });

  for (;;) {
    for (const op of order) {
      if (state.get(op.id) !== 'pending') continue;
      if (options.signal?.aborted === true) {
        skip(op, 'canceled');
        continue;
      }
      const deps = op.dependsOn.map((id) => ({ id, state: state.get(id)! }));
      const broken = deps.find((d) => d.state === 'failed' || d.state === 'skipped');
      // An optional dependency's wait does not fail with the dependency: it warns and lets its dependent start.
      const soft = op.kind === 'waitCondition' && !op.target.required;
      if (broken !== undefined && !soft) {
        skip(
          op,
          `skipped: ${resourceOf(plan, broken.id)} ${broken.state === 'failed' ? 'failed' : 'was skipped'}`,
        );
        continue;
      }
      if (broken !== undefined && soft && deps.every((d) => d.state !== 'pending' && d.state !== 'running')) {
        notReady(
          op,
          `${resourceOf(plan, broken.id)} ${broken.state === 'failed' ? 'failed' : 'was skipped'}`,
        );
        continue;
      }
      if (!deps.every((d) => d.state === 'done')) continue;
      if (op.kind !== 'waitCondition' && engineCalls >= limit) continue;
      launch(op);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }

  result.aborted = options.signal?.aborted === true;
  result.ok = result.failed.length === 0 && result.skipped.length === 0;
  result.created = Object.fromEntries(created);
  return result;
}

/** As docker compose: a network or volume other containers still use stays, with a warning. */
async function removeUnlessInUse(
  op: Operation,
  remove: () => Promise<void>,
  options: ExecuteOptions,
): Promise<string | undefined> {
  try {
    await remove();
    return undefined;
  } catch (error) {
    if (!(error instanceof ResourceInUseError)) throw error;
    options.onEvent({ type: 'warning', resource: operationResource(op), message: error.message });
    return 'Resource is still in use';
  }
}

/** The one engine call of an operation; returns the word for its `done` event when it is not the usual one. */
async function perform(
  op: Operation,
  engine: Engine,
  resolve: (ref: ContainerRef) => string | undefined,
  seen: { created: Map<string, string>; warned: Set<string> },
  options: ExecuteOptions,
): Promise<string | undefined> {
  const id = (ref: ContainerRef, name: string): string => {
    const found = resolve(ref);
    if (found === undefined) throw new Error(`container ${name} was not created`);
    return found;
  };
  switch (op.kind) {
    case 'createNetwork':
      await engine.createNetwork(op.target.request);
      return undefined;
    case 'createVolume':
      await engine.createVolume(op.target.request);
      return undefined;
    case 'createContainer': {
      const info = await engine.createContainer(op.target.request);
      seen.created.set(op.id, info.id);
      for (const message of info.warnings ?? []) {
        if (seen.warned.has(message)) continue;
        seen.warned.add(message);
        options.onEvent({ type: 'warning', resource: operationResource(op), message });
      }
      return undefined;
    }
    case 'startContainer':
      await engine.startContainer(id(op.target.ref, op.target.name));
      return undefined;
    case 'stopContainer':
      await engine.stopContainer(id(op.target.ref, op.target.name), op.target.timeoutSeconds);
      return undefined;
    case 'removeContainer':
      await engine.removeContainer(id(op.target.ref, op.target.name), {
        force: op.target.force,
        volumes: op.target.volumes,
      });
      return undefined;
    case 'renameContainer':
      await engine.renameContainer(id(op.target.ref, op.target.name), op.target.newName);
      return undefined;
    case 'removeNetwork':
      return removeUnlessInUse(op, () => engine.removeNetwork(op.target.name), options);
    case 'removeVolume':
      return removeUnlessInUse(op, () => engine.removeVolume(op.target.name), options);
    case 'waitCondition':
      return waitForCondition(
        engine,
        op.target,
        op.target.containers.map((c) => resolve(c.ref)),
        { signal: options.signal, intervalMs: options.pollIntervalMs },
      );
  }
}

function isAbort(error: Error, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (error.name === 'AbortError' || error === signal.reason);
}

function resourceOf(plan: Plan, id: string): string {
  const op = plan.operations.find((o) => o.id === id);
  return op === undefined ? id : operationResource(op);
}
