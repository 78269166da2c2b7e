/**
 * Opening a project's engine for a library call; calls that change the project hold the project's
 * lock (engine/local/project-lock.ts), so that two of them never interleave.
 */
import { type AccessMode, openProjectEngine, type ProjectEngine } from '../engine/project-engine.js';
import { withProjectLock } from '../engine/local/project-lock.js';
import { defaultStateRoot } from '../engine/local/state-dir.js';
import { selectEngineKind } from '../engine/select.js';
import type { ResolvedTarget } from './target.js';

export interface AccessOptions {
  engine?: string | undefined;
  onNotice?: ((message: string) => void) | undefined;
}

export function openEngine(
  target: ResolvedTarget,
  mode: Exclude<AccessMode, 'host'>,
  options: AccessOptions,
): Promise<ProjectEngine> {
  return openProjectEngine({
    project: target.name,
    mode,
    engineFlag: options.engine,
    env: target.env,
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
}

/** Runs `fn` holding the project's lock; the engine kind is checked first, so a bad one fails before any file is made. */
export function underProjectLock<T>(
  target: ResolvedTarget,
  options: AccessOptions,
  fn: () => Promise<T>,
): Promise<T> {
  selectEngineKind(options.engine, target.env);
  const stateRoot = target.env.BERTH_STATE_DIR
    ? target.env.BERTH_STATE_DIR
    : defaultStateRoot(target.env as NodeJS.ProcessEnv);
  const notice = options.onNotice;
  const onWait = notice
    ? (pid: number | undefined): void =>
        notice(`waiting for another berth command on project "${target.name}"${pid ? ` (pid ${pid})` : ''}`)
    : undefined;
  return withProjectLock(stateRoot, target.name, fn, onWait ? { onWait } : {});
}
