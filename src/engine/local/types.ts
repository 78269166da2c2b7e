/**
 * The in-process engine's own data. A container is a supervised replica: the RuntimeSpec says what it
 * runs (computed once at create time from the canonical service), the ContainerRecord adds identity
 * and live state, and is what the state folder persists.
 */
import type { Service } from '../../project/types.js';
import type { ContainerStatus, HealthStatus } from '../types.js';
import type { NetworkEndpoint, NetworkingMode, RealizedNetwork } from './network/types.js';

export type RestartPolicyName = 'no' | 'always' | 'on-failure' | 'unless-stopped';

/** A container path made visible to the process at a host path. */
export interface MountPlan {
  kind: 'bind' | 'volume' | 'anonymous' | 'tmpfs' | 'secret' | 'config' | 'private';
  /** Absolute path inside the container, as the compose file names it. */
  containerPath: string;
  /** Absolute path on the host that stands for it. */
  hostPath: string;
  readOnly: boolean;
  /** For volumes: the engine name of the volume. */
  volumeName?: string;
}

export interface HealthcheckSpec {
  /** `['CMD', ...argv]` or `['CMD-SHELL', script]`, paths already mapped. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
}

export interface PortBinding {
  /** `''` = all interfaces (0.0.0.0 and ::). */
  hostIp: string;
  /** 0 = choose a free port at start. */
  hostPort: number;
  /** Last port of a published range (`8000-8005`): the first free port of the range is used. */
  hostPortEnd?: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  mode: 'ingress' | 'host';
}

/** What one replica runs; JSON-serialisable. */
export interface RuntimeSpec {
  /** argv[0] is looked up in the PATH of `env`. Container paths already mapped to host paths. */
  argv: string[];
  /** The complete environment of the process. */
  env: Record<string, string>;
  /** Host path of the working directory. */
  cwd: string;
  uid?: number;
  gid?: number;
  stopSignal: string;
  stopGracePeriodMs: number;
  healthcheck?: HealthcheckSpec;
  restart: { policy: RestartPolicyName; maxRetries?: number };
  logging: { maxSizeBytes?: number; maxFiles: number };
  ports: PortBinding[];
  /** The port the process is told to listen on through PORT, when it differs from the container port (host mode, replica > 1). */
  listenPort?: number;
  mounts: MountPlan[];
  tty: boolean;
  stdinOpen: boolean;
  /** Display form of the command for `ps`. */
  command: string;
  image: string;
}

export interface ContainerRuntimeState {
  status: ContainerStatus;
  pid?: number;
  /** Process group of the replica (its pid, spawned detached). */
  pgid?: number;
  /** The run's cgroup folder, where berth could make one (see replica-cgroup.ts). */
  cgroup?: string;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  health?: HealthStatus;
  failingStreak: number;
  /** Set by an explicit stop/kill: restart policies (except `always` at engine start) do not apply. */
  stoppedByUser: boolean;
  /** Host ports actually bound, per PortBinding index. */
  boundPorts: number[];
  /** The sandbox the replica runs in (isolated networking), while it exists: for cleanup after a dead engine. */
  sandbox?: { holderPid: number; holderStartTime?: number; hostVeths: string[] };
}

/**
 * How a container is networked in isolated mode, decided at create time (addresses included, so that
 * links and names are known before it starts).
 */
export interface ContainerNetworkPlan {
  /** networks: its own namespace on `endpoints`; none: loopback only; host: the host's network; join: another container's. */
  mode: 'networks' | 'none' | 'host' | 'join';
  /** For join: `service:NAME` or `container:NAME`, as written in network_mode. */
  join?: { service: string } | { container: string };
  hostname: string;
  endpoints: NetworkEndpoint[];
  /** Network aliases per network engine name. */
  aliases: Record<string, string[]>;
  links: { service: string; alias: string }[];
  /** extra_hosts, with host-gateway resolved. */
  extraHosts: { host: string; address: string }[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  project: string;
  service: string;
  number: number;
  oneoff: boolean;
  labels: Record<string, string>;
  configHash: string;
  created: string;
  /** `<state>/projects/<project>/containers/<id>`: logs, private writable folder, secrets. */
  dir: string;
  spec: RuntimeSpec;
  /** The canonical service it was created from (links of other services read its ports and environment). */
  definition?: Service;
  /** Isolated networking only. */
  network?: ContainerNetworkPlan;
  state: ContainerRuntimeState;
}

export interface NetworkRecord {
  id: string;
  name: string;
  project: string;
  labels: Record<string, string>;
  created: string;
  /** Isolated networking: its bridge and subnet (the bridge exists while an engine runs). */
  realized?: RealizedNetwork;
  /** An external network this project uses but does not own (never removed by it). */
  external?: boolean;
  driverOpts?: Record<string, string>;
}

export interface VolumeRecord {
  name: string;
  project: string;
  labels: Record<string, string>;
  /** `<state>/volumes/<name>/_data`. */
  mountpoint: string;
  created: string;
}

/** Everything the state folder persists for one project. */
export interface ProjectState {
  version: 1;
  project: string;
  /** The networking its containers were created with (absent: host, as before isolated networking). */
  networking?: NetworkingMode;
  workingDir: string;
  configFiles: string[];
  containers: ContainerRecord[];
  networks: NetworkRecord[];
  volumes: VolumeRecord[];
}
