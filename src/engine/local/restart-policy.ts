/**
 * Restart decisions and back-off, as Docker's restart manager makes them: pure functions and a small
 * delay tracker, so the Replica only asks "restart? after how long?".
 */
import type { ContainerRuntimeState, RuntimeSpec } from './types.js';

/** Docker's back-off: 100 ms, doubled after each restart, capped at one minute. */
export const INITIAL_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 60_000;
/** A run at least this long resets the back-off to its initial delay. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

export interface ExitFacts {
  exitCode: number;
  /** The exit was asked for by the user (stop, or kill with SIGKILL / the stop signal). */
  stoppedByUser: boolean;
  /** Restarts made by the policy so far; on-failure's maximum counts against it. */
  restartCount: number;
}

/** Whether the policy restarts a replica after this exit. */
export function shouldRestart(policy: RuntimeSpec['restart'], exit: ExitFacts): boolean {
  if (exit.stoppedByUser) return false;
  switch (policy.policy) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      // A maximum of 0 or none means "no limit", as in Docker.
      const max = policy.maxRetries ?? 0;
      if (max > 0 && exit.restartCount >= max) return false;
      return exit.exitCode !== 0;
    }
  }
}

/**
 * Whether a replica that was running (or restarting) when the engine went away is started again when
 * the engine comes back: `always` even after a user stop, `unless-stopped` only if the user did not
 * stop it, `on-failure` if it had not exited on its own.
 */
export function shouldStartOnEngineStart(
  policy: RuntimeSpec['restart'],
  state: Pick<ContainerRuntimeState, 'status' | 'stoppedByUser'>,
): boolean {
  switch (policy.policy) {
    case 'no':
      return false;
    case 'always':
      return true;
    case 'unless-stopped':
      return !state.stoppedByUser;
    case 'on-failure':
      return !state.stoppedByUser && (state.status === 'running' || state.status === 'restarting');
  }
}

/** The delay before each policy restart; grows while the replica keeps dying quickly. */
export class RestartBackoff {
  private delayMs = 0;

  /** The delay before the next restart, given how long the last run lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= BACKOFF_RESET_AFTER_MS) this.delayMs = 0;
    this.delayMs = this.delayMs === 0 ? INITIAL_BACKOFF_MS : Math.min(this.delayMs * 2, MAX_BACKOFF_MS);
    return this.delayMs;
  }

  /** After an explicit start by the user, the next crash starts the back-off from the beginning. */
  reset(): void {
    this.delayMs = 0;
  }
}
