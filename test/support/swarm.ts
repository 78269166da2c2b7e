/**
 * Suites that deploy stacks on a real swarm: they run where dockerd answers, the test image exists, the
 * engine is an active swarm manager and a docker CLI is there (.ci/run sees to all four), and always in
 * CI, where a missing one fails instead of skipping. Also what such a suite needs around `docker stack
 * deploy`: waiting until services converge, and removing a stack until nothing of it is left.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';

import Dockerode from 'dockerode';
import { execa } from 'execa';
import { describe } from 'vitest';

import { dockerSupport } from './docker.js';
import { dockerCliPath } from './stack-cli.js';

/** The label `docker stack deploy` puts on every service, container, network, secret and config it makes. */
export const STACK_LABEL = 'com.docker.stack.namespace';

export const docker = new Dockerode();

function findCli(): string | null {
  try {
    const cli = dockerCliPath();
    accessSync(cli, constants.X_OK);
    return cli;
  } catch {
    return null;
  }
}

async function detect(): Promise<{ ok: boolean; reason: string; cli: string | null }> {
  const cli = findCli();
  if (!dockerSupport.ok) return { ok: false, reason: dockerSupport.reason, cli };
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  const state = info.Swarm?.LocalNodeState ?? 'unknown';
  if (state !== 'active') {
    return {
      ok: false,
      reason: `the Docker engine is not in a swarm (state ${state}): docker swarm init --advertise-addr 127.0.0.1`,
      cli,
    };
  }
  if (info.Swarm?.ControlAvailable !== true) {
    return { ok: false, reason: 'the Docker engine is a swarm worker, not a manager', cli };
  }
  if (cli === null) return { ok: false, reason: 'no docker CLI on PATH', cli };
  return { ok: true, reason: '', cli };
}

export const swarmSupport = await detect();

const runs = swarmSupport.ok || process.env.CI === 'true';
let told = false;

/** `describe` for a suite on the real swarm; skipped with a printed reason where there is none. */
export function describeSwarm(name: string, body: () => void): void {
  if (!runs && !told) {
    told = true;
    process.stderr.write(`skipping Swarm suites: ${swarmSupport.reason}\n`);
  }
  (runs ? describe : describe.skip)(name, body);
}

/** The docker CLI the suites use (and hand to berth as BERTH_DOCKER_CLI); throws where there is none. */
export function swarmCli(): string {
  if (swarmSupport.cli === null) throw new Error(`no docker CLI: ${swarmSupport.reason}`);
  return swarmSupport.cli;
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI; never throws on a non-zero exit. */
export async function dockerCli(
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const result = await execa(swarmCli(), args, {
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A stack name no other run uses: `berthtest<hex>` (stack names become name prefixes, so no dashes needed). */
export function uniqueStackName(): string {
  return `berthtest${randomBytes(4).toString('hex')}`;
}

/** What the API says about a swarm task (dockerode leaves tasks untyped). */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

/** The stack's services, with their running and desired task counts. */
export async function stackServices(stack: string): Promise<Dockerode.Service[]> {
  return docker.listServices({ filters: { label: [`${STACK_LABEL}=${stack}`] }, status: true });
}

/** The service `<stack>_<service>`. */
export async function stackService(stack: string, service: string): Promise<Dockerode.Service> {
  const found = (await stackServices(stack)).find((s) => s.Spec?.Name === `${stack}_${service}`);
  if (found === undefined) throw new Error(`no service ${stack}_${service}`);
  return found;
}

export async function serviceTasks(serviceId: string): Promise<SwarmTask[]> {
  return (await docker.listTasks({ filters: { service: [serviceId] } })) as SwarmTask[];
}

/** Ids of the containers of the service's running tasks. */
export async function runningContainers(stack: string, service: string): Promise<string[]> {
  const tasks = await serviceTasks((await stackService(stack, service)).ID);
  return tasks
    .filter((t) => t.Status.State === 'running')
    .map((t) => t.Status.ContainerStatus?.ContainerID)
    .filter((id): id is string => id !== undefined);
}

/** Per service: how many replicas must run, or `complete` for a one-shot whose task must end well. */
export type ExpectedTasks = Record<string, number | 'complete'>;

async function convergence(
  stack: string,
  expected: ExpectedTasks,
): Promise<{ done: boolean; report: string }> {
  const services = await stackServices(stack);
  const lines: string[] = [];
  let done = true;
  for (const [service, want] of Object.entries(expected)) {
    const found = services.find((s) => s.Spec?.Name === `${stack}_${service}`);
    if (found === undefined) {
      done = false;
      lines.push(`${service}: no such service`);
      continue;
    }
    const tasks = await serviceTasks(found.ID);
    const states = tasks.map((t) => t.Status.State);
    const ok =
      want === 'complete'
        ? states.length > 0 && states.every((s) => s === 'complete')
        : tasks.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length === want &&
          tasks.every((t) => t.DesiredState !== 'running' || t.Status.State === 'running');
    if (!ok) done = false;
    const detail = tasks.map(
      (t) => `${t.Status.State}${t.Status.Err === undefined ? '' : ` (${t.Status.Err})`}`,
    );
    lines.push(`${service}: want ${String(want)}, tasks [${detail.join(', ')}]`);
  }
  return { done, report: lines.join('\n') };
}

/** Waits (bounded) until every listed service of the stack runs its replicas or has completed. */
export async function waitForStack(
  stack: string,
  expected: ExpectedTasks,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { done, report } = await convergence(stack, expected);
    if (done) return;
    if (Date.now() > deadline)
      throw new Error(`stack ${stack} did not converge in ${timeoutMs} ms:\n${report}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** What of the stack dockerd still has: services, task containers, networks, secrets, configs. */
export async function stackLeftovers(stack: string): Promise<string[]> {
  const label = { label: [`${STACK_LABEL}=${stack}`] };
  const [services, containers, networks, secrets, configs] = await Promise.all([
    docker.listServices({ filters: label }),
    docker.listContainers({ all: true, filters: label }),
    docker.listNetworks({ filters: label }),
    docker.listSecrets({ filters: label }),
    docker.listConfigs({ filters: label }),
  ]);
  return [
    ...services.map((s) => `service ${s.Spec?.Name ?? s.ID}`),
    ...containers.map((c) => `container ${(c.Names[0] ?? c.Id).replace(/^\//, '')}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...secrets.map((s) => `secret ${s.Spec?.Name ?? s.ID}`),
    ...configs.map((c) => `config ${c.Spec?.Name ?? c.ID}`),
  ];
}

/** Waits (bounded) until nothing of the stack is left; throws naming what is. */
export async function waitUntilStackGone(stack: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await stackLeftovers(stack);
    if (left.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`stack ${stack} still has ${left.join(', ')} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Cleanup after a test, whatever state it left: `docker stack rm`, then waits until everything is
 * gone; what still is after that is force-removed through the API and named in the thrown error.
 */
export async function removeStack(stack: string, timeoutMs = 60_000): Promise<void> {
  if ((await stackLeftovers(stack)).length === 0) return;
  await dockerCli(['stack', 'rm', stack]);
  try {
    await waitUntilStackGone(stack, timeoutMs);
  } catch (error) {
    await forceRemove(stack);
    throw error;
  }
}

async function forceRemove(stack: string): Promise<void> {
  const label = { label: [`${STACK_LABEL}=${stack}`] };
  const ignore = (): undefined => undefined;
  for (const s of await docker.listServices({ filters: label }))
    await docker.getService(s.ID).remove().catch(ignore);
  for (const c of await docker.listContainers({ all: true, filters: label })) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignore);
  }
  for (const n of await docker.listNetworks({ filters: label }))
    await docker.getNetwork(n.Id).remove().catch(ignore);
  for (const s of await docker.listSecrets({ filters: label }))
    await docker.getSecret(s.ID).remove().catch(ignore);
  for (const c of await docker.listConfigs({ filters: label }))
    await docker.getConfig(c.ID).remove().catch(ignore);
}
