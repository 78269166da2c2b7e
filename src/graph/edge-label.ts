import type { GraphEdge, Namespace } from './model.js';

/** One short line that says what an edge means, for the DOT and Mermaid edge labels. */
export function edgeLabel(edge: GraphEdge): string {
  switch (edge.kind) {
    case 'depends_on':
      return [edge.condition, ...dependsOnFlags(edge)].join(', ');
    case 'link':
      return edge.alias !== undefined ? `link as ${edge.alias}` : 'link';
    case 'volumes_from':
      return `volumes_from (${edge.mode})`;
    case 'namespace':
      return namespaceKey(edge.namespace);
    case 'network':
      return edge.aliases !== undefined ? `aliases ${edge.aliases.join(', ')}` : '';
    case 'volume':
      return edge.readOnly ? `${edge.target} (ro)` : edge.target;
    case 'secret':
    case 'config':
      return edge.target ?? '';
  }
}

/** `optional` for `required: false`, `restart` for `restart: true`. */
export function dependsOnFlags(edge: { required: boolean; restart: boolean }): string[] {
  const flags: string[] = [];
  if (!edge.required) flags.push('optional');
  if (edge.restart) flags.push('restart');
  return flags;
}

/** The service attribute that shares a namespace: `network_mode` for the network, else its own name. */
export function namespaceKey(namespace: Namespace): string {
  return namespace === 'network' ? 'network_mode' : namespace;
}
