import { type AccessMode, openProjectEngine, type ProjectEngine } from '../engine/project-engine.js';
import { resolveTarget, type ProjectTarget } from './target.js';

export interface CreateEngineOptions extends ProjectTarget {
  /**
   * `existing` (default): the running supervisor, else a read-only view of the saved state (never
   * start containers through a view: they would end with this process); `launch`: the running
   * supervisor or a new detached one.
   */
  mode?: Exclude<AccessMode, 'host'>;
  onNotice?: (message: string) => void;
}

/** The engine of a project, for calls the lifecycle functions do not cover. `release()` it when done. */
export async function createEngine(options: CreateEngineOptions): Promise<ProjectEngine> {
  const target = await resolveTarget(options, 'if-needed');
  return openProjectEngine({
    project: target.name,
    mode: options.mode ?? 'existing',
    engineFlag: options.engine,
    env: target.env,
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
}
