/**
 * `down` for code: stops and removes the project's containers and networks (named volumes too with
 * `volumes`), then ends its supervisor. Works from a project name alone, like `down -p name`.
 */
import { executePlan, observe, planDown, type ProgressListener } from '../reconcile/index.js';
import { openEngine, underProjectLock } from './engine-access.js';
import { planFailure } from './plan-failure.js';
import { resolveTarget, type ProjectTarget } from './target.js';

export interface DownOptions extends ProjectTarget {
  /** `-v`: remove named volumes and the containers' anonymous volumes. */
  volumes?: boolean;
  removeOrphans?: boolean;
  /** `-t`: seconds before SIGKILL; default: each service's stop_grace_period. */
  timeoutSeconds?: number;
  onEvent?: ProgressListener;
  onNotice?: (message: string) => void;
}

export async function down(options: DownOptions): Promise<void> {
  const target = await resolveTarget(options, 'if-needed');
  await underProjectLock(target, options, async () => {
    const access = await openEngine(target, 'existing', options);
    let failure: Error | undefined;
    try {
      const plan = planDown(target.project, await observe(access.engine, target.name), {
        volumes: options.volumes === true,
        removeOrphans: options.removeOrphans === true,
        ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      });
      const result = await executePlan(plan, access.engine, {
        onEvent: options.onEvent ?? (() => undefined),
      });
      if (!result.ok) failure = planFailure('down', target.name, result);
    } finally {
      // The supervisor ends even when a removal failed: it would otherwise keep the project's processes.
      await access.shutdownHost();
    }
    if (failure) throw failure;
  });
}
