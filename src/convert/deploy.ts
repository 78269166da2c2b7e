import type { Resources, Service } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { keyPattern } from './key-pattern.js';
import { unsupportedReason } from './prune-for-version.js';
import { stackSupports } from './stack-versions.js';
import type { StackDict } from './types.js';

/** Compose's restart policies and the Swarm restart condition each one means. */
const RESTART_CONDITIONS: Readonly<Record<string, string>> = {
  no: 'none',
  always: 'any',
  'unless-stopped': 'any',
  'on-failure': 'on-failure',
};

/** The service-level keys Swarm takes under `deploy.resources`, and where each goes. */
const RESOURCE_KEYS = [
  { key: 'mem_limit', kind: 'limits', field: 'memory' },
  { key: 'mem_reservation', kind: 'reservations', field: 'memory' },
  { key: 'cpus', kind: 'limits', field: 'cpus' },
  { key: 'pids_limit', kind: 'limits', field: 'pids' },
] as const;

interface DeployContext {
  name: string;
  service: Service;
  version: string;
  /** Another service waits for this one to complete successfully: it is meant to run once. */
  oneShot: string | undefined;
  log: ChangeLog;
}

/**
 * The service's `deploy` section in the form `docker stack config` prints (memory in bytes and CPUs as
 * strings), with what the project said elsewhere moved into it: `scale`, `restart`, and the resource
 * limits given at the service level. Keys `deploy` already had win over those.
 */
export function swarmDeploy(ctx: DeployContext): StackDict | undefined {
  const { name, service, log } = ctx;
  const deploy: StackDict = copyDeploy(service, ctx);
  if (service.scale !== undefined) {
    deploy.replicas = service.scale;
    log.rewritten(['services', name, 'scale'], `moved to deploy.replicas (${service.scale})`);
  }
  restartPolicy(deploy, ctx);
  for (const { key, kind, field } of RESOURCE_KEYS) {
    const value = service[key];
    if (value === undefined) continue;
    const source = ['services', name, key];
    const target = ['services', name, 'deploy', 'resources', kind, field];
    const resources = (deploy.resources ??= {}) as StackDict;
    const section = (resources[kind] ??= {}) as StackDict;
    if (section[field] !== undefined) {
      log.dropped(source, `deploy.resources.${kind}.${field} is set and takes precedence`);
    } else if (!stackSupports(ctx.version, keyPattern(target))) {
      log.dropped(source, `deploy.resources.${kind}.${field} ${unsupportedReason(target, ctx.version)}`);
    } else {
      section[field] = resourceValue(field, value);
      log.rewritten(source, `moved to deploy.resources.${kind}.${field}`);
    }
    if (Object.keys(section).length === 0) Reflect.deleteProperty(resources, kind);
    if (Object.keys(resources).length === 0) delete deploy.resources;
  }
  return Object.keys(deploy).length === 0 ? undefined : deploy;
}

function copyDeploy(service: Service, ctx: DeployContext): StackDict {
  const source = service.deploy;
  if (source === undefined) return {};
  const deploy: StackDict = structuredClone(source) as StackDict;
  const resources = source.resources;
  if (resources !== undefined) {
    const out: StackDict = {};
    for (const kind of ['limits', 'reservations'] as const) {
      const section = resources[kind];
      if (section !== undefined) out[kind] = resourceSection(section, kind, ctx);
    }
    deploy.resources = out;
  }
  return deploy;
}

function resourceSection(section: Resources, kind: string, ctx: DeployContext): StackDict {
  const out: StackDict = {};
  for (const [field, value] of Object.entries(section)) {
    if (field === 'devices') {
      ctx.log.dropped(
        ['services', ctx.name, 'deploy', 'resources', kind, 'devices'],
        'Swarm services cannot reserve devices; use generic_resources for GPUs the nodes advertise',
      );
      continue;
    }
    out[field] = resourceValue(field, value);
  }
  return out;
}

/** `docker stack config` prints memory as a byte count and CPUs as a decimal, both strings. */
function resourceValue(field: string, value: unknown): unknown {
  if ((field === 'memory' || field === 'cpus') && typeof value === 'number') return String(value);
  return value;
}

function restartPolicy(deploy: StackDict, ctx: DeployContext): void {
  const { name, service, log } = ctx;
  const source = ['services', name, 'restart'];
  if (service.restart !== undefined) {
    if (deploy.restart_policy !== undefined) {
      log.dropped(source, 'deploy.restart_policy is set and takes precedence');
      return;
    }
    const [policy = '', attempts] = service.restart.split(':');
    const condition = RESTART_CONDITIONS[policy] ?? 'any';
    const policyOut: StackDict = { condition };
    if (policy === 'on-failure' && attempts !== undefined && attempts !== '') {
      policyOut.max_attempts = Number(attempts);
    }
    deploy.restart_policy = policyOut;
    const note =
      policy === 'unless-stopped'
        ? '; Swarm has no unless-stopped: a task stops for good only when the service is scaled down or removed'
        : '';
    log.rewritten(
      source,
      `moved to deploy.restart_policy (condition: ${condition}${attempts ? `, max_attempts: ${attempts}` : ''})${note}`,
    );
    return;
  }
  if (deploy.restart_policy === undefined && ctx.oneShot !== undefined) {
    deploy.restart_policy = { condition: 'none' };
    log.added(
      ['services', name, 'deploy', 'restart_policy', 'condition'],
      `none: ${ctx.oneShot} waits for this service to complete, and Swarm would otherwise start it again each time it exits`,
    );
  }
}
