import { parseSeconds } from './duration-flag.js';
import { setTimeout as sleep } from 'node:timers/promises';

import { type Command, Option } from 'commander';

import { readLockHolder, withProjectLock } from '../engine/local/project-lock.js';
import { projectPaths } from '../engine/local/state-dir.js';
import type { ProjectEngine } from '../engine/project-engine.js';
import type { Engine } from '../engine/types.js';
import { ComposeError, ComposeErrors } from '../project/errors.js';
import {
  type DownOptions,
  executePlan,
  observe,
  planDown,
  type ProgressEvent,
  type ProgressListener,
  renderPlan,
} from '../reconcile/index.js';
import { serviceImage } from '../reconcile/create-request.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { ownOptionsWin } from './own-options.js';
import { checkServiceNames, engineHostEnded, type ProjectTarget, projectTarget } from './project-target.js';

interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
  rmi?: string;
  dryRun?: boolean;
}

export function downCommand(program: Command, io: CliIO): Command {
  const registered = program
    .command('down')
    .description('Stop and remove containers and networks (and volumes with -v)')
    .argument('[service...]', 'only these services (networks and volumes are then kept)')
    .option('-v, --volumes', 'remove named volumes declared in the volumes section and anonymous volumes')
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .addOption(
      new Option('--rmi <type>', 'remove images used by services: local (built ones) or all').choices([
        'local',
        'all',
      ]),
    )
    .option('--dry-run', 'print the plan and change nothing')
    .action(async (services: string[], flags: DownFlags, command: Command) => {
      await runDown(new CommandContext(io, command), services, flags);
    });
  // `down -v` removes volumes: it is not berth's --version.
  ownOptionsWin(program, registered);
  return registered;
}

async function runDown(ctx: CommandContext, services: string[], flags: DownFlags): Promise<void> {
  const timeoutSeconds = flags.timeout === undefined ? undefined : parseSeconds(flags.timeout, '--timeout');
  const target = await projectTarget(ctx, services);
  checkServiceNames(target, services);
  const access = await ctx.engine(target.name, 'existing');
  const rmi = flags.rmi as 'local' | 'all' | undefined;
  if (rmi !== undefined && access.engine.removeImage === undefined) {
    ctx.io.stderr('WARN --rmi: the in-process engine runs no images, there is none to remove\n');
  }
  const options: DownOptions = {
    removeOrphans: flags.removeOrphans === true,
    volumes: flags.volumes === true,
    services,
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  };
  let shutDown = false;
  try {
    if (flags.dryRun === true) {
      const plan = planDown(target.project, await observe(access.engine, target.name), options);
      for (const warning of plan.warnings) ctx.io.stderr(`WARN ${warning}\n`);
      const text = renderPlan(plan);
      ctx.io.stdout(text === '' ? `nothing to remove for project "${target.name}"\n` : `${text}\n`);
      return;
    }
    // Under the project's lock, as `up`: never in the middle of another command's changes, and a
    // state folder that cannot be written stops it before anything is stopped.
    shutDown = await withProjectLock(access.stateRoot, target.name, async () => {
      const images =
        rmi !== undefined && access.engine.removeImage !== undefined
          ? await projectImages(access.engine, target, services, rmi)
          : [];
      return bringDown(ctx, target, access, options, images);
    });
  } finally {
    if (!shutDown) await access.release();
  }
}

/**
 * Stops and removes the project's containers (and networks, volumes with -v, `images` for --rmi) with
 * progress on stderr; ends the engine's host (supervisor or foreground `up`) once nothing of the project is left, and
 * says so by returning true: `access` is then closed.
 */
export async function bringDown(
  ctx: CommandContext,
  target: ProjectTarget,
  access: ProjectEngine,
  options: DownOptions,
  images: readonly string[] = [],
): Promise<boolean> {
  const progress = ctx.progress();
  let outcome: DownOutcome | undefined;
  let nothing: boolean;
  try {
    outcome = await downThrough(ctx, target, access.engine, options, progress.listener);
    nothing = outcome.nothing;
    if (outcome.failures.length > 0 && (await engineHostEnded(access, target.name))) {
      // A foreground `up` ends when its containers stop, and the engine with it: what is left (its
      // stopped containers, networks) is removed through the state it saved.
      await hostExited(access.stateRoot, target.name);
      const fresh = await ctx.engine(target.name, 'existing');
      try {
        // The first attempt's errors were the lost connection: only this one's are shown.
        outcome = await downThrough(ctx, target, fresh.engine, options, progress.listener);
      } finally {
        await fresh.release();
      }
    }
  } finally {
    for (const event of outcome?.lost ?? []) progress.listener(event);
    await progress.renderer.stop();
  }
  if (outcome.failures.length > 0) throw new ComposeErrors(outcome.failures);
  if (nothing) ctx.io.stderr(`Warning: No resource found to remove for project "${target.name}".\n`);
  // `--rmi`: once the containers that used them are gone.
  if (images.length > 0) await removeImages(ctx, access.engine, images);
  if ((await access.engine.listContainers({ project: target.name, all: true }).catch(() => [])).length > 0) {
    return false;
  }
  await access.shutdownHost().catch(async (error: unknown) => {
    // The host may have ended already (see above); anything else is an error.
    if (!(await engineHostEnded(access, target.name))) throw error;
  });
  return true;
}

/**
 * The images `--rmi` removes, as compose chooses them: `all` every image the services use, `local` only
 * those without a custom tag (the `<project>-<service>` images built for services without `image:`).
 * Known from the compose file, else from the containers' image labels.
 */
async function projectImages(
  engine: Engine,
  target: ProjectTarget,
  services: readonly string[],
  rmi: 'local' | 'all',
): Promise<string[]> {
  const wanted = (service: string): boolean => services.length === 0 || services.includes(service);
  const images = new Set<string>();
  if (target.project !== null) {
    for (const [name, service] of Object.entries(target.project.services)) {
      if (!wanted(name)) continue;
      if (service.image === undefined) images.add(serviceImage(target.name, name, service));
      else if (rmi === 'all') images.add(service.image);
    }
  } else {
    for (const c of await engine.listContainers({ project: target.name, all: true })) {
      if (!wanted(c.service)) continue;
      const built = c.image === serviceImage(target.name, c.service, {});
      if (built || rmi === 'all') images.add(c.image);
    }
  }
  return [...images].sort();
}

/** One progress line per image; an image still used elsewhere is a failure of that line only. */
async function removeImages(ctx: CommandContext, engine: Engine, images: readonly string[]): Promise<void> {
  const progress = ctx.progress();
  const failures: ComposeError[] = [];
  try {
    for (const image of images) {
      const resource = `Image ${image}`;
      const event = { type: 'operation', id: resource, kind: 'removeContainer', resource } as const;
      progress.listener({ ...event, status: 'working' });
      try {
        const removed = await engine.removeImage!(image);
        progress.listener({ ...event, status: 'done', message: removed ? 'Removed' : 'Not found' });
      } catch (caught) {
        const message = caught instanceof Error ? caught.message : String(caught);
        progress.listener({ ...event, status: 'error', message });
        failures.push(caught instanceof ComposeError ? caught : new ComposeError(`${resource}: ${message}`));
      }
    }
  } finally {
    await progress.renderer.stop();
  }
  if (failures.length > 0) throw new ComposeErrors(failures);
}

interface DownOutcome {
  failures: ComposeError[];
  /** Error and skip events, held back until it is known whether the engine's host ended. */
  lost: ProgressEvent[];
  nothing: boolean;
}

async function downThrough(
  ctx: CommandContext,
  target: ProjectTarget,
  engine: Engine,
  options: DownOptions,
  onEvent: ProgressListener,
): Promise<DownOutcome> {
  const observed = await observe(engine, target.name);
  const plan = planDown(target.project, observed, options);
  const services = options.services ?? [];
  const oneoffs = services.length === 0 ? await oneoffContainers(engine, target.name) : [];
  if (plan.operations.length === 0 && oneoffs.length === 0) {
    for (const warning of plan.warnings) ctx.io.stderr(`WARN ${warning}\n`);
    return { failures: [], lost: [], nothing: true };
  }
  const lost: ProgressEvent[] = [];
  const listener: ProgressListener = (event) => {
    if (event.type === 'operation' && (event.status === 'error' || event.status === 'skipped'))
      lost.push(event);
    else onEvent(event);
  };
  // run containers first: they may still use the project's networks and volumes.
  const oneoffFailures = await removeOneoffs(engine, oneoffs, listener, options.volumes === true);
  const result = await executePlan(plan, engine, { onEvent: listener });
  const failures = [
    ...result.failed.map((f) =>
      f.error instanceof ComposeError ? f.error : new ComposeError(`${f.resource}: ${f.error.message}`),
    ),
    ...oneoffFailures,
  ];
  return { failures, lost, nothing: false };
}

/** Waits (bounded) until the process that hosted the engine has exited and saved the state. */
export async function hostExited(stateRoot: string, project: string): Promise<void> {
  const pidFile = projectPaths(stateRoot, project).pidFile;
  const deadline = Date.now() + 15_000;
  while ((await readLockHolder(pidFile))?.alive === true && Date.now() < deadline) await sleep(50);
}

/** `run` containers are not replicas, so the plan leaves them: down removes them like compose does. */
async function oneoffContainers(engine: Engine, project: string): Promise<{ id: string; name: string }[]> {
  const all = await engine.listContainers({ project, all: true, oneoff: true });
  return all.filter((c) => c.oneoff && c.project === project).map((c) => ({ id: c.id, name: c.name }));
}

async function removeOneoffs(
  engine: Engine,
  containers: { id: string; name: string }[],
  onEvent: ProgressListener,
  volumes: boolean,
): Promise<ComposeError[]> {
  const failures: ComposeError[] = [];
  await Promise.all(
    containers.map(async (c) => {
      const resource = `Container ${c.name}`;
      const event = { type: 'operation', id: resource, kind: 'removeContainer', resource } as const;
      onEvent({ ...event, status: 'working' });
      try {
        await engine.removeContainer(c.id, { force: true, volumes });
        onEvent({ ...event, status: 'done' });
      } catch (caught) {
        const message = caught instanceof Error ? caught.message : String(caught);
        onEvent({ ...event, status: 'error', message });
        failures.push(new ComposeError(`${c.name}: ${message}`));
      }
    }),
  );
  return failures;
}
