/**
 * `watch` sync on the Docker engine, as docker compose does it: each run of consecutive copies goes
 * into the container as one tar archive (PUT /containers/{id}/archive, which works on stopped
 * containers too), each run of deletions is one `rm -rf --` run in the container.
 */
import type { Stats } from 'node:fs';
import { type FileHandle, lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { PassThrough, Writable } from 'node:stream';

import type Dockerode from 'dockerode';
import tar from 'tar-stream';

import { ComposeError } from '../../project/errors.js';
import type { FileSync } from '../types.js';
import { containerError } from './engine-errors.js';
import { runExec } from './exec-session.js';

/**
 * Files up to this size are read whole before their header is written, so the header's size is what is
 * sent even if the file changes meanwhile; bigger ones are streamed.
 */
const BUFFERED_FILE_BYTES = 1024 * 1024;
/** Bytes of paths per `rm`: far below Linux's limits on argument lists (ARG_MAX, commonly 2 MiB). */
const RM_ARGV_BYTES = 64 * 1024;
/** How much of `rm`'s stderr a message quotes. */
const STDERR_BYTES = 2048;

interface Owner {
  uid: number;
  gid: number;
}

/** The container as the sync needs it, inspected once per call. */
interface SyncTarget {
  container: Dockerode.Container;
  name: string;
  owner: Owner;
  running: boolean;
  paused: boolean;
}

interface Copy {
  kind: 'copy';
  target: string;
  source: string;
  stats: Stats;
}

interface Deletion {
  kind: 'delete';
  target: string;
}

type Step = Copy | Deletion;

type Run = { kind: 'copy'; copies: Copy[] } | { kind: 'delete'; targets: string[] };

/**
 * Applies `changes` to the container in order: copies (a folder as a directory entry, a file with its
 * mode and mtime, a symlink as a symlink), owned by the container's numeric user or root; deletions
 * need the container running. A source gone by the time it is read is deleted instead.
 */
export async function syncContainerFiles(
  container: Dockerode.Container,
  changes: readonly FileSync[],
): Promise<void> {
  if (changes.length === 0) return;
  const target = await inspectTarget(container);
  const steps = await resolveChanges(changes, target.name);
  // Refused before anything is copied, so that a refused batch changes nothing.
  requireRunning(
    target,
    steps.filter((step) => step.kind === 'delete').map((step) => step.target),
  );
  for (const run of groupRuns(steps)) {
    if (run.kind === 'delete') {
      await deleteInContainer(target, run.targets);
      continue;
    }
    const vanished = await copyIntoContainer(target, run.copies);
    if (vanished.length > 0) {
      requireRunning(target, vanished);
      await deleteInContainer(target, vanished);
    }
  }
}

// ---- planning --------------------------------------------------------------------------------------

async function inspectTarget(container: Dockerode.Container): Promise<SyncTarget> {
  let inspect: Dockerode.ContainerInspectInfo;
  try {
    inspect = await container.inspect();
  } catch (error) {
    const id = container.id.length === 64 ? container.id.slice(0, 12) : container.id;
    throw containerError(error, id, 'sync files into');
  }
  return {
    container,
    name: inspect.Name.replace(/^\//, ''),
    owner: ownerOf(inspect.Config.User),
    running: inspect.State.Running,
    paused: inspect.State.Paused,
  };
}

/**
 * The owner of copied files: the container's user when it is numeric (`uid` or `uid:gid`; a user
 * without a group runs with group 0), else root — a user name would need the image's /etc/passwd.
 */
function ownerOf(user: string | undefined): Owner {
  const match = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  if (!match) return { uid: 0, gid: 0 };
  return { uid: Number(match[1]), gid: match[2] === undefined ? 0 : Number(match[2]) };
}

/** Each change as a copy (its source's lstat taken now) or a deletion (no source, or a source gone). */
async function resolveChanges(changes: readonly FileSync[], container: string): Promise<Step[]> {
  const steps = await Promise.all(
    changes.map(async (change): Promise<Step | undefined> => {
      const target = containerPath(change.target, container);
      if (change.source === undefined) return { kind: 'delete', target };
      let stats: Stats;
      try {
        stats = await lstat(change.source);
      } catch (error) {
        if (isGone(error)) return { kind: 'delete', target };
        throw sourceError(error, change.source, container);
      }
      // Sockets, fifos and devices have no place in a sync (compose skips them too).
      if (!stats.isFile() && !stats.isDirectory() && !stats.isSymbolicLink()) return undefined;
      if (target === '/' && !stats.isDirectory()) {
        throw new ComposeError(`cannot copy ${change.source} to / in container ${container}`, {
          hint: 'give the sync rule a target folder in the container',
        });
      }
      return { kind: 'copy', target, source: change.source, stats };
    }),
  );
  const kept = steps.filter((step): step is Step => step !== undefined);
  if (kept.some((step) => step.kind === 'delete' && step.target === '/')) {
    throw new ComposeError(`refusing to delete / in container ${container}`, {
      hint: 'check the target of the sync rule',
    });
  }
  return kept;
}

/** The target as a normalised absolute path (no trailing slash). */
function containerPath(target: string, container: string): string {
  if (!target.startsWith('/')) {
    throw new ComposeError(
      `cannot sync "${target}" in container ${container}: not an absolute container path`,
      {
        hint: 'give the sync rule an absolute target (target: /app)',
      },
    );
  }
  const normal = posix.normalize(target);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** Consecutive copies and consecutive deletions grouped; within a run of copies the last of a target wins. */
function groupRuns(steps: readonly Step[]): Run[] {
  const runs: Run[] = [];
  for (const step of steps) {
    const last = runs.at(-1);
    if (step.kind === 'copy') {
      if (last?.kind === 'copy') last.copies.push(step);
      else runs.push({ kind: 'copy', copies: [step] });
    } else if (last?.kind === 'delete') {
      last.targets.push(step.target);
    } else {
      runs.push({ kind: 'delete', targets: [step.target] });
    }
  }
  for (const run of runs) {
    if (run.kind === 'copy') run.copies = lastOfEachTarget(run.copies);
    else run.targets = [...new Set(run.targets)];
  }
  return runs;
}

function lastOfEachTarget(copies: readonly Copy[]): Copy[] {
  const lastIndex = new Map(copies.map((copy, index) => [copy.target, index]));
  return copies.filter((copy, index) => lastIndex.get(copy.target) === index);
}

function requireRunning(target: SyncTarget, deletions: readonly string[]): void {
  if (deletions.length === 0 || (target.running && !target.paused)) return;
  const what = `cannot delete ${listPaths(deletions)} in container ${target.name}`;
  if (target.paused) {
    throw new ComposeError(`${what}: it is paused, and deletions run a command in it`, {
      hint: 'unpause it (berth unpause); the next change syncs again',
    });
  }
  throw new ComposeError(`${what}: it is not running, and deletions run a command in it`, {
    hint: 'start it (berth start or berth up); the next change syncs again',
  });
}

// ---- copies ----------------------------------------------------------------------------------------

/**
 * One archive upload for `copies`, entries written while it is sent. Resolves with the targets whose
 * source vanished before it could be read (to be deleted instead).
 */
async function copyIntoContainer(target: SyncTarget, copies: readonly Copy[]): Promise<string[]> {
  const pack = tar.pack();
  const body = new PassThrough();
  // Failures are reported through the upload and the writer; this keeps a late one from being unhandled.
  body.on('error', () => undefined);
  pack.pipe(body);
  const stop = new AbortController();
  let failure: { error: unknown; from: 'engine' | 'source' } | undefined;
  // The signal reaches the HTTP request: aborting it ends the upload even mid-way (dockerode also puts
  // it in the query string as `abortSignal={}`, which the engine ignores).
  const upload = target.container.putArchive(body, { path: '/', abortSignal: stop.signal }).then(
    () => undefined,
    (error: unknown) => {
      failure ??= { error, from: 'engine' };
      stop.abort();
    },
  );
  let vanished: string[] = [];
  try {
    vanished = await writeEntries(pack, copies, target, stop.signal);
    pack.finalize();
  } catch (error) {
    failure ??= { error, from: 'source' };
    stop.abort();
    pack.destroy();
    body.destroy();
  }
  await upload;
  if (failure?.from === 'engine') throw containerError(failure.error, target.name, 'copy files into');
  if (failure) throw failure.error;
  return vanished;
}

async function writeEntries(
  pack: tar.Pack,
  copies: readonly Copy[],
  target: SyncTarget,
  signal: AbortSignal,
): Promise<string[]> {
  const vanished: string[] = [];
  for (const copy of copies) {
    signal.throwIfAborted();
    // The root exists in every container: a directory entry for it has no name to carry.
    if (copy.target === '/') continue;
    let written: boolean;
    try {
      written = await writeEntry(pack, copy, target.owner, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw sourceError(error, copy.source, target.name);
    }
    if (!written) vanished.push(copy.target);
  }
  return vanished;
}

/** Writes the entry of one copy; false when its source is gone. */
async function writeEntry(pack: tar.Pack, copy: Copy, owner: Owner, signal: AbortSignal): Promise<boolean> {
  const header: tar.Headers = {
    name: copy.target.slice(1),
    mode: copy.stats.mode & 0o7777,
    mtime: copy.stats.mtime,
    uid: owner.uid,
    gid: owner.gid,
  };
  if (copy.stats.isDirectory()) {
    await addEntry(pack, { ...header, type: 'directory' }, undefined, signal);
    return true;
  }
  if (copy.stats.isSymbolicLink()) {
    let linkname: string;
    try {
      linkname = await readlink(copy.source);
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
    await addEntry(pack, { ...header, type: 'symlink', linkname }, undefined, signal);
    return true;
  }
  // Opened before its header is written, so a file deleted meanwhile leaves no half entry.
  let handle: FileHandle;
  try {
    handle = await open(copy.source, 'r');
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
  try {
    const stats = await handle.stat();
    // Replaced by something else since the lstat: its own event will sync it.
    if (!stats.isFile()) return true;
    const fileHeader: tar.Headers = {
      ...header,
      type: 'file',
      mode: stats.mode & 0o7777,
      mtime: stats.mtime,
    };
    if (stats.size <= BUFFERED_FILE_BYTES) {
      const content = await handle.readFile();
      await addEntry(pack, { ...fileHeader, size: content.length }, content, signal);
    } else {
      await streamEntry(pack, { ...fileHeader, size: stats.size }, handle, signal);
    }
    return true;
  } finally {
    await handle.close();
  }
}

/** An entry without a body (directory, symlink) or with one in memory; done once the archive took it. */
function addEntry(
  pack: tar.Pack,
  header: tar.Headers,
  content: Buffer | undefined,
  signal: AbortSignal,
): Promise<void> {
  return untilAborted(
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (content === undefined) pack.entry(header, done);
      else pack.entry(header, content, done);
    }),
    signal,
  );
}

/** A big file's entry, read from `handle` as the upload takes it (`header.size` bytes, exactly). */
function streamEntry(
  pack: tar.Pack,
  header: tar.Headers,
  handle: FileHandle,
  signal: AbortSignal,
): Promise<void> {
  const size = header.size ?? 0;
  const source = handle.createReadStream({ start: 0, end: size - 1, autoClose: false });
  const written = new Promise<void>((resolve, reject) => {
    // A file that shrank meanwhile fails here ("size mismatch"): the entry would be corrupt.
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    source.on('error', reject);
    source.pipe(sink);
  });
  return untilAborted(written, signal).finally(() => source.destroy());
}

/** `promise`, or the signal's reason once it aborts (the archive may then never take another entry). */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  });
}

// ---- deletions -------------------------------------------------------------------------------------

/**
 * `rm -rf -- targets...` in the container, in as few runs as the argument limits allow. It runs as root:
 * the archive API writes as root too, so files it made may not be the container user's to delete.
 */
async function deleteInContainer(target: SyncTarget, targets: readonly string[]): Promise<void> {
  for (const batch of argvBatches(targets)) {
    const stderr = new TextSink(STDERR_BYTES);
    let exitCode: number;
    try {
      ({ exitCode } = await runExec(
        target.container,
        { command: ['rm', '-rf', '--', ...batch], user: '0' },
        { stdout: new TextSink(0), stderr },
      ));
    } catch (error) {
      throw containerError(error, target.name, 'delete files in');
    }
    if (exitCode !== 0) {
      const detail = stderr.text().trim();
      throw new ComposeError(
        `cannot delete ${listPaths(batch)} in container ${target.name}: rm exited with code ${exitCode}` +
          (detail === '' ? '' : `: ${detail}`),
        {
          hint:
            exitCode === 126 || exitCode === 127
              ? 'deleting synced files needs an `rm` command in the image'
              : 'check that these paths are writable in the container: not on a read-only mount or file system',
        },
      );
    }
  }
}

function argvBatches(targets: readonly string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const target of targets) {
    const size = Buffer.byteLength(target) + 1;
    if (batch.length > 0 && bytes + size > RM_ARGV_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(target);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Keeps the first `limit` bytes written to it (for quoting a command's output in a message). */
class TextSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.kept < this.limit) {
      const part = chunk.subarray(0, this.limit - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

// ---- messages --------------------------------------------------------------------------------------

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function sourceError(error: unknown, source: string, container: string): ComposeError {
  if (error instanceof ComposeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'size mismatch') {
    return new ComposeError(`${source} changed while it was copied into container ${container}`, {
      hint: 'it is copied again on its next change',
      cause: error,
    });
  }
  return new ComposeError(`cannot read ${source} to copy it into container ${container}: ${message}`, {
    hint: 'check that the file is readable by the user running berth',
    cause: error,
  });
}

/** A few paths for a message: `/app/a, /app/b and 12 more`. */
function listPaths(paths: readonly string[]): string {
  const shown = paths.slice(0, 3).join(', ');
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
}
