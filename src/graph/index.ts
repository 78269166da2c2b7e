/** The dependency graph of a project: build it, order it, select from it, render it. */
export { buildGraph } from './build.js';
export { DependencyCycleError } from './cycles.js';
export { dependencyMap, dependentMap, serviceEdges, serviceNames } from './dependencies.js';
export { startLevels, startOrder, stopLevels } from './levels.js';
export type {
  GraphEdge,
  GraphNode,
  Namespace,
  NodeId,
  NodeKind,
  ResourceEdge,
  ServiceEdge,
  ServiceGraph,
} from './model.js';
export { renderDot } from './render-dot.js';
export { renderMermaid } from './render-mermaid.js';
export { renderText } from './render-text.js';
export { type DependentsOptions, dependentsOf, selectServices, type SelectOptions } from './select.js';
export { subgraph } from './subgraph.js';
