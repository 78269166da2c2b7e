/**
 * A replica's healthcheck loop with Docker's semantics: a probe every interval (start_interval during
 * start_period), failures during start_period not counted until the first success, `healthy` on a
 * success, `unhealthy` after `retries` consecutive failures, the last five results kept.
 */
import { spawn } from 'node:child_process';

import type { HealthStatus } from '../types.js';
import { confinedCommand } from './confined-command.js';
import { withOrphanProtection } from './replica-process.js';
import type { HealthcheckSpec, RuntimeSpec } from './types.js';

/** Docker keeps this many probe results and this much of each probe's output. */
export const HEALTH_LOG_LENGTH = 5;
export const HEALTH_OUTPUT_LIMIT = 4096;

export interface HealthResult {
  start: string;
  end: string;
  /** The probe's exit code; -1 when it timed out or could not run (as Docker reports it). */
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  log: HealthResult[];
}

/** Where and as whom probes run: the replica's own environment (and sandbox, with isolated networking). */
export type ProbeContext = Pick<RuntimeSpec, 'env' | 'cwd' | 'uid' | 'gid'> & { sandboxPid?: number };

export interface HealthMonitorOptions {
  spec: HealthcheckSpec;
  context: ProbeContext;
  /** When the replica's current run started (ms since the epoch); start_period counts from it. */
  startedAtMs: number;
  /** Called after every probe with the new state; `changed` when the status moved. */
  onUpdate: (state: HealthState, changed: boolean) => void;
  /** Carried over when a paused replica resumes; a fresh run starts as `starting`. */
  initial?: HealthState;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The probe's argv: `CMD` runs its arguments, `CMD-SHELL` runs its script with /bin/sh -c. */
export function probeCommand(test: string[]): { file: string; args: string[] } | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD-SHELL') return { file: '/bin/sh', args: ['-c', rest.join(' ')] };
  if (kind === 'CMD' && rest.length > 0) return { file: rest[0]!, args: rest.slice(1) };
  return undefined;
}

/** Runs one probe; never rejects. Its process group is killed when it times out or is aborted. */
export function runProbe(
  spec: HealthcheckSpec,
  context: ProbeContext,
  signal?: AbortSignal,
): Promise<HealthResult> {
  const start = new Date().toISOString();
  const result = (exitCode: number, output: string): HealthResult => ({
    start,
    end: new Date().toISOString(),
    exitCode,
    output: output.slice(0, HEALTH_OUTPUT_LIMIT),
  });
  const command = probeCommand(spec.test);
  if (!command) {
    return Promise.resolve(result(-1, `invalid healthcheck test ${JSON.stringify(spec.test)}`));
  }
  const confined = confinedCommand(command.file, command.args, context);
  const run = withOrphanProtection(confined.file, confined.args);
  return new Promise<HealthResult>((resolve) => {
    let output = '';
    let settled = false;
    const child = spawn(run.file, run.args, {
      cwd: context.cwd,
      env: context.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(confined.uid === undefined ? {} : { uid: confined.uid }),
      ...(confined.gid === undefined ? {} : { gid: confined.gid }),
    });
    const collect = (chunk: Buffer): void => {
      if (output.length < HEALTH_OUTPUT_LIMIT) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const finish = (value: HealthResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      killGroup(); // nothing a probe started outlives it
      resolve(value);
    };
    const onAbort = (): void => finish(result(-1, 'healthcheck stopped'));
    const timer = setTimeout(() => {
      finish(result(-1, `Health check exceeded timeout (${formatDuration(spec.timeoutMs)})`));
    }, spec.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => finish(result(-1, `healthcheck could not run: ${error.message}`)));
    // 'close' rather than 'exit': the output is complete then.
    child.once('close', (code, sig) => finish(result(code ?? (sig ? -1 : 0), output)));
  });
}

/** Probes a running replica until stopped, reporting each result and status change. */
export class HealthMonitor {
  private state: HealthState;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: HealthMonitorOptions) {
    const initial = options.initial;
    this.state = initial
      ? { ...initial, log: [...initial.log] }
      : { status: 'starting', failingStreak: 0, log: [] };
  }

  get current(): HealthState {
    return { ...this.state, log: [...this.state.log] };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop and kills a probe in flight; resolves when nothing of it runs any more. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.loop;
  }

  private inStartPeriod(): boolean {
    const { startPeriodMs } = this.options.spec;
    return startPeriodMs > 0 && Date.now() - this.options.startedAtMs < startPeriodMs;
  }

  private nextDelay(): number {
    const { intervalMs, startIntervalMs } = this.options.spec;
    if (this.state.status === 'starting' && this.inStartPeriod() && startIntervalMs > 0) {
      return startIntervalMs;
    }
    return intervalMs;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(this.timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      this.timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      await this.sleep(this.nextDelay());
      if (signal.aborted) return;
      const result = await runProbe(this.options.spec, this.options.context, signal);
      if (signal.aborted) return;
      this.record(result);
    }
  }

  private record(result: HealthResult): void {
    const before = this.state.status;
    const log = [...this.state.log, result].slice(-HEALTH_LOG_LENGTH);
    let { status, failingStreak } = this.state;
    if (result.exitCode === 0) {
      status = 'healthy';
      failingStreak = 0;
    } else if (!(status === 'starting' && this.inStartPeriod())) {
      // Failures during start_period count only once a probe has succeeded.
      failingStreak += 1;
      if (failingStreak >= Math.max(1, this.options.spec.retries)) status = 'unhealthy';
    }
    this.state = { status, failingStreak, log };
    this.options.onUpdate(this.current, status !== before);
  }
}
