import { compareText } from './compare.js';
import { DependencyCycleError, findCycle } from './cycles.js';
import { dependencyMap } from './dependencies.js';
import type { ServiceGraph } from './model.js';

/**
 * Services in start levels: level 0 depends on no service, level n only on services of earlier levels.
 * The services of one level are independent and start in parallel; each level is sorted by name.
 * Throws DependencyCycleError (a ComposeError) rather than looping when services form a cycle.
 */
export function startLevels(graph: ServiceGraph): string[][] {
  const remaining = new Map<string, Set<string>>();
  for (const [name, deps] of dependencyMap(graph)) remaining.set(name, new Set(deps));
  const levels: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining]
      .filter(([, deps]) => deps.size === 0)
      .map(([name]) => name)
      .sort(compareText);
    if (ready.length === 0) throw new DependencyCycleError(findCycle(remaining));
    levels.push(ready);
    for (const name of ready) remaining.delete(name);
    for (const deps of remaining.values()) for (const name of ready) deps.delete(name);
  }
  return levels;
}

/** Stop order: the start levels reversed, so a service stops before what it depends on. */
export function stopLevels(graph: ServiceGraph): string[][] {
  return startLevels(graph).reverse();
}

/** Every service after the services it depends on, ties by name: the start levels, flattened. */
export function startOrder(graph: ServiceGraph): string[] {
  return startLevels(graph).flat();
}
