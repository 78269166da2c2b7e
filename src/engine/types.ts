/**
 * The Engine interface: what the reconciler and the commands need from something that runs
 * containers. Both engines implement it — the in-process engine (engine/local) and the Docker Engine
 * API (engine/docker) — and so does the control-socket client that reaches a detached local
 * supervisor. Everything crossing it is plain, JSON-serialisable data.
 *
 * Names and labels are docker compose's: containers `<project>-<service>-<n>`, networks and volumes
 * `<project>_<key>` (or their `name:`), labels `com.docker.compose.*` (see ./labels.ts).
 */
import type { Project, Service } from '../project/types.js';

export type ContainerStatus =
  'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One published port of a container, as `docker compose ps --format json` prints `Publishers`. */
export interface PortPublisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** What an engine reports about one container (a replica of a service, or a one-off `run`). */
export interface ContainerInfo {
  id: string;
  name: string;
  /** The `com.docker.compose.*` labels and the service's own labels. */
  labels: Record<string, string>;
  project: string;
  service: string;
  /** `com.docker.compose.container-number`. */
  number: number;
  oneoff: boolean;
  configHash: string;
  image: string;
  /** The engine's id of the image the container was created from (engines that run images). */
  imageId?: string;
  /** The command line as it runs (for `ps`). */
  command: string;
  status: ContainerStatus;
  health?: HealthStatus;
  exitCode: number;
  /** Main process id on the host, when running. */
  pid?: number;
  restartCount: number;
  created: string;
  startedAt?: string;
  finishedAt?: string;
  publishers: PortPublisher[];
  /**
   * From createContainer only: attributes of the service this engine cannot honour, one sentence each
   * naming the service and the attribute (`service "web": devices are not supported ...`).
   */
  warnings?: string[];
}

export interface NetworkInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  external?: boolean;
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
  /** Host path of the volume's data, when the engine knows it. */
  mountpoint?: string;
}

/** Everything an engine needs to create one container. */
export interface ContainerCreateRequest {
  project: Pick<Project, 'name'> & { workingDir: string; configFiles: string[] };
  serviceName: string;
  /** The canonical service definition; the engine maps it to what it runs. */
  service: Service;
  /** Resolved resource names: compose key -> engine name (`data` -> `myapp_data`). */
  networkNames: Record<string, string>;
  volumeNames: Record<string, string>;
  /** Top-level secret and config definitions the service refers to, by compose key. */
  secrets: Project['secrets'];
  configs: Project['configs'];
  name: string;
  number: number;
  oneoff: boolean;
  labels: Record<string, string>;
  /** Extra environment (e.g. `run -e`); wins over the service's. */
  environment?: Record<string, string>;
  /** Recreate: the anonymous volumes of this container id are taken over, as docker compose does. */
  inheritVolumesFrom?: string;
  /** Overrides for `run`: command, entrypoint, working dir, user. */
  command?: string[];
  entrypoint?: string[];
  workingDir?: string;
  user?: string;
}

export interface NetworkCreateRequest {
  name: string;
  key: string;
  project: string;
  definition: Project['networks'][string];
  labels: Record<string, string>;
}

export interface VolumeCreateRequest {
  name: string;
  key: string;
  project: string;
  definition: Project['volumes'][string];
  labels: Record<string, string>;
}

export interface LogLine {
  container: string;
  service: string;
  number: number;
  stream: 'stdout' | 'stderr';
  /** ISO 8601 with nanoseconds where known. */
  time: string;
  /** One line, without its newline. */
  text: string;
}

export interface LogsOptions {
  follow?: boolean;
  /** Last N lines per container; undefined = all. */
  tail?: number;
  /** ISO timestamps or durations already resolved to ISO by the caller. */
  since?: string;
  until?: string;
}

export interface ExecRequest {
  command: string[];
  environment?: Record<string, string>;
  workingDir?: string;
  user?: string;
  tty?: boolean;
  detach?: boolean;
}

export interface ExecResult {
  exitCode: number;
}

/** What `exec` runs, resolved in the container's environment, for a caller that runs it itself. */
export interface ExecPlan {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

/** Streams an attached `exec` copies from and to (engines that run the command elsewhere). */
export interface ExecStdio {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** What `up`, `run`, `pull` and `build` ask of an engine that runs images, before creating containers. */
export interface ImagesRequest {
  project: { name: string; workingDir: string };
  /** The services about to run, by name. */
  services: Record<string, Service>;
  /** `--build`: build every service with `build:`; `--no-build`: never (a missing image is an error); default: build what is missing. */
  build: 'missing' | 'always' | 'never';
  /** `--pull`: overrides each service's pull_policy. */
  pull?: 'always' | 'missing' | 'never';
  /** `--quiet-pull`: no per-layer progress. */
  quiet?: boolean;
}

/**
 * Progress of pulls and builds, one line per image or service as compose shows them
 * (`Image busybox` Pulling/Pulled, `Service web` Building/Built); `warning` for what does not stop it.
 */
export type ImageProgress =
  | { type: 'image'; id: string; resource: string; status: 'working' | 'done' | 'error'; message: string }
  | { type: 'warning'; message: string };

/**
 * One change `watch` syncs into a container: the file or folder `source` on this machine copied to
 * `target` in the container (a folder is created, not filled: its files come as entries of their own),
 * or, without `source`, `target` deleted (recursively).
 */
export interface FileSync {
  /** Absolute container path. */
  target: string;
  /** Absolute host path. */
  source?: string;
}

/** A change in the engine, for `berth events` and for waiting on conditions. */
export interface EngineEvent {
  time: string;
  type: 'container' | 'network' | 'volume';
  /** create, start, die, stop, kill, pause, unpause, destroy, rename, health_status: healthy, ... */
  action: string;
  id: string;
  name: string;
  attributes: Record<string, string>;
}

export interface ProjectFilter {
  project: string;
  /** Include stopped containers (ps -a). Default true for the reconciler. */
  all?: boolean;
  services?: string[];
  oneoff?: boolean;
}

export interface Engine {
  readonly kind: 'local' | 'docker';

  listContainers(filter: ProjectFilter): Promise<ContainerInfo[]>;
  listNetworks(project: string): Promise<NetworkInfo[]>;
  listVolumes(project: string): Promise<VolumeInfo[]>;
  /** Every project this engine knows (`berth ls`). */
  listProjects(): Promise<{ name: string; status: string; configFiles: string }[]>;

  /** Any network or volume by its engine name, the project's or not (external ones): undefined if absent. */
  inspectNetwork(name: string): Promise<NetworkInfo | undefined>;
  inspectVolume(name: string): Promise<VolumeInfo | undefined>;

  createNetwork(request: NetworkCreateRequest): Promise<NetworkInfo>;
  removeNetwork(name: string): Promise<void>;
  createVolume(request: VolumeCreateRequest): Promise<VolumeInfo>;
  removeVolume(name: string): Promise<void>;

  createContainer(request: ContainerCreateRequest): Promise<ContainerInfo>;
  startContainer(id: string): Promise<void>;
  /** Stop signal, then SIGKILL after `timeoutSeconds` (default: the service's stop_grace_period). */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  restartContainer(id: string, timeoutSeconds?: number): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  removeContainer(id: string, options?: { force?: boolean; volumes?: boolean }): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /** Resolves with the exit code once the container has stopped. */
  waitContainer(id: string): Promise<number>;
  inspectContainer(id: string): Promise<ContainerInfo>;

  logs(ids: string[], options: LogsOptions): AsyncIterable<LogLine>;
  exec(id: string, request: ExecRequest): Promise<ExecResult>;
  /**
   * The in-process engine runs on the caller's machine: the CLI spawns `exec` itself, attached to the
   * user's terminal, from this plan. Engines that run commands elsewhere reject it.
   */
  prepareExec(id: string, request: ExecRequest): Promise<ExecPlan>;
  /**
   * Engines that run commands elsewhere (Docker) run `exec` through their API, its streams copied from
   * and to `stdio`; the in-process engine has no such method (the CLI uses prepareExec).
   */
  execAttached?(id: string, request: ExecRequest, stdio: ExecStdio): Promise<ExecResult>;
  /**
   * `run` in the foreground on engines that run containers elsewhere (Docker): starts the created
   * one-off attached to `stdio` (its stdin too when the container has stdin open) and resolves with
   * its exit code once it has ended.
   */
  runAttached?(id: string, stdio: ExecStdio): Promise<number>;
  /** Engines that run images pull and build what `request` needs (Docker); absent for the in-process engine. */
  prepareImages?(request: ImagesRequest, onProgress: (event: ImageProgress) => void): Promise<void>;
  /** The engine's ids of those of `references` present locally (engines that run images). */
  imageIds?(references: readonly string[]): Promise<Record<string, string>>;
  /** Removes an image by name if present (`down --rmi`); false when there was none. */
  removeImage?(name: string): Promise<boolean>;
  /**
   * Copies files into a container or deletes them there, in order (`watch` sync actions). Through the
   * container's mounts on the in-process engine (nothing to do where `target` is `source` itself through
   * a bind mount), through the archive API on Docker.
   */
  syncFiles(id: string, changes: readonly FileSync[]): Promise<void>;
  /** Processes of a container: a header row and one row per process (`berth top`). */
  top(id: string): Promise<{ titles: string[]; processes: string[][] }>;
  events(filter: { project: string }): AsyncIterable<EngineEvent>;

  /** Releases connections; does not stop containers. */
  close(): Promise<void>;
}
