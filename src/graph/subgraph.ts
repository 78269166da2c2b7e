import { type NodeId, type ServiceGraph, isServiceEdge, targetId } from './model.js';

/**
 * The part of the graph that concerns the given services: their nodes, the edges between them, and
 * the networks, volumes, secrets and configs they use. Edges to services left out are dropped, as
 * `--no-deps` ignores them.
 */
export function subgraph(graph: ServiceGraph, services: readonly string[]): ServiceGraph {
  const keep = new Set(services);
  const edges = graph.edges.filter((e) => keep.has(e.from) && (!isServiceEdge(e) || keep.has(e.to)));
  const ids = new Set<NodeId>(services.map((s): NodeId => `service:${s}`));
  for (const edge of edges) ids.add(targetId(edge));
  return { project: graph.project, nodes: graph.nodes.filter((n) => ids.has(n.id)), edges };
}
