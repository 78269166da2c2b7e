import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { ComposeError } from '../../project/errors.js';
import type { Service } from '../../project/types.js';
import type {
  ContainerCreateRequest,
  ContainerInfo,
  Engine,
  EngineEvent,
  ExecPlan,
  ExecRequest,
  ExecResult,
  FileSync,
  LogLine,
  LogsOptions,
  NetworkCreateRequest,
  NetworkInfo,
  ProjectFilter,
  VolumeCreateRequest,
  VolumeInfo,
} from '../types.js';
import { ResourceInUseError } from '../resource-in-use.js';
import { EventHub } from './event-hub.js';
import { linkedPorts, linksEnvironment } from './link-environment.js';
import { releaseMounts } from './mounts.js';
import { type PublishedBinding, PublishedPorts } from './published-ports.js';
import { PortAllocator } from './port-allocator.js';
import { Replica } from './replica.js';
import { planReplicaPorts } from './replica-ports.js';
import { planRuntimeSpec } from './runtime-spec.js';
import {
  containerDir,
  ensureProjectDir,
  type ProjectPaths,
  volumeDataDir,
  volumesRoot,
} from './state-dir.js';
import { stateWriteError } from './state-write-error.js';
import { emptyProjectState, ProjectStateStore } from './state-store.js';
import { listProcessGroup } from './process-table.js';
import { planExec, runExec } from './exec.js';
import { syncIntoMounts } from './file-sync.js';
import { IsolatedNetworking, removeRecordedNetworking } from './network/isolated-networking.js';
import { settleNetworking } from './network/mode.js';
import type { NetworkingMode } from './network/types.js';
import type { ContainerRecord, NetworkRecord, ProjectState, VolumeRecord } from './types.js';

export interface LocalEngineOptions {
  stateRoot: string;
  project: string;
  /** berth's own environment, for PATH and friends (default: process.env). */
  hostEnv?: Record<string, string | undefined>;
  /**
   * How replicas are networked (default: host). A project keeps the mode its containers and networks
   * were created with, unless the mode was forced (then a different recorded mode is an error).
   */
  networking?: NetworkingMode;
  networkingForced?: boolean;
  /** Host-wide subnet claims of isolated networking (tests use their own). */
  subnetClaimsDir?: string;
}

/** The in-process engine plus what its host needs to end it. */
export interface LocalEngineInstance extends Engine {
  /** Stops every replica (stop signal, then SIGKILL after its grace period), closes the proxies. */
  shutdown(): Promise<void>;
  readonly paths: ProjectPaths;
  readonly networking: NetworkingMode;
}

/**
 * The in-process engine of one project: containers are supervised replicas (replica.ts), published
 * ports are proxied (published-ports.ts), volumes are folders under the state root. With host
 * networking, networks are records only; with isolated networking they are bridges and each replica
 * runs in its own sandbox (network/isolated-networking.ts). Every change is persisted to the
 * project's state file.
 */
export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngineInstance> {
  const paths = await ensureProjectDir(options.stateRoot, options.project);
  const store = new ProjectStateStore(paths.stateFile);
  const state = (await store.load()) ?? emptyProjectState(options.project);
  state.networking = settleNetworking(state, {
    networking: options.networking ?? 'host',
    networkingForced: options.networkingForced === true,
  });
  const engine = new LocalEngine(options, paths, store, state);
  await engine.recover();
  return engine;
}

class LocalEngine implements LocalEngineInstance {
  readonly kind = 'local' as const;
  private readonly replicas = new Map<string, Replica>();
  private readonly hub = new EventHub<EngineEvent>();
  private readonly allocator = new PortAllocator();
  private readonly ports: PublishedPorts;
  private readonly hostEnv: Record<string, string | undefined>;
  private saving: Promise<void> = Promise.resolve();
  private readonly portSyncs = new Map<string, Promise<void>>();
  /** Replicas between their port sync and their process start: the proxies must count them. */
  private readonly startingReplicas = new Map<string, Set<number>>();
  /** Isolated networking's bridges and sandboxes; undefined on the host network. */
  private readonly isolated: IsolatedNetworking | undefined;

  constructor(
    private readonly options: LocalEngineOptions,
    readonly paths: ProjectPaths,
    private readonly store: ProjectStateStore,
    private readonly state: ProjectState,
  ) {
    this.hostEnv = options.hostEnv ?? process.env;
    this.ports = new PublishedPorts({ allocator: this.allocator });
    this.isolated =
      state.networking === 'isolated'
        ? new IsolatedNetworking({
            stateRoot: options.stateRoot,
            project: options.project,
            state: () => this.state,
            ...(options.subnetClaimsDir === undefined ? {} : { claimsDir: options.subnetClaimsDir }),
          })
        : undefined;
  }

  get networking(): NetworkingMode {
    return this.isolated ? 'isolated' : 'host';
  }

  /**
   * Containers a dead engine left as running are exited now (their processes were killed with it), and
   * the sandboxes and bridges it left are removed (this engine makes its own as replicas start).
   */
  async recover(): Promise<void> {
    let changed = (await removeRecordedNetworking(this.state)).length > 0;
    for (const record of this.state.containers) {
      const before = record.state.status;
      this.track(record).recoverAfterEngineLoss();
      changed ||= record.state.status !== before;
    }
    // A view that changed nothing writes nothing: it must never overwrite a host's newer state.
    if (changed) await this.persist();
  }

  // ---- listing ---------------------------------------------------------------------------------

  async listContainers(filter: ProjectFilter): Promise<ContainerInfo[]> {
    if (filter.project !== this.state.project) return [];
    return this.state.containers
      .filter((r) => filter.all !== false || r.state.status === 'running' || r.state.status === 'restarting')
      .filter((r) => !filter.services || filter.services.includes(r.service))
      .filter((r) => filter.oneoff === undefined || r.oneoff === filter.oneoff)
      .map((r) => this.info(r));
  }

  async listNetworks(project: string): Promise<NetworkInfo[]> {
    return project === this.state.project ? this.state.networks.map(networkInfo) : [];
  }

  async listVolumes(project: string): Promise<VolumeInfo[]> {
    return project === this.state.project ? this.state.volumes.map(volumeInfo) : [];
  }

  async listProjects(): Promise<{ name: string; status: string; configFiles: string }[]> {
    const root = path.join(this.options.stateRoot, 'projects');
    const names = await readdir(root).catch(() => [] as string[]);
    const out: { name: string; status: string; configFiles: string }[] = [];
    for (const name of names.sort()) {
      const file = path.join(root, name, 'state.json');
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const other = name === this.state.project ? this.state : (JSON.parse(text) as ProjectState);
      out.push({ name, status: projectStatus(other), configFiles: other.configFiles.join(',') });
    }
    return out;
  }

  async inspectNetwork(name: string): Promise<NetworkInfo | undefined> {
    const record = this.state.networks.find((n) => n.name === name);
    if (record) return networkInfo(record);
    // Host networking has no real networks: an external one is taken as existing.
    if (!this.isolated) return { id: name, name, labels: {}, external: true };
    const found = await this.isolated.findExternal(name);
    return found ? { id: found.bridge, name, labels: {}, external: true } : undefined;
  }

  async inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    const record = this.state.volumes.find((v) => v.name === name);
    if (record) return volumeInfo(record);
    const dir = volumeDataDir(this.options.stateRoot, name);
    const exists = await readdir(dir).then(
      () => true,
      () => false,
    );
    return exists ? { name, labels: {}, mountpoint: dir } : undefined;
  }

  // ---- networks and volumes --------------------------------------------------------------------

  async createNetwork(request: NetworkCreateRequest): Promise<NetworkInfo> {
    const existing = this.state.networks.find((n) => n.name === request.name);
    if (existing) return networkInfo(existing);
    const record: NetworkRecord = {
      id: newId(),
      name: request.name,
      project: request.project,
      labels: request.labels,
      created: new Date().toISOString(),
      ...(request.definition.driver_opts ? { driverOpts: request.definition.driver_opts } : {}),
    };
    await this.isolated?.createNetwork(record, request.key, request.definition);
    this.state.networks.push(record);
    await this.persist();
    this.emit('network', 'create', record.id, record.name, {});
    return networkInfo(record);
  }

  async removeNetwork(name: string): Promise<void> {
    const index = this.state.networks.findIndex((n) => n.name === name);
    if (index < 0) return;
    const inUse = this.state.containers.find((c) => c.network?.endpoints.some((e) => e.network === name));
    if (inUse) throw ResourceInUseError.of('network', name, inUse.name);
    const [record] = this.state.networks.splice(index, 1);
    await this.isolated?.removeNetwork(record!);
    await this.persist();
    this.emit('network', 'destroy', record!.id, name, {});
  }

  async createVolume(request: VolumeCreateRequest): Promise<VolumeInfo> {
    const existing = this.state.volumes.find((v) => v.name === request.name);
    if (existing) return volumeInfo(existing);
    const mountpoint = volumeDataDir(this.options.stateRoot, request.name);
    await mkdir(mountpoint, { recursive: true, mode: 0o755 });
    const record: VolumeRecord = {
      name: request.name,
      project: request.project,
      labels: request.labels,
      mountpoint,
      created: new Date().toISOString(),
    };
    this.state.volumes.push(record);
    await this.persist();
    this.emit('volume', 'create', record.name, record.name, {});
    return volumeInfo(record);
  }

  async removeVolume(name: string): Promise<void> {
    const inUse = this.state.containers.find((c) => c.spec.mounts.some((m) => m.volumeName === name));
    if (inUse) throw ResourceInUseError.of('volume', name, inUse.name);
    const index = this.state.volumes.findIndex((v) => v.name === name);
    if (index >= 0) this.state.volumes.splice(index, 1);
    await rm(path.dirname(volumeDataDir(this.options.stateRoot, name)), { recursive: true, force: true });
    await this.persist();
    this.emit('volume', 'destroy', name, name, {});
  }

  // ---- containers ------------------------------------------------------------------------------

  async createContainer(request: ContainerCreateRequest): Promise<ContainerInfo> {
    if (this.state.containers.some((c) => c.name === request.name)) {
      throw new ComposeError(`container name "${request.name}" is already in use`, {
        hint: 'remove that container first, or choose another container_name',
      });
    }
    this.state.workingDir = request.project.workingDir;
    this.state.configFiles = request.project.configFiles;
    const id = newId();
    const dir = containerDir(this.options.stateRoot, this.state.project, id);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw stateWriteError(error, `the folder of ${request.name}`, dir);
    }
    try {
      const hostname = request.service.hostname ?? id.slice(0, 12);
      const network = await this.isolated?.planContainer(request, id, hostname);
      const listenPort = this.isolated ? undefined : await this.listenPortFor(request);
      const { spec, warnings } = await planRuntimeSpec(request, {
        containerDir: dir,
        volumesRoot: volumesRoot(this.options.stateRoot),
        hostEnv: this.hostEnv,
        hostname: network?.mode === 'host' ? os.hostname() : hostname,
        replica: request.number,
        isRoot: process.getuid?.() === 0,
        linkEnvironment: this.linkEnvironmentFor(request),
        listenPort,
      });
      const record: ContainerRecord = {
        id,
        name: request.name,
        project: this.state.project,
        service: request.serviceName,
        number: request.number,
        oneoff: request.oneoff,
        labels: request.labels,
        configHash: request.labels['com.docker.compose.config-hash'] ?? '',
        created: new Date().toISOString(),
        dir,
        spec,
        definition: request.service,
        ...(network ? { network } : {}),
        state: {
          status: 'created',
          exitCode: 0,
          restartCount: 0,
          failingStreak: 0,
          stoppedByUser: false,
          boundPorts: [],
        },
      };
      this.state.containers.push(record);
      this.isolated?.settled(id);
      this.track(record);
      await this.persist();
      this.emit('container', 'create', id, record.name, { image: spec.image });
      for (const message of warnings) this.warn(record, message);
      return this.info(record);
    } catch (error) {
      // Not created at all: a record already added (its state could not be saved) goes too.
      const added = this.state.containers.findIndex((c) => c.id === id);
      if (added !== -1) this.state.containers.splice(added, 1);
      this.replicas.delete(id);
      this.isolated?.settled(id);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async startContainer(id: string): Promise<void> {
    const replica = this.replica(id);
    if (replica.status === 'running') return;
    const { service, number } = replica.record;
    const starting = this.startingReplicas.get(service) ?? new Set<number>();
    this.startingReplicas.set(service, starting);
    starting.add(number);
    try {
      // Ports first: a taken port leaves the container created, as Docker does.
      await this.syncPorts(service);
      await replica.start();
    } catch (error) {
      starting.delete(number);
      await this.syncPorts(service);
      throw error;
    } finally {
      starting.delete(number);
    }
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const replica = this.replica(id);
    await replica.stop(timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000);
    await this.syncPorts(replica.record.service);
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    const replica = this.replica(id);
    if (replica.status !== 'running' && replica.status !== 'paused' && replica.status !== 'restarting') {
      throw new ComposeError(`container ${replica.record.name} is not running`);
    }
    await replica.kill(signal);
  }

  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const replica = this.replica(id);
    await this.syncPorts(replica.record.service, [replica.record.number]);
    await replica.restart(timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000);
  }

  async pauseContainer(id: string): Promise<void> {
    await this.replica(id).pause();
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.replica(id).unpause();
  }

  async removeContainer(id: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const replica = this.replica(id);
    const record = replica.record;
    if (replica.isLive()) {
      if (!options.force) {
        throw new ComposeError(`container ${record.name} is running`, {
          hint: 'stop it first, or remove it with force',
        });
      }
      await replica.kill('SIGKILL');
      await replica.wait();
    }
    record.state.status = 'removing';
    await replica.releaseSandbox();
    this.isolated?.forget(record);
    this.replicas.delete(id);
    this.state.containers = this.state.containers.filter((c) => c.id !== id);
    await this.syncPorts(record.service);
    await releaseMounts(record.spec.mounts, record.dir);
    await rm(record.dir, { recursive: true, force: true });
    await this.persist();
    this.emit('container', 'destroy', id, record.name, {});
  }

  async renameContainer(id: string, name: string): Promise<void> {
    const record = this.replica(id).record;
    if (this.state.containers.some((c) => c.name === name && c.id !== id)) {
      throw new ComposeError(`container name "${name}" is already in use`);
    }
    const old = record.name;
    record.name = name;
    await this.persist();
    this.emit('container', 'rename', id, name, { oldName: old });
  }

  waitContainer(id: string): Promise<number> {
    return this.replica(id).wait();
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    return this.info(this.replica(id).record);
  }

  async *logs(ids: string[], options: LogsOptions): AsyncIterable<LogLine> {
    const sources = ids.map((id) => this.replica(id));
    const streams = sources.map((replica) =>
      mapAsync(
        replica.logs({
          ...(options.tail === undefined ? {} : { tail: options.tail }),
          ...(options.since === undefined ? {} : { since: options.since }),
          ...(options.until === undefined ? {} : { until: options.until }),
          follow: options.follow ?? false,
        }),
        (entry): LogLine => ({
          container: replica.record.name,
          service: replica.record.service,
          number: replica.record.number,
          stream: entry.stream,
          time: entry.time,
          text: entry.text,
        }),
      ),
    );
    if (options.follow) yield* mergeAsync(streams);
    else for (const stream of streams) yield* stream;
  }

  async exec(id: string, request: ExecRequest): Promise<ExecResult> {
    const replica = this.replica(id);
    if (replica.status !== 'running') {
      throw new ComposeError(`container ${replica.record.name} is not running`, {
        hint: 'start it first (berth start)',
      });
    }
    return runExec(replica.record.spec, request, replica.sandbox);
  }

  async prepareExec(id: string, request: ExecRequest): Promise<ExecPlan> {
    const replica = this.replica(id);
    if (replica.status !== 'running') {
      throw new ComposeError(`container ${replica.record.name} is not running`, {
        hint: 'start it first (berth start)',
      });
    }
    return planExec(replica.record.spec, request, replica.sandbox);
  }

  /** Like `docker cp`, a container that is not running still gets the files. */
  async syncFiles(id: string, changes: readonly FileSync[]): Promise<void> {
    const record = this.replica(id).record;
    if (record.state.status === 'removing') throw new ComposeError(`no such container: ${id}`);
    const { uid, gid, mounts } = record.spec;
    await syncIntoMounts(mounts, changes, uid === undefined || gid === undefined ? undefined : { uid, gid });
  }

  async top(id: string): Promise<{ titles: string[]; processes: string[][] }> {
    const record = this.replica(id).record;
    if (record.state.pgid === undefined || record.state.status !== 'running') {
      throw new ComposeError(`container ${record.name} is not running`);
    }
    return listProcessGroup(record.state.pgid);
  }

  events(filter: { project: string }): AsyncIterable<EngineEvent> {
    return this.hub.subscribe(
      (e) => filter.project === this.state.project || e.attributes.project === filter.project,
    );
  }

  async close(): Promise<void> {
    // Nothing to release for a caller: the engine keeps running for its host.
  }

  async shutdown(): Promise<void> {
    const live = [...this.replicas.values()].filter((r) => r.isLive());
    await Promise.all(live.map((r) => r.stop()));
    await this.ports.close();
    await this.isolated?.shutdown();
    if (live.length > 0) await this.persist();
    await this.saving.catch(() => undefined);
    this.hub.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  private replica(idOrName: string): Replica {
    const direct = this.replicas.get(idOrName);
    if (direct) return direct;
    for (const replica of this.replicas.values()) {
      if (replica.record.name === idOrName || replica.id.startsWith(idOrName)) return replica;
    }
    throw new ComposeError(`no such container: ${idOrName}`);
  }

  private track(record: ContainerRecord): Replica {
    const sandbox = this.isolated?.sandboxFor(record);
    const replica = new Replica({
      record,
      ...(sandbox ? { sandbox } : {}),
      persist: () => this.persist(),
      onEvent: (event) => this.hub.publish(event),
      onError: (error) => this.warn(record, error instanceof Error ? error.message : String(error)),
    });
    this.replicas.set(record.id, replica);
    return replica;
  }

  /** State saves are serialised: each one writes the latest state, whole and atomically. */
  private persist(): Promise<void> {
    this.saving = this.saving.then(
      () => this.store.save(this.state),
      () => this.store.save(this.state),
    );
    return this.saving;
  }

  /** Host networking: replicas of a scaled service get their own port through PORT. */
  private async listenPortFor(request: ContainerCreateRequest): Promise<number | undefined> {
    const service = request.service;
    const siblings = this.state.containers.filter((c) => c.service === request.serviceName && !c.oneoff);
    const count = Math.max(
      request.number,
      service.scale ?? service.deploy?.replicas ?? 1,
      siblings.length + 1,
    );
    const plan = planReplicaPorts(service, count, {
      serviceName: request.serviceName,
      existing: siblings.map((c) => ({
        number: c.number,
        ...(c.spec.listenPort === undefined ? {} : { listenPort: c.spec.listenPort }),
      })),
    });
    const relocate = plan.relocateNew || request.number > 1;
    if (plan.candidate === undefined || !relocate) return undefined;
    return this.allocator.allocate({ protocol: 'tcp' });
  }

  private linkEnvironmentFor(request: ContainerCreateRequest): Record<string, string> {
    const links = request.service.links ?? [];
    if (links.length === 0) return {};
    return linksEnvironment(request.name, links, (serviceName) => {
      const first = this.state.containers
        .filter((c) => c.service === serviceName && !c.oneoff && c.definition)
        .sort((a, b) => a.number - b.number)[0];
      if (!first?.definition) return undefined;
      if (this.isolated) {
        // Its own address, where it listens on its container ports as written.
        const address = this.isolated.addressOf(first);
        return {
          ports: linkedPorts(first.definition),
          environment: configuredEnvironment(first.definition),
          ...(address === undefined ? {} : { address }),
        };
      }
      return {
        ports: linkedPorts(first.definition, {
          ...(first.spec.listenPort === undefined ? {} : { listenPort: first.spec.listenPort }),
          boundPorts: first.state.boundPorts,
        }),
        environment: configuredEnvironment(first.definition),
      };
    });
  }

  /**
   * Brings the service's published ports in line with its replicas that run (plus `starting`, about to
   * run). Warnings of the port rules become events.
   */
  private syncPorts(serviceName: string, starting: number[] = []): Promise<void> {
    // Replicas of one service start in parallel: their syncs run one after the other, each seeing the last.
    const previous = this.portSyncs.get(serviceName) ?? Promise.resolve();
    const next = previous.then(
      () => this.syncPortsNow(serviceName, starting),
      () => this.syncPortsNow(serviceName, starting),
    );
    this.portSyncs.set(serviceName, next);
    return next;
  }

  private async syncPortsNow(serviceName: string, starting: number[]): Promise<void> {
    const records = this.state.containers.filter((c) => c.service === serviceName && !c.oneoff);
    const first = records[0];
    if (!first) {
      await this.ports.closeService(serviceName);
      return;
    }
    const bindings = first.spec.ports as PublishedBinding[];
    if (bindings.length === 0) return;
    const pending = this.startingReplicas.get(serviceName);
    const live = records.filter(
      (c) =>
        starting.includes(c.number) ||
        pending?.has(c.number) === true ||
        this.replicas.get(c.id)?.isLive() === true,
    );
    if (live.length === 0) {
      await this.ports.closeService(serviceName);
      for (const c of records) c.state.boundPorts = [];
      return;
    }
    const result = await this.ports.sync(
      serviceName,
      bindings,
      live.flatMap((c) => {
        if (!this.isolated) {
          return [
            {
              number: c.number,
              ...(c.spec.listenPort === undefined ? {} : { listenPort: c.spec.listenPort }),
            },
          ];
        }
        const address = this.isolated.addressOf(c);
        return address === undefined ? [] : [{ number: c.number, address }];
      }),
    );
    for (const c of records) c.state.boundPorts = result.boundPorts.get(c.number) ?? [];
    for (const message of result.warnings) this.warn(first, message);
  }

  private info(record: ContainerRecord): ContainerInfo {
    const s = record.state;
    const info: ContainerInfo = {
      id: record.id,
      name: record.name,
      labels: record.labels,
      project: record.project,
      service: record.service,
      number: record.number,
      oneoff: record.oneoff,
      configHash: record.configHash,
      image: record.spec.image,
      command: record.spec.command,
      status: s.status,
      exitCode: s.exitCode,
      restartCount: s.restartCount,
      created: record.created,
      publishers: this.ports.publishers(record.service, record.number, record.spec.ports),
    };
    if (s.health !== undefined) info.health = s.health;
    if (s.pid !== undefined && s.status === 'running') info.pid = s.pid;
    if (s.startedAt !== undefined) info.startedAt = s.startedAt;
    if (s.finishedAt !== undefined) info.finishedAt = s.finishedAt;
    return info;
  }

  private warn(record: ContainerRecord, message: string): void {
    this.emit('container', 'warning', record.id, record.name, { message, service: record.service });
  }

  private emit(
    type: EngineEvent['type'],
    action: string,
    id: string,
    name: string,
    attributes: Record<string, string>,
  ): void {
    this.hub.publish({
      time: new Date().toISOString(),
      type,
      action,
      id,
      name,
      attributes: { project: this.state.project, ...attributes },
    });
  }
}

/** A service's environment as configured (variables set without a value left out). */
function configuredEnvironment(service: Service): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function networkInfo(record: NetworkRecord): NetworkInfo {
  return { id: record.id, name: record.name, labels: record.labels };
}

function volumeInfo(record: VolumeRecord): VolumeInfo {
  return { name: record.name, labels: record.labels, mountpoint: record.mountpoint };
}

/** `running(2), exited(1)`, as `docker compose ls` prints a project's status. */
function projectStatus(state: ProjectState): string {
  const counts = new Map<string, number>();
  for (const c of state.containers)
    if (!c.oneoff) counts.set(c.state.status, (counts.get(c.state.status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}(${n})`)
    .join(', ');
}

async function* mapAsync<T, U>(source: AsyncIterable<T>, map: (item: T) => U): AsyncIterable<U> {
  for await (const item of source) yield map(item);
}

/** Items of several async iterables as they arrive. */
async function* mergeAsync<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number): void => {
    pending.set(
      index,
      iterators[index]!.next().then((result) => ({ index, result })),
    );
  };
  iterators.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}
