/**
 * The control socket's proof of ownership. Node cannot read a unix socket peer's uid (no
 * SO_PEERCRED), so the folder and socket modes (0700/0600) are backed by a challenge: the host writes
 * a random token next to its socket, readable only by its owner, and answers a connection only after
 * it presented that token. A user who cannot read the file cannot use the socket, even if the
 * folder's or socket's modes were loosened.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, open, readFile, rename, unlink } from 'node:fs/promises';

import { ComposeError } from '../../project/errors.js';

/** The first message of every connection. */
export interface AuthMessage {
  auth: string;
}

export function controlTokenPath(socketPath: string): string {
  return `${socketPath}.token`;
}

/** Writes a fresh token (mode 0600, atomically: never a moment where it is readable by others). */
export async function writeControlToken(socketPath: string): Promise<string> {
  const token = randomBytes(32).toString('hex');
  const file = controlTokenPath(socketPath);
  const temp = `${file}.${process.pid}.tmp`;
  await unlink(temp).catch(() => undefined);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(token);
  } finally {
    await handle.close();
  }
  await chmod(temp, 0o600);
  await rename(temp, file);
  return token;
}

/**
 * The token of the host serving `socketPath`; a clear error when this user may not read it. Undefined
 * when there is none: a host from before tokens, which takes no proof (a current host refuses).
 */
export async function readControlToken(socketPath: string, project?: string): Promise<string | undefined> {
  const file = controlTokenPath(socketPath);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const of = project ? ` of project "${project}"` : '';
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ComposeError(`the berth supervisor${of} belongs to another user (cannot read ${file})`, {
        hint: 'run berth as the user who started the project, or use your own BERTH_STATE_DIR',
      });
    }
    throw error;
  }
}

export async function removeControlToken(socketPath: string): Promise<void> {
  await unlink(controlTokenPath(socketPath)).catch(() => undefined);
}

/** Compares in constant time, so that the answer's timing says nothing about the token. */
export function tokenMatches(presented: unknown, token: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
