/**
 * A watch session: keeps a running project in step with its files. Changes under the services'
 * develop.watch rules are batched and applied per batch — rebuild, then sync, then restart, then exec —
 * and changes to the project's own files (compose files, .env, env_files, included and extended files)
 * reload the project and converge it, so that only what changed is recreated. One thing is applied at a
 * time; changes made meanwhile form the next batch. Nothing here prints: everything is a WatchEvent.
 */
import path from 'node:path';

import type { Engine } from '../engine/types.js';
import type { Project } from '../project/types.js';
import { applyBatch, resyncServices } from './apply-batch.js';
import { ChangeBatcher } from './batcher.js';
import type { WatchEvent } from './events.js';
import { FeedbackGuard } from './feedback-guard.js';
import { openFileWatcher, type FileWatcher } from './file-watcher.js';
import { resolveWatchRules } from './rules.js';
import type { FileChange, WatchRule } from './types.js';

/** What the session needs from its caller to load and converge the project the way `up` does. */
export interface WatchHooks {
  /** Loads the project again with the options it was first loaded with; throws ComposeError when invalid. */
  reload(): Promise<{ project: Project; warnings: string[] }>;
  /** Brings the project's containers in line with `project` (pulls, builds, plan, execute). */
  converge(project: Project, request: ConvergeRequest): Promise<void>;
}

export interface ConvergeRequest {
  /** Rebuild rules fired: build these services' images again and recreate their containers. */
  rebuild?: string[];
  /** The project was reloaded: converge every selected service and remove the containers of removed ones. */
  reload?: true;
}

export interface WatchOptions {
  project: Project;
  engine: Engine;
  /** Services whose rules are watched (`berth watch web`); empty or absent: all. */
  services?: readonly string[];
  hooks: WatchHooks;
  onEvent: (event: WatchEvent) => void;
  /** A batch is applied once no change came for this long (ms). */
  quietMs?: number;
  /** ... or this long after its first change, even if changes keep coming (ms). */
  maxDelayMs?: number;
}

export interface WatchSession {
  /** Stops watching; waits for what is being applied to end. Leaves the project running. */
  close(): Promise<void>;
}

/** Batches above this size are applied, with a warning: usually a checkout or a build output folder. */
export const LARGE_BATCH = 1000;

export async function startWatch(options: WatchOptions): Promise<WatchSession> {
  const session = new Session(options);
  try {
    await session.start();
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

class Session implements WatchSession {
  private project: Project;
  private rules: WatchRule[] = [];
  private rulesWatcher: FileWatcher | undefined;
  private projectWatcher: FileWatcher | undefined;
  private readonly projectFiles = new Set<string>();
  private readonly guard = new FeedbackGuard();
  private readonly ruleBatches: ChangeBatcher;
  private readonly projectBatches: ChangeBatcher;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: WatchOptions) {
    this.project = options.project;
    const timing = { quietMs: options.quietMs ?? 30, maxDelayMs: options.maxDelayMs ?? 1000 };
    this.ruleBatches = new ChangeBatcher({
      ...timing,
      onBatch: (changes) => this.enqueue('applying changes', () => this.applyChanges(changes)),
    });
    this.projectBatches = new ChangeBatcher({
      ...timing,
      onBatch: (changes) => this.enqueue('reloading the project', () => this.reload(changes)),
    });
  }

  async start(): Promise<void> {
    this.rules = await this.resolveRules(this.project);
    if (this.rules.length === 0) {
      this.emit({
        type: 'warning',
        message:
          'no selected service has develop.watch rules: only the compose files are watched ' +
          '(add a develop.watch section to a service to sync, restart or rebuild it on change)',
      });
    }
    await resyncServices(this.context(), this.project, this.rules, servicesOf(this.rules));
    this.rulesWatcher = await this.watchRules(this.rules);
    this.projectWatcher = await openFileWatcher({
      paths: this.trackProjectFiles(this.project),
      ignored: () => false,
      onChange: (change) => this.projectBatches.push(change),
      onError: (error) => this.emit({ type: 'error', error, context: 'watching the compose files' }),
    });
    this.emit({
      type: 'watching',
      services: servicesOf(this.rules),
      rules: this.rules.length,
      projectFiles: [...this.projectFiles],
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ruleBatches.close();
    this.projectBatches.close();
    await Promise.all([this.rulesWatcher?.close(), this.projectWatcher?.close()]);
    await this.tail;
  }

  private emit(event: WatchEvent): void {
    this.options.onEvent(event);
  }

  private enqueue(context: string, work: () => Promise<void>): void {
    if (this.closed) return;
    this.tail = this.tail.then(async () => {
      if (this.closed) return;
      try {
        await work();
      } catch (error) {
        this.emit({ type: 'error', error, context });
      }
    });
  }

  private context(): Parameters<typeof applyBatch>[0] {
    return {
      engine: this.options.engine,
      hooks: this.options.hooks,
      guard: this.guard,
      emit: (event) => this.emit(event),
    };
  }

  private async resolveRules(project: Project): Promise<WatchRule[]> {
    const { rules, warnings } = await resolveWatchRules(project, this.selected(project));
    for (const message of warnings) this.emit({ type: 'warning', message });
    return rules;
  }

  /** The services named on the command line that the project (still) has. */
  private selected(project: Project): string[] | undefined {
    const named = this.options.services;
    if (named === undefined || named.length === 0) return undefined;
    const present = named.filter((name) => Object.hasOwn(project.services, name));
    for (const name of named) {
      if (!present.includes(name)) {
        this.emit({ type: 'warning', message: `service "${name}" is no longer in the project: not watched` });
      }
    }
    return present;
  }

  private watchRules(rules: readonly WatchRule[]): Promise<FileWatcher> {
    return openFileWatcher({
      paths: [...new Set(rules.map((rule) => rule.path))],
      // A path is skipped when no rule covering it wants it; the project's own files reload instead.
      ignored: (file, isDirectory) =>
        this.projectFiles.has(file) ||
        isSyncTemporary(file) ||
        rules.every((rule) => rule.ignored(file, isDirectory)),
      onChange: (change) => this.ruleBatches.push(change),
      onError: (error) => this.emit({ type: 'error', error, context: 'watching files' }),
    });
  }

  /** Remembers the project's files; returns those not watched before. */
  private trackProjectFiles(project: Project): string[] {
    const fresh = project.meta.sourceFiles.filter((file) => !this.projectFiles.has(file));
    for (const file of fresh) this.projectFiles.add(file);
    return fresh;
  }

  private async applyChanges(changes: FileChange[]): Promise<void> {
    const relevant = changes.filter((change) => !this.projectFiles.has(change.path));
    if (relevant.length > LARGE_BATCH) {
      this.emit({
        type: 'warning',
        message:
          `${relevant.length} files changed at once (more than ${LARGE_BATCH}): applying them; if this ` +
          'was a build output or dependency folder, add it to the rule’s ignore list or to .dockerignore',
      });
    }
    await applyBatch(this.context(), this.project, this.rules, relevant);
  }

  private async reload(changes: FileChange[]): Promise<void> {
    const started = Date.now();
    const files = [...new Set(changes.map((change) => change.path))];
    let next: Project;
    try {
      const loaded = await this.options.hooks.reload();
      for (const message of loaded.warnings) this.emit({ type: 'warning', message });
      next = loaded.project;
    } catch (error) {
      this.emit({ type: 'error', error, context: 'the project did not load: the running project is kept' });
      return;
    }
    const rules = await this.resolveRules(next).catch((error: unknown) => {
      this.emit({
        type: 'error',
        error,
        context: 'the watch rules did not load: the previous ones are kept',
      });
      return undefined;
    });
    const before = await containerIds(this.options.engine, next);
    this.project = next;
    try {
      await this.options.hooks.converge(next, { reload: true });
    } catch (error) {
      // The files are valid: they are the project now, even where the engine could not follow them.
      this.emit({ type: 'error', error, context: 'applying the reloaded project' });
    }
    if (rules !== undefined) {
      this.rules = rules;
      await this.rulesWatcher?.close();
      this.rulesWatcher = this.closed ? undefined : await this.watchRules(rules);
    }
    const added = this.trackProjectFiles(next);
    if (added.length > 0) this.projectWatcher?.add(added);
    // Replicas created by the reload start without what earlier syncs copied into their predecessors.
    const after = await containerIds(this.options.engine, next);
    const recreated = servicesOf(this.rules).filter((service) => after.get(service) !== before.get(service));
    await resyncServices(this.context(), next, this.rules, recreated);
    this.emit({ type: 'reloaded', files, ms: Date.now() - started });
  }
}

/** The in-process engine's temporary file while it replaces a synced file (seen where a bind mount shows it). */
function isSyncTemporary(file: string): boolean {
  return /^\.berth-sync-[0-9a-f]+\.tmp$/.test(path.basename(file));
}

function servicesOf(rules: readonly WatchRule[]): string[] {
  return [...new Set(rules.map((rule) => rule.service))];
}

/** Each service's running replicas, as one comparable string of ids. */
async function containerIds(engine: Engine, project: Project): Promise<Map<string, string>> {
  const containers = await engine.listContainers({ project: project.name, all: false, oneoff: false });
  const ids = new Map<string, string>();
  for (const c of containers.sort((a, b) => a.id.localeCompare(b.id))) {
    ids.set(c.service, `${ids.get(c.service) ?? ''} ${c.id}`);
  }
  return ids;
}
