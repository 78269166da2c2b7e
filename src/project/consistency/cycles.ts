import { type ComposeDict, dictAt } from '../dict.js';
import { serviceEntries } from '../normalize/read.js';

/**
 * Every depends_on cycle among defined services, each once, as a path that ends where it starts:
 * `['web', 'api', 'web']`. Dependencies on undefined services are reported elsewhere.
 */
export function findDependencyCycles(model: ComposeDict): string[][] {
  const edges = new Map<string, string[]>();
  for (const [name, service] of serviceEntries(model))
    edges.set(name, Object.keys(dictAt(service, 'depends_on')));

  const cycles: string[][] = [];
  const seenCycles = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();

  const visit = (name: string): void => {
    stack.push(name);
    onStack.add(name);
    for (const next of edges.get(name) ?? []) {
      if (!edges.has(next)) continue;
      if (onStack.has(next)) {
        const cycle = stack.slice(stack.indexOf(next));
        const id = canonicalCycleId(cycle);
        if (!seenCycles.has(id)) {
          seenCycles.add(id);
          cycles.push([...cycle, next]);
        }
      } else if (!done.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    onStack.delete(name);
    done.add(name);
  };
  for (const name of edges.keys()) if (!done.has(name)) visit(name);
  return cycles;
}

/** The same cycle entered at a different service is the same cycle. */
function canonicalCycleId(cycle: string[]): string {
  let best = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]! < cycle[best]!) best = i;
  return [...cycle.slice(best), ...cycle.slice(0, best)].join('\u0000');
}
