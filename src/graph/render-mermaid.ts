import { edgeLabel } from './edge-label.js';
import {
  type GraphNode,
  type NodeId,
  type NodeKind,
  type ServiceGraph,
  isServiceEdge,
  nodeId,
  targetId,
} from './model.js';

/** Mermaid shape brackets per kind: box, stadium, cylinder, hexagon, flag. */
const SHAPES: Record<NodeKind, [string, string]> = {
  service: ['[', ']'],
  network: ['([', '])'],
  volume: ['[(', ')]'],
  secret: ['{{', '}}'],
  config: ['>', ']'],
};

/**
 * A Mermaid flowchart. Node ids are `<kind>_<name>` with every character Mermaid would misread replaced
 * by `_` (a numeric suffix keeps two names apart that sanitize alike); the real names are the labels.
 */
export function renderMermaid(graph: ServiceGraph): string {
  const ids = mermaidIds(graph.nodes);
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) {
    const [open, close] = SHAPES[node.kind];
    lines.push(`  ${ids.get(node.id)!}${open}"${escapeLabel(node.name)}"${close}`);
  }
  for (const edge of graph.edges) {
    const from = ids.get(nodeId('service', edge.from));
    const to = ids.get(targetId(edge));
    if (from === undefined || to === undefined) continue;
    const arrow = isServiceEdge(edge) ? '-->' : '-.->';
    const label = edgeLabel(edge);
    lines.push(
      label === '' ? `  ${from} ${arrow} ${to}` : `  ${from} ${arrow}|"${escapeLabel(label)}"| ${to}`,
    );
  }
  for (const node of graph.nodes) {
    if (node.external === true) lines.push(`  style ${ids.get(node.id)!} stroke-dasharray: 5 5`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

function mermaidIds(nodes: readonly GraphNode[]): Map<NodeId, string> {
  const ids = new Map<NodeId, string>();
  const used = new Set<string>();
  for (const node of nodes) {
    const base = `${node.kind}_${node.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(node.id, id);
  }
  return ids;
}

/** Inside a quoted Mermaid label only quotes and angle brackets need entity codes. */
function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
