/**
 * The develop.watch rules of a project's services, resolved for the watcher: absolute paths, container
 * targets, `sync+exec` commands, and one `ignored` matcher per rule. Checks what compose refuses at watch
 * time (rebuild without build, sync+exec without a command); a path that does not exist yet only warns.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { ComposeError, isComposeError } from '../project/errors.js';
import type { KeyPath } from '../project/key-path.js';
import { isRemoteContext } from '../project/paths.js';
import type { WatchRule as ComposeWatchRule, LifecycleHook, Project, Service } from '../project/types.js';
import { renderWarning } from '../project/warnings.js';
import { readDockerignore } from '../engine/dockerignore.js';
import { dockerignoreMatcher, ignoreMatcher, type IgnoreSpec } from './ignore.js';
import type { WatchExec, WatchRule } from './types.js';

export interface ResolvedWatchRules {
  rules: WatchRule[];
  /** Rendered like the loader's warnings: `services.web.develop.watch[0]: ...`. */
  warnings: string[];
}

/**
 * The watch rules of the named services (default: every service), in service then rule order. Throws a
 * ComposeError for an unknown service or a rule that cannot work.
 */
export async function resolveWatchRules(
  project: Project,
  services?: readonly string[],
): Promise<ResolvedWatchRules> {
  const names = services === undefined ? Object.keys(project.services) : [...new Set(services)];
  for (const name of names) checkServiceExists(project, name);
  const rules: WatchRule[] = [];
  const warnings: string[] = [];
  for (const name of names) {
    const service = project.services[name]!;
    const watch = service.develop?.watch ?? [];
    if (watch.length === 0) continue;
    watch.forEach((rule, index) => checkRule(name, service, rule, index));
    const context = await buildContext(project, name, service);
    for (const [index, rule] of watch.entries()) {
      rules.push(resolveRule(project, name, rule, index, context, warnings));
      warnings.push(...(await pathWarnings(rules[rules.length - 1]!, context)));
    }
  }
  return { rules, warnings };
}

function checkServiceExists(project: Project, name: string): void {
  if (project.services[name] !== undefined) return;
  if (project.meta.disabledServices[name] !== undefined) {
    throw new ComposeError(`service "${name}" is disabled by its profiles`, {
      keyPath: ['services', name, 'profiles'],
      hint: 'enable one of its profiles with --profile, or name it on the command line',
    });
  }
  const known = Object.keys(project.services);
  throw new ComposeError(`no such service: "${name}"`, {
    hint: known.length === 0 ? 'the project has no services' : `the services are: ${known.join(', ')}`,
  });
}

function checkRule(name: string, service: Service, rule: ComposeWatchRule, index: number): void {
  const keyPath: KeyPath = ['services', name, 'develop', 'watch', index];
  if (rule.action === 'rebuild' && service.build === undefined) {
    throw new ComposeError(`action "rebuild" needs a build section, and service "${name}" has none`, {
      keyPath,
      hint: 'use restart (or sync+restart) for a service run from an image, or add a build section',
    });
  }
  if (rule.action === 'sync+exec' && !(Array.isArray(rule.exec?.command) && rule.exec.command.length > 0)) {
    throw new ComposeError('action "sync+exec" needs exec.command', {
      keyPath,
      hint: 'add `exec: { command: ... }` with the command to run in the service after each sync',
    });
  }
}

interface ContextIgnore {
  dir: string;
  patterns: string[];
}

/** The service's local build context and its .dockerignore, read once per service. */
async function buildContext(
  project: Project,
  name: string,
  service: Service,
): Promise<ContextIgnore | undefined> {
  const build = service.build;
  if (build === undefined || isRemoteContext(build.context)) return undefined;
  const dir = path.resolve(project.meta.workingDir, build.context);
  const dockerfile = build.dockerfile_inline === undefined ? (build.dockerfile ?? 'Dockerfile') : undefined;
  try {
    return { dir, patterns: await readDockerignore(dir, dockerfile) };
  } catch (error) {
    if (!isComposeError(error)) throw error;
    throw new ComposeError(error.problem, {
      keyPath: ['services', name, 'build', 'context'],
      hint: error.hint,
      cause: error,
    });
  }
}

function resolveRule(
  project: Project,
  name: string,
  rule: ComposeWatchRule,
  index: number,
  context: ContextIgnore | undefined,
  warnings: string[],
): WatchRule {
  const warn = (message: string): void => {
    warnings.push(renderWarning({ keyPath: ['services', name, 'develop', 'watch', index], message }));
  };
  const rulePath = path.resolve(project.meta.workingDir, rule.path);
  const spec: IgnoreSpec = { root: rulePath };
  if (context !== undefined) spec.context = context;
  if (rule.ignore !== undefined) spec.ignore = rule.ignore;
  if (rule.include !== undefined) spec.include = rule.include;
  const resolved: WatchRule = {
    service: name,
    index,
    action: rule.action,
    path: rulePath,
    initialSync: initialSync(rule, warn),
    ignored: ignoreMatcher(spec),
  };
  const target = containerTarget(rule.target);
  if (target !== undefined) resolved.target = target;
  if (rule.exec !== undefined) {
    if (rule.action === 'sync+exec') resolved.exec = watchExec(rule.exec);
    else warn(`exec is only used by the sync+exec action; it is ignored for ${rule.action}`);
  }
  return resolved;
}

/** `initial_sync`, or compose's deprecated `x-initialSync` spelling. */
function initialSync(rule: ComposeWatchRule, warn: (message: string) => void): boolean {
  if (rule.initial_sync !== undefined) return rule.initial_sync;
  if ('x-initialSync' in rule && rule['x-initialSync'] !== undefined) {
    warn('x-initialSync is deprecated: use initial_sync');
    return rule['x-initialSync'] === true || rule['x-initialSync'] === 'true';
  }
  return false;
}

/**
 * The container path, cleaned. A relative target is relative to `/`: compose copies a sync's tar
 * archive into `/` with the target's leading slash dropped, whatever the working directory.
 */
export function containerTarget(target: string | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  return path.posix.resolve('/', target);
}

function watchExec(hook: LifecycleHook): WatchExec {
  const exec: WatchExec = { command: [...hook.command] };
  if (hook.user !== undefined) exec.user = hook.user;
  if (hook.working_dir !== undefined) exec.workingDir = hook.working_dir;
  if (hook.privileged !== undefined) exec.privileged = hook.privileged;
  if (hook.environment !== undefined) {
    // Declared but unset (`FOO` without a value) becomes empty, as the rest of the exec environment.
    exec.environment = Object.fromEntries(
      Object.entries(hook.environment).map(([key, value]) => [key, value ?? '']),
    );
  }
  return exec;
}

/** A path not there yet, or a folder the build's .dockerignore hides entirely, is worth a word. */
async function pathWarnings(rule: WatchRule, context: ContextIgnore | undefined): Promise<string[]> {
  const at = (message: string): string =>
    renderWarning({ keyPath: ['services', rule.service, 'develop', 'watch', rule.index], message });
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(rule.path)).isDirectory();
  } catch {
    return [at(`path ${rule.path} does not exist yet; it is watched anyway`)];
  }
  if (
    isDirectory &&
    context !== undefined &&
    dockerignoreMatcher(context.dir, context.patterns)(rule.path, true)
  ) {
    return [
      at(`path ${rule.path} is excluded by the build context's .dockerignore, so no change under it is seen`),
    ];
  }
  return [];
}
