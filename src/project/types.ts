/**
 * The canonical Project: what the loader produces and the rest of berth consumes. Every attribute is in
 * Compose's long syntax, paths are absolute (unless path resolution was turned off), environments are
 * resolved maps. Field names are the Compose Specification's own, so the model serialises to what
 * `docker compose config` prints.
 *
 * These types are written by hand on purpose: the generated types in ./generated describe the raw file
 * with all its short forms; these describe the one shape the rest of the code may rely on.
 */

/** `x-*` keys are kept verbatim wherever the specification allows them. */
export type Extensions = { [key: `x-${string}`]: unknown };

/** An environment value of `null` means "declared but unset": the engine passes nothing for it. */
export type EnvironmentMap = Record<string, string | null>;

export interface Project {
  name: string;
  services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, Secret>;
  configs: Record<string, Config>;
  models?: Record<string, Record<string, unknown>>;
  /** Top-level `x-*` keys. */
  extensions: Extensions;
  /** Not part of the file: where and how it was loaded. */
  meta: ProjectMeta;
}

export interface ProjectMeta {
  /** The project directory: the base of every relative path. */
  workingDir: string;
  /** The compose files read, in order (absolute paths; `-` for stdin). */
  configFiles: string[];
  /** Every file the project depends on (compose files, includes, extends, env files) for watch mode. */
  sourceFiles: string[];
  /** The environment interpolation used (OS environment over `.env` files). */
  environment: Record<string, string>;
  /** Active profiles. */
  profiles: string[];
  /** Services defined in the files but disabled by profiles. */
  disabledServices: Record<string, Service>;
}

export interface Service extends Extensions {
  /** Set by the loader to the key of the service; never printed. */
  name?: never;
  annotations?: Record<string, string>;
  attach?: boolean;
  build?: BuildConfig;
  blkio_config?: BlkioConfig;
  cap_add?: string[];
  cap_drop?: string[];
  cgroup?: 'host' | 'private';
  cgroup_parent?: string;
  command?: string[] | null;
  configs?: FileReference[];
  container_name?: string;
  cpu_count?: number;
  cpu_percent?: number;
  cpu_period?: number;
  cpu_quota?: number;
  cpu_rt_period?: number;
  cpu_rt_runtime?: number;
  cpu_shares?: number;
  cpus?: number;
  cpuset?: string;
  credential_spec?: Record<string, unknown>;
  depends_on?: Record<string, DependsOn>;
  deploy?: Deploy;
  develop?: Develop;
  device_cgroup_rules?: string[];
  devices?: Device[];
  dns?: string[];
  dns_opt?: string[];
  dns_search?: string[];
  domainname?: string;
  entrypoint?: string[] | null;
  environment?: EnvironmentMap;
  /** Kept (absolute paths) so the engine can re-read them; their values are already in `environment`. */
  env_file?: EnvFile[];
  expose?: string[];
  external_links?: string[];
  extra_hosts?: Record<string, string[]>;
  gpus?: DeviceRequest[];
  group_add?: string[];
  healthcheck?: Healthcheck;
  hostname?: string;
  image?: string;
  init?: boolean;
  ipc?: string;
  isolation?: string;
  label_file?: string[];
  labels?: Record<string, string>;
  links?: string[];
  logging?: Logging;
  mac_address?: string;
  mem_limit?: number;
  mem_reservation?: number;
  mem_swappiness?: number;
  memswap_limit?: number;
  network_mode?: string;
  networks?: Record<string, ServiceNetwork | null>;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  pid?: string;
  pids_limit?: number;
  platform?: string;
  ports?: Port[];
  post_start?: LifecycleHook[];
  pre_stop?: LifecycleHook[];
  privileged?: boolean;
  profiles?: string[];
  pull_policy?: string;
  read_only?: boolean;
  restart?: string;
  runtime?: string;
  scale?: number;
  secrets?: FileReference[];
  security_opt?: string[];
  shm_size?: number;
  stdin_open?: boolean;
  stop_grace_period?: string;
  stop_signal?: string;
  storage_opt?: Record<string, string>;
  sysctls?: Record<string, string>;
  tmpfs?: string[];
  tty?: boolean;
  ulimits?: Record<string, Ulimit>;
  user?: string;
  userns_mode?: string;
  uts?: string;
  volume_driver?: string;
  volumes?: ServiceVolume[];
  volumes_from?: string[];
  working_dir?: string;
}

export interface BuildConfig extends Extensions {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  ssh?: string[];
  cache_from?: string[];
  cache_to?: string[];
  additional_contexts?: Record<string, string>;
  entitlements?: string[];
  extra_hosts?: Record<string, string[]>;
  isolation?: string;
  labels?: Record<string, string>;
  network?: string;
  no_cache?: boolean;
  platforms?: string[];
  privileged?: boolean;
  pull?: boolean;
  secrets?: FileReference[];
  shm_size?: number;
  tags?: string[];
  target?: string;
  ulimits?: Record<string, Ulimit>;
}

export interface BlkioConfig {
  weight?: number;
  weight_device?: { path: string; weight: number }[];
  device_read_bps?: { path: string; rate: number }[];
  device_read_iops?: { path: string; rate: number }[];
  device_write_bps?: { path: string; rate: number }[];
  device_write_iops?: { path: string; rate: number }[];
}

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: DependsOnCondition;
  required: boolean;
  restart?: boolean;
}

export interface Deploy extends Extensions {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  resources?: {
    limits?: Resources;
    reservations?: Resources;
  };
  restart_policy?: {
    condition?: string;
    delay?: string;
    max_attempts?: number;
    window?: string;
  };
  placement?: {
    constraints?: string[];
    preferences?: { spread: string }[];
    max_replicas_per_node?: number;
  };
  endpoint_mode?: string;
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: string;
  failure_action?: string;
  monitor?: string;
  max_failure_ratio?: number;
  order?: string;
}

export interface Resources {
  cpus?: number;
  memory?: number;
  pids?: number;
  devices?: DeviceRequest[];
  generic_resources?: { discrete_resource_spec?: { kind: string; value: number } }[];
}

export interface DeviceRequest {
  capabilities?: string[];
  driver?: string;
  count?: number;
  device_ids?: string[];
  options?: Record<string, string>;
}

export interface Develop extends Extensions {
  watch?: WatchRule[];
}

export interface WatchRule {
  path: string;
  action: 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';
  target?: string;
  ignore?: string[];
  include?: string[];
  initial_sync?: boolean;
  exec?: LifecycleHook;
}

export interface Device {
  source: string;
  target: string;
  permissions: string;
}

export interface EnvFile {
  path: string;
  required: boolean;
  format?: string;
}

export interface Healthcheck extends Extensions {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface LifecycleHook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: EnvironmentMap;
}

export interface Logging {
  driver?: string;
  options?: Record<string, string>;
}

export interface ServiceNetwork extends Extensions {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  priority?: number;
  gw_priority?: number;
  interface_name?: string;
}

export interface Port extends Extensions {
  name?: string;
  mode: 'ingress' | 'host';
  host_ip?: string;
  target: number;
  /** A number or a range, as a string, as `docker compose config` prints it. */
  published?: string;
  protocol: string;
  app_protocol?: string;
}

export interface FileReference extends Extensions {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/** A single number sets both limits, as in `nofile: 20000`. */
export type Ulimit = number | { soft: number; hard: number };

export type VolumeType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

export interface ServiceVolume extends Extensions {
  type: VolumeType;
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: {
    propagation?: string;
    create_host_path?: boolean;
    selinux?: 'z' | 'Z';
    recursive?: string;
  };
  volume?: {
    nocopy?: boolean;
    subpath?: string;
  };
  tmpfs?: {
    size?: number;
    mode?: number;
  };
  image?: {
    subpath?: string;
  };
}

export interface Network extends Extensions {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: {
    driver?: string;
    config?: {
      subnet?: string;
      ip_range?: string;
      gateway?: string;
      aux_addresses?: Record<string, string>;
    }[];
    options?: Record<string, string>;
  };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
}

export interface Volume extends Extensions {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface Secret extends Extensions {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  driver?: string;
  driver_opts?: Record<string, string>;
  template_driver?: string;
}

export type Config = Secret;
