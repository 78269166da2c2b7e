/**
 * One writer per project. A lock is a file created exclusively (`wx`) that holds its owner's pid; a
 * lock whose owner is gone is taken over. The same mechanism claims `supervisor.pid`, so that only
 * one process hosts a project's engine.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { ComposeError } from '../../project/errors.js';
import { isRecordedProcessAlive } from './process-liveness.js';
import { ensureProjectDir } from './state-dir.js';
import { readStamped } from './read-stamped.js';
import { clearUnusedProjectFiles, removeEmptyFolder } from './unused-project-dir.js';
import { stateWriteError } from './state-write-error.js';

export interface LockFileHandle {
  readonly file: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

/** Who holds a lock file, as read from it. */
export interface LockHolder {
  pid: number | undefined;
  /** Whether that process is still alive (and is the one that wrote the file). */
  alive: boolean;
}

/** Why a state folder cannot be written: said as a user error (see state-write-error.ts). */
const UNWRITABLE: ReadonlySet<string> = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM']);

/** A file being created and not yet written is given this long before it counts as abandoned. */
const EMPTY_FILE_GRACE_MS = 2_000;
const POLL_MS = 50;

/**
 * Creates `file` holding our pid if no live process holds it. Returns undefined when a live process
 * holds it (see `readLockHolder`); a holder that is gone is taken over.
 */
export async function tryAcquireLockFile(file: string): Promise<LockFileHandle | undefined> {
  const token = randomUUID();
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n${token}\n`);
      } catch (error) {
        // A full folder: no empty lock file is left to make the next command wait.
        await unlink(file).catch(() => undefined);
        throw error;
      } finally {
        await handle.close();
      }
      return { file, release: () => releaseLockFile(file, token) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && UNWRITABLE.has(code)) throw stateWriteError(error, 'the lock of the project', file);
      if (code !== 'EEXIST') throw error;
    }
    const holder = await readLockHolder(file);
    if (holder === undefined) continue; // removed meanwhile: try again
    if (holder.alive) return undefined;
    await takeOver(file, holder);
  }
  return undefined;
}

/** Waits up to `waitMs` for the lock file; `onWait` is called once when it has to wait. */
export async function acquireLockFile(
  file: string,
  options: { waitMs: number; onWait?: (holder: LockHolder) => void; busy: (holder: LockHolder) => Error },
): Promise<LockFileHandle> {
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    const handle = await tryAcquireLockFile(file);
    if (handle) return handle;
    const holder = (await readLockHolder(file)) ?? { pid: undefined, alive: true };
    if (Date.now() >= deadline) throw options.busy(holder);
    if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    await sleep(POLL_MS);
  }
}

/** The holder of a lock file, or undefined when there is no such file. */
export async function readLockHolder(file: string): Promise<LockHolder | undefined> {
  const stamped = await readStamped(file);
  if (stamped === undefined) return undefined;
  const { text, mtimeMs } = stamped;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    // Created but not written yet, or its writer died in between: give a writer time to finish.
    return { pid: undefined, alive: Date.now() - mtimeMs < EMPTY_FILE_GRACE_MS };
  }
  return { pid, alive: isRecordedProcessAlive(pid, mtimeMs) };
}

/**
 * Removes a dead holder's file. Two processes may find the same dead holder: the takeover itself is
 * guarded by a second exclusive file, and the lock is read again under it, so that a fresh lock made
 * by the winner is never removed by the other.
 */
async function takeOver(file: string, seen: LockHolder): Promise<void> {
  const guard = `${file}.takeover`;
  let handle;
  try {
    handle = await open(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await removeAbandonedGuard(guard);
    return;
  }
  try {
    await handle.close();
    const now = await readLockHolder(file);
    if (now && !now.alive && now.pid === seen.pid) await unlink(file).catch(ignoreMissing);
  } finally {
    await unlink(guard).catch(ignoreMissing);
  }
}

/** A takeover takes milliseconds; a guard older than a few seconds was left by a process that died. */
async function removeAbandonedGuard(guard: string): Promise<void> {
  try {
    if (Date.now() - (await stat(guard)).mtimeMs > EMPTY_FILE_GRACE_MS) await unlink(guard);
  } catch (error) {
    ignoreMissing(error);
  }
  await sleep(POLL_MS);
}

async function releaseLockFile(file: string, token: string): Promise<void> {
  try {
    const text = await readFile(file, 'utf8');
    if (text.split('\n')[1] === token) await unlink(file);
  } catch (error) {
    ignoreMissing(error);
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

export interface ProjectLockOptions {
  /** How long to wait for another command to finish; default 30 s. */
  waitMs?: number;
  /** Called once if another command holds the lock, so that the CLI can say it is waiting. */
  onWait?: (holderPid: number | undefined) => void;
}

/**
 * Runs `fn` while holding the project's lock, so that two commands never change one project at the
 * same time. Not reentrant: a second call in the same process waits like any other.
 */
export async function withProjectLock<T>(
  stateRoot: string,
  project: string,
  fn: () => Promise<T>,
  options: ProjectLockOptions = {},
): Promise<T> {
  const paths = await ensureProjectDir(stateRoot, project);
  const acquire = (): Promise<LockFileHandle> =>
    acquireLockFile(paths.lockFile, {
      waitMs: options.waitMs ?? 30_000,
      onWait: (holder) => options.onWait?.(holder.pid),
      busy: (holder) =>
        new ComposeError(
          `another berth command is changing project "${project}"${holder.pid ? ` (pid ${holder.pid})` : ''}; ` +
            `wait for it or remove ${paths.lockFile} if that process is gone`,
        ),
    });
  // A host that just stopped may have removed the folder of a project it left unused: make it again.
  const lock = await acquire().catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await ensureProjectDir(stateRoot, project);
    return acquire();
  });
  let unused = false;
  try {
    const result = await fn();
    // `down` (or the clean-up after a dead host) left nothing of the project: its folder goes too.
    unused = await clearUnusedProjectFiles(paths).catch(() => false);
    return result;
  } finally {
    await lock.release();
    if (unused) await removeEmptyFolder(paths.dir).catch(() => undefined);
  }
}
