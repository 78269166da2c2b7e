/**
 * Hosting a project's in-process engine, and the entry of the detached per-project supervisor:
 * `node supervisor-main.js --state-dir <root> --project <name>` (started by supervisor-launch.ts,
 * with its stderr appended to supervisor.log).
 *
 * `hostEngine` is also what a foreground `up` uses: whoever hosts the engine claims supervisor.pid,
 * starts the watchdog, and serves the control socket, so that every other command finds it.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { ComposeError } from '../../project/errors.js';
import type { Engine } from '../types.js';
import { serveEngine, type ControlServer } from './control-server.js';
import { readLockHolder, tryAcquireLockFile } from './project-lock.js';
import { ensureProjectDir, type ProjectPaths } from './state-dir.js';
import { clearUnusedProjectFiles, removeEmptyFolder } from './unused-project-dir.js';
import { startWatchdog, type WatchdogHandle } from './watchdog.js';
import { createLocalEngine } from './engine.js';
import { networkingOptions } from './network/mode.js';

const WATCHDOG_EXIT_WAIT_MS = 2_000;

/** An engine a process can host: `shutdown` stops its containers and releases what it holds. */
export type HostableEngine = Engine & { shutdown(): Promise<void> };

export type LocalEngineFactory = (options: { stateRoot: string; project: string }) => Promise<HostableEngine>;

export interface HostEngineOptions {
  stateRoot: string;
  project: string;
  /** Called once the host owns the project (pid file claimed, watchdog running). */
  createEngine: LocalEngineFactory;
  /** The watchdog's entry script; default: watchdog-main.js next to this module. */
  watchdogEntry?: string;
}

export interface HostedEngine {
  readonly engine: HostableEngine;
  readonly server: ControlServer;
  readonly watchdog: WatchdogHandle;
  /** Resolves once the host has stopped (after `stop()` or a `shutdown` request). */
  readonly stopped: Promise<void>;
  /** Closes the socket, shuts the engine down, releases the watchdog and the pid file. Idempotent. */
  stop(): Promise<void>;
}

export async function hostEngine(options: HostEngineOptions): Promise<HostedEngine> {
  const { stateRoot, project } = options;
  const paths = await ensureProjectDir(stateRoot, project);
  const pidFile = await tryAcquireLockFile(paths.pidFile);
  if (!pidFile) {
    const holder = await readLockHolder(paths.pidFile);
    throw new ComposeError(
      `project "${project}" is already hosted by another berth process${holder?.pid ? ` (pid ${holder.pid})` : ''}`,
      { hint: `use \`berth down\` to stop it, or remove ${paths.pidFile} if that process is gone` },
    );
  }
  const watchdogOptions = { stateFile: paths.stateFile, logFile: paths.logFile };
  const watchdog = startWatchdog(
    options.watchdogEntry ? { ...watchdogOptions, entry: options.watchdogEntry } : watchdogOptions,
  );
  let engine: HostableEngine | undefined;
  try {
    engine = await options.createEngine({ stateRoot, project });
    const hosted = engine;
    let markStopped: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (markStopped = resolve));
    let stopping: Promise<void> | undefined;
    const server: ControlServer = await serveEngine(hosted, paths.socket, {
      project,
      onShutdown: () => void stop().catch(() => undefined),
    });
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        try {
          await server.close();
          await hosted.shutdown();
        } finally {
          watchdog.release();
          await pidFile.release();
          // The watchdog reads the state once released: the folder may go only after it is done.
          await watchdogDone(watchdog);
          await removeIfUnused(paths).catch(() => undefined);
          markStopped();
        }
      })());
    return { engine: hosted, server, watchdog, stopped, stop };
  } catch (error) {
    await engine?.shutdown().catch(() => undefined);
    watchdog.release();
    await pidFile.release();
    throw error;
  }
}

/** Waits (bounded) for a released watchdog to exit; the timer keeps this process alive meanwhile. */
async function watchdogDone(watchdog: WatchdogHandle): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    watchdog.exited,
    new Promise((resolve) => (timer = setTimeout(resolve, WATCHDOG_EXIT_WAIT_MS))),
  ]);
  clearTimeout(timer);
}

/**
 * After a host stopped with nothing of the project left (`down`), its state folder goes too; a command
 * holding the project lock meanwhile decides instead (it clears the folder when it is done).
 */
async function removeIfUnused(paths: ProjectPaths): Promise<void> {
  const lock = await tryAcquireLockFile(paths.lockFile);
  if (!lock) return;
  const unused = await clearUnusedProjectFiles(paths).finally(() => lock.release());
  if (unused) await removeEmptyFolder(paths.dir);
}

export async function runSupervisor(argv: string[], createEngine?: LocalEngineFactory): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'state-dir': { type: 'string' }, project: { type: 'string' } },
    strict: true,
  });
  const stateRoot = values['state-dir'];
  const project = values.project;
  if (!stateRoot || !project)
    throw new Error('usage: supervisor-main.js --state-dir <root> --project <name>');
  const say = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} supervisor[${process.pid}] ${project}: ${line}\n`);
  };
  process.on('SIGHUP', () => undefined); // no terminal to lose: launched in its own session
  const hosted = await hostEngine({
    stateRoot,
    project,
    createEngine: createEngine ?? ((o) => createLocalEngine({ ...o, ...networkingOptions(process.env) })),
  });
  say(`serving ${hosted.server.socketPath}`);
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping`);
    hosted.stop().catch((error: unknown) => say(`stopping failed: ${errorText(error)}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await hosted.stopped;
  say('stopped');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  runSupervisor(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${new Date().toISOString()} supervisor[${process.pid}]: ${errorText(error)}\n`);
      process.exit(1);
    },
  );
}
