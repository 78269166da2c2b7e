import { randomBytes } from 'node:crypto';

import type { Command } from 'commander';

import { Labels, oneoffContainerName } from '../engine/labels.js';
import type { ContainerCreateRequest, ContainerInfo, Engine } from '../engine/types.js';
import { buildGraph, selectServices } from '../graph/index.js';
import { splitShellWords } from '../project/canonical/shell-words.js';
import { ComposeError } from '../project/errors.js';
import type { Project, Service } from '../project/types.js';
import { containerCreateRequest, observe, planUp, type Plan, waitForCondition } from '../reconcile/index.js';
import { CommandContext } from './command-context.js';
import { type ImageFlags, imageOptions, prepareServiceImages } from './images.js';
import { keepArgumentsVerbatim, parseEnvironment } from './exec.js';
import type { CliIO } from './io.js';
import { checkServices, currentScale, exitWith } from './service-containers.js';

interface RunFlags extends ImageFlags {
  rm?: boolean;
  detach?: boolean;
  env?: string[];
  label?: string[];
  name?: string;
  entrypoint?: string;
  workdir?: string;
  user?: string;
  deps: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function runCommand(program: Command, io: CliIO): Command {
  const command = program
    .command('run')
    .description('Run a one-off command in a new container of a service')
    .argument('<service>', 'the service')
    .argument('[command...]', "the command and its arguments (default: the service's)")
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background and print the container name')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-l, --label <KEY=VALUE>', 'add a label (repeatable)', collect)
    .option('--name <name>', 'name of the container')
    .option('--entrypoint <command>', "override the service's entrypoint")
    .option('-w, --workdir <dir>', 'working directory, a container path')
    .option('-u, --user <user>', 'run as this user')
    .option('--no-deps', "don't start the services it depends on")
    .option('-T, --no-TTY', "don't allocate a terminal (berth never does; accepted for compatibility)")
    .option('-i, --interactive', 'keep stdin open (accepted for compatibility)');
  for (const option of imageOptions()) command.addOption(option);
  command.action(async (service: string, argv: string[], flags: RunFlags, cmd: Command) => {
    const context = new CommandContext(io, cmd);
    const project = await context.project([service]);
    checkServices(project, [service]);
    const request = oneoffRequest(project, service, argv, flags, io.env);
    const access = await context.engine(project.name, 'launch');
    // As docker compose run: stdin stays open and reaches the command (engines that attach it).
    if (access.engine.runAttached !== undefined && flags.detach !== true) {
      request.service = { ...request.service, stdin_open: true };
    }
    let exitCode: number;
    try {
      const needed = flags.deps
        ? selectServices(buildGraph(project), [service], { withDependencies: true })
        : [service];
      await prepareServiceImages(context, access.engine, project, needed, flags);
      exitCode = await runOneoff(context, access.engine, project, request, flags);
    } finally {
      await access.release();
    }
    exitWith(exitCode);
  });
  keepArgumentsVerbatim(program, command);
  return command;
}

/** Dependencies, then the one-off: in the background (`-d`, exit 0) or attached until it exits. */
async function runOneoff(
  context: CommandContext,
  engine: Engine,
  project: Project,
  request: ContainerCreateRequest,
  flags: RunFlags,
): Promise<number> {
  await prepareRun(context, engine, project, request.serviceName, flags.deps);
  const info = await engine.createContainer(request);
  if (flags.detach === true) {
    await engine.startContainer(info.id);
    context.io.stdout(`${info.name}\n`);
    return 0;
  }
  try {
    return await runAttached(engine, info, context.io);
  } finally {
    if (flags.rm === true) {
      await engine.removeContainer(info.id, { force: true, volumes: true }).catch(() => undefined);
    }
  }
}

/**
 * docker compose's one-off container: named `<project>-<service>-run-<id>`, labelled oneoff, without
 * the service's published ports or restart policy.
 */
export function oneoffRequest(
  project: Project,
  serviceName: string,
  argv: readonly string[],
  flags: RunFlags,
  hostEnv: Record<string, string | undefined>,
): ContainerCreateRequest {
  const base = containerCreateRequest(project, serviceName, 1);
  const service: Service = { ...base.service };
  delete service.restart;
  delete service.container_name;
  if (service.deploy?.restart_policy !== undefined) {
    service.deploy = { ...service.deploy };
    delete service.deploy.restart_policy;
  }
  // The engine publishes the ports of service replicas only: a one-off never takes them over.
  delete service.ports;
  const request: ContainerCreateRequest = {
    ...base,
    service,
    name: flags.name ?? oneoffContainerName(project.name, serviceName, randomBytes(6).toString('hex')),
    oneoff: true,
    labels: { ...base.labels, ...parseLabels(flags.label ?? []), [Labels.oneoff]: 'True' },
    environment: parseEnvironment(flags.env ?? [], hostEnv),
  };
  if (argv.length > 0) request.command = [...argv];
  if (flags.entrypoint !== undefined) request.entrypoint = entrypointWords(flags.entrypoint);
  if (flags.workdir !== undefined) request.workingDir = flags.workdir;
  if (flags.user !== undefined) request.user = flags.user;
  return request;
}

function entrypointWords(text: string): string[] {
  try {
    return splitShellWords(text);
  } catch (error) {
    throw new ComposeError(`--entrypoint ${text}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseLabels(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    out[at < 0 ? entry : entry.slice(0, at)] = at < 0 ? '' : entry.slice(at + 1);
  }
  return out;
}

/**
 * What `up` would do for the one-off's networks and volumes and, unless --no-deps, for the services
 * it depends on (started, not rescaled), then their depends_on conditions.
 */
async function prepareRun(
  context: CommandContext,
  engine: Engine,
  project: Project,
  service: string,
  withDependencies: boolean,
): Promise<void> {
  const graph = buildGraph(project);
  const deps = withDependencies
    ? selectServices(graph, [service], { withDependencies: true }).filter((s) => s !== service)
    : [];
  const before = await observe(engine, project);
  // up's plan for the service itself, of which only the networks and volumes it needs are kept.
  const resources = planUp(project, before, { services: [service], noDeps: true }).operations.filter(
    (op) => op.kind === 'createNetwork' || op.kind === 'createVolume',
  );
  const plan: Plan =
    deps.length > 0
      ? planUp(project, before, { services: deps, scale: currentScale(before.containers, deps) })
      : { project: project.name, operations: [], warnings: [] };
  const planned = new Set(plan.operations.map((op) => op.id));
  plan.operations.push(...resources.filter((op) => !planned.has(op.id)));
  if (plan.operations.length > 0) await context.runPlan(plan, engine);
  if (deps.length > 0) await waitForDependencies(context, engine, project, service);
}

/** The depends_on conditions of the one-off's service, as `up` waits for them before a replica starts. */
async function waitForDependencies(
  context: CommandContext,
  engine: Engine,
  project: Project,
  service: string,
): Promise<void> {
  const observed = await observe(engine, project);
  for (const [dependency, config] of Object.entries(project.services[service]!.depends_on ?? {})) {
    const replicas = observed.containers.filter((c) => c.service === dependency);
    if (replicas.length === 0) continue;
    const check = project.services[dependency]?.healthcheck;
    const target = {
      service,
      dependency,
      condition: config.condition,
      required: config.required,
      healthcheck: check !== undefined && check.disable !== true && (check.test ?? [])[0] !== 'NONE',
      containers: replicas.map((c) => ({ name: c.name, ref: { id: c.id } })),
    };
    try {
      await waitForCondition(
        engine,
        target,
        replicas.map((c) => c.id),
      );
    } catch (error) {
      if (config.required) throw error;
      context.io.stderr(
        `WARNING: optional dependency "${dependency}" of "${service}" is not ready: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
}

/**
 * Starts the one-off and prints its output without prefix until it exits; returns its exit code.
 * Ctrl-C stops it gracefully, a second Ctrl-C kills it.
 */
async function runAttached(engine: Engine, info: ContainerInfo, io: CliIO): Promise<number> {
  let interrupts = 0;
  const onInterrupt = (): void => {
    interrupts++;
    const stopping =
      interrupts === 1 ? engine.stopContainer(info.id) : engine.killContainer(info.id, 'SIGKILL');
    stopping.catch(() => undefined);
  };
  process.on('SIGINT', onInterrupt);
  try {
    if (engine.runAttached !== undefined) {
      try {
        return await engine.runAttached(info.id, {
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        });
      } finally {
        // A stdin left flowing would keep berth alive after the one-off ended.
        process.stdin.pause();
      }
    }
    try {
      await engine.startContainer(info.id);
    } catch (error) {
      // A command that cannot run leaves the container exited with the reason in its log (127, 126).
      for await (const line of engine.logs([info.id], {})) io.stderr(`${line.text}\n`);
      const exited = await engine.inspectContainer(info.id).catch(() => undefined);
      if (exited?.status === 'exited' && exited.exitCode !== 0) return exited.exitCode;
      throw error;
    }
    for await (const line of engine.logs([info.id], { follow: true })) {
      (line.stream === 'stderr' ? io.stderr : io.stdout)(`${line.text}\n`);
    }
    return await engine.waitContainer(info.id);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
