import type { ExecuteResult } from '../reconcile/index.js';
import { ComposeError } from '../project/errors.js';

/** One error for a plan that did not fully run: what failed, each with its own message, and what was skipped. */
export function planFailure(verb: string, project: string, result: ExecuteResult): ComposeError {
  const failures = result.failed.map((f) => `${f.resource}: ${f.error.message}`);
  const problem =
    failures.length > 0
      ? `${verb} of project "${project}" failed: ${failures.join('; ')}`
      : `${verb} of project "${project}" did not finish: ${result.skipped.length} operations were skipped`;
  return new ComposeError(problem, {
    hint: `see "berth ps -a" and "berth logs" for project "${project}"`,
    cause: result.failed[0]?.error,
  });
}
