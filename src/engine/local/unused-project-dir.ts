/**
 * A project's state folder once nothing of it is left (after `down`): no host, and a state that
 * records no container, network or volume. Its files go, then the folder itself, so that
 * round after round of `up` and `down` leaves the state root as it found it, as docker compose leaves
 * nothing of a project after `down`.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

import { readStamped } from './read-stamped.js';
import type { ProjectPaths } from './state-dir.js';
import { readProjectState } from './state-store.js';

/**
 * Removes the files of an unused project; call it holding the project lock. Returns whether the
 * project was unused, in which case the caller removes the folder once it has released the lock.
 */
export async function clearUnusedProjectFiles(paths: ProjectPaths): Promise<boolean> {
  // A pid file: a host runs, starts or stops, or died and its state is still to be cleaned.
  if ((await readStamped(paths.pidFile)) !== undefined) return false;
  let state;
  try {
    state = await readProjectState(paths.stateFile);
  } catch {
    return false; // unreadable: keep it for the command that reports it
  }
  // No state: never used (a command only looked), nothing to clear.
  if (!state || state.containers.length + state.networks.length + state.volumes.length > 0) return false;
  const logs = (await readdir(paths.dir).catch(() => [])).filter((name) =>
    name.startsWith(path.basename(paths.logFile)),
  );
  for (const file of [paths.stateFile, ...logs.map((name) => path.join(paths.dir, name))]) {
    await rm(file, { force: true });
  }
  await removeEmptyFolder(paths.containersDir);
  return true;
}

/** Removes a folder if it is empty; one that is gone, or holds something (a new lock), stays as it is. */
export async function removeEmptyFolder(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
}
