import { edgeLabel } from './edge-label.js';
import {
  type GraphEdge,
  type GraphNode,
  type NodeKind,
  type ServiceGraph,
  isServiceEdge,
  nodeId,
  targetId,
} from './model.js';

const SHAPES: Record<NodeKind, string> = {
  service: 'box',
  network: 'ellipse',
  volume: 'cylinder',
  secret: 'note',
  config: 'component',
};

/**
 * Graphviz DOT: services as boxes, resources in their own shapes, every id quoted. An arrow points
 * from a service to what it needs; resource uses are dashed.
 */
export function renderDot(graph: ServiceGraph): string {
  const lines = [
    `digraph ${quote(graph.project)} {`,
    '  rankdir=LR;',
    '  node [fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const node of graph.nodes) lines.push(`  ${quote(node.id)} [${attributes(nodeAttributes(node))}];`);
  for (const edge of graph.edges) {
    const from = quote(nodeId('service', edge.from));
    lines.push(`  ${from} -> ${quote(targetId(edge))} [${attributes(edgeAttributes(edge))}];`);
  }
  lines.push('}');
  return lines.map((l) => `${l}\n`).join('');
}

function nodeAttributes(node: GraphNode): [string, string][] {
  const attrs: [string, string][] = [
    ['label', quote(node.name)],
    ['shape', SHAPES[node.kind]],
  ];
  if (node.external === true) attrs.push(['style', 'dashed']);
  return attrs;
}

function edgeAttributes(edge: GraphEdge): [string, string][] {
  const attrs: [string, string][] = [];
  const label = edgeLabel(edge);
  if (label !== '') attrs.push(['label', quote(label)]);
  if (!isServiceEdge(edge)) attrs.push(['style', 'dashed']);
  else if (edge.kind !== 'depends_on') attrs.push(['color', 'gray40']);
  return attrs;
}

function attributes(attrs: readonly [string, string][]): string {
  return attrs.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** A DOT double-quoted string: any name is a valid id this way. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}
