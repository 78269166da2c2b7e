import type { Project, Service } from '../project/types.js';
import { compareText } from './compare.js';
import {
  type GraphEdge,
  type GraphNode,
  NODE_KINDS,
  type Namespace,
  type NodeKind,
  nodeId,
  type ServiceGraph,
} from './model.js';

const EDGE_ORDER: readonly GraphEdge['kind'][] = [
  'depends_on',
  'link',
  'volumes_from',
  'namespace',
  'network',
  'volume',
  'secret',
  'config',
];

const NAMESPACE_KEYS: readonly [Namespace, 'network_mode' | 'ipc' | 'pid' | 'uts' | 'cgroup'][] = [
  ['network', 'network_mode'],
  ['ipc', 'ipc'],
  ['pid', 'pid'],
  ['uts', 'uts'],
  ['cgroup', 'cgroup'],
];

/**
 * The graph of a loaded project. An edge to something the project does not hold (a service disabled by
 * its profiles, an optional dependency, a `container:` reference, an undeclared resource) is left out:
 * the loader has already reported what is an error, and what remains is legitimately outside.
 */
export function buildGraph(project: Project): ServiceGraph {
  const nodes: GraphNode[] = [];
  const known = new Set<string>();
  const add = (kind: NodeKind, name: string, external: boolean | undefined): void => {
    const node: GraphNode = { id: nodeId(kind, name), kind, name };
    if (external === true) node.external = true;
    nodes.push(node);
    known.add(node.id);
  };
  for (const name of Object.keys(project.services ?? {})) add('service', name, undefined);
  for (const [name, n] of Object.entries(project.networks ?? {})) add('network', name, n?.external);
  for (const [name, v] of Object.entries(project.volumes ?? {})) add('volume', name, v?.external);
  for (const [name, s] of Object.entries(project.secrets ?? {})) add('secret', name, s?.external);
  for (const [name, c] of Object.entries(project.configs ?? {})) add('config', name, c?.external);

  const edges: GraphEdge[] = [];
  for (const [name, service] of Object.entries(project.services ?? {})) {
    for (const edge of referencesOf(name, service)) {
      const kind: NodeKind = isResourceKind(edge.kind) ? edge.kind : 'service';
      if (known.has(nodeId(kind, edge.to))) edges.push(edge);
    }
  }

  nodes.sort(compareNodes);
  edges.sort(compareEdges);
  return { project: project.name, nodes, edges };
}

function isResourceKind(kind: GraphEdge['kind']): kind is 'network' | 'volume' | 'secret' | 'config' {
  return kind === 'network' || kind === 'volume' || kind === 'secret' || kind === 'config';
}

/** Every reference a service makes, before filtering out what the project does not hold. */
function referencesOf(from: string, service: Service): GraphEdge[] {
  const edges: GraphEdge[] = [];
  for (const [to, dep] of Object.entries(service.depends_on ?? {})) {
    edges.push({
      kind: 'depends_on',
      from,
      to,
      condition: dep?.condition ?? 'service_started',
      required: dep?.required !== false,
      restart: dep?.restart === true,
    });
  }
  for (const link of strings(service.links)) {
    const [to = '', alias] = splitOnce(link, ':');
    edges.push(
      alias !== undefined && alias !== '' ? { kind: 'link', from, to, alias } : { kind: 'link', from, to },
    );
  }
  for (const source of strings(service.volumes_from)) {
    if (source.startsWith('container:')) continue;
    const [to = '', mode] = splitOnce(source, ':');
    edges.push({ kind: 'volumes_from', from, to, mode: mode === 'ro' ? 'ro' : 'rw' });
  }
  for (const [namespace, key] of NAMESPACE_KEYS) {
    const value = service[key];
    if (typeof value === 'string' && value.startsWith('service:')) {
      edges.push({ kind: 'namespace', from, to: value.slice('service:'.length), namespace });
    }
  }

  for (const [to, attachment] of Object.entries(service.networks ?? {})) {
    const aliases = attachment?.aliases;
    edges.push(
      Array.isArray(aliases) && aliases.length > 0
        ? { kind: 'network', from, to, aliases: [...aliases].sort() }
        : { kind: 'network', from, to },
    );
  }
  // `network_mode: <name>` (no `service:`/`container:` prefix) may name a project network.
  const mode = service.network_mode;
  if (typeof mode === 'string' && !mode.includes(':')) edges.push({ kind: 'network', from, to: mode });
  for (const volume of Array.isArray(service.volumes) ? service.volumes : []) {
    if (volume?.type !== 'volume' || typeof volume.source !== 'string' || volume.source === '') continue;
    edges.push({
      kind: 'volume',
      from,
      to: volume.source,
      target: volume.target,
      readOnly: volume.read_only === true,
    });
  }
  for (const kind of ['secret', 'config'] as const) {
    const refs = kind === 'secret' ? service.secrets : service.configs;
    for (const ref of Array.isArray(refs) ? refs : []) {
      if (typeof ref?.source !== 'string') continue;
      edges.push(
        ref.target !== undefined
          ? { kind, from, to: ref.source, target: ref.target }
          : { kind, from, to: ref.source },
      );
    }
  }
  return edges;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

function compareNodes(a: GraphNode, b: GraphNode): number {
  return NODE_KINDS.indexOf(a.kind) - NODE_KINDS.indexOf(b.kind) || compareText(a.name, b.name);
}

function compareEdges(a: GraphEdge, b: GraphEdge): number {
  return (
    compareText(a.from, b.from) ||
    EDGE_ORDER.indexOf(a.kind) - EDGE_ORDER.indexOf(b.kind) ||
    compareText(a.to, b.to) ||
    compareText(edgeDetail(a), edgeDetail(b))
  );
}

/** What tells apart two edges of one kind between the same two nodes (a volume mounted twice). */
function edgeDetail(edge: GraphEdge): string {
  switch (edge.kind) {
    case 'volume':
      return edge.target;
    case 'secret':
    case 'config':
      return edge.target ?? '';
    case 'namespace':
      return edge.namespace;
    default:
      return '';
  }
}
