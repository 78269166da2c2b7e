import { compareText } from './compare.js';
import { isServiceEdge, type ServiceEdge, type ServiceGraph } from './model.js';

/** The project's service names, sorted. */
export function serviceNames(graph: ServiceGraph): string[] {
  return graph.nodes.filter((n) => n.kind === 'service').map((n) => n.name);
}

/** The edges between services: the ones that order start and stop. */
export function serviceEdges(graph: ServiceGraph): ServiceEdge[] {
  return graph.edges.filter(isServiceEdge);
}

/**
 * For each service, the services it depends on directly, by any service edge (depends_on, links,
 * volumes_from, shared namespaces), sorted and without repeats.
 */
export function dependencyMap(graph: ServiceGraph): Map<string, string[]> {
  return adjacency(graph, (edge) => [edge.from, edge.to]);
}

/** For each service, the services that depend on it directly, sorted and without repeats. */
export function dependentMap(graph: ServiceGraph): Map<string, string[]> {
  return adjacency(graph, (edge) => [edge.to, edge.from]);
}

function adjacency(
  graph: ServiceGraph,
  ends: (edge: ServiceEdge) => [string, string],
): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const name of serviceNames(graph)) sets.set(name, new Set());
  for (const edge of serviceEdges(graph)) {
    const [from, to] = ends(edge);
    if (sets.has(to)) sets.get(from)?.add(to);
  }
  return new Map([...sets].map(([name, set]) => [name, [...set].sort(compareText)]));
}
