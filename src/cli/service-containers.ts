/**
 * What the lifecycle commands share: the containers of the named services (sorted, `--index`), their
 * grouping in dependency order, and one progress line per container while an engine call runs on it.
 */
import { CommanderError } from 'commander';

import type { ProjectEngine } from '../engine/project-engine.js';
import type { ContainerInfo, Engine } from '../engine/types.js';
import { buildGraph, selectServices, startLevels } from '../graph/index.js';
import { parseSeconds } from './duration-flag.js';
import { ComposeError } from '../project/errors.js';
import type { Project } from '../project/types.js';
import { isActive } from '../reconcile/plan-builder.js';
import { createProgress } from '../ui/progress.js';
import type { CommandContext } from './command-context.js';

/** A container with a process (running, paused, or waiting for a policy restart). */
export { isActive };

export interface ContainerQuery {
  /** `--index`: only the replica with this number. */
  index?: number | undefined;
  /** One-off `run` containers too (rm); default: service replicas only. */
  oneoff?: boolean;
}

/** Throws the graph's `no such service` error for a name the project does not have. */
export function checkServices(project: Project, names: readonly string[]): void {
  if (names.length > 0) selectServices(buildGraph(project), names, { withDependencies: false });
}

/**
 * The project's containers of `services` (all services when empty), in every state, sorted by service
 * then replica number (one-offs last within their service).
 */
export async function serviceContainers(
  engine: Engine,
  project: Project,
  services: readonly string[],
  query: ContainerQuery = {},
): Promise<ContainerInfo[]> {
  checkServices(project, services);
  const listed = await engine.listContainers({ project: project.name, all: true });
  const wanted = (c: ContainerInfo): boolean =>
    c.project === project.name &&
    (query.oneoff === true || !c.oneoff) &&
    (services.length === 0 || services.includes(c.service)) &&
    (query.index === undefined || (c.number === query.index && !c.oneoff));
  const found = listed
    .filter(wanted)
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        Number(a.oneoff) - Number(b.oneoff) ||
        a.number - b.number ||
        a.name.localeCompare(b.name),
    );
  if (query.index !== undefined && found.length === 0) {
    const which = services.length > 0 ? `service "${services.join(', ')}"` : 'the project';
    throw new ComposeError(`${which} has no container with index ${query.index}`, {
      hint: 'see "berth ps -a" for the replicas and their numbers',
    });
  }
  return found;
}

/**
 * The replica counts of `services` as they are, for those that have replicas: the services that
 * `scale` and `run` start as dependencies are started, not rescaled to the file's count.
 */
export function currentScale(
  containers: readonly ContainerInfo[],
  services: readonly string[],
): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const service of services) {
    const count = containers.filter((c) => c.service === service && !c.oneoff).length;
    if (count > 0) scale[service] = count;
  }
  return scale;
}

/** Parses `--index N` (a replica number, from 1). */
export function parseIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new ComposeError(`--index ${value}: a replica number is a whole number from 1`);
  }
  return n;
}

/** Parses `-t, --timeout N`: whole seconds before the stop signal is followed by SIGKILL. */
export function parseTimeout(value: string): number {
  return parseSeconds(value, '--timeout');
}

/**
 * Containers grouped by start level (`start`) or its reverse (`stop`); containers of services the
 * project no longer has form a group of their own, first when stopping and last when starting.
 */
export function inDependencyOrder(
  project: Project,
  containers: readonly ContainerInfo[],
  direction: 'start' | 'stop',
): ContainerInfo[][] {
  const levels = startLevels(buildGraph(project));
  const known = new Set(levels.flat());
  const groups = levels.map((level) => containers.filter((c) => level.includes(c.service)));
  const unknown = containers.filter((c) => !known.has(c.service));
  const ordered = direction === 'start' ? [...groups, unknown] : [unknown, ...groups.reverse()];
  return ordered.filter((group) => group.length > 0);
}

export interface ContainerAction {
  /** compose's words on the progress line: `Killing`, then `Killed`. */
  working: string;
  done: string;
  run: (container: ContainerInfo) => Promise<void>;
}

/**
 * Runs the action on each group in turn, the containers of a group in parallel, with a progress line
 * per container. Every container is tried; failures are reported together at the end.
 */
export async function actOnContainers(
  context: CommandContext,
  groups: readonly (readonly ContainerInfo[])[],
  action: ContainerAction,
): Promise<void> {
  const progress = createProgress({ display: context.terminal.progress, write: context.io.stderr });
  const failures: { name: string; message: string }[] = [];
  try {
    for (const group of groups) {
      await Promise.all(
        group.map(async (c) => {
          const line = { type: 'operation', id: c.name, resource: `Container ${c.name}` } as const;
          progress.event({ ...line, status: 'working', text: action.working });
          try {
            await action.run(c);
            progress.event({ ...line, status: 'done', text: action.done });
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            failures.push({ name: c.name, message });
            progress.event({ ...line, status: 'error', text: 'Error', message });
          }
        }),
      );
    }
  } finally {
    await progress.stop();
  }
  throwFailures(failures);
}

/**
 * One ComposeError for what went wrong: the message alone when every container failed the same way
 * (an invalid signal ...), else a list by container.
 */
export function throwFailures(failures: readonly { name: string; message: string }[]): void {
  if (failures.length === 0) return;
  const messages = [...new Set(failures.map((f) => f.message))];
  if (messages.length === 1) throw new ComposeError(messages[0]!);
  throw new ComposeError(
    `${failures.length} containers failed: ${failures.map((f) => `${f.name}: ${f.message}`).join('; ')}`,
  );
}

/**
 * Commands that start processes (start, restart) first look through `existing`, so that nothing
 * launches a supervisor only to find there is nothing to start; they reopen with `launch` when a
 * process must run and no supervisor does.
 */
export async function reopenToLaunch(
  context: CommandContext,
  project: string,
  access: ProjectEngine,
): Promise<ProjectEngine> {
  if (access.live) return access;
  await access.release();
  return context.engine(project, 'launch');
}

/**
 * Ends the CLI with a command's exit code (`exec`, `run`), without an error message: main renders a
 * CommanderError as its exit code alone.
 */
export function exitWith(code: number): void {
  if (code !== 0) throw new CommanderError(code, 'berth.exitCode', '');
}
