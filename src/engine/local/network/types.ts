/**
 * Isolated networking's data: a compose network realised as a Linux bridge, and a replica's
 * attachment to it. All JSON-serialisable; recorded in the project's state so that a later engine,
 * the watchdog or `down` can remove what an earlier one created.
 */

/** How the in-process engine networks its replicas. */
export type NetworkingMode = 'isolated' | 'host';

/** An IPv4 subnet in CIDR form, e.g. `10.200.3.0/24`. */
export type Cidr = string;

/** A compose network as it exists in the kernel while an engine runs. */
export interface RealizedNetwork {
  /** Engine name of the network (`myapp_default`). */
  name: string;
  /** The Linux bridge: `bth-` + 11 hex digits of the network id (at most 15 characters). */
  bridge: string;
  subnet: Cidr;
  /** The bridge's own address, the replicas' default route; absent on internal networks (no way out). */
  gateway?: string;
  internal: boolean;
  /** ipam `ip_range`: replicas get addresses from this part of the subnet only. */
  ipRange?: Cidr;
  /** ipam `aux_addresses`: never given to a replica. */
  reserved?: string[];
  /** Allocated from the pool (no ipam subnet): may move to another subnet if its own was taken meanwhile. */
  allocated?: boolean;
  /** Another project's network (external): addresses are claimed machine-wide and taken from the top down. */
  shared?: boolean;
}

/** One interface of a replica's network namespace, and the host end of its veth pair. */
export interface NetworkEndpoint {
  /** Engine name of the network. */
  network: string;
  bridge: string;
  /** Interface name inside the namespace: eth0, eth1, ... in the order the service lists its networks. */
  ifname: string;
  /** Host end of the veth pair, attached to the bridge: `bve-` + 11 hex digits. */
  hostVeth: string;
  address: string;
  /** Prefix length of the network's subnet. */
  prefixLength: number;
  /** When set, the namespace's default route goes through this gateway (one endpoint at most). */
  defaultGateway?: string;
}
