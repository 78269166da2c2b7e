/**
 * `watch` sync actions on the in-process engine. A replica has no filesystem of its own, so a file is
 * "copied into the container" by writing it at the host path its mounts map the target to (the
 * private writable folder for anything no other mount covers). Where that host path is the source
 * itself (a bind mount of the very files being watched, the usual dev setup) there is nothing to do.
 *
 * Nothing is ever written outside the mount that covers the target: `..` is normalised away like a
 * container would, and a symbolic link inside the mount that leads out of it is refused.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  lstat,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

import { ComposeError, ComposeErrors } from '../../project/errors.js';
import type { FileSync } from '../types.js';
import { ensureFolder } from './mounts.js';
import { cleanContainerPath, findMount, mapContainerPath } from './path-mapping.js';
import type { MountPlan } from './types.js';

type Owner = { uid: number; gid: number };

/**
 * Applies `changes` in order through `mounts`: a file is copied (atomically, keeping its mode), a
 * folder created (not filled), a symbolic link recreated, and a change without `source` (or whose
 * source has vanished since) deletes the target recursively. New files and folders go to `owner` when
 * berth runs as root. Every change is attempted; the failures are thrown together as ComposeErrors.
 */
export async function syncIntoMounts(
  mounts: readonly MountPlan[],
  changes: readonly FileSync[],
  owner?: { uid: number; gid: number },
): Promise<void> {
  const chownTo = owner !== undefined && mayChown(owner) ? owner : undefined;
  const failures: ComposeError[] = [];
  for (const change of changes) {
    try {
      await syncOne(mounts, change, chownTo);
    } catch (error) {
      failures.push(asComposeError(change.target, error));
    }
  }
  if (failures.length === 1) throw failures[0]!;
  if (failures.length > 1) throw new ComposeErrors(failures);
}

async function syncOne(
  mounts: readonly MountPlan[],
  change: FileSync,
  owner: Owner | undefined,
): Promise<void> {
  const target = cleanContainerPath(change.target);
  const mount = findMount(target, mounts);
  if (mount === undefined) {
    // Without a mount at `/` the path would be the host's own: never write there.
    throw new ComposeError(`cannot sync ${target}: no mount of the container covers it`);
  }
  const host = mapContainerPath(target, mounts);
  const from = change.source;
  const source = from === undefined ? undefined : await entry(from);

  const atRoot = host === mount.hostPath;
  if (source !== undefined && (await sameEntry(host, source, atRoot))) return;
  if (mount.readOnly) {
    // A deletion of what is already gone needs no write (a read-only bind of the watched files).
    if (source === undefined && (await entry(host)) === undefined) return;
    throw readOnlyError(target, mount);
  }

  if (!atRoot) await assertInsideMount(mount, dirname(host), target);
  if (from === undefined || source === undefined) {
    await (atRoot ? emptyMountRoot(host, target) : rm(host, { recursive: true, force: true }));
  } else if (source.isDirectory()) {
    await makeFolder(host, source.mode, owner, atRoot);
  } else if (atRoot) {
    await overwriteMountedFile(from, host, source, target);
  } else if (source.isSymbolicLink()) {
    await replaceWith(host, owner, async (temp) => symlink(await readlink(from), temp));
  } else if (source.isFile()) {
    await copyFileOver(from, host, source.mode, owner);
  } else {
    throw new ComposeError(`cannot sync ${target}: ${from} is not a file, a folder or a symbolic link`);
  }
}

/** Copies a file over `host`, keeping its mode; when the source vanished meanwhile it is a deletion. */
async function copyFileOver(
  source: string,
  host: string,
  mode: number,
  owner: Owner | undefined,
): Promise<void> {
  try {
    await replaceWith(host, owner, async (temp) => {
      await copyFile(source, temp);
      await chmod(temp, mode & 0o7777);
    });
  } catch (error) {
    if (!isCode(error, 'ENOENT') || (await entry(source)) !== undefined) throw error;
    await rm(host, { recursive: true, force: true });
  }
}

/** Whether berth can and needs to hand new files to `owner` (only root may, and only another user needs it). */
function mayChown(owner: Owner): boolean {
  if (process.getuid?.() !== 0) return false;
  return owner.uid !== process.getuid() || owner.gid !== process.getgid?.();
}

/** lstat, or undefined when nothing is there. */
async function entry(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}

/**
 * The same directory entry (a bind mount of the watched files, seen through any symlinked path). A
 * mount root is followed, as the mount follows it; below it the entry itself counts, not a link's target.
 */
async function sameEntry(host: string, source: Stats, atRoot: boolean): Promise<boolean> {
  const found = atRoot ? await stat(host).catch(() => undefined) : await entry(host);
  return found !== undefined && found.dev === source.dev && found.ino === source.ino;
}

/**
 * Refuses when the existing part of `folder` leads out of the mount through a symbolic link (one a
 * previous sync created, or one in a bind-mounted folder): the write would land elsewhere on the host.
 */
async function assertInsideMount(mount: MountPlan, folder: string, target: string): Promise<void> {
  let deepest = mount.hostPath;
  const rest = relative(mount.hostPath, folder);
  for (const part of rest === '' ? [] : rest.split(sep)) {
    const next = join(deepest, part);
    if ((await entry(next)) === undefined) break;
    deepest = next;
  }
  if ((await entry(deepest)) === undefined) return; // nothing there yet: all of it is created fresh
  const root = await realpath(mount.hostPath);
  const real = await realpath(deepest).catch(() => undefined);
  if (real === undefined || !isInside(real, root)) {
    throw new ComposeError(
      `cannot sync ${target}: a symbolic link on the way leads outside ${mount.containerPath}`,
      {
        hint: `remove the link ${deepest} or sync to another target`,
      },
    );
  }
}

function isInside(path: string, folder: string): boolean {
  return folder === sep || path === folder || path.startsWith(folder + sep);
}

/** mkdir -p; a file or link in the way is replaced; a folder it creates gets the source's mode. */
async function makeFolder(
  host: string,
  mode: number,
  owner: Owner | undefined,
  atRoot: boolean,
): Promise<void> {
  // A mount root is followed like the mount itself follows it; below it, the entry is what counts.
  const found = atRoot ? await stat(host).catch(() => undefined) : await entry(host);
  if (found?.isDirectory()) return;
  if (found !== undefined) await rm(host, { recursive: true, force: true });
  await ensureFolder(host, owner);
  await chmod(host, mode & 0o7777);
}

/**
 * Writes a new entry under a temporary name in the same folder, then renames it over `host`: a
 * server never reads a half-written file. A folder in the way is removed first.
 */
async function replaceWith(
  host: string,
  owner: Owner | undefined,
  write: (temp: string) => Promise<void>,
): Promise<void> {
  const folder = dirname(host);
  await ensureFolder(folder, owner);
  const temp = join(folder, `.berth-sync-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await write(temp);
    if (owner !== undefined) await lchown(temp, owner.uid, owner.gid);
    if ((await entry(host))?.isDirectory()) await rm(host, { recursive: true, force: true });
    await rename(temp, host);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * A file bind-mounted on its own (`./app.conf:/etc/app.conf`) is written in place: a temporary file
 * would have to go next to it, outside the mount, and renaming over a mount point fails in Docker too.
 */
async function overwriteMountedFile(
  source: string,
  host: string,
  stats: Stats,
  target: string,
): Promise<void> {
  const found = await stat(host).catch(() => undefined);
  if (found?.isDirectory() || !stats.isFile()) {
    throw new ComposeError(`cannot sync ${target}: it is a mount point and cannot be replaced by ${source}`, {
      hint: 'sync to a path inside the mount instead',
    });
  }
  await copyFile(source, host);
  await chmod(host, stats.mode & 0o7777);
}

/** Deleting a mount point empties it, as `rm -rf` does in a container (the mount point itself stays). */
async function emptyMountRoot(host: string, target: string): Promise<void> {
  const found = await stat(host).catch(() => undefined);
  if (found === undefined) return;
  if (!found.isDirectory()) {
    throw new ComposeError(`cannot delete ${target}: it is a mount point`, {
      hint: 'delete files inside the mount instead',
    });
  }
  for (const name of await readdir(host)) await rm(join(host, name), { recursive: true, force: true });
}

function readOnlyError(target: string, mount: MountPlan): ComposeError {
  const what =
    mount.kind === 'private'
      ? "the container's filesystem is read-only (read_only: true)"
      : `${mount.containerPath} is mounted read-only (${mount.kind} ${mount.volumeName ?? mount.hostPath})`;
  return new ComposeError(`cannot sync ${target}: ${what}`, {
    hint: 'mount it read-write or sync to another target',
  });
}

function asComposeError(target: string, error: unknown): ComposeError {
  if (error instanceof ComposeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const path = (error as NodeJS.ErrnoException | undefined)?.path;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ComposeError(
      `cannot sync ${target}: permission denied${path === undefined ? '' : ` on ${path}`}`,
      {
        hint: "make the source readable and the mount's folder writable by the user berth runs as",
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ComposeError(`cannot sync ${target}: ${message}`, { cause: error });
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
