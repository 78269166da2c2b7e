/**
 * The heart of `up`, shared by `up`, `watch` and `up --watch`: one plan made and executed under the
 * project's lock (a second command waits for the first's plan), with the progress display.
 */
import { withProjectLock } from '../engine/local/project-lock.js';
import type { ProjectEngine } from '../engine/project-engine.js';
import { ComposeError, ComposeErrors } from '../project/errors.js';
import type { Project } from '../project/types.js';
import { type ExecuteResult, executePlan, observe, planUp, type UpOptions } from '../reconcile/index.js';
import type { CommandContext } from './command-context.js';

export async function convergeProject(
  ctx: CommandContext,
  access: ProjectEngine,
  project: Project,
  options: UpOptions,
  /** Aborts the plan: what has not begun is skipped (Ctrl-C while an attached `up` starts). */
  signal?: AbortSignal,
): Promise<ExecuteResult> {
  const progress = ctx.progress();
  try {
    return await withProjectLock(
      access.stateRoot,
      project.name,
      async () => {
        const plan = planUp(project, await observe(access.engine, project), options);
        for (const message of plan.warnings) progress.listener({ type: 'warning', message });
        return executePlan(plan, access.engine, { onEvent: progress.listener, signal });
      },
      {
        onWait: (pid) =>
          ctx.io.stderr(
            `waiting for another berth command on project "${project.name}"${pid ? ` (pid ${pid})` : ''}...\n`,
          ),
      },
    );
  } finally {
    await progress.renderer.stop();
  }
}

/** The operations that failed, as one error for the user. */
export function planErrors(result: ExecuteResult): ComposeErrors {
  return new ComposeErrors(
    result.failed.map((f) =>
      f.error instanceof ComposeError ? f.error : new ComposeError(`${f.resource}: ${f.error.message}`),
    ),
  );
}
