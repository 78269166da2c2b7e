import { dependsOnFlags, namespaceKey } from './edge-label.js';
import { serviceNames } from './dependencies.js';
import { startLevels } from './levels.js';
import { type GraphEdge, type GraphNode, NODE_KINDS, type ServiceGraph } from './model.js';

/**
 * A readable summary: the start levels, then each service with its dependencies (and their
 * conditions) and the resources it uses, then the project's networks, volumes, secrets and configs.
 */
export function renderText(graph: ServiceGraph): string {
  const services = serviceNames(graph);
  if (services.length === 0 && graph.nodes.length === 0) return 'no services\n';
  const lines: string[] = [];
  if (services.length > 0) {
    lines.push('start order:');
    for (const [i, level] of startLevels(graph).entries()) lines.push(`  level ${i}: ${level.join(', ')}`);
    lines.push('', 'services:');
    for (const name of services)
      lines.push(
        ...serviceLines(
          name,
          graph.edges.filter((e) => e.from === name),
        ),
      );
  }
  const resources = resourceLines(graph.nodes);
  if (resources.length > 0) lines.push('', ...resources);
  return lines.map((l) => `${l}\n`).join('');
}

/** The order of a service's detail lines; namespaces are named by their Compose attribute. */
const DETAIL_ORDER = [
  'links',
  'volumes_from',
  'network_mode',
  'ipc',
  'pid',
  'uts',
  'cgroup',
  'networks',
  'volumes',
  'secrets',
  'configs',
];

function serviceLines(name: string, edges: readonly GraphEdge[]): string[] {
  const deps: string[] = [];
  const details = new Map<string, string[]>();
  const detail = (key: string, text: string): void => {
    details.set(key, [...(details.get(key) ?? []), text]);
  };
  for (const edge of edges) {
    switch (edge.kind) {
      case 'depends_on':
        deps.push(`${edge.to} (${[edge.condition, ...dependsOnFlags(edge)].join(', ')})`);
        break;
      case 'link':
        detail('links', edge.alias !== undefined ? `${edge.to} as ${edge.alias}` : edge.to);
        break;
      case 'volumes_from':
        detail('volumes_from', `${edge.to} (${edge.mode})`);
        break;
      case 'namespace':
        detail(namespaceKey(edge.namespace), `service:${edge.to}`);
        break;
      case 'network':
        detail(
          'networks',
          edge.aliases !== undefined ? `${edge.to} (aliases ${edge.aliases.join(', ')})` : edge.to,
        );
        break;
      case 'volume':
        detail('volumes', `${edge.to} at ${edge.target}${edge.readOnly ? ' (ro)' : ''}`);
        break;
      case 'secret':
      case 'config':
        detail(`${edge.kind}s`, edge.target !== undefined ? `${edge.to} at ${edge.target}` : edge.to);
        break;
    }
  }
  const lines = [deps.length > 0 ? `  ${name} -> ${deps.join(', ')}` : `  ${name}`];
  for (const key of DETAIL_ORDER) {
    const items = details.get(key);
    if (items) lines.push(`    ${key}: ${items.join(', ')}`);
  }
  return lines;
}

function resourceLines(nodes: readonly GraphNode[]): string[] {
  const lines: string[] = [];
  for (const kind of NODE_KINDS) {
    if (kind === 'service') continue;
    const names = nodes
      .filter((n) => n.kind === kind)
      .map((n) => (n.external === true ? `${n.name} (external)` : n.name));
    if (names.length > 0) lines.push(`${kind}s: ${names.join(', ')}`);
  }
  return lines;
}
