import { type Command, Option } from 'commander';

import type { ProjectEngine } from '../engine/project-engine.js';
import type { ContainerInfo, Engine } from '../engine/types.js';
import { buildGraph, stopLevels } from '../graph/index.js';
import { ComposeError } from '../project/errors.js';
import type { Project } from '../project/types.js';
import { observe, planUp, renderPlan, type UpOptions } from '../reconcile/index.js';
import { waitUntilReady } from '../reconcile/readiness.js';
import { LogPrinter, replicaName } from '../ui/log-multiplexer.js';
import { CommandContext } from './command-context.js';
import { convergeProject, planErrors } from './converge.js';
import { bufferEvents, type EventBuffer } from './event-buffer.js';
import { type ImageFlags, imageOptions, prepareServiceImages } from './images.js';
import type { CliIO } from './io.js';
import { NO_ATTACH_ALIAS } from './no-attach.js';
import { parseDurationFlag, parseSeconds } from './duration-flag.js';
import { servicesToStart } from './service-selection.js';
import { startWatchMode } from './watch-session.js';
import { StartInterrupt } from './start-interrupt.js';
import type { WatchSession } from '../watch/index.js';

interface UpFlags extends ImageFlags {
  detach?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  scale?: string[];
  deps: boolean;
  forceRecreate?: boolean;
  recreate: boolean;
  removeOrphans?: boolean;
  abortOnContainerExit?: boolean;
  abortOnContainerFailure?: boolean;
  exitCodeFrom?: string;
  timeout?: string;
  color: boolean;
  logPrefix: boolean;
  timestamps?: boolean;
  attach?: string[];
  withoutAttach?: string[];
  dryRun?: boolean;
  start: boolean;
  watch?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function upCommand(program: Command, io: CliIO): Command {
  const command = program
    .command('up')
    .description('Create and start containers')
    .argument('[service...]', 'services to start (with their dependencies)')
    .option('-d, --detach', 'run containers in the background')
    .option('--wait', 'wait for services to be running and healthy (implies --detach)')
    .option('--wait-timeout <seconds>', 'maximum time to wait for the project to be running and healthy')
    .addOption(
      new Option('--scale <service=n>', 'scale a service to n replicas (repeatable)').argParser(collect),
    )
    .option('--no-deps', "don't start linked services")
    .option('--force-recreate', "recreate containers even if their configuration hasn't changed")
    .option('--no-recreate', "if containers already exist, don't recreate them")
    .option('--no-start', "don't start the services after creating them")
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('--abort-on-container-exit', 'stop all containers if any container was stopped')
    .option('--abort-on-container-failure', 'stop all containers if any container exited with failure')
    .option('--exit-code-from <service>', 'return the exit code of the selected service container')
    .option('-t, --timeout <seconds>', 'shutdown timeout in seconds')
    .option('--no-color', 'produce monochrome output')
    .option('--no-log-prefix', "don't print prefix in logs")
    .option('--timestamps', 'show timestamps')
    .addOption(
      new Option('--attach <service>', 'restrict attaching to the given services').argParser(collect),
    )
    .addOption(
      new Option(`${NO_ATTACH_ALIAS} <service>`, "don't attach to the given service (--no-attach)").argParser(
        collect,
      ),
    )
    .option('--dry-run', 'print the plan and change nothing')
    .option(
      '-w, --watch',
      'watch the services’ develop.watch paths and the compose files, and apply changes',
    );
  for (const option of imageOptions()) command.addOption(option);
  return command.action(async (services: string[], flags: UpFlags, cmd: Command) => {
    const code = await runUp(io, cmd, services, flags);
    if (code !== 0) process.exitCode = code;
  });
}

async function runUp(io: CliIO, command: Command, services: string[], flags: UpFlags): Promise<number> {
  if (flags.exitCodeFrom) flags.abortOnContainerExit = true;
  if (flags.detach && (flags.abortOnContainerExit || flags.abortOnContainerFailure)) {
    throw new ComposeError('--abort-on-container-exit and --detach are incompatible');
  }
  if (flags.watch && (flags.detach || flags.wait)) {
    throw new ComposeError('--watch and --detach are incompatible', {
      hint: 'run "berth up -d" and then "berth watch --no-up", which keeps watching in the foreground',
    });
  }
  const ctx = new CommandContext(io, command, { noColor: !flags.color });
  const project = await ctx.project(services);
  const options = upOptions(project, services, flags);
  const detach = flags.detach === true || flags.wait === true;

  if (flags.dryRun) {
    const access = await ctx.engine(project.name, 'existing');
    try {
      const plan = planUp(project, await observe(access.engine, project), options);
      io.stdout(renderPlan(plan) || 'nothing to do: the project is up to date\n');
      return 0;
    } finally {
      await access.release();
    }
  }

  // Attached: Ctrl-C while the project starts stops what was started, as it does once attached.
  const interrupt = detach ? undefined : new StartInterrupt(io);
  let access: ProjectEngine;
  try {
    access = await ctx.engine(project.name, detach ? 'launch' : 'host');
  } catch (error) {
    interrupt?.dispose();
    throw error;
  }
  const abort = new AbortController();
  // What is under way when Ctrl-C comes (pulls and builds, then the plan).
  let work: Promise<unknown> | undefined;
  interrupt?.setStop(async () => {
    abort.abort();
    if (!access.standing) {
      await access.shutdownHost();
      return;
    }
    // Docker keeps its containers when berth ends: let the plan give up, then stop what it started.
    if (work) await Promise.race([work.catch(() => undefined), delay(INTERRUPTED_WORK_LIMIT_MS)]);
    const wanted = new Set(servicesToStart(project, services, !flags.deps));
    const running = await access.engine.listContainers({ project: project.name, all: false, oneoff: false });
    const timeoutSeconds = options.timeoutSeconds;
    await stopInOrder(
      access.engine,
      project,
      running.filter((c) => wanted.has(c.service)),
      timeoutSeconds,
    );
    await access.shutdownHost();
  });
  let events: EventBuffer | undefined;
  let watch: WatchSession | undefined;
  try {
    if (interrupt?.interrupted) return await stoppedWhileStarting(interrupt);
    // Pulls and builds come first, as with compose: nothing is created for an image that cannot be had.
    const started = servicesToStart(project, services, !flags.deps);
    const preparing = prepareServiceImages(ctx, access.engine, project, started, flags);
    work = preparing;
    await (interrupt ? interrupt.race(preparing) : preparing);
    if (interrupt?.interrupted) return await stoppedWhileStarting(interrupt, preparing);
    const since = new Date().toISOString();
    // Attached: listening before anything starts, so that no exit goes unseen.
    events = detach ? undefined : bufferEvents(access.engine, project.name);
    const converging = convergeProject(ctx, access, project, options, detach ? undefined : abort.signal);
    work = converging;
    const result = await (interrupt ? interrupt.race(converging) : converging);
    if (result === undefined) return await stoppedWhileStarting(interrupt!, converging);
    if (!result.ok) {
      if (!detach) await access.shutdownHost();
      throw planErrors(result);
    }
    // Detached (no events listened to): done once started, or once ready with --wait.
    if (events === undefined) {
      if (flags.wait) {
        const timeoutMs = flags.waitTimeout
          ? parseDurationFlag(flags.waitTimeout, '--wait-timeout')
          : undefined;
        await waitUntilReady(access.engine, project, servicesToStart(project, services), { timeoutMs });
      }
      return 0;
    }
    if (flags.watch) {
      watch = await startWatchMode(ctx, access, project, {
        services,
        upOptions: options,
        images: flags,
        quiet: false,
      });
    }
    return await attach(
      io,
      ctx,
      access,
      project,
      services,
      flags,
      { since, events, watch, interrupt },
      options.timeoutSeconds,
    );
  } finally {
    interrupt?.dispose();
    await watch?.close();
    events?.close();
    await access.release();
  }
}

/** How long the interrupted work may take to give up once its host has stopped. */
const INTERRUPTED_WORK_LIMIT_MS = 10_000;

/**
 * Ctrl-C before `up` attached: the host stops every container it started, the work in progress
 * (which fails with its engine gone) is given a bounded moment to end, and `up` exits 130.
 */
async function stoppedWhileStarting(interrupt: StartInterrupt, work?: Promise<unknown>): Promise<number> {
  await interrupt.stopped();
  if (work) await Promise.race([work.catch(() => undefined), delay(INTERRUPTED_WORK_LIMIT_MS)]);
  return 130;
}

function upOptions(project: Project, services: string[], flags: UpFlags): UpOptions {
  const options: UpOptions = {
    services,
    noDeps: !flags.deps,
    forceRecreate: flags.forceRecreate === true,
    noRecreate: !flags.recreate,
    removeOrphans: flags.removeOrphans === true,
    noStart: !flags.start,
  };
  if (flags.timeout !== undefined) options.timeoutSeconds = parseSeconds(flags.timeout, '-t');
  if (flags.scale) {
    const scale: Record<string, number> = {};
    for (const entry of flags.scale) {
      const match = /^([^=]+)=(\d+)$/.exec(entry);
      if (!match)
        throw new ComposeError(`invalid --scale "${entry}"`, {
          hint: 'use SERVICE=NUMBER, e.g. --scale web=3',
        });
      if (!project.services[match[1]!]) throw new ComposeError(`no such service: ${match[1]}`);
      scale[match[1]!] = Number(match[2]);
    }
    options.scale = scale;
  }
  return options;
}

/**
 * Attached `up`: the containers' output with `web-1  | ` prefixes and their exits, until every
 * attached container has stopped, one exits with --abort-on-container-exit, or Ctrl-C (twice kills).
 * Stopping ends the engine when this process hosts it.
 */
async function attach(
  io: CliIO,
  ctx: CommandContext,
  access: ProjectEngine,
  project: Project,
  services: string[],
  flags: UpFlags,
  from: {
    since: string;
    events: EventBuffer;
    watch?: WatchSession | undefined;
    /** Ctrl-C's handler while starting: attach takes over from it. */
    interrupt?: StartInterrupt | undefined;
  },
  timeoutSeconds: number | undefined,
): Promise<number> {
  const since = from.since;
  const engine = access.engine;
  const selected = new Set(servicesToStart(project, services));
  const attached = new Set(flags.attach && flags.attach.length > 0 ? flags.attach : [...selected]);
  for (const name of flags.withoutAttach ?? []) attached.delete(name);

  const all = (await engine.listContainers({ project: project.name, all: true, oneoff: false })).filter((c) =>
    selected.has(c.service),
  );
  const watched = all.filter((c) => attached.has(c.service));
  const printer = new LogPrinter(
    { stdout: io.stdout, stderr: io.stderr, drained: io.drained },
    { color: ctx.terminal.color, prefix: flags.logPrefix, timestamps: flags.timestamps === true },
  );
  printer.attaching(watched.map((c) => replicaName(c)));

  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  let interrupted = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const stopAll = (reason: string): Promise<void> =>
    (stopping ??= (async () => {
      io.stderr(`${reason}\n`);
      // Nothing may be restarted or recreated by the watcher while the project stops.
      await from.watch?.close();
      await stopInOrder(engine, project, all, timeoutSeconds);
      finish();
    })());

  const onSignal = (): void => {
    if (!interrupted) {
      interrupted = true;
      void stopAll('Gracefully stopping... (press Ctrl+C again to force)').catch(() => finish());
    } else {
      io.stderr('Killing...\n');
      void Promise.all(all.map((c) => engine.killContainer(c.id).catch(() => undefined))).finally(finish);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Ctrl-C is ours from here; one that came while starting has already stopped the host.
  from.interrupt?.dispose();
  if (from.interrupt?.interrupted) interrupted = true;

  // One stream per container: a stream ends when its container stops, and a container that starts
  // again (restart, watch mode) is followed anew from its new start.
  const following = new Set<string>();
  const logs: Promise<void>[] = [];
  const follow = (id: string, from: string): void => {
    following.add(id);
    const done = (async () => {
      // Like Docker's attach: what the containers print from this `up` on, not their earlier runs.
      for await (const line of engine.logs([id], { follow: true, since: from })) {
        printer.line(line);
        // A slow reader holds the stream back instead of berth buffering without bound.
        await printer.drained();
      }
    })()
      .catch(() => undefined)
      .then(async () => {
        following.delete(id);
        const info = stopping ? undefined : await engine.inspectContainer(id).catch(() => undefined);
        if (info?.status === 'running' && info.startedAt && !following.has(id)) follow(id, info.startedAt);
      });
    logs.push(done);
  };
  for (const c of watched) follow(c.id, since);

  const events = (async () => {
    const byId = new Map(all.map((c) => [c.id, c]));
    for await (const event of from.events) {
      if (event.type !== 'container') continue;
      // Watch mode recreates containers: the new ones are followed too.
      if (event.action === 'start' && !stopping) {
        const known = byId.get(event.id);
        if (known && attached.has(known.service) && !following.has(event.id)) follow(event.id, event.time);
        // Watch mode recreates containers: the new ones are followed too.
        if (!known && from.watch) {
          const info = await engine.inspectContainer(event.id).catch(() => undefined);
          if (info && !info.oneoff && selected.has(info.service)) {
            byId.set(info.id, info);
            all.push(info);
            if (attached.has(info.service)) {
              watched.push(info);
              follow(info.id, event.time);
            }
          }
        }
        continue;
      }
      const container = byId.get(event.id);
      if (!container || event.action !== 'die') continue;
      const code = Number(event.attributes.exitCode ?? '0');
      if (attached.has(container.service)) printer.exited(replicaName(container), code);
      if (flags.exitCodeFrom === container.service) exitCode = code;
      const abort = flags.abortOnContainerExit || (flags.abortOnContainerFailure && code !== 0);
      if (abort && !stopping) {
        if (!flags.exitCodeFrom) exitCode = code;
        void stopAll('Aborting on container exit...').catch(() => finish());
      }
      // While watching, stopped containers come back with the next change: only Ctrl-C ends it.
      if (!from.watch && (await allStopped(engine, watched))) finish();
    }
  })().catch(() => finish());

  // Containers that ended before we attached (one-shot jobs) count as stopped already.
  if (!from.watch && (await allStopped(engine, watched))) finish();
  const hostEnded = access.hosted ? access.hosted.stopped.then(finish) : undefined;
  await finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (stopping) await stopping.catch(() => undefined);
  if (flags.exitCodeFrom && !flags.abortOnContainerExit)
    exitCode = await exitCodeOf(engine, project, flags.exitCodeFrom);
  if (access.hosted) await access.hosted.stop();
  await Promise.race([Promise.all(logs), delay(500)]);
  void events;
  void hostEnded;
  return interrupted ? 130 : exitCode;
}

async function allStopped(engine: Engine, containers: ContainerInfo[]): Promise<boolean> {
  if (containers.length === 0) return true;
  for (const c of containers) {
    const info = await engine.inspectContainer(c.id).catch(() => undefined);
    if (info && (info.status === 'running' || info.status === 'restarting' || info.status === 'paused'))
      return false;
  }
  return true;
}

/** Dependents first, like `down`; replicas of one service in parallel. */
async function stopInOrder(
  engine: Engine,
  project: Project,
  containers: ContainerInfo[],
  timeoutSeconds: number | undefined,
): Promise<void> {
  for (const level of stopLevels(buildGraph(project))) {
    const batch = containers.filter((c) => level.includes(c.service));
    await Promise.all(batch.map((c) => engine.stopContainer(c.id, timeoutSeconds).catch(() => undefined)));
  }
}

async function exitCodeOf(engine: Engine, project: Project, service: string): Promise<number> {
  const containers = await engine.listContainers({ project: project.name, all: true, services: [service] });
  return containers[0]?.exitCode ?? 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
