/**
 * Where the in-process engine keeps its state: one folder per user (`$BERTH_STATE_DIR`, else
 * `$XDG_STATE_HOME/berth`, else `~/.local/state/berth`), one sub-folder per project, and named
 * volumes shared across projects like Docker's. Every folder is private to the user (0700).
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

import { ComposeError } from '../../project/errors.js';

/** The files of one project's state folder. */
export interface ProjectPaths {
  root: string;
  project: string;
  /** `<root>/projects/<project>` */
  dir: string;
  /** The persisted ProjectState. */
  stateFile: string;
  /** The control socket the hosting process serves. */
  socket: string;
  /** The hosting process's pid (claimed like a lock: see project-lock.ts). */
  pidFile: string;
  /** The detached supervisor's own stderr, and the watchdog's reports. */
  logFile: string;
  /** Held by a command while it changes the project. */
  lockFile: string;
  /** Per-container folders (logs, private writable folder, secrets), made by the engine. */
  containersDir: string;
}

/** Linux's sun_path holds 108 bytes including the final NUL; macOS's 104. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** The state root for this user, from the environment. */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_STATE_DIR) return path.resolve(env.BERTH_STATE_DIR);
  if (env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)) {
    return path.join(env.XDG_STATE_HOME, 'berth');
  }
  return path.join(env.HOME || homedir(), '.local', 'state', 'berth');
}

/**
 * A project or volume name used as one folder name. The loader already validates project names;
 * this is the last guard so that no name can ever make berth write outside the state root.
 */
export function assertSafeName(kind: 'project' | 'volume' | 'container', name: string): void {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0')
  ) {
    throw new ComposeError(`invalid ${kind} name ${JSON.stringify(name)} for the state folder`, {
      hint: `a ${kind} name must not be empty, ".", "..", or contain "/", "\\" or NUL`,
    });
  }
}

export function projectPaths(stateRoot: string, project: string): ProjectPaths {
  assertSafeName('project', project);
  const root = path.resolve(stateRoot);
  const dir = path.join(root, 'projects', project);
  return {
    root,
    project,
    dir,
    stateFile: path.join(dir, 'state.json'),
    socket: path.join(dir, 'supervisor.sock'),
    pidFile: path.join(dir, 'supervisor.pid'),
    logFile: path.join(dir, 'supervisor.log'),
    lockFile: path.join(dir, 'lock'),
    containersDir: path.join(dir, 'containers'),
  };
}

/** `<root>/projects/<project>/containers/<id>`; the engine creates it. */
export function containerDir(stateRoot: string, project: string, id: string): string {
  assertSafeName('container', id);
  return path.join(projectPaths(stateRoot, project).containersDir, id);
}

/** `<root>/volumes`: a named volume's data is `<volumesRoot>/<name>/_data`. */
export function volumesRoot(stateRoot: string): string {
  return path.join(path.resolve(stateRoot), 'volumes');
}

export function volumeDataDir(stateRoot: string, volume: string): string {
  assertSafeName('volume', volume);
  return path.join(volumesRoot(stateRoot), volume, '_data');
}

/**
 * Creates the root, the project's folder and the volumes folder, private to the user. Modes are set
 * explicitly because mkdir's mode is filtered by the umask. A root that already existed keeps its
 * mode (it may be a folder the user chose); berth's own folders in it are always made 0700, which is
 * what keeps projects and named volumes private even in a root others may read.
 */
export async function ensureProjectDir(stateRoot: string, project: string): Promise<ProjectPaths> {
  const paths = projectPaths(stateRoot, project);
  assertSocketPathFits(paths);
  if ((await mkdir(paths.root, { recursive: true, mode: 0o700 })) !== undefined) {
    await chmod(paths.root, 0o700);
  }
  for (const dir of [path.join(paths.root, 'projects'), volumesRoot(paths.root), paths.dir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Only when needed: a folder already private is left untouched (it may be on a read-only mount).
    if (((await stat(dir)).mode & 0o777) !== 0o700) await chmod(dir, 0o700);
  }
  return paths;
}

/** A unix socket path longer than sun_path fails with an obscure EINVAL; say what to do instead. */
export function assertSocketPathFits(paths: ProjectPaths): void {
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH_BYTES) {
    throw new ComposeError(
      `the control socket path for project "${paths.project}" is too long for a unix socket: ${paths.socket}`,
      { hint: 'set BERTH_STATE_DIR to a shorter folder, for example ~/.berth' },
    );
  }
}
