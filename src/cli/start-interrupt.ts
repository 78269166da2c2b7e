/**
 * Ctrl-C while an attached `up` is still starting the project (hosting the engine, pulling, creating,
 * waiting for dependencies to be healthy). Without it Node's default action would end the process at
 * once: the watchdog would kill the replicas, but the project would be left recorded as running with
 * a dead host. With it, the first Ctrl-C stops what this command started, as Ctrl-C does once
 * attached, and `up` exits 130; a second one ends the process at once (the watchdog then kills what
 * is left, as it does for any host that dies).
 */
import type { CliIO } from './io.js';

export class StartInterrupt {
  private signalled = false;
  private stopHost: (() => Promise<void>) | undefined;
  private stopping: Promise<void> | undefined;
  private wake: () => void = () => undefined;
  /** Resolves on the first Ctrl-C (or SIGTERM). */
  private readonly arrived = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(private readonly io: CliIO) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get interrupted(): boolean {
    return this.signalled;
  }

  /** What stops the project's host; called at once if Ctrl-C came before the host existed. */
  setStop(stop: () => Promise<void>): void {
    this.stopHost = stop;
    if (this.signalled) this.stopping ??= stop();
  }

  /**
   * `work`'s result, or undefined as soon as Ctrl-C arrives. `work` is then left to fail on its own
   * (its engine is stopping) and its failure is not reported.
   */
  async race<T>(work: Promise<T>): Promise<T | undefined> {
    work.catch(() => undefined);
    return Promise.race([work, this.arrived.then(() => undefined)]);
  }

  /** After an interruption: waits until the host has stopped what it ran. */
  async stopped(): Promise<void> {
    if (this.stopHost) this.stopping ??= this.stopHost();
    await this.stopping?.catch(() => undefined);
  }

  /** From here on the attached `up` handles signals itself. */
  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private readonly onSignal = (): void => {
    if (this.signalled) {
      this.io.stderr('Killing...\n');
      process.exit(130);
    }
    this.signalled = true;
    this.io.stderr('Gracefully stopping... (press Ctrl+C again to force)\n');
    if (this.stopHost) this.stopping ??= this.stopHost();
    this.wake();
  };
}
