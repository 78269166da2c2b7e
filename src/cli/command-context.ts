import type { Command } from 'commander';

import { type AccessMode, openProjectEngine, type ProjectEngine } from '../engine/project-engine.js';
import { type LoadResult, loadProject } from '../project/load.js';
import type { Project } from '../project/types.js';
import type { Engine } from '../engine/types.js';
import {
  type ExecuteResult,
  executePlan,
  type Plan,
  type ProgressEvent as ReconcileEvent,
} from '../reconcile/index.js';
import { createProgress, type ProgressRenderer } from '../ui/progress.js';
import { resolveTerminalSettings, type TerminalSettings } from '../ui/progress-mode.js';
import { type GlobalFlags, loadOptionsFrom } from './global-options.js';
import type { CliIO } from './io.js';
import { toDisplayEvent } from './progress-bridge.js';
import { renderWarnings } from './render-error.js';
import { throwFailures } from './service-containers.js';

/** What every project command needs: its flags, the project, the terminal, the engine. */
export class CommandContext {
  readonly globals: GlobalFlags;
  readonly terminal: TerminalSettings;

  constructor(
    readonly io: CliIO,
    command: Command,
    options: { noColor?: boolean; quiet?: boolean } = {},
  ) {
    this.globals = command.optsWithGlobals<GlobalFlags>();
    this.terminal = resolveTerminalSettings({
      progress: options.quiet === true ? 'quiet' : this.globals.progress,
      ansi: this.globals.ansi,
      noColor: options.noColor,
      env: io.env,
      stdoutIsTTY: io.stdoutIsTTY ?? false,
      stderrIsTTY: io.stderrIsTTY ?? false,
    });
  }

  /** Loads the project; services named on the command line enable their profiles. */
  async project(services: string[] = []): Promise<Project> {
    const { project, warnings } = await this.loadProject(services);
    renderWarnings(warnings, this.io);
    return project;
  }

  /** Loads the project with the command's flags, warnings returned (watch mode reloads it so). */
  loadProject(services: string[] = []): Promise<LoadResult> {
    return loadProject(loadOptionsFrom(this.globals, this.io, services));
  }

  async engine(project: string, mode: AccessMode): Promise<ProjectEngine> {
    return openProjectEngine({
      project,
      mode,
      engineFlag: this.globals.engine,
      env:
        this.globals.networking === undefined
          ? this.io.env
          : { ...this.io.env, BERTH_NETWORKING: this.globals.networking },
      onNotice: (message) => this.io.stderr(`${message}\n`),
    });
  }

  /** Runs a plan with the progress display; failed operations end the command with their errors. */
  async runPlan(plan: Plan, engine: Engine): Promise<void> {
    const { listener, renderer } = this.progress();
    let result: ExecuteResult;
    try {
      result = await executePlan(plan, engine, { onEvent: listener });
    } finally {
      await renderer.stop();
    }
    throwFailures(result.failed.map((f) => ({ name: f.resource, message: f.error.message })));
  }

  /** A progress display on stderr, fed with the reconciler's events. */
  progress(dryRun = false): { listener: (event: ReconcileEvent) => void; renderer: ProgressRenderer } {
    const renderer = createProgress({ display: this.terminal.progress, write: this.io.stderr, dryRun });
    return { listener: (event) => renderer.event(toDisplayEvent(event)), renderer };
  }
}
