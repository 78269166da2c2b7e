/**
 * Is the process (or process group) a file names still the one that wrote it? A pid file or a
 * recorded process group can outlive its process — across a crash or a reboot — and its number can
 * be reused by an unrelated process. On Linux the process's start time (from /proc) tells them
 * apart: the process a file names must have started before the file was written.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Start times from /proc are whole clock ticks after a boot time in whole seconds. */
const START_TIME_SLACK_MS = 5_000;
/** USER_HZ: 100 on every Linux architecture that exposes /proc/<pid>/stat to user space. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * True when the pid exists (even if owned by someone else: signalling it would fail with EPERM). A
 * zombie — dead, not yet reaped by its parent — does not count.
 */
export function isProcessAlive(pid: number): boolean {
  if (!signalZero(pid)) return false;
  const stat = readStat(pid);
  return stat === undefined || stat.state !== 'Z';
}

/** True when some process of the group still runs (zombies aside, on Linux). */
export function isProcessGroupAlive(pgid: number): boolean {
  if (pgid <= 1 || !signalZero(-pgid)) return false;
  if (process.platform !== 'linux') return true;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((name) => {
    const stat = readStat(Number(name));
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

function signalZero(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks after boot. */
  startTicks: number;
}

/** /proc/<pid>/stat on Linux; undefined elsewhere or when the process is gone. */
function readStat(pid: number): ProcStat | undefined {
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
}

/** When the process started (ms since the epoch), on Linux; undefined elsewhere or when it is gone. */
export function processStartTimeMs(pid: number): number | undefined {
  const stat = readStat(pid);
  if (!stat || !Number.isFinite(stat.startTicks)) return undefined;
  let boot: RegExpExecArray | null;
  try {
    boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
  if (!boot) return undefined;
  return (Number(boot[1]) + stat.startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
}

/**
 * True when `pid` is alive and can be the process that was recorded at `recordedAtMs` (a pid file's
 * or state file's modification time): it did not start after that. Where start times are unknown
 * (not Linux), being alive is all we can check.
 */
export function isRecordedProcessAlive(pid: number, recordedAtMs: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  const started = processStartTimeMs(pid);
  return started === undefined || started <= recordedAtMs + START_TIME_SLACK_MS;
}

/**
 * True when the recorded process group still has members that can be the recorded ones. The group's
 * leader, when alive, must pass the same start-time test; when the leader has exited but members
 * remain, the number cannot have been reused (Linux never hands out a pid that is still a group id).
 */
export function isRecordedGroupAlive(pgid: number, recordedAtMs: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1 || !isProcessGroupAlive(pgid)) return false;
  if (!isProcessAlive(pgid)) return true;
  const started = processStartTimeMs(pgid);
  return started === undefined || started <= recordedAtMs + START_TIME_SLACK_MS;
}
