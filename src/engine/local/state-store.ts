/**
 * Persistence of a project's ProjectState as `state.json`. Every write goes to `state.json.tmp`, is
 * flushed to disk and then renamed over `state.json`, so a crash at any moment leaves either the old
 * or the new state, never a mix. Writes to one file are serialised within the process; across
 * processes, the project lock and the single hosting process keep one writer.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

import { ComposeError } from '../../project/errors.js';
import { stateWriteError } from './state-write-error.js';
import type { ProjectState } from './types.js';

export function emptyProjectState(
  project: string,
  workingDir = '',
  configFiles: string[] = [],
): ProjectState {
  return { version: 1, project, workingDir, configFiles, containers: [], networks: [], volumes: [] };
}

/** The persisted state, or undefined when the project has none yet. */
export async function readProjectState(file: string): Promise<ProjectState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      // The state folder is private to the user who runs the project (0700).
      throw new ComposeError(`cannot read the state of the project at ${file}: permission denied`, {
        hint: 'the project is run by another user: run berth as that user, or choose another state folder with BERTH_STATE_DIR',
        cause: error,
      });
    }
    throw error;
  }
  return parseProjectState(text, file);
}

export function parseProjectState(text: string, file: string): ProjectState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw damaged(file, (error as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw damaged(file, 'it is not a JSON object');
  }
  const state = value as Partial<ProjectState>;
  if (state.version !== 1) {
    throw damaged(file, `unknown version ${JSON.stringify(state.version)} (this berth reads version 1)`);
  }
  if (typeof state.project !== 'string') throw damaged(file, '"project" is not a string');
  for (const key of ['containers', 'networks', 'volumes', 'configFiles'] as const) {
    if (!Array.isArray(state[key])) throw damaged(file, `"${key}" is not a list`);
  }
  return state as ProjectState;
}

function damaged(file: string, reason: string): ComposeError {
  return new ComposeError(`the state file ${file} cannot be read: ${reason}`, {
    hint: 'stop any process of this project that still runs, then remove the file to start afresh',
  });
}

/** Per file: the tail of the chain of writes in progress, so two writes never share the tmp file. */
const writeChains = new Map<string, Promise<void>>();

/** Writes the state atomically (tmp file, fsync, rename), mode 0600. */
export async function writeProjectState(file: string, state: ProjectState): Promise<void> {
  return writeTextAtomically(file, `${JSON.stringify(state, null, 2)}\n`);
}

async function writeTextAtomically(file: string, text: string): Promise<void> {
  const previous = writeChains.get(file) ?? Promise.resolve();
  const current = previous.then(
    () => replaceFile(file, text),
    () => replaceFile(file, text),
  );
  writeChains.set(file, current);
  try {
    await current;
  } finally {
    if (writeChains.get(file) === current) writeChains.delete(file);
  }
}

async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    // A full or read-only folder: the old state stays, and no partial copy is left beside it.
    await unlink(tmp).catch(() => undefined);
    throw stateWriteError(error, 'the project state', file);
  }
  await syncFolder(path.dirname(file));
}

/** Makes the rename itself durable; some platforms cannot fsync a folder, which is harmless. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the rename is best effort; atomicity does not depend on it.
  }
}

/**
 * A project's state file for a process that changes it often (the engine): `save` coalesces, so a
 * burst of changes costs one or two writes, and its promise resolves once a state at least as new as
 * the one given is on disk.
 */
export class ProjectStateStore {
  private pending: ProjectState | undefined;
  private running: Promise<void> | undefined;

  constructor(readonly file: string) {}

  load(): Promise<ProjectState | undefined> {
    return readProjectState(this.file);
  }

  save(state: ProjectState): Promise<void> {
    this.pending = state;
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const state = this.pending;
        this.pending = undefined;
        await writeProjectState(this.file, state);
      }
    } finally {
      this.running = undefined;
    }
  }
}
