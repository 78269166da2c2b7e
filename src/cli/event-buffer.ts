/**
 * An engine's events, received from the moment of the call and held until read: attached `up`
 * subscribes before its plan runs, so that a container that exits at once (a one-shot job) is seen
 * exiting even though the plan ends after it did.
 */
import type { Engine, EngineEvent } from '../engine/types.js';

export interface EventBuffer extends AsyncIterable<EngineEvent> {
  /** Stops receiving; a reader waiting for the next event ends. */
  close(): void;
}

export function bufferEvents(engine: Engine, project: string): EventBuffer {
  const iterator = engine.events({ project })[Symbol.asyncIterator]();
  const queue: EngineEvent[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true || ended) break;
        queue.push(next.value);
        notify();
      }
    } catch (error) {
      failure = error;
    } finally {
      ended = true;
      notify();
    }
  })();
  return {
    close(): void {
      ended = true;
      // Not awaited: a stream waiting for its next event settles return() only when one comes.
      void iterator.return?.().catch(() => undefined);
      notify();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<EngineEvent> {
      for (;;) {
        const event = queue.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        if (ended) {
          if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
