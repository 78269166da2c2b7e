/**
 * depends_on conditions, with docker compose's semantics and messages: service_started is met once
 * the dependency's replicas exist (the plan already starts them first), service_healthy when all are
 * healthy, service_completed_successfully when all have exited with 0.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { ContainerInfo, Engine } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import type { WaitTarget } from './operations.js';

export type ConditionState =
  | { state: 'met'; word: string }
  | { state: 'waiting' }
  /** `hint`: how to fix it, in one line. */
  | { state: 'failed'; reason: string; hint: string };

/** The condition over the dependency's replicas as last seen (undefined: not found). */
export function checkCondition(
  target: WaitTarget,
  containers: readonly (ContainerInfo | undefined)[],
): ConditionState {
  const missing = target.containers.find((_, i) => containers[i] === undefined);
  if (missing !== undefined) {
    return {
      state: 'failed',
      reason: `dependency failed to start: container ${missing.name} not found`,
      hint: `"${target.service}" depends on "${target.dependency}"; see "berth ps -a"`,
    };
  }
  const found = containers as readonly ContainerInfo[];
  switch (target.condition) {
    case 'service_started':
      return { state: 'met', word: 'Started' };
    case 'service_healthy':
      return healthy(target, found);
    case 'service_completed_successfully':
      return completed(target, found);
  }
}

function healthy(target: WaitTarget, containers: readonly ContainerInfo[]): ConditionState {
  let waiting = false;
  for (const c of containers) {
    if (c.status === 'exited' || c.status === 'dead') {
      return {
        state: 'failed',
        reason: `dependency failed to start: container ${c.name} exited (${c.exitCode})`,
        hint: logsHint(target),
      };
    }
    if (!target.healthcheck) {
      return {
        state: 'failed',
        reason: `dependency failed to start: container ${c.name} has no healthcheck configured`,
        hint: `give "${target.dependency}" a healthcheck, or make "${target.service}" depend on it with condition service_started`,
      };
    }
    if (c.health === 'unhealthy') {
      return {
        state: 'failed',
        reason: `dependency failed to start: container ${c.name} is unhealthy`,
        hint: logsHint(target),
      };
    }
    if (c.health !== 'healthy') waiting = true;
  }
  return waiting ? { state: 'waiting' } : { state: 'met', word: 'Healthy' };
}

function completed(target: WaitTarget, containers: readonly ContainerInfo[]): ConditionState {
  if (containers.some((c) => c.status !== 'exited' && c.status !== 'dead')) return { state: 'waiting' };
  const failed = containers.find((c) => c.exitCode !== 0);
  if (failed !== undefined) {
    return {
      state: 'failed',
      reason: `service "${target.dependency}" didn't complete successfully: exit ${failed.exitCode}`,
      hint: logsHint(target),
    };
  }
  return { state: 'met', word: 'Exited' };
}

function logsHint(target: WaitTarget): string {
  return `"${target.service}" waits for it; see "berth logs ${target.dependency}"`;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  /** Between two looks at the dependency; default 250 ms. */
  intervalMs?: number | undefined;
}

/**
 * Polls the dependency's replicas (engine ids, in the order of `target.containers`; undefined when a
 * replica was never created) until the condition is met, and returns docker compose's word for it
 * (`Healthy`). Throws a ComposeError that names the service and the reason when it cannot be met.
 */
export async function waitForCondition(
  engine: Engine,
  target: WaitTarget,
  ids: readonly (string | undefined)[],
  options: WaitOptions = {},
): Promise<string> {
  const interval = options.intervalMs ?? 250;
  for (;;) {
    options.signal?.throwIfAborted();
    const containers = await Promise.all(ids.map((id) => inspect(engine, id)));
    const result = checkCondition(target, containers);
    if (result.state === 'met') return result.word;
    if (result.state === 'failed') {
      throw new ComposeError(result.reason, { hint: result.hint });
    }
    await sleep(interval, undefined, { signal: options.signal });
  }
}

async function inspect(engine: Engine, id: string | undefined): Promise<ContainerInfo | undefined> {
  if (id === undefined) return undefined;
  try {
    return await engine.inspectContainer(id);
  } catch (error) {
    // A replica removed meanwhile is "not found", which checkCondition reports; any other failure (the
    // Docker engine gone: "lost the connection to the Docker engine ...") is the wait's own.
    if (error instanceof Error && /no such container/i.test(error.message)) return undefined;
    throw error;
  }
}
