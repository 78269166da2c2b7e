/** What a watch session reports; the CLI renders these, marked as the watcher's own lines. */

export type WatchStep = 'rebuild' | 'sync' | 'restart' | 'exec';

export type WatchEvent =
  /** Watching started: the services with rules, and the project's own files (compose files, .env ...). */
  | { type: 'watching'; services: string[]; rules: number; projectFiles: string[] }
  /** One step of a batch applied to a service: files synced, replicas restarted, images rebuilt, exec run. */
  | {
      type: 'applied';
      service: string;
      step: WatchStep;
      /** Changed paths that led to it. */
      files: number;
      /** Replicas it was applied to. */
      containers: number;
      ms: number;
      /** Services restarted with it (`depends_on` with `restart: true`). */
      dependents?: string[];
    }
  /** The compose files (or .env, env_files, included or extended files) changed and were applied. */
  | { type: 'reloaded'; files: string[]; ms: number }
  /** A line printed by a sync+exec command. */
  | { type: 'output'; service: string; container: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'warning'; message: string }
  /** Something failed; the session goes on watching with the last good project. */
  | { type: 'error'; error: unknown; context: string };
