/**
 * One run of a replica's process tree: spawn it in its own process group, signal the whole group,
 * stop it with a grace period, and make sure nothing of it outlives the main process or the engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { signalNumber } from '../signals.js';
import { confinedCommand } from './confined-command.js';
import { createReplicaCgroup, killReplicaCgroup, spawnInCgroup } from './replica-cgroup.js';
import type { RuntimeSpec } from './types.js';

/** Docker's PATH when the environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const SETPRIV = '/usr/bin/setpriv';
/** With setpriv the kernel kills the replica when the engine dies, even by SIGKILL. */
const orphanProtection = process.platform === 'linux' && existsSync(SETPRIV);

/** After the main process exits, how long output may stay silent before its pipes are closed anyway. */
const OUTPUT_IDLE_LIMIT_MS = 2_000;

export interface ProcessExit {
  /** The exit status, or 128 + signal number for a death by signal (as Docker reports it). */
  exitCode: number;
  signal?: NodeJS.Signals;
}

/** Why a replica could not be started; becomes its exit code and a line in its log. */
export interface ExecFailure {
  exitCode: 126 | 127;
  message: string;
}

/** Whether the engine's children get a parent-death signal (Linux with util-linux's setpriv). */
export function hasOrphanProtection(): boolean {
  return orphanProtection;
}

/** The command line that runs `file` so that it dies with the engine (unchanged where that is not possible). */
export function withOrphanProtection(file: string, args: string[]): { file: string; args: string[] } {
  if (!orphanProtection) return { file, args };
  return { file: SETPRIV, args: ['--pdeathsig', 'SIGKILL', '--', file, ...args] };
}

/** Exit code of a process killed by `signal`: 128 + its number, as a shell and Docker report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + signalNumber(signal);
}

async function isExecutableFile(file: string): Promise<'ok' | 'missing' | 'directory' | 'denied'> {
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) return 'directory';
    await fs.access(file, fsConstants.X_OK);
    return 'ok';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : 'missing';
  }
}

/**
 * Finds what argv[0] names: a path (relative to the working directory) when it has a slash,
 * otherwise the first executable file of that name in the PATH of the replica's environment.
 */
export async function resolveExecutable(
  command: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ path: string } | ExecFailure> {
  if (command === '') {
    return { exitCode: 127, message: 'exec: "": executable file not found in $PATH' };
  }
  if (command.includes('/')) {
    const file = path.resolve(cwd, command);
    const check = await isExecutableFile(file);
    if (check === 'ok') return { path: file };
    if (check === 'missing') {
      return {
        exitCode: 127,
        message: `exec: "${command}": stat ${file}: no such file or directory`,
      };
    }
    const reason = check === 'directory' ? 'is a directory' : 'permission denied';
    return { exitCode: 126, message: `exec: "${command}": ${reason}` };
  }
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(':')) {
    const file = path.resolve(cwd, dir === '' ? '.' : dir, command);
    if ((await isExecutableFile(file)) === 'ok') return { path: file };
  }
  return { exitCode: 127, message: `exec: "${command}": executable file not found in $PATH` };
}

async function checkWorkingDir(cwd: string): Promise<ExecFailure | undefined> {
  try {
    const stat = await fs.stat(cwd);
    if (stat.isDirectory()) return undefined;
    return { exitCode: 127, message: `working directory "${cwd}" is not a directory` };
  } catch {
    return { exitCode: 127, message: `working directory "${cwd}" does not exist` };
  }
}

function exitFrom(code: number | null, signal: NodeJS.Signals | null): ProcessExit {
  if (signal) return { exitCode: signalExitCode(signal), signal };
  return { exitCode: code ?? 0 };
}

/** A running replica process (the leader of its own process group) and its output pipes. */
export class ReplicaProcess {
  readonly pid: number;
  /** The process group: spawned detached, the main process leads its own session and group. */
  readonly pgid: number;
  /** The run's cgroup, holding every descendant (even one that left the group), where one could be made. */
  readonly cgroup: string | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Open only when the spec keeps stdin open; nothing is written to it unless someone attaches. */
  readonly stdin: Writable | null;
  /** Resolves once the main process has exited, the rest of its group is killed and its output has ended. */
  readonly exited: Promise<ProcessExit>;
  private running = true;

  private constructor(child: ChildProcess, cgroup: string | undefined) {
    this.pid = child.pid!;
    this.pgid = child.pid!;
    this.cgroup = cgroup;
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    this.stdin = child.stdin;
    // A broken stdin pipe must not become an uncaught error of the engine.
    this.stdin?.on('error', () => undefined);
    this.exited = this.watchExit(child);
  }

  /**
   * Spawns the replica's command (inside its sandbox when `sandboxPid` is given); a missing command or
   * working directory is reported, not thrown.
   */
  static async start(spec: RuntimeSpec, sandboxPid?: number): Promise<ReplicaProcess | ExecFailure> {
    const cwdProblem = await checkWorkingDir(spec.cwd);
    if (cwdProblem) return cwdProblem;
    const [command = '', ...args] = spec.argv;
    const resolved = await resolveExecutable(command, spec.env, spec.cwd);
    if (!('path' in resolved)) return resolved;

    const confined = confinedCommand(resolved.path, args, {
      cwd: spec.cwd,
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      ...(sandboxPid === undefined ? {} : { sandboxPid }),
    });
    const run = withOrphanProtection(confined.file, confined.args);
    const cgroup = createReplicaCgroup();
    const child = spawnInCgroup(cgroup, () =>
      spawn(run.file, run.args, {
        cwd: spec.cwd,
        env: spec.env,
        // Its own session and process group, so that signals reach the whole tree and nothing else.
        detached: true,
        stdio: [spec.stdinOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        ...(orphanProtection || sandboxPid !== undefined ? {} : { argv0: command }),
        ...(confined.uid === undefined ? {} : { uid: confined.uid }),
        ...(confined.gid === undefined ? {} : { gid: confined.gid }),
      }),
    );
    const failure = await new Promise<ExecFailure | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error: NodeJS.ErrnoException) => {
        const denied = error.code === 'EACCES' || error.code === 'EPERM';
        resolve({
          exitCode: denied ? 126 : 127,
          message: `exec: "${command}": ${denied ? 'permission denied' : error.message}`,
        });
      });
    });
    if (failure) {
      if (cgroup) killReplicaCgroup(cgroup);
      return failure;
    }
    // Later errors (a failed kill) are reported through our own return values, never thrown.
    child.on('error', () => undefined);
    return new ReplicaProcess(child, cgroup);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Sends a signal to every process of the group; false when none is left. */
  signalGroup(signal: NodeJS.Signals): boolean {
    try {
      process.kill(-this.pgid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Docker's stop: the stop signal to the group, then SIGKILL once the grace period is over.
   * `beforeWait` runs right after the first signal (the Replica resumes a paused group there).
   */
  async stop(signal: NodeJS.Signals, gracePeriodMs: number, beforeWait?: () => void): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.signalGroup(signal);
    beforeWait?.();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, gracePeriodMs));
    });
    const outcome = await Promise.race([this.exited, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.signalGroup('SIGKILL');
    return this.exited;
  }

  private async watchExit(child: ChildProcess): Promise<ProcessExit> {
    const exit = await new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => resolve(exitFrom(code, signal)));
    });
    this.running = false;
    // A service that forked children and exited leaves nothing behind: not its group, nor a daemon
    // that left the group (its cgroup holds it).
    this.signalGroup('SIGKILL');
    if (this.cgroup) killReplicaCgroup(this.cgroup);
    await this.outputEnded();
    return exit;
  }

  /** Waits for both output pipes to end; a descendant that escaped the group and keeps them open is cut off. */
  private outputEnded(): Promise<void> {
    const streams = [this.stdout, this.stderr].filter((s) => !s.closed);
    if (streams.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let open = streams.length;
      let idle: NodeJS.Timeout | undefined;
      const cutOff = (): void => {
        // Paused by back-pressure from the log writer: that output is still coming.
        if (streams.some((s) => s.isPaused() && !s.closed)) return rearm();
        for (const s of streams) s.destroy();
      };
      const rearm = (): void => {
        clearTimeout(idle);
        idle = setTimeout(cutOff, OUTPUT_IDLE_LIMIT_MS);
      };
      const closed = (): void => {
        open -= 1;
        if (open > 0) return;
        clearTimeout(idle);
        for (const s of streams) s.off('data', rearm);
        resolve();
      };
      for (const s of streams) {
        s.once('close', closed);
        s.on('data', rearm);
      }
      rearm();
    });
  }
}
