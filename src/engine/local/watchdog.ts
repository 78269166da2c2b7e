/**
 * The watchdog: a tiny separate process that outlives the engine's host only to kill what the host
 * leaves behind. The host holds the write end of a pipe on the watchdog's stdin; when the host dies,
 * even by SIGKILL, the kernel closes it, the watchdog reads EOF and SIGKILLs every process group
 * recorded in state.json that is still alive. A host that stops normally closes the pipe itself after
 * stopping its containers, so the watchdog then finds nothing to kill.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { isRecordedGroupAlive, isRecordedProcessAlive } from './process-liveness.js';
import { isReplicaCgroup, killReplicaCgroup } from './replica-cgroup.js';
import { readProjectState } from './state-store.js';
import type { ProjectState } from './types.js';

export interface WatchdogOptions {
  stateFile: string;
  /** Where the watchdog appends what it killed (the supervisor log). */
  logFile: string;
  /** The watchdog's entry script; default: watchdog-main.js next to this module. */
  entry?: string;
}

export interface WatchdogHandle {
  readonly pid: number | undefined;
  /** Resolves with the watchdog's exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Normal shutdown: closes the pipe, so the watchdog checks once more and exits. */
  release(): void;
}

export function defaultWatchdogEntry(): string {
  return fileURLToPath(new URL('./watchdog-main.js', import.meta.url));
}

/**
 * Starts the watchdog of the calling process. It is detached into its own process group, so a Ctrl-C
 * or a signal to the host's group does not kill it along with the host; neither it nor its pipe keeps
 * the host's event loop alive.
 */
export function startWatchdog(options: WatchdogOptions): WatchdogHandle {
  const entry = options.entry ?? defaultWatchdogEntry();
  const child = spawn(
    process.execPath,
    [entry, '--state-file', options.stateFile, '--log', options.logFile],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // EPIPE if the watchdog is gone; nothing is ever written
  child.unref();
  (stdin as unknown as { unref?: () => void }).unref?.();
  return {
    pid: child.pid,
    exited,
    release: () => {
      stdin.destroy();
    },
  };
}

/** One recorded process group (or lone process) that was still alive and was killed. */
export interface KilledGroup {
  container: string;
  pgid?: number;
  pid?: number;
  /** Processes left in the run's cgroup (daemons that left the group) were killed. */
  cgroup?: string;
  /** 'not-permitted': it belongs to another user now (berth does not touch it). */
  result: 'killed' | 'not-permitted';
}

/**
 * SIGKILLs every process group recorded in the state that is still alive and can still be the one
 * recorded (see process-liveness.ts). `recordedAtMs` is when the state was written (its file's mtime).
 */
export function killRecordedGroups(state: ProjectState, recordedAtMs: number): KilledGroup[] {
  const killed: KilledGroup[] = [];
  for (const record of state.containers) {
    const { pgid, pid } = record.state;
    if (pgid !== undefined && isRecordedGroupAlive(pgid, recordedAtMs)) {
      killed.push({ container: record.name, pgid, result: sigkill(-pgid) });
    } else if (pgid === undefined && pid !== undefined && isRecordedProcessAlive(pid, recordedAtMs)) {
      killed.push({ container: record.name, pid, result: sigkill(pid) });
    }
    // A replica's cgroup has a name of its own (pid, counter, random): what is in it is the replica's.
    const cgroup = record.state.cgroup;
    if (cgroup !== undefined && isReplicaCgroup(cgroup) && killReplicaCgroup(cgroup) > 0) {
      killed.push({ container: record.name, cgroup, result: 'killed' });
    }
  }
  return killed;
}

function sigkill(target: number): KilledGroup['result'] {
  try {
    process.kill(target, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return 'not-permitted';
  }
  return 'killed';
}

/** Reads the state file and kills what it records; nothing when there is no state. */
export async function killGroupsRecordedIn(stateFile: string): Promise<KilledGroup[]> {
  const state = await readProjectState(stateFile);
  if (!state) return [];
  // Removed meanwhile (its project left unused): nothing is recorded any more.
  const mtimeMs = await stat(stateFile).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  return mtimeMs === undefined ? [] : killRecordedGroups(state, mtimeMs);
}

export function describeKilled(killed: KilledGroup): string {
  if (killed.cgroup !== undefined) return `killed the processes left in the cgroup of ${killed.container}`;
  const what = killed.pgid !== undefined ? `process group ${killed.pgid}` : `process ${killed.pid}`;
  return killed.result === 'killed'
    ? `killed ${what} of ${killed.container}`
    : `could not kill ${what} of ${killed.container}: not permitted (it belongs to another user)`;
}
