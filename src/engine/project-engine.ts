import type { Engine } from './types.js';
import { createLocalEngine } from './local/engine.js';
import { networkingOptions, settleNetworking } from './local/network/mode.js';
import type { NetworkingMode } from './local/network/types.js';
import { readProjectState } from './local/state-store.js';
import { cleanStaleState, describeStale, detectStaleSupervisor } from './local/stale-cleanup.js';
import { readLockHolder } from './local/project-lock.js';
import { defaultStateRoot, projectPaths } from './local/state-dir.js';
import { connectSupervisor, launchSupervisor, shutdownSupervisor } from './local/supervisor-launch.js';
import { hostEngine, type HostedEngine } from './local/supervisor-main.js';
import type { RemoteEngine } from './local/control-client.js';
import { selectEngineKind } from './select.js';

/**
 * How a command reaches a project's engine:
 * - `existing`: the running one if any; else an in-process view of the state (nothing runs then),
 *   after cleaning up what a dead supervisor left;
 * - `launch`: the running one, or a detached supervisor started for it (`up -d`, `start` ...);
 * - `host`: the running one, or this process hosts the engine itself (foreground `up`), serving the
 *   control socket so that every other command finds it.
 */
export type AccessMode = 'existing' | 'launch' | 'host';

export interface ProjectEngineOptions {
  project: string;
  mode: AccessMode;
  /** `--engine` (BERTH_ENGINE otherwise). */
  engineFlag?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Things to tell the user (stale state cleaned ...). */
  onNotice?: (message: string) => void;
}

export interface ProjectEngine {
  engine: Engine;
  /** This process hosts the engine (foreground `up`): `stop()` ends it. */
  hosted?: HostedEngine;
  /** A detached supervisor serves the engine. */
  remote?: RemoteEngine;
  /** Containers can run and events flow now: a running host, or an engine that is its own host. */
  live: boolean;
  /** The engine is its own host and outlives every berth process (Docker): no host to wait for or end. */
  standing: boolean;
  stateRoot: string;
  /** Ends this command's hold: closes the connection, or stops an in-process view. Never stops a supervisor. */
  release(): Promise<void>;
  /** Ends the engine's host: stops its containers, then the supervisor (or this process's hosting). */
  shutdownHost(): Promise<void>;
}

export async function openProjectEngine(options: ProjectEngineOptions): Promise<ProjectEngine> {
  const env = options.env ?? process.env;
  const stateRoot = env.BERTH_STATE_DIR ? env.BERTH_STATE_DIR : defaultStateRoot(env as NodeJS.ProcessEnv);
  if (selectEngineKind(options.engineFlag, env) === 'docker') return openDocker(env, stateRoot);
  const networking = networkingOptions(env);
  const location = { stateRoot, project: options.project };

  // A forced mode is checked here too: a running host would otherwise be used as it is.
  if (networking.networkingForced) await checkForcedNetworking(location, networking);

  const running = (await connectSupervisor(location)) ?? (await waitForStartingHost(location));
  if (running) return remoteAccess(running, location);

  const stale = await detectStaleSupervisor(stateRoot, options.project);
  if (stale) {
    options.onNotice?.(describeStale(stale));
    const actions = await cleanStaleState(stateRoot, options.project);
    for (const action of actions) options.onNotice?.(action.message);
  }

  if (options.mode === 'launch') {
    const remote = await launchSupervisor({
      ...location,
      env: env as NodeJS.ProcessEnv,
      onStaleCleaned: (actions) => actions.forEach((a) => options.onNotice?.(a.message)),
    });
    return remoteAccess(remote, location);
  }

  if (options.mode === 'host') {
    const hosted = await hostEngine({
      ...location,
      createEngine: (o) => createLocalEngine({ ...o, hostEnv: env, ...networking }),
    });
    return {
      engine: hosted.engine,
      hosted,
      live: true,
      standing: false,
      stateRoot,
      release: async () => undefined,
      shutdownHost: () => hosted.stop(),
    };
  }

  // Nothing runs: a view of the persisted state, enough to list, inspect and remove.
  const view = await createLocalEngine({ ...location, hostEnv: env, ...networking });
  return {
    engine: view,
    live: false,
    standing: false,
    stateRoot,
    release: () => view.shutdown(),
    shutdownHost: () => view.shutdown(),
  };
}

/**
 * The Docker engine is its own host: containers live in dockerd whatever the access mode, so every
 * mode is a connection. The state root still holds the project's lock, so that two berth commands on
 * one project never interleave.
 */
async function openDocker(
  env: Record<string, string | undefined>,
  stateRoot: string,
): Promise<ProjectEngine> {
  // Loaded on demand: commands on the in-process engine never pay for dockerode.
  const { openDockerEngine } = await import('./docker/engine.js');
  const engine = await openDockerEngine(env);
  return {
    engine,
    live: true,
    standing: true,
    stateRoot,
    release: () => engine.close(),
    shutdownHost: () => engine.close(),
  };
}

async function checkForcedNetworking(
  location: { stateRoot: string; project: string },
  wanted: { networking: NetworkingMode; networkingForced: boolean },
): Promise<void> {
  const state = await readProjectState(projectPaths(location.stateRoot, location.project).stateFile);
  if (state) settleNetworking(state, wanted);
}

/**
 * A live process holds the project's pid file but does not answer yet: a host that is starting (or
 * stopping). Waits for it rather than opening a view whose writes would race with the host's.
 */
async function waitForStartingHost(location: {
  stateRoot: string;
  project: string;
}): Promise<RemoteEngine | undefined> {
  const pidFile = projectPaths(location.stateRoot, location.project).pidFile;
  for (let waited = 0; waited < HOST_START_WAIT_MS; waited += 100) {
    const holder = await readLockHolder(pidFile);
    if (!holder?.alive) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const client = await connectSupervisor(location);
    if (client) return client;
  }
  return undefined;
}

const HOST_START_WAIT_MS = 15_000;

function remoteAccess(remote: RemoteEngine, location: { stateRoot: string; project: string }): ProjectEngine {
  return {
    engine: remote,
    remote,
    live: true,
    standing: false,
    stateRoot: location.stateRoot,
    release: () => remote.close(),
    shutdownHost: () => shutdownSupervisor(remote, location),
  };
}
