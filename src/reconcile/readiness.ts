import type { ContainerInfo, Engine } from '../engine/types.js';
import { ComposeError } from '../project/errors.js';
import type { Project } from '../project/types.js';

export interface ReadinessOptions {
  /** Give up after this long (default: wait as long as it takes). */
  timeoutMs?: number | undefined;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * `up --wait`: every container of the services runs (and is healthy when it has a healthcheck), or is
 * a one-shot job that exited 0. A container that exits with an error or turns unhealthy fails the
 * wait at once; the timeout names the containers that were not ready.
 */
export async function waitUntilReady(
  engine: Engine,
  project: Project,
  services: readonly string[],
  options: ReadinessOptions = {},
): Promise<ContainerInfo[]> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const interval = options.pollIntervalMs ?? 200;
  for (;;) {
    const containers = await engine.listContainers({
      project: project.name,
      all: true,
      oneoff: false,
      services: [...services],
    });
    const pending: string[] = [];
    for (const c of containers) {
      const state = readiness(c, project);
      if (state.failed) throw new ComposeError(state.failed, { hint: `see "berth logs ${c.service}"` });
      if (!state.ready) pending.push(`${c.name} (${state.waiting})`);
    }
    if (pending.length === 0) return containers;
    if (options.signal?.aborted) throw new ComposeError('waiting was interrupted');
    if (Date.now() >= deadline) {
      throw new ComposeError(`timed out waiting for the project to be ready: ${pending.join(', ')}`, {
        hint: 'raise --wait-timeout, or check the healthchecks with "berth ps" and "berth logs"',
      });
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))),
    );
  }
}

function readiness(
  c: ContainerInfo,
  project: Project,
): { ready: boolean; waiting?: string; failed?: string } {
  const restart = project.services[c.service]?.restart ?? 'no';
  if (c.status === 'exited' || c.status === 'dead') {
    if (c.exitCode === 0 && (restart === 'no' || restart.startsWith('on-failure'))) return { ready: true };
    if (restart === 'no') return { ready: false, failed: `container ${c.name} exited (${c.exitCode})` };
    return { ready: false, waiting: `exited (${c.exitCode}), restarting` };
  }
  if (c.status === 'running') {
    if (c.health === 'unhealthy') return { ready: false, failed: `container ${c.name} is unhealthy` };
    if (c.health === 'starting') return { ready: false, waiting: 'health: starting' };
    return { ready: true };
  }
  return { ready: false, waiting: c.status };
}
