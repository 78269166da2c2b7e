/**
 * Fan-out of engine events to any number of subscribers (`berth events`, waits). Each subscriber has
 * its own bounded queue: a slow reader loses its oldest events rather than growing the engine's memory.
 */
export class EventHub<T> {
  private readonly subscribers = new Set<Subscriber<T>>();
  private closed = false;

  constructor(private readonly maxQueued = 10_000) {}

  publish(event: T): void {
    for (const s of this.subscribers) if (s.accepts(event)) s.push(event, this.maxQueued);
  }

  subscribe(accepts: (event: T) => boolean = () => true): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        const subscriber = new Subscriber<T>(accepts, () => this.subscribers.delete(subscriber));
        if (this.closed) subscriber.end();
        else this.subscribers.add(subscriber);
        return subscriber;
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
  }
}

class Subscriber<T> implements AsyncIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(
    readonly accepts: (event: T) => boolean,
    private readonly detach: () => void,
  ) {}

  push(event: T, max: number): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > max) this.queue.shift();
  }

  end(): void {
    this.done = true;
    this.detach();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.queue.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
}
