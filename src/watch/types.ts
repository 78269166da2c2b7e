/**
 * What the watcher works with: the develop.watch rules of the services, resolved against the project
 * (absolute paths, one matcher per rule), and the file changes it batches.
 */

export type WatchAction = 'rebuild' | 'sync' | 'restart' | 'sync+restart' | 'sync+exec';

/** The command of a `sync+exec` rule, in canonical form. */
export interface WatchExec {
  command: string[];
  user?: string;
  workingDir?: string;
  environment?: Record<string, string>;
  privileged?: boolean;
}

/** One develop.watch rule of one service, ready to match changes. */
export interface WatchRule {
  service: string;
  /** Position in the service's develop.watch, for messages (`services.web.develop.watch[2]`). */
  index: number;
  action: WatchAction;
  /** Absolute host path watched: a folder or one file. */
  path: string;
  /** Absolute container path the sync actions copy to. */
  target?: string;
  /** Sync everything under `path` when watching starts (and after the service's containers are recreated). */
  initialSync: boolean;
  exec?: WatchExec;
  /**
   * Whether a changed absolute path (under `path`) is to be left alone: the rule's ignore patterns, the
   * build context's .dockerignore (and the Dockerfile's own), `.git`, editor temporary and swap files,
   * and — when the rule has `include` — files the include patterns do not match. For a folder: true only
   * when nothing under it can be wanted (so the watcher may skip the whole tree).
   */
  ignored(absolutePath: string, isDirectory?: boolean): boolean;
}

export type FileChangeKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

/** One event from the file watcher. */
export interface FileChange {
  /** Absolute host path. */
  path: string;
  kind: FileChangeKind;
  /** When it was seen (ms since the epoch). */
  time: number;
}
