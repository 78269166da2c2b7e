/**
 * Finding a project's running host, or starting a detached supervisor for it (`up -d`). The launcher
 * waits, bounded, until the new supervisor answers on its control socket; a supervisor that fails to
 * start is reported with the end of its log.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, open, rename, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { ComposeError } from '../../project/errors.js';
import { RemoteEngine } from './control-client.js';
import { isProcessAlive } from './process-liveness.js';
import { readLockHolder } from './project-lock.js';
import { ensureProjectDir, projectPaths, type ProjectPaths } from './state-dir.js';
import { cleanStaleState, detectStaleSupervisor, type CleanupAction } from './stale-cleanup.js';

export interface SupervisorLocation {
  stateRoot: string;
  project: string;
}

export interface LaunchSupervisorOptions extends SupervisorLocation {
  /** The supervisor's entry script; default: supervisor-main.js next to this module. */
  entry?: string;
  /** Node options placed before the entry script. */
  execArgv?: string[];
  /** The supervisor's environment (what services inherit, e.g. PATH); default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for it to answer; default 15 s. */
  timeoutMs?: number;
  /** Called with what was cleaned when a dead supervisor's leftovers were found first. */
  onStaleCleaned?: (actions: CleanupAction[]) => void;
}

const POLL_MS = 50;
const PING_TIMEOUT_MS = 3_000;
const LOG_TAIL_LINES = 20;
const MAX_LOG_BYTES = 1024 * 1024;

export function defaultSupervisorEntry(): string {
  return fileURLToPath(new URL('./supervisor-main.js', import.meta.url));
}

/** A connected client of the project's running host, or undefined when none answers. */
export async function connectSupervisor(location: SupervisorLocation): Promise<RemoteEngine | undefined> {
  const paths = projectPaths(location.stateRoot, location.project);
  let client: RemoteEngine;
  try {
    client = await RemoteEngine.connect(paths.socket, {
      project: location.project,
      logFile: paths.logFile,
      connectTimeoutMs: PING_TIMEOUT_MS,
    });
  } catch {
    return undefined;
  }
  try {
    await withTimeout(client.ping(), PING_TIMEOUT_MS);
    return client;
  } catch {
    await client.close();
    return undefined;
  }
}

/**
 * The project's running host, or a new detached supervisor when none runs. Leftovers of a dead one
 * are cleaned first (and reported through `onStaleCleaned`); call it under the project lock.
 */
export async function launchSupervisor(options: LaunchSupervisorOptions): Promise<RemoteEngine> {
  const paths = await ensureProjectDir(options.stateRoot, options.project);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const running = await waitForLiveHost(options, paths, deadline);
  if (running) return running;

  if (await detectStaleSupervisor(options.stateRoot, options.project)) {
    const actions = await cleanStaleState(options.stateRoot, options.project);
    options.onStaleCleaned?.(actions);
  }

  await rotateLog(paths.logFile);
  const logStart = await fileSize(paths.logFile);
  await appendFile(
    paths.logFile,
    `${new Date().toISOString()} berth[${process.pid}]: starting the supervisor of project "${options.project}"\n`,
    { mode: 0o600 },
  );
  const logFd = openSync(paths.logFile, 'a', 0o600);
  let exited = false;
  let child;
  try {
    child = spawn(
      process.execPath,
      [
        ...(options.execArgv ?? []),
        options.entry ?? defaultSupervisorEntry(),
        '--state-dir',
        paths.root,
        '--project',
        options.project,
      ],
      { detached: true, stdio: ['ignore', logFd, logFd], cwd: paths.dir, env: options.env ?? process.env },
    );
  } finally {
    closeSync(logFd);
  }
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();

  for (;;) {
    const client = await connectSupervisor(options);
    if (client) return client;
    // A supervisor that lost a race to another one exits; the winner is the one to wait for.
    if (exited && !(await readLockHolder(paths.pidFile))?.alive) {
      throw await startFailure(paths, logStart, 'it exited before answering');
    }
    if (Date.now() >= deadline) {
      if (!exited && child.pid !== undefined) killGroup(child.pid);
      throw await startFailure(paths, logStart, `it did not answer within ${options.timeoutMs ?? 15_000} ms`);
    }
    await sleep(POLL_MS);
  }
}

/**
 * Asks the project's host to stop (after the caller stopped its containers) and waits until it has
 * exited, so that the next command starts from a clean folder. Closes the client.
 */
export async function shutdownSupervisor(
  client: RemoteEngine,
  location: SupervisorLocation,
  timeoutMs = 30_000,
): Promise<void> {
  const paths = projectPaths(location.stateRoot, location.project);
  let pid: number | undefined;
  try {
    pid = (await client.ping()).pid;
    await client.shutdown();
  } finally {
    await client.close();
  }
  const deadline = Date.now() + timeoutMs;
  // Gone means exited, not only its pid file released: the process may still hold ports or files.
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) {
      throw new ComposeError(
        `the berth supervisor of project "${location.project}" (pid ${pid}) did not stop within ${timeoutMs} ms`,
        { hint: `see ${paths.logFile}` },
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * A host whose pid file names a live process is running, starting or stopping: wait until it answers
 * (use it) or goes away (start a new one). A host that neither answers nor exits is an error.
 */
async function waitForLiveHost(
  location: SupervisorLocation,
  paths: ProjectPaths,
  deadline: number,
): Promise<RemoteEngine | undefined> {
  for (;;) {
    const client = await connectSupervisor(location);
    if (client) return client;
    const holder = await readLockHolder(paths.pidFile);
    if (!holder?.alive) return undefined;
    if (Date.now() >= deadline) {
      throw new ComposeError(
        `the berth supervisor of project "${location.project}"${holder.pid ? ` (pid ${holder.pid})` : ''} does not answer on ${paths.socket}`,
        {
          hint: `see ${paths.logFile}; stop that process${holder.pid ? ` (kill ${holder.pid})` : ''} and run the command again`,
        },
      );
    }
    await sleep(POLL_MS);
  }
}

async function startFailure(paths: ProjectPaths, logStart: number, why: string): Promise<ComposeError> {
  const tail = await readLogTail(paths.logFile, logStart);
  return new ComposeError(
    `the berth supervisor of project "${paths.project}" did not start: ${why}${tail ? `\n${tail}` : ''}`,
    { hint: `see ${paths.logFile}` },
  );
}

/** The last lines this launch added to the log. */
async function readLogTail(file: string, from: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = Math.max(from, size - 16 * 1024);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8').trimEnd().split('\n');
      return lines
        .slice(-LOG_TAIL_LINES)
        .map((line) => `  ${line}`)
        .join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/** The log of a long-lived project's supervisors is kept to about two files of MAX_LOG_BYTES. */
async function rotateLog(file: string): Promise<void> {
  if ((await fileSize(file)) > MAX_LOG_BYTES) await rename(file, `${file}.1`).catch(() => undefined);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** The supervisor runs in its own session (detached): its pid is its process group. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
