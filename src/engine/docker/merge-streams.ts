/**
 * Several containers' log lines as one sequence: as they arrive when following, by time otherwise (each
 * container's log is already in time order, so a k-way merge keeps one line per container in memory).
 * Whoever stops iterating closes every source, so no API stream is left open.
 */

export interface ClosableSource<T> {
  items: AsyncIterator<T>;
  /** Destroys the underlying stream; pending reads then end. */
  close(): void;
}

export async function* mergeByArrival<T>(sources: ClosableSource<T>[]): AsyncGenerator<T> {
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number): void => {
    const source = sources[index];
    if (source)
      pending.set(
        index,
        source.items.next().then((result) => ({ index, result })),
      );
  };
  sources.forEach((_, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done === true) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    closeAll(sources);
    // Reads still pending settle once their streams are destroyed; their outcome no longer matters.
    for (const promise of pending.values()) promise.catch(() => undefined);
  }
}

export async function* mergeByTime<T>(
  sources: ClosableSource<T>[],
  timeOf: (item: T) => string,
): AsyncGenerator<T> {
  try {
    const heads = await Promise.all(sources.map((s) => s.items.next()));
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head === undefined || head.done === true) continue;
        const chosen = best < 0 ? undefined : heads[best];
        if (chosen === undefined || chosen.done === true || timeOf(head.value) < timeOf(chosen.value))
          best = i;
      }
      const head = heads[best];
      const source = sources[best];
      if (head === undefined || head.done === true || source === undefined) return;
      yield head.value;
      heads[best] = await source.items.next();
    }
  } finally {
    closeAll(sources);
  }
}

function closeAll<T>(sources: ClosableSource<T>[]): void {
  for (const source of sources) {
    try {
      source.close();
    } catch {
      // Already closed.
    }
  }
}
