/**
 * After a project's host (detached supervisor or foreground `up`) died without stopping — killed, a
 * crash, a reboot — its state folder still says containers run and still holds its socket and pid
 * file. The next berth command notices (`detectStaleSupervisor`), and cleans (`cleanStaleState`):
 * it kills recorded process groups that are still alive (the watchdog normally already has), marks
 * the containers exited with 137 as Docker reports a killed container, and removes the socket and
 * pid file. Both return data for the CLI to report.
 */
import { access, stat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';

import { removeControlToken } from './control-token.js';
import { readLockHolder } from './project-lock.js';
import { projectPaths } from './state-dir.js';
import { readProjectState, writeProjectState } from './state-store.js';
import type { ContainerRecord } from './types.js';
import { describeKilled, killRecordedGroups } from './watchdog.js';

export interface StaleSupervisor {
  project: string;
  /** The dead host's pid, from supervisor.pid, when it left one. */
  pid?: number;
  pidFile?: string;
  socket?: string;
  /** Containers the state says are running (or paused, restarting) with nothing supervising them. */
  containers: string[];
}

export interface CleanupAction {
  kind: 'killed' | 'not-permitted' | 'marked-exited' | 'removed-file';
  container?: string;
  path?: string;
  /** One line for the user: `killed process group 4242 of web-1`. */
  message: string;
}

const ACTIVE: ReadonlySet<string> = new Set(['running', 'restarting', 'paused']);

/** What a dead host left behind, or undefined when a host is alive or nothing was left. */
export async function detectStaleSupervisor(
  stateRoot: string,
  project: string,
): Promise<StaleSupervisor | undefined> {
  const paths = projectPaths(stateRoot, project);
  const holder = await readLockHolder(paths.pidFile);
  if (holder?.alive) return undefined;
  const socketExists = await exists(paths.socket);
  if (socketExists && (await answers(paths.socket))) return undefined;
  const state = await readProjectState(paths.stateFile);
  const containers = (state?.containers ?? []).filter(isActive).map((c) => c.name);
  if (!holder && !socketExists && containers.length === 0) return undefined;
  const stale: StaleSupervisor = { project, containers };
  if (holder) {
    stale.pidFile = paths.pidFile;
    if (holder.pid !== undefined) stale.pid = holder.pid;
  }
  if (socketExists) stale.socket = paths.socket;
  return stale;
}

/**
 * Cleans what a dead host left. Call it while holding the project lock (withProjectLock), so that no
 * other command starts a host meanwhile; it does nothing (and returns []) if a host is alive.
 */
export async function cleanStaleState(stateRoot: string, project: string): Promise<CleanupAction[]> {
  const stale = await detectStaleSupervisor(stateRoot, project);
  if (!stale) return [];
  const paths = projectPaths(stateRoot, project);
  const actions: CleanupAction[] = [];
  const state = await readProjectState(paths.stateFile);
  if (state) {
    const { mtimeMs } = await stat(paths.stateFile);
    for (const killed of killRecordedGroups(state, mtimeMs)) {
      actions.push({
        kind: killed.result === 'killed' ? 'killed' : 'not-permitted',
        container: killed.container,
        message: describeKilled(killed),
      });
    }
    const finishedAt = new Date().toISOString();
    let changed = false;
    for (const record of state.containers) {
      const { pgid, pid, cgroup } = record.state;
      if (!isActive(record) && pgid === undefined && pid === undefined && cgroup === undefined) continue;
      if (isActive(record)) {
        record.state.status = 'exited';
        record.state.exitCode = 137;
        record.state.finishedAt = finishedAt;
        delete record.state.health;
        actions.push({
          kind: 'marked-exited',
          container: record.name,
          message: `${record.name} marked exited (137): its supervisor had died`,
        });
      }
      delete record.state.pid;
      delete record.state.pgid;
      delete record.state.cgroup;
      changed = true;
    }
    if (changed) await writeProjectState(paths.stateFile, state);
  }
  for (const file of [stale.socket, stale.pidFile]) {
    if (file === undefined) continue;
    try {
      await unlink(file);
      actions.push({ kind: 'removed-file', path: file, message: `removed ${file}` });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  // The dead host's control token goes with its socket (an internal file: not reported).
  await removeControlToken(paths.socket);
  return actions;
}

/** One line for the CLI: what was found, before the actions. */
export function describeStale(stale: StaleSupervisor): string {
  const who = stale.pid !== undefined ? `its supervisor (pid ${stale.pid})` : 'its supervisor';
  const what =
    stale.containers.length > 0
      ? `; ${stale.containers.length} container(s) were left recorded as running`
      : '';
  return `project "${stale.project}": ${who} is no longer running${what}`;
}

function isActive(record: ContainerRecord): boolean {
  return ACTIVE.has(record.state.status);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(socketPath);
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(false);
    }, 2_000);
    probe.once('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
