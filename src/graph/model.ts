import type { DependsOnCondition } from '../project/types.js';

/** The kinds of things a Compose project is made of, in the order renderings list them. */
export const NODE_KINDS = ['service', 'network', 'volume', 'secret', 'config'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** A node's key: its kind and its name in the project, as in `service:web` or `volume:data`. */
export type NodeId = `${NodeKind}:${string}`;

export interface GraphNode {
  id: NodeId;
  kind: NodeKind;
  /** The key in the Compose file (`data`), not the engine name (`demo_data`). */
  name: string;
  /** Resources marked `external: true` exist outside the project; berth never creates them. */
  external?: boolean;
}

/** The namespaces a service can share with another through `service:<name>`. */
export type Namespace = 'network' | 'ipc' | 'pid' | 'uts' | 'cgroup';

/** Edges between two services: the ones that decide start and stop order. */
export type ServiceEdge =
  | {
      kind: 'depends_on';
      from: string;
      to: string;
      condition: DependsOnCondition;
      required: boolean;
      /** Restart `from` when `to` is restarted. */
      restart: boolean;
    }
  | { kind: 'link'; from: string; to: string; alias?: string }
  | { kind: 'volumes_from'; from: string; to: string; mode: 'ro' | 'rw' }
  | { kind: 'namespace'; from: string; to: string; namespace: Namespace };

/** Edges from a service to a network, volume, secret or config it uses. */
export type ResourceEdge =
  | { kind: 'network'; from: string; to: string; aliases?: string[] }
  | { kind: 'volume'; from: string; to: string; target: string; readOnly: boolean }
  | { kind: 'secret'; from: string; to: string; target?: string }
  | { kind: 'config'; from: string; to: string; target?: string };

/** `from` is always a service name; `to` is the name of a node of the kind the edge implies. */
export type GraphEdge = ServiceEdge | ResourceEdge;

/**
 * A project as a graph: plain data, sorted (nodes by kind then name, edges by source, kind, target), so
 * the same project always gives the same graph and the same rendering.
 */
export interface ServiceGraph {
  project: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const SERVICE_EDGE_KINDS: ReadonlySet<GraphEdge['kind']> = new Set([
  'depends_on',
  'link',
  'volumes_from',
  'namespace',
]);

export function isServiceEdge(edge: GraphEdge): edge is ServiceEdge {
  return SERVICE_EDGE_KINDS.has(edge.kind);
}

/** The node an edge points at. */
export function targetId(edge: GraphEdge): NodeId {
  return isServiceEdge(edge) ? `service:${edge.to}` : `${edge.kind}:${edge.to}`;
}

export function nodeId(kind: NodeKind, name: string): NodeId {
  return `${kind}:${name}`;
}
