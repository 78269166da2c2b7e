/**
 * An async iterable whose `return()` works even while a `next()` is still waiting: an async generator
 * queues `return()` behind the pending `next()`, which on a quiet log or event stream may never settle.
 * Closing first destroys the API streams, so the pending read ends and the generator can finish.
 */
export function interruptible<T>(make: () => AsyncGenerator<T>, close: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inner = make();
      return {
        next: () => inner.next(),
        return: (value?: unknown) => {
          close();
          return inner.return(value as T);
        },
        throw: (error?: unknown) => {
          close();
          return inner.throw(error);
        },
      };
    },
  };
}
