/**
 * Watch mode as `watch` and `up --watch` run it: a watch session whose reloads and rebuilds go through
 * the same pull/build and plan as `up`, and whose events are printed as the watcher's own lines.
 */
import type { ProjectEngine } from '../engine/project-engine.js';
import type { Project } from '../project/types.js';
import { renderWarning } from '../project/warnings.js';
import type { UpOptions } from '../reconcile/index.js';
import { paint } from '../ui/log-prefix.js';
import { startWatch, type WatchEvent, type WatchSession } from '../watch/index.js';
import type { CommandContext } from './command-context.js';
import { convergeProject, planErrors } from './converge.js';
import { type ImageFlags, prepareServiceImages } from './images.js';
import { servicesToStart } from './service-selection.js';

export interface WatchModeOptions {
  /** Services named on the command line (their rules are watched; `up` brings up their dependencies too). */
  services: string[];
  /** How `up` was asked to converge (scale, --no-deps ...), reused for reloads. */
  upOptions: UpOptions;
  images: ImageFlags;
  /** Only warnings and errors. */
  quiet: boolean;
}

export async function startWatchMode(
  ctx: CommandContext,
  access: ProjectEngine,
  project: Project,
  options: WatchModeOptions,
): Promise<WatchSession> {
  const print = watchPrinter(ctx, options.quiet);
  return startWatch({
    project,
    engine: access.engine,
    services: options.services,
    onEvent: print,
    hooks: {
      reload: async () => {
        const { project: next, warnings } = await ctx.loadProject(options.services);
        return { project: next, warnings: warnings.map(renderWarning) };
      },
      converge: async (next, request) => {
        const rebuild = request.rebuild;
        const services =
          rebuild ?? servicesToStart(next, options.services, options.upOptions.noDeps === true);
        await prepareServiceImages(
          ctx,
          access.engine,
          next,
          services,
          rebuild ? { build: true } : options.images,
        );
        const result = await convergeProject(ctx, access, next, {
          ...options.upOptions,
          ...(rebuild ? { services: rebuild, noDeps: true, forceRecreate: true } : {}),
          ...(request.reload ? { removeOrphans: true } : {}),
        });
        if (!result.ok) throw planErrors(result);
      },
    },
  });
}

const MARK = '[watch]';

/** The watcher's lines on stderr, each marked `[watch]`. */
function watchPrinter(ctx: CommandContext, quiet: boolean): (event: WatchEvent) => void {
  const mark = ctx.terminal.color ? paint('1;36', MARK) : MARK;
  const line = (text: string): void => ctx.io.stderr(`${mark} ${text}\n`);
  return (event) => {
    switch (event.type) {
      case 'warning':
        line(`WARN ${event.message}`);
        return;
      case 'error':
        for (const message of errorMessages(event.error)) line(`error: ${message}`);
        line(`(${event.context})`);
        return;
      case 'output':
        line(`${event.container} ${event.stream === 'stderr' ? '!' : '|'} ${event.text}`);
        return;
    }
    if (quiet) return;
    switch (event.type) {
      case 'watching': {
        const files = event.projectFiles.map((f) => displayPath(ctx, f)).join(', ');
        const services = event.services.length > 0 ? `services ${event.services.join(', ')} and ` : '';
        line(`Watch enabled: ${services}the project files (${files}); Ctrl+C to stop watching`);
        return;
      }
      case 'applied':
        line(appliedText(event));
        return;
      case 'reloaded':
        line(
          `Reloaded the project after changes to ${event.files.map((f) => displayPath(ctx, f)).join(', ')} (${event.ms} ms)`,
        );
        return;
    }
  };
}

function appliedText(event: Extract<WatchEvent, { type: 'applied' }>): string {
  const changes = `${event.files} change${event.files === 1 ? '' : 's'}`;
  const where = `${event.containers} container${event.containers === 1 ? '' : 's'}, ${event.ms} ms`;
  const service = `service "${event.service}"`;
  switch (event.step) {
    case 'sync':
      return `Synced ${event.files} file${event.files === 1 ? '' : 's'} into ${service} (${where})`;
    case 'restart': {
      const also = event.dependents ? `; restarted its dependents ${event.dependents.join(', ')} too` : '';
      return `Restarted ${service} after ${changes} (${where})${also}`;
    }
    case 'rebuild':
      return `Rebuilt ${service} after ${changes} (${where})`;
    case 'exec':
      return `Ran the exec command of ${service} after ${changes} (${where})`;
  }
}

function errorMessages(error: unknown): string[] {
  if (error instanceof Error && 'errors' in error && Array.isArray(error.errors)) {
    return error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e)));
  }
  return [error instanceof Error ? error.message : String(error)];
}

function displayPath(ctx: CommandContext, file: string): string {
  const cwd = ctx.io.cwd;
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}
