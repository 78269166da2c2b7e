/**
 * The live behaviour of one container of the in-process engine: its process runs (start, stop, kill,
 * restart, pause, unpause), what happens when the process exits (restart policy with back-off), its
 * health and its logs. Every change of `record.state` is followed by `persist()`, every change a
 * Docker user would see by an event.
 */
import { ComposeError } from '../../project/errors.js';
import { normalizeSignal, signalNumber } from '../signals.js';
import type { EngineEvent } from '../types.js';
import { HealthMonitor, type HealthState } from './health-monitor.js';
import { LogWriter, pipeOutputToLog, readLogs, type LogEntry, type ReadLogsOptions } from './log-store.js';
import { ReplicaProcess, signalExitCode, type ExecFailure, type ProcessExit } from './replica-process.js';
import { RestartBackoff, shouldRestart, shouldStartOnEngineStart } from './restart-policy.js';
import type { ContainerRecord } from './types.js';

/**
 * The replica's sandbox (isolated networking): made or reused before each run, released once the
 * replica has stopped for good (no restart pending). Policy restarts keep it, so keep its address.
 */
export interface ReplicaSandbox {
  /** The holder pid to run the process in. */
  acquire(): Promise<number>;
  release(): Promise<void>;
}

export interface ReplicaOptions {
  record: ContainerRecord;
  /** Absent: the replica runs on the host network. */
  sandbox?: ReplicaSandbox;
  /** Saves the record (atomically, elsewhere); called after every change of `record.state`. */
  persist: () => void | Promise<void>;
  /** Receives start, die, stop, kill, pause, unpause, restart and `health_status: ...` events. */
  onEvent: (event: EngineEvent) => void;
  /** Failures of background work that has no caller to tell (a persist that threw). */
  onError?: (error: unknown) => void;
}

interface Run {
  proc: ReplicaProcess;
  startedAtMs: number;
  /** Settles when the exit has been handled (logs flushed, state saved, restart decided). */
  done: Promise<void>;
}

export class Replica {
  readonly record: ContainerRecord;
  private run: Run | undefined;
  private health: HealthMonitor | undefined;
  private healthState: HealthState | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Bumped whenever a policy restart is scheduled or cancelled; a stale one does nothing. */
  private restartGeneration = 0;
  private readonly backoff = new RestartBackoff();
  /** The next exit was asked for (stop, kill): no restart policy applies to it. */
  private exitOnNext = false;
  private waiters: ((exitCode: number) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** The sandbox the current run is in. */
  private sandboxPid: number | undefined;

  constructor(private readonly options: ReplicaOptions) {
    this.record = options.record;
  }

  get id(): string {
    return this.record.id;
  }

  get status(): ContainerRecord['state']['status'] {
    return this.record.state.status;
  }

  /** The running main process, for exec and top. */
  get process(): ReplicaProcess | undefined {
    return this.run?.proc;
  }

  /** Health status, failing streak and the last five probe results, when a healthcheck is set. */
  get healthDetails(): HealthState | undefined {
    return this.health?.current ?? this.healthState;
  }

  /** Whether the replica may still write logs (running, paused, or about to be restarted). */
  isLive(): boolean {
    return this.run !== undefined || this.pendingRestart();
  }

  /**
   * Starts the process. A replica that is already running is left alone; one waiting for a
   * policy restart starts now. A command or working directory that does not exist leaves the
   * replica exited (127, 126 when not executable) with the reason in its log, and rejects.
   */
  start(): Promise<void> {
    return this.serial(() => this.doStart());
  }

  /** Docker's stop: the stop signal to the whole group, SIGKILL after the grace period. */
  stop(gracePeriodMs?: number): Promise<void> {
    return this.serial(() => this.doStop(gracePeriodMs));
  }

  /** Stops (if running) and starts again. */
  restart(gracePeriodMs?: number): Promise<void> {
    return this.serial(async () => {
      await this.doStop(gracePeriodMs);
      await this.doStart();
      this.emit('restart');
    });
  }

  /**
   * Sends a signal (default SIGKILL) to the whole process group, at once, even while a stop waits
   * for its grace period. SIGKILL and the stop signal count as a user stop (no restart policy);
   * other signals are just delivered, and if they end the process its policy applies.
   */
  async kill(signal: string = 'SIGKILL'): Promise<void> {
    const sig = normalizeSignal(signal);
    if (this.pendingRestart()) {
      // Waiting for a policy restart: killing it means it stays down.
      await this.serial(() => this.doStop(0));
      return;
    }
    const run = this.run;
    if (!run || !run.proc.isRunning) {
      throw new ComposeError(`container ${this.record.name} is not running`);
    }
    if (sig === 'SIGKILL' || signalNumber(sig) === this.stopSignalNumber()) {
      this.exitOnNext = true;
      this.record.state.stoppedByUser = true;
      await this.save();
    }
    run.proc.signalGroup(sig);
    this.emit('kill', { signal: String(signalNumber(sig)) });
  }

  /** Freezes every process of the group (SIGSTOP); healthchecks wait meanwhile. */
  pause(): Promise<void> {
    return this.serial(async () => {
      const run = this.run;
      if (!run || this.status !== 'running') {
        const problem =
          this.status === 'paused'
            ? `container ${this.record.name} is already paused`
            : `container ${this.record.name} is not running`;
        throw new ComposeError(problem);
      }
      run.proc.signalGroup('SIGSTOP');
      await this.stopHealth();
      this.record.state.status = 'paused';
      await this.save();
      this.emit('pause');
    });
  }

  unpause(): Promise<void> {
    return this.serial(async () => {
      const run = this.run;
      if (!run || this.status !== 'paused') {
        throw new ComposeError(`container ${this.record.name} is not paused`);
      }
      run.proc.signalGroup('SIGCONT');
      this.record.state.status = 'running';
      this.startHealth(run.startedAtMs);
      await this.save();
      this.emit('unpause');
    });
  }

  /** The exit code, once the replica is stopped and no restart is pending (at once if it already is). */
  wait(): Promise<number> {
    if (!this.isLive()) return Promise.resolve(this.record.state.exitCode);
    return new Promise<number>((resolve) => this.waiters.push(resolve));
  }

  /** This replica's log, following it while it is live when `follow` is set. */
  logs(options: Omit<ReadLogsOptions, 'isLive'> = {}): AsyncGenerator<LogEntry> {
    return readLogs(this.record.dir, this.record.id, { ...options, isLive: () => this.isLive() });
  }

  /**
   * For a record read back from the state folder after the engine that ran it went away (its
   * processes died with it, by the parent-death signal): marks it exited, as killed, and tells
   * whether its restart policy wants it started again now.
   */
  recoverAfterEngineLoss(): boolean {
    const state = this.record.state;
    const wanted = shouldStartOnEngineStart(this.record.spec.restart, state);
    if (state.status === 'running' || state.status === 'paused' || state.status === 'restarting') {
      state.status = 'exited';
      state.exitCode = signalExitCode('SIGKILL');
      state.finishedAt = new Date().toISOString();
    }
    state.pid = undefined;
    state.pgid = undefined;
    state.cgroup = undefined;
    state.health = undefined;
    return wanted;
  }

  // --- inside -------------------------------------------------------------------------------------

  /** User operations run one after another; kill alone may cut in. */
  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async doStart(): Promise<void> {
    if (this.run) {
      if (this.status === 'paused') {
        throw new ComposeError(`container ${this.record.name} is paused`, {
          hint: 'unpause it instead',
        });
      }
      return;
    }
    this.cancelRestart();
    this.backoff.reset();
    this.exitOnNext = false;
    const state = this.record.state;
    state.stoppedByUser = false;
    state.restartCount = 0;
    const failure = await this.launch();
    if (failure) {
      throw new ComposeError(`service "${this.record.service}" (${this.record.name}): ${failure.message}`, {
        hint:
          failure.exitCode === 127
            ? 'check the command, entrypoint and working_dir of the service, and that the program is installed'
            : 'check that the program is an executable file the service user may run',
      });
    }
  }

  private async doStop(gracePeriodMs?: number): Promise<void> {
    const state = this.record.state;
    if (this.pendingRestart()) {
      this.cancelRestart();
      state.status = 'exited';
      state.stoppedByUser = true;
      await this.releaseSandbox();
      await this.save();
      this.settleWaiters();
      this.emit('stop');
      return;
    }
    const run = this.run;
    if (!run) return; // created or exited: nothing to stop
    const spec = this.record.spec;
    const signal = normalizeSignal(spec.stopSignal);
    this.exitOnNext = true;
    state.stoppedByUser = true;
    await this.save();
    this.emit('kill', { signal: String(signalNumber(signal)) });
    const wasPaused = state.status === 'paused';
    // A paused group cannot act on the stop signal until it is resumed.
    await run.proc.stop(signal, gracePeriodMs ?? spec.stopGracePeriodMs, () => {
      if (wasPaused) run.proc.signalGroup('SIGCONT');
    });
    await run.done;
    this.emit('stop');
  }

  /** Spawns one run; the returned failure has already been recorded, logged and announced. */
  private async launch(): Promise<ExecFailure | undefined> {
    const { record } = this;
    const state = record.state;
    let writer: LogWriter | undefined;
    let started: ReplicaProcess | ExecFailure;
    try {
      writer = await LogWriter.open(record.dir, record.id, record.spec.logging);
      this.sandboxPid = await this.options.sandbox?.acquire();
      started = await ReplicaProcess.start(record.spec, this.sandboxPid);
    } catch (error) {
      // Not the service's fault but the engine's (its folder, its limits, its network): 125, as Docker says.
      await writer?.close();
      await this.recordFailedStart(125);
      if (error instanceof ComposeError) throw error;
      throw new ComposeError(`cannot start ${record.name}: ${(error as Error).message}`, {
        hint: `check that ${record.dir} is writable`,
        cause: error,
      });
    }
    if (!(started instanceof ReplicaProcess)) {
      writer.write('stderr', started.message);
      await writer.close();
      await this.recordFailedStart(started.exitCode);
      return started;
    }
    const now = new Date();
    const outputs = Promise.all([
      pipeOutputToLog(started.stdout, 'stdout', writer),
      pipeOutputToLog(started.stderr, 'stderr', writer),
    ]);
    const run: Run = { proc: started, startedAtMs: now.getTime(), done: Promise.resolve() };
    this.run = run;
    Object.assign(state, {
      status: 'running',
      pid: started.pid,
      pgid: started.pgid,
      cgroup: started.cgroup,
      exitCode: 0,
      startedAt: now.toISOString(),
      failingStreak: 0,
      health: record.spec.healthcheck ? 'starting' : undefined,
    });
    this.healthState = undefined;
    this.startHealth(run.startedAtMs);
    await this.save();
    this.emit('start');
    run.done = this.handleExit(run, writer, outputs);
    return undefined;
  }

  /** A run that never began: exited at once, with the given code. */
  private async recordFailedStart(exitCode: number): Promise<void> {
    const now = new Date().toISOString();
    Object.assign(this.record.state, {
      status: 'exited',
      exitCode,
      startedAt: now,
      finishedAt: now,
      pid: undefined,
      pgid: undefined,
      cgroup: undefined,
      health: undefined,
    });
    await this.releaseSandbox();
    await this.save();
    this.emit('die', { exitCode: String(exitCode) });
    this.settleWaiters();
  }

  private async handleExit(run: Run, writer: LogWriter, outputs: Promise<unknown>): Promise<void> {
    const exit: ProcessExit = await run.proc.exited;
    await outputs;
    await writer.close();
    await this.stopHealth();
    this.run = undefined;
    const state = this.record.state;
    Object.assign(state, {
      exitCode: exit.exitCode,
      finishedAt: new Date().toISOString(),
      pid: undefined,
      pgid: undefined,
      cgroup: undefined,
      health: undefined,
    });
    const asked = this.exitOnNext;
    this.exitOnNext = false;
    const restart =
      !asked &&
      shouldRestart(this.record.spec.restart, {
        exitCode: exit.exitCode,
        stoppedByUser: state.stoppedByUser,
        restartCount: state.restartCount,
      });
    if (!restart) {
      state.status = 'exited';
      await this.releaseSandbox();
      await this.save();
      this.emit('die', { exitCode: String(exit.exitCode) });
      this.settleWaiters();
      return;
    }
    state.status = 'restarting';
    state.restartCount += 1;
    const delay = this.backoff.next(Date.now() - run.startedAtMs);
    // Set before anything awaits, so that a stop arriving meanwhile finds and cancels it.
    const generation = ++this.restartGeneration;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.serial(() => this.policyRestart(generation)).catch((error: unknown) => this.report(error));
    }, delay);
    await this.save();
    this.emit('die', { exitCode: String(exit.exitCode) });
  }

  private async policyRestart(generation: number): Promise<void> {
    // A stop or start in between has already decided what happens.
    if (generation !== this.restartGeneration || this.status !== 'restarting' || this.run) return;
    await this.launch();
  }

  private stopSignalNumber(): number | undefined {
    try {
      return signalNumber(normalizeSignal(this.record.spec.stopSignal));
    } catch {
      return undefined;
    }
  }

  /** Waiting for a policy restart: its timer is set, or has fired and the restart is queued. */
  private pendingRestart(): boolean {
    return this.restartTimer !== undefined || (this.status === 'restarting' && !this.run);
  }

  private cancelRestart(): void {
    this.restartGeneration += 1;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private startHealth(startedAtMs: number): void {
    const spec = this.record.spec;
    if (!spec.healthcheck) return;
    this.health = new HealthMonitor({
      spec: spec.healthcheck,
      context: this.sandboxPid === undefined ? spec : { ...spec, sandboxPid: this.sandboxPid },
      startedAtMs,
      ...(this.healthState ? { initial: this.healthState } : {}),
      onUpdate: (health, changed) => {
        this.healthState = health;
        if (!this.run) return;
        this.record.state.health = health.status;
        this.record.state.failingStreak = health.failingStreak;
        void this.save();
        if (changed) this.emit(`health_status: ${health.status}`);
      },
    });
    this.health.start();
  }

  private async stopHealth(): Promise<void> {
    const monitor = this.health;
    this.health = undefined;
    if (!monitor) return;
    await monitor.stop();
    this.healthState = monitor.current;
  }

  /** Failures are reported, not thrown: the replica has stopped either way. */
  async releaseSandbox(): Promise<void> {
    this.sandboxPid = undefined;
    try {
      await this.options.sandbox?.release();
    } catch (error) {
      this.report(error);
    }
  }

  /** The sandbox holder of the running process, for exec. */
  get sandbox(): number | undefined {
    return this.run ? this.sandboxPid : undefined;
  }

  private settleWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(this.record.state.exitCode);
  }

  private async save(): Promise<void> {
    try {
      await this.options.persist();
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    this.options.onError?.(error);
  }

  private emit(action: string, extra: Record<string, string> = {}): void {
    const { record } = this;
    this.options.onEvent({
      time: new Date().toISOString(),
      type: 'container',
      action,
      id: record.id,
      name: record.name,
      attributes: { ...record.labels, image: record.spec.image, name: record.name, ...extra },
    });
  }
}
