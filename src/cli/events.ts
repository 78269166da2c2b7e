import { setTimeout as sleep } from 'node:timers/promises';

import type { Command } from 'commander';

import type { RemoteEngine } from '../engine/local/control-client.js';
import { connectSupervisor } from '../engine/local/supervisor-launch.js';
import type { ProjectEngine } from '../engine/project-engine.js';
import type { ContainerInfo, Engine, EngineEvent } from '../engine/types.js';
import { Labels } from '../engine/labels.js';
import { CommandContext } from './command-context.js';
import type { CliIO } from './io.js';
import { checkServiceNames, projectTarget } from './project-target.js';

interface EventsFlags {
  json?: boolean;
}

export function eventsCommand(program: Command, io: CliIO): Command {
  return program
    .command('events')
    .description('Receive real time events from containers')
    .argument('[service...]', 'only the events of these services')
    .option('--json', 'output events as a stream of json objects')
    .action(async (services: string[], flags: EventsFlags, command: Command) => {
      await runEvents(new CommandContext(io, command), services, flags);
    });
}

/** How often a command without a running host looks for one (`events` before `up -d`, after `down`). */
const HOST_POLL_MS = 500;

async function runEvents(ctx: CommandContext, services: string[], flags: EventsFlags): Promise<void> {
  const target = await projectTarget(ctx, services);
  checkServiceNames(target, services);
  let onSignal: () => void = () => undefined;
  const interrupted = new Promise<'interrupted'>((resolve) => {
    onSignal = () => resolve('interrupted');
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const print = (event: EngineEvent, service: string): void => {
    if (services.length > 0 && !services.includes(service)) return;
    ctx.io.stdout(`${flags.json === true ? eventJson(event, service) : eventText(event)}\n`);
  };
  const first = await ctx.engine(target.name, 'existing');
  let host: { engine: Engine; release: () => Promise<void> } | undefined = first;
  try {
    // Until Ctrl-C (exit 0), like compose: across the ends of hosts (`down`) and new ones (`up -d`).
    for (;;) {
      // A view of the saved state (no host) has no events: only a running host has.
      const live = host !== first || first.live;
      const ended = live ? await follow(host.engine, first, target.name, print, interrupted) : 'ended';
      // A standing engine's stream ends only with the engine: there is no next host to wait for.
      if (ended === 'interrupted' || first.standing) return;
      await host.release();
      host = undefined;
      const next = await nextHost(first.stateRoot, target.name, interrupted);
      if (next === 'interrupted') return;
      host = { engine: next, release: () => next.close() };
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await host?.release();
  }
}

/** Prints one host's events until it ends ('ended') or Ctrl-C. */
async function follow(
  engine: Engine,
  access: Pick<ProjectEngine, 'stateRoot' | 'standing'>,
  project: string,
  print: (event: EngineEvent, service: string) => void,
  interrupted: Promise<'interrupted'>,
): Promise<'ended' | 'interrupted'> {
  const iterator = engine.events({ project })[Symbol.asyncIterator]();
  try {
    const known = new Map<string, ContainerInfo>();
    for (const c of await engine.listContainers({ project, all: true })) known.set(c.id, c);
    for (;;) {
      let next: IteratorResult<EngineEvent> | 'interrupted';
      try {
        next = await Promise.race([iterator.next(), interrupted]);
      } catch (error) {
        // The stream breaks when its host ends; anything else is an error (a standing engine's all are).
        if (access.standing) throw error;
        const again = await connectSupervisor({ stateRoot: access.stateRoot, project });
        if (again === undefined) return 'ended';
        await again.close();
        throw error;
      }
      if (next === 'interrupted') return 'interrupted';
      if (next.done === true) return 'ended';
      if (next.value.type !== 'container') continue;
      const event = await completed(next.value, known, engine);
      print(event, event.attributes[Labels.service] ?? '');
    }
  } finally {
    // Not awaited: a stream waiting for its next event settles return() only when one comes.
    void iterator.return?.().catch(() => undefined);
  }
}

/** The project's next running host, once one answers, or Ctrl-C. */
async function nextHost(
  stateRoot: string,
  project: string,
  interrupted: Promise<'interrupted'>,
): Promise<RemoteEngine | 'interrupted'> {
  for (;;) {
    const remote = await connectSupervisor({ stateRoot, project });
    if (remote !== undefined) return remote;
    const waited = await Promise.race([sleep(HOST_POLL_MS), interrupted]);
    if (waited === 'interrupted') return 'interrupted';
  }
}

/**
 * Events name their container as compose shows them (name, image, service) even when the engine
 * leaves that out (`destroy`): from what was seen of the container before.
 */
async function completed(
  event: EngineEvent,
  known: Map<string, ContainerInfo>,
  engine: Engine,
): Promise<EngineEvent> {
  let container = known.get(event.id);
  if (container === undefined && event.action !== 'destroy') {
    container = await engine.inspectContainer(event.id).catch(() => undefined);
    if (container !== undefined) known.set(event.id, container);
  }
  if (container === undefined) return event;
  const attributes = {
    ...event.attributes,
    [Labels.service]: event.attributes[Labels.service] ?? container.service,
    name: event.attributes.name ?? container.name,
    image: event.attributes.image ?? container.image,
  };
  if (event.action === 'destroy') known.delete(event.id);
  return { ...event, attributes };
}

/** The attributes compose shows: the engine's, without the compose labels, sorted. */
function shownAttributes(event: EngineEvent): [string, string][] {
  return Object.entries(event.attributes)
    .filter(([key]) => !key.startsWith('com.docker.compose.'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `2026-11-24 14:00:00.000000 container start <id> (image=..., name=...)`, in local time like compose. */
export function eventText(event: EngineEvent): string {
  const attributes = shownAttributes(event).map(([key, value]) => `${key}=${value}`);
  const line = `${localMicroTime(event.time)} container ${event.action} ${event.id}`;
  return attributes.length > 0 ? `${line} (${attributes.join(', ')})` : line;
}

/** One `--json` object, with the keys compose writes. */
export function eventJson(event: EngineEvent, service: string): string {
  return JSON.stringify({
    time: event.time,
    type: event.type,
    action: event.action,
    id: event.id,
    service,
    attributes: Object.fromEntries(shownAttributes(event)),
  });
}

/** Go's `2006-01-02 15:04:05.000000` in the local zone, microseconds taken from the ISO fraction. */
export function localMicroTime(iso: string): string {
  const time = new Date(Date.parse(iso));
  if (Number.isNaN(time.getTime())) return iso;
  const fraction = (/\.(\d+)/.exec(iso)?.[1] ?? '').padEnd(6, '0').slice(0, 6);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${time.getFullYear()}-${two(time.getMonth() + 1)}-${two(time.getDate())} ` +
    `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${fraction}`
  );
}
