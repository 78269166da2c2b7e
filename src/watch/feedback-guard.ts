import type { FileChange } from './types.js';

export interface FeedbackGuardOptions {
  /**
   * How long after an action ends its own writes may still arrive (default 500 ms), plus as long as the
   * action itself took (up to a second more).
   */
  settleMs?: number;
  /** How many triggering batches in a row, each right after an action, make a path looping (default 3). */
  rounds?: number;
}

export interface FilteredChanges {
  /** What may trigger the service's next action. */
  changes: FileChange[];
  /** Paths found looping just now (reported once): ignored from now on right after the service's actions. */
  loopPaths: string[];
}

interface ServiceState {
  /** Start of the service's last action. */
  startedAt?: number;
  /** End of that action; undefined while it runs. */
  endedAt?: number;
  /** Per path: in how many triggering batches in a row, each right after an action, it was. */
  streaks: Map<string, number>;
  loopPaths: Set<string>;
}

/**
 * Stops feedback loops: a service whose action (restart, sync+exec, rebuild) writes into a path its own
 * rules watch would otherwise retrigger itself forever. A path changed in `rounds` triggering batches in
 * a row, each of which came entirely right after the service's action, is looping; later changes to it
 * are dropped only when they too come right after an action, so a user's own edit still gets through.
 * (Three rounds, not two: a developer saving one file twice just after a restart is not a loop.)
 */
/** The most the settle window grows for a slow action. */
const MAX_EXTRA_SETTLE_MS = 1000;

export class FeedbackGuard {
  readonly #settleMs: number;
  readonly #rounds: number;
  readonly #services = new Map<string, ServiceState>();

  constructor(options: FeedbackGuardOptions = {}) {
    this.#settleMs = options.settleMs ?? 500;
    this.#rounds = options.rounds ?? 3;
  }

  actionStarted(service: string, now: number = Date.now()): void {
    const state = this.#state(service);
    state.startedAt = now;
    state.endedAt = undefined;
  }

  actionEnded(service: string, now: number = Date.now()): void {
    this.#state(service).endedAt = now;
  }

  /** Called with the changes that would trigger the service's next action. */
  filter(service: string, changes: readonly FileChange[]): FilteredChanges {
    const state = this.#state(service);
    const inWindow = (change: FileChange): boolean => this.#inWindow(state, change.time);
    const kept = changes.filter((change) => !(state.loopPaths.has(change.path) && inWindow(change)));
    if (kept.length === 0) return { changes: [], loopPaths: [] };

    const allInWindow = kept.every(inWindow);
    const streaks = new Map<string, number>();
    if (allInWindow) {
      for (const change of kept) streaks.set(change.path, (state.streaks.get(change.path) ?? 0) + 1);
    }
    state.streaks = streaks;
    const looping = [...streaks].filter(([, count]) => count >= this.#rounds).map(([path]) => path);
    for (const path of looping) {
      state.loopPaths.add(path);
      streaks.delete(path);
    }
    return { changes: kept.filter((change) => !looping.includes(change.path)), loopPaths: looping };
  }

  #inWindow(state: ServiceState, time: number): boolean {
    if (state.startedAt === undefined || time < state.startedAt) return false;
    if (state.endedAt === undefined) return true;
    // A loaded machine is slow at both the action and the service's own writes after it: the window
    // grows by as long as the action took, up to a second, so that a slow restart does not hide a loop.
    const slowness = Math.min(state.endedAt - state.startedAt, MAX_EXTRA_SETTLE_MS);
    return time <= state.endedAt + this.#settleMs + slowness;
  }

  #state(service: string): ServiceState {
    let state = this.#services.get(service);
    if (state === undefined) {
      state = { loopPaths: new Set(), streaks: new Map() };
      this.#services.set(service, state);
    }
    return state;
  }
}
