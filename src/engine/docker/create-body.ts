/**
 * The parts of the body of POST /containers/create that berth fills, typed after the Engine API
 * reference (v1.41 to v1.48). @types/dockerode lags the API (no Annotations, CgroupnsMode,
 * BindOptions.CreateMountpoint or NonRecursive, GwPriority, ...) and marks optional API fields as
 * required, so the body is built with these types and handed to dockerode once, in ./container-spec.ts.
 */

export interface BindOptions {
  Propagation?: string;
  NonRecursive?: boolean;
  CreateMountpoint?: boolean;
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
}

export interface MountBody {
  Type: 'bind' | 'volume' | 'tmpfs' | 'image';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: BindOptions;
  VolumeOptions?: { NoCopy?: boolean; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
  ImageOptions?: { Subpath?: string };
}

export interface DeviceRequestBody {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[];
  Capabilities?: string[][];
  Options?: Record<string, string>;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

/** HostConfig's resource fields (the API's `Resources`, inlined in HostConfig). */
export interface ResourcesBody {
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[];
  BlkioDeviceReadBps?: ThrottleDevice[];
  BlkioDeviceWriteBps?: ThrottleDevice[];
  BlkioDeviceReadIOps?: ThrottleDevice[];
  BlkioDeviceWriteIOps?: ThrottleDevice[];
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpuCount?: number;
  CpuPercent?: number;
  NanoCpus?: number;
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  OomKillDisable?: boolean;
  PidsLimit?: number;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  DeviceCgroupRules?: string[];
  DeviceRequests?: DeviceRequestBody[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
}

export interface HostConfigBody extends ResourcesBody {
  Annotations?: Record<string, string>;
  Binds?: string[];
  Mounts?: MountBody[];
  Tmpfs?: Record<string, string>;
  VolumeDriver?: string;
  VolumesFrom?: string[];
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  NetworkMode?: string;
  Links?: string[];
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  ExtraHosts?: string[];
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  CapAdd?: string[];
  CapDrop?: string[];
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  Sysctls?: Record<string, string>;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  CgroupnsMode?: string;
  GroupAdd?: string[];
  Isolation?: string;
  Init?: boolean;
  Runtime?: string;
  StorageOpt?: Record<string, string>;
  ShmSize?: number;
  OomScoreAdj?: number;
  LogConfig?: { Type: string; Config: Record<string, string> };
}

export interface EndpointBody {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  Links?: string[];
  Aliases?: string[];
  MacAddress?: string;
  DriverOpts?: Record<string, string>;
  GwPriority?: number;
}

export interface HealthcheckBody {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface CreateBody {
  name: string;
  /** A query parameter (API >= 1.41): the platform of the image to use. */
  platform?: string;
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: HealthcheckBody;
  Image: string;
  WorkingDir?: string;
  Entrypoint?: string[];
  NetworkDisabled?: boolean;
  MacAddress?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: HostConfigBody;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointBody> };
}
