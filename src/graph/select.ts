import { ComposeError } from '../project/errors.js';
import { compareText } from './compare.js';
import { dependencyMap, serviceEdges, serviceNames } from './dependencies.js';
import type { ServiceGraph } from './model.js';

export interface SelectOptions {
  /** false is `--no-deps`: only the named services. */
  withDependencies: boolean;
}

/**
 * The named services and, unless told otherwise, every service they depend on, transitively; sorted
 * by name. A name the project does not have is a ComposeError.
 */
export function selectServices(
  graph: ServiceGraph,
  names: readonly string[],
  options: SelectOptions,
): string[] {
  const known = serviceNames(graph);
  for (const name of names) requireService(known, name);
  if (!options.withDependencies) return [...new Set(names)].sort(compareText);
  return reachable(dependencyMap(graph), names);
}

export interface DependentsOptions {
  /** Also the services that depend on those, and so on. */
  transitive: boolean;
  /** Follow only depends_on edges with `restart: true`: who restarts when this service restarts. */
  restartOnly?: boolean;
}

/** The services that depend on `name` (not `name` itself), sorted by name. */
export function dependentsOf(graph: ServiceGraph, name: string, options: DependentsOptions): string[] {
  requireService(serviceNames(graph), name);
  const dependents = new Map<string, string[]>();
  for (const edge of serviceEdges(graph)) {
    if (options.restartOnly === true && !(edge.kind === 'depends_on' && edge.restart)) continue;
    const list = dependents.get(edge.to) ?? [];
    list.push(edge.from);
    dependents.set(edge.to, list);
  }
  if (!options.transitive) {
    return [...new Set(dependents.get(name) ?? [])].filter((n) => n !== name).sort(compareText);
  }
  return reachable(dependents, [name]).filter((n) => n !== name);
}

/** `start` and everything reachable from it along `next`; sorted, and safe on cycles. */
function reachable(next: ReadonlyMap<string, readonly string[]>, start: readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(next.get(name) ?? []));
  }
  return [...seen].sort(compareText);
}

function requireService(known: readonly string[], name: string): void {
  if (known.includes(name)) return;
  throw new ComposeError(`no such service: ${name}`, {
    hint: known.length > 0 ? `services are: ${known.join(', ')}` : 'the project has no services',
  });
}
