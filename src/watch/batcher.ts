import type { FileChange, FileChangeKind } from './types.js';

export interface ChangeBatcherOptions {
  /** Emit once no change came for this long. */
  quietMs: number;
  /** Emit at the latest this long after a batch's first change, so an endless stream of writes still gets applied. */
  maxDelayMs: number;
  onBatch: (changes: FileChange[]) => void;
}

/**
 * Gathers file changes into batches: one entry per path (the net effect of its changes), in the order
 * the paths first changed.
 */
export class ChangeBatcher {
  readonly #options: ChangeBatcherOptions;
  #pending = new Map<string, FileChange>();
  #quietTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ChangeBatcherOptions) {
    this.#options = options;
  }

  push(change: FileChange): void {
    if (this.#closed) return;
    const previous = this.#pending.get(change.path);
    // Map.set on an existing key keeps its place: the order of first appearance.
    this.#pending.set(
      change.path,
      previous === undefined
        ? { ...change }
        : {
            path: change.path,
            kind: netKind(previous.kind, change.kind),
            time: Math.max(previous.time, change.time),
          },
    );
    if (this.#quietTimer !== undefined) clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.flush(), this.#options.quietMs).unref();
    this.#maxTimer ??= setTimeout(() => this.flush(), this.#options.maxDelayMs).unref();
  }

  /** Emits what is pending now (nothing when nothing is). */
  flush(): void {
    this.#clearTimers();
    if (this.#pending.size === 0) return;
    const changes = [...this.#pending.values()];
    // Reset before the callback, so that changes it causes start a new batch.
    this.#pending = new Map();
    this.#options.onBatch(changes);
  }

  /** Stops for good; pending changes are dropped. */
  close(): void {
    this.#closed = true;
    this.#clearTimers();
    this.#pending.clear();
  }

  #clearTimers(): void {
    if (this.#quietTimer !== undefined) clearTimeout(this.#quietTimer);
    if (this.#maxTimer !== undefined) clearTimeout(this.#maxTimer);
    this.#quietTimer = undefined;
    this.#maxTimer = undefined;
  }
}

/** What two successive changes to one path amount to. */
export function netKind(first: FileChangeKind, then: FileChangeKind): FileChangeKind {
  if (first === 'add' && then === 'change') return 'add'; // still new to whoever applies the batch
  if (first === 'unlink' && then === 'add') return 'change'; // replaced (an editor's save by rename)
  if (first === 'change' && then === 'add') return 'change'; // existed before: the unlink between was missed
  return then;
}
