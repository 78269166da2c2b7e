import { ComposeError } from '../project/errors.js';
import { compareText } from './compare.js';

/** A dependency cycle among services; the loader refuses these, so reaching one here is a bad input. */
export class DependencyCycleError extends ComposeError {
  /** The services of the cycle, ending where it starts: `['a', 'b', 'a']`. */
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[]) {
    super(`dependency cycle detected: ${cycle.join(' -> ')}`, {
      keyPath: ['services', cycle[0] ?? ''],
      hint: 'remove one of the dependencies (depends_on, links, volumes_from, service: namespaces)',
    });
    this.cycle = cycle;
  }
}

/**
 * One cycle among `remaining`, where every service still has a dependency inside `remaining` (what is
 * left when no service is ready). Walks from the first name along the first dependency until a service
 * repeats, so the cycle reported is the same every time.
 */
export function findCycle(remaining: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const start = [...remaining.keys()].sort(compareText)[0];
  const path: string[] = [];
  let current = start;
  while (current !== undefined && !path.includes(current)) {
    path.push(current);
    current = [...(remaining.get(current) ?? [])].filter((d) => remaining.has(d)).sort(compareText)[0];
  }
  if (current === undefined) return path;
  return [...path.slice(path.indexOf(current)), current];
}
