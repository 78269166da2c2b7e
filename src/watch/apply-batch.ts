/**
 * One batch of changes applied to the services whose rules want them, step by step across services:
 * rebuild, then sync, then restart (with the dependents that ask for it), then exec — as docker compose
 * orders them. A step that fails for one service is reported and the others go on.
 */
import type { ContainerInfo, Engine, FileSync } from '../engine/types.js';
import type { Project } from '../project/types.js';
import { execInContainer } from './container-exec.js';
import type { WatchEvent, WatchStep } from './events.js';
import type { FeedbackGuard } from './feedback-guard.js';
import { isWithin } from './paths.js';
import type { WatchHooks } from './session.js';
import { initialSyncEntries, syncEntries } from './sync-entries.js';
import type { FileChange, WatchRule } from './types.js';

export interface BatchContext {
  engine: Engine;
  hooks: WatchHooks;
  guard: FeedbackGuard;
  emit: (event: WatchEvent) => void;
}

/** The changes each rule of one service wants. */
type ServiceChanges = Map<WatchRule, FileChange[]>;

const SYNC_ACTIONS = new Set(['sync', 'sync+restart', 'sync+exec']);

export async function applyBatch(
  ctx: BatchContext,
  project: Project,
  rules: readonly WatchRule[],
  changes: readonly FileChange[],
): Promise<void> {
  const byService = guarded(ctx, matchRules(rules, changes));
  if (byService.size === 0) return;
  const services = [...byService.keys()];
  for (const service of services) ctx.guard.actionStarted(service);
  try {
    const rebuilt = services.filter((s) => rulesOf(byService, s).some((r) => r.action === 'rebuild'));
    if (rebuilt.length > 0) await rebuild(ctx, project, rules, byService, rebuilt);

    await Promise.all(services.map((service) => sync(ctx, project, service, byService.get(service)!)));

    const restarted = services.filter(
      (s) =>
        !rebuilt.includes(s) &&
        rulesOf(byService, s).some((r) => r.action === 'restart' || r.action === 'sync+restart'),
    );
    if (restarted.length > 0) await restart(ctx, project, byService, restarted);

    for (const service of services) {
      for (const [rule, ruleChanges] of byService.get(service)!) {
        if (rule.action === 'sync+exec' && rule.exec) await exec(ctx, project, rule, ruleChanges.length);
      }
    }
  } finally {
    for (const service of services) ctx.guard.actionEnded(service);
  }
}

/** Syncs everything the initial_sync rules of `services` cover into their running replicas. */
export async function resyncServices(
  ctx: Omit<BatchContext, 'guard' | 'hooks'>,
  project: Project,
  rules: readonly WatchRule[],
  services: readonly string[],
): Promise<void> {
  for (const rule of rules) {
    if (!services.includes(rule.service) || !rule.initialSync || !SYNC_ACTIONS.has(rule.action)) continue;
    const started = Date.now();
    const entries = await initialSyncEntries(rule);
    const containers = await replicas(ctx.engine, project, rule.service, false);
    await Promise.all(containers.map((c) => ctx.engine.syncFiles(c.id, entries)));
    applied(ctx, rule.service, 'sync', entries.length, containers.length, started);
  }
}

function matchRules(
  rules: readonly WatchRule[],
  changes: readonly FileChange[],
): Map<string, ServiceChanges> {
  const byService = new Map<string, ServiceChanges>();
  for (const change of changes) {
    const isDirectory = change.kind === 'addDir' || change.kind === 'unlinkDir';
    for (const rule of rules) {
      if (!isWithin(change.path, rule.path) || rule.ignored(change.path, isDirectory)) continue;
      const perRule = byService.get(rule.service) ?? new Map<WatchRule, FileChange[]>();
      byService.set(rule.service, perRule);
      perRule.set(rule, [...(perRule.get(rule) ?? []), change]);
    }
  }
  return byService;
}

/**
 * Drops what the feedback guard recognises as a service's own writes coming back. Only actions that run
 * the service's programs (restart, rebuild, exec) can write back; a plain sync cannot.
 */
function guarded(ctx: BatchContext, byService: Map<string, ServiceChanges>): Map<string, ServiceChanges> {
  for (const [service, perRule] of byService) {
    if ([...perRule.keys()].every((rule) => rule.action === 'sync')) continue;
    const all = [...new Map([...perRule.values()].flat().map((c) => [c.path, c])).values()];
    const { changes: kept, loopPaths } = ctx.guard.filter(service, all);
    if (loopPaths.length > 0) {
      ctx.emit({
        type: 'warning',
        message:
          `changes to ${loopPaths.join(', ')} keep following each action on service "${service}": ` +
          'they are ignored right after its actions from now on; add them to the rule’s ignore list',
      });
    }
    const keep = new Set(kept.map((c) => c.path));
    for (const [rule, changes] of perRule) {
      const left = changes.filter((c) => keep.has(c.path));
      if (left.length === 0) perRule.delete(rule);
      else perRule.set(rule, left);
    }
    if (perRule.size === 0) byService.delete(service);
  }
  return byService;
}

async function rebuild(
  ctx: BatchContext,
  project: Project,
  rules: readonly WatchRule[],
  byService: Map<string, ServiceChanges>,
  services: string[],
): Promise<void> {
  const started = Date.now();
  try {
    await ctx.hooks.converge(project, { rebuild: services });
  } catch (error) {
    ctx.emit({ type: 'error', error, context: `rebuilding ${quoted(services)}` });
    return;
  }
  for (const service of services) {
    const containers = await replicas(ctx.engine, project, service, false);
    applied(ctx, service, 'rebuild', changeCount(byService, service), containers.length, started);
  }
  await resyncServices(ctx, project, rules, services);
}

async function sync(
  ctx: BatchContext,
  project: Project,
  service: string,
  perRule: ServiceChanges,
): Promise<void> {
  const entries: FileSync[] = [];
  let files = 0;
  for (const [rule, changes] of perRule) {
    if (!SYNC_ACTIONS.has(rule.action)) continue;
    entries.push(...(await syncEntries(rule, changes)));
    files += changes.length;
  }
  if (entries.length === 0) return;
  const started = Date.now();
  try {
    const containers = await replicas(ctx.engine, project, service, false);
    await Promise.all(containers.map((c) => ctx.engine.syncFiles(c.id, entries)));
    applied(ctx, service, 'sync', files, containers.length, started);
  } catch (error) {
    ctx.emit({ type: 'error', error, context: `syncing into service "${service}"` });
  }
}

/** Every replica of the services, stopped ones too (a fix brings a crashed server back), then their dependents. */
async function restart(
  ctx: BatchContext,
  project: Project,
  byService: Map<string, ServiceChanges>,
  services: string[],
): Promise<void> {
  const dependents = restartDependents(project, services);
  for (const service of services) {
    const started = Date.now();
    try {
      const containers = await replicas(ctx.engine, project, service, true);
      await Promise.all(containers.map((c) => ctx.engine.restartContainer(c.id)));
      for (const level of dependents.get(service) ?? []) {
        for (const dependent of level) {
          const others = await replicas(ctx.engine, project, dependent, true);
          await Promise.all(others.map((c) => ctx.engine.restartContainer(c.id)));
        }
      }
      const names = (dependents.get(service) ?? []).flat();
      ctx.emit({
        type: 'applied',
        service,
        step: 'restart',
        files: changeCount(byService, service),
        containers: containers.length,
        ms: Date.now() - started,
        ...(names.length > 0 ? { dependents: names } : {}),
      });
    } catch (error) {
      ctx.emit({ type: 'error', error, context: `restarting service "${service}"` });
    }
  }
}

async function exec(ctx: BatchContext, project: Project, rule: WatchRule, files: number): Promise<void> {
  const started = Date.now();
  const containers = await replicas(ctx.engine, project, rule.service, false);
  for (const c of containers) {
    try {
      const code = await execInContainer(ctx.engine, c.id, rule.exec!, (stream, text) =>
        ctx.emit({ type: 'output', service: rule.service, container: c.name, stream, text }),
      );
      if (code !== 0) {
        ctx.emit({
          type: 'warning',
          message: `${c.name}: the exec command of services.${rule.service}.develop.watch[${rule.index}] exited with code ${code}`,
        });
      }
    } catch (error) {
      ctx.emit({ type: 'error', error, context: `running the exec command in ${c.name}` });
    }
  }
  applied(ctx, rule.service, 'exec', files, containers.length, started);
}

/**
 * For each restarted service, the services that depend on it with `restart: true`, transitively, level
 * by level (a dependent restarts after what it depends on); none restarted twice.
 */
export function restartDependents(project: Project, services: readonly string[]): Map<string, string[][]> {
  const result = new Map<string, string[][]>();
  const seen = new Set(services);
  for (const service of services) {
    const levels: string[][] = [];
    let frontier = [service];
    while (frontier.length > 0) {
      const next = Object.entries(project.services)
        .filter(([name, s]) => !seen.has(name) && frontier.some((f) => s.depends_on?.[f]?.restart === true))
        .map(([name]) => name);
      for (const name of next) seen.add(name);
      if (next.length > 0) levels.push(next);
      frontier = next;
    }
    result.set(service, levels);
  }
  return result;
}

async function replicas(
  engine: Engine,
  project: Project,
  service: string,
  all: boolean,
): Promise<ContainerInfo[]> {
  return engine.listContainers({ project: project.name, services: [service], oneoff: false, all });
}

function applied(
  ctx: Pick<BatchContext, 'emit'>,
  service: string,
  step: WatchStep,
  files: number,
  containers: number,
  started: number,
): void {
  ctx.emit({ type: 'applied', service, step, files, containers, ms: Date.now() - started });
}

function rulesOf(byService: Map<string, ServiceChanges>, service: string): WatchRule[] {
  return [...(byService.get(service)?.keys() ?? [])];
}

function changeCount(byService: Map<string, ServiceChanges>, service: string): number {
  return new Set([...(byService.get(service)?.values() ?? [])].flat().map((c) => c.path)).size;
}

function quoted(services: readonly string[]): string {
  return services.map((s) => `service "${s}"`).join(', ');
}
