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
  // One read in flight per source; settled reads queue up in arrival order. Each wait is a promise of
  // its own: racing the pending reads instead would add a reaction to a quiet source's read for every
  // item of the busy ones, and keep all those items alive until the quiet one speaks.
  const settled: ({ index: number; result: IteratorResult<T> } | { index: number; error: unknown })[] = [];
  let wake: (() => void) | undefined;
  let reading = 0;
  const pull = (index: number): void => {
    const source = sources[index];
    if (!source) return;
    reading++;
    source.items.next().then(
      (result) => {
        settled.push({ index, result });
        wake?.();
      },
      (error: unknown) => {
        settled.push({ index, error });
        wake?.();
      },
    );
  };
  sources.forEach((_, index) => pull(index));
  try {
    while (reading > 0) {
      if (settled.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const next = settled.shift();
      if (next === undefined) continue;
      reading--;
      if ('error' in next) throw next.error;
      if (next.result.done === true) continue;
      pull(next.index);
      yield next.result.value;
    }
  } finally {
    // Reads still pending settle once their streams are destroyed; their outcome no longer matters.
    closeAll(sources);
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
