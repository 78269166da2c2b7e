/**
 * The Docker engine: berth's Engine interface on the Docker Engine API (dockerode), no docker CLI.
 * Containers, networks and volumes carry docker compose's names and labels, so each tool recognises
 * what the other created; behaviour follows the in-process engine and docker compose.
 */
import { normalizeSignal } from '../signals.js';
import type { Readable } from 'node:stream';

import type Dockerode from 'dockerode';

import { compareText } from '../../graph/compare.js';
import { ComposeError } from '../../project/errors.js';
import { Labels } from '../labels.js';
import type {
  ContainerCreateRequest,
  ContainerInfo,
  Engine,
  EngineEvent,
  ExecPlan,
  ExecRequest,
  ExecResult,
  ExecStdio,
  FileSync,
  ImageProgress,
  ImagesRequest,
  LogLine,
  LogsOptions,
  NetworkCreateRequest,
  NetworkInfo,
  ProjectFilter,
  VolumeCreateRequest,
  VolumeInfo,
} from '../types.js';
import { type DockerConnection, connectDocker } from './connection.js';
import { containerInfoFromInspect, containerInfoFromSummary, mergeInspect } from './container-info.js';
import { containerSpec } from './container-spec.js';
import { runAttachedContainer } from './container-attach.js';
import { containerError, engineMessage, statusOf } from './engine-errors.js';
import { engineEvents } from './event-stream.js';
import { runExec } from './exec-session.js';
import { fileArchive } from './file-archive.js';
import { syncContainerFiles } from './file-sync.js';
import { interruptible } from './interruptible.js';
import { localImageIds } from './image-ids.js';
import { LostEngineError } from './lost-connection.js';
import { prepareImages, removeImage } from './images.js';
import { type LogRecord, logRecords, unixSeconds } from './log-stream.js';
import { type ClosableSource, mergeByArrival, mergeByTime } from './merge-streams.js';
import {
  createNetwork,
  createVolume,
  findNetwork,
  findVolume,
  listProjectNetworks,
  listProjectVolumes,
  networkInfo,
  removeNetwork,
  removeVolume,
} from './resources.js';

export interface DockerEngineOptions {
  /** Where secrets' and configs' `environment:` sources are read (default: process.env). */
  hostEnv?: Record<string, string | undefined>;
}

/** The API streams of one `logs` call, and whether its consumer has stopped. */
interface OpenedStreams {
  closed: boolean;
  streams: Set<Readable>;
}

/** Inspects run this many at a time when a listing needs them. */
const INSPECT_CONCURRENCY = 16;

export class DockerEngine implements Engine {
  readonly kind = 'docker' as const;
  private readonly docker: Dockerode;
  /** Container names by id, for messages about a container known only by its id. */
  private readonly names = new Map<string, string>();
  /** Streams handed out (logs, events) that close() must end. */
  private readonly streams = new Set<{ destroy(): void }>();

  constructor(
    readonly connection: DockerConnection,
    private readonly options: DockerEngineOptions = {},
  ) {
    this.docker = connection.docker;
  }

  // ---- listing ---------------------------------------------------------------------------------

  async listContainers(filter: ProjectFilter): Promise<ContainerInfo[]> {
    const label = [`${Labels.project}=${filter.project}`];
    if (filter.oneoff !== undefined) label.push(`${Labels.oneoff}=${filter.oneoff ? 'True' : 'False'}`);
    // One service can be filtered by the engine; several are filtered here.
    const services = filter.services;
    if (services?.length === 1) label.push(`${Labels.service}=${services[0]}`);
    const summaries = await this.docker.listContainers({ all: filter.all !== false, filters: { label } });
    const wanted = summaries
      .map(containerInfoFromSummary)
      .filter((c) => services === undefined || services.includes(c.service));
    // The list has no start/finish times, pid or restart count: only containers that ever ran need them.
    const infos = await mapLimited(wanted, INSPECT_CONCURRENCY, async (info) => {
      if (info.status === 'created') return info;
      try {
        return mergeInspect(info, await this.docker.getContainer(info.id).inspect());
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
    const out = infos.filter((c): c is ContainerInfo => c !== undefined);
    for (const c of out) this.names.set(c.id, c.name);
    return out.sort(
      (a, b) => compareText(a.service, b.service) || a.number - b.number || compareText(a.name, b.name),
    );
  }

  listNetworks(project: string): Promise<NetworkInfo[]> {
    return listProjectNetworks(this.docker, project);
  }

  listVolumes(project: string): Promise<VolumeInfo[]> {
    return listProjectVolumes(this.docker, project);
  }

  async listProjects(): Promise<{ name: string; status: string; configFiles: string }[]> {
    const summaries = await this.docker.listContainers({ all: true, filters: { label: [Labels.project] } });
    const projects = new Map<string, { counts: Map<string, number>; configFiles: string }>();
    for (const summary of summaries) {
      const info = containerInfoFromSummary(summary);
      const entry = projects.get(info.project) ?? { counts: new Map<string, number>(), configFiles: '' };
      projects.set(info.project, entry);
      if (entry.configFiles === '') entry.configFiles = info.labels[Labels.configFiles] ?? '';
      if (!info.oneoff) entry.counts.set(info.status, (entry.counts.get(info.status) ?? 0) + 1);
    }
    return [...projects]
      .sort(([a], [b]) => compareText(a, b))
      .map(([name, { counts, configFiles }]) => ({
        name,
        status: [...counts]
          .sort(([a], [b]) => compareText(a, b))
          .map(([status, n]) => `${status}(${n})`)
          .join(', '),
        configFiles,
      }));
  }

  async inspectNetwork(name: string): Promise<NetworkInfo | undefined> {
    const info = await findNetwork(this.docker, name);
    return info ? networkInfo(info) : undefined;
  }

  inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    return findVolume(this.docker, name);
  }

  // ---- networks and volumes --------------------------------------------------------------------

  createNetwork(request: NetworkCreateRequest): Promise<NetworkInfo> {
    return createNetwork(this.docker, request, this.connection.apiVersion);
  }

  removeNetwork(name: string): Promise<void> {
    return removeNetwork(this.docker, name);
  }

  createVolume(request: VolumeCreateRequest): Promise<VolumeInfo> {
    return createVolume(this.docker, request);
  }

  removeVolume(name: string): Promise<void> {
    return removeVolume(this.docker, name);
  }

  // ---- containers ------------------------------------------------------------------------------

  async createContainer(request: ContainerCreateRequest): Promise<ContainerInfo> {
    const inheritedVolumes =
      request.inheritVolumesFrom === undefined
        ? undefined
        : await this.anonymousVolumes(request.inheritVolumesFrom);
    const spec = containerSpec(request, {
      apiVersion: this.connection.apiVersion,
      serviceContainers: await this.serviceContainers(request.project.name),
      hostEnv: this.options.hostEnv ?? process.env,
      ...(inheritedVolumes === undefined ? {} : { inheritedVolumes }),
    });
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer(spec.options);
    } catch (error) {
      throw this.createError(error, request, spec.options.Image ?? '');
    }
    try {
      for (const { network, endpoint } of spec.connect) {
        await this.docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: endpoint });
      }
      if (spec.files.length > 0) await container.putArchive(await fileArchive(spec.files), { path: '/' });
      const info = containerInfoFromInspect(await container.inspect());
      this.names.set(info.id, info.name);
      return { ...info, warnings: spec.warnings };
    } catch (error) {
      // Half-made containers are not left behind.
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw containerError(error, request.name, 'create');
    }
  }

  async startContainer(id: string): Promise<void> {
    await this.act(id, 'start', (c) => c.start(), [304]);
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    // Without a timeout the engine uses the container's StopTimeout (stop_grace_period), as compose does.
    await this.act(
      id,
      'stop',
      (c) => c.stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }),
      [304],
    );
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    // Checked here so that both engines refuse a bad signal in the same words, before any call.
    const name = signal === undefined ? undefined : normalizeSignal(signal);
    await this.act(id, 'kill', (c) => c.kill(name === undefined ? {} : { signal: name }));
  }

  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.act(id, 'restart', (c) =>
      c.restart(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }),
    );
  }

  async pauseContainer(id: string): Promise<void> {
    await this.act(id, 'pause', (c) => c.pause());
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.act(id, 'unpause', (c) => c.unpause());
  }

  async removeContainer(id: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    try {
      await this.docker
        .getContainer(id)
        .remove({ force: options.force === true, v: options.volumes === true });
    } catch (error) {
      // Removal already under way (another `down`): the outcome is the same.
      if (statusOf(error) === 409 && /already in progress/i.test(engineMessage(error))) return;
      const name = await this.nameOf(id);
      if (statusOf(error) === 409 && /running|stop the container/i.test(engineMessage(error))) {
        throw new ComposeError(`container ${name} is running`, {
          hint: 'stop it first, or remove it with force',
          cause: error,
        });
      }
      throw containerError(error, name, 'remove');
    }
    this.names.delete(id);
  }

  async renameContainer(id: string, name: string): Promise<void> {
    try {
      await this.docker.getContainer(id).rename({ name });
    } catch (error) {
      if (statusOf(error) === 409) {
        throw new ComposeError(`container name "${name}" is already in use`, {
          hint: 'remove that container first, or choose another name',
          cause: error,
        });
      }
      throw containerError(error, await this.nameOf(id), 'rename');
    }
    this.names.set(id, name);
  }

  async waitContainer(id: string): Promise<number> {
    try {
      const result = (await this.docker.getContainer(id).wait({ condition: 'not-running' })) as {
        StatusCode?: number;
      };
      return result.StatusCode ?? 0;
    } catch (error) {
      throw containerError(error, await this.nameOf(id), 'wait for');
    }
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    try {
      const info = containerInfoFromInspect(await this.docker.getContainer(id).inspect());
      this.names.set(info.id, info.name);
      return info;
    } catch (error) {
      throw containerError(error, this.names.get(id) ?? id, 'inspect');
    }
  }

  // ---- logs, exec, top, events -----------------------------------------------------------------

  logs(ids: string[], options: LogsOptions): AsyncIterable<LogLine> {
    const opened: OpenedStreams = { closed: false, streams: new Set() };
    return interruptible(
      () => this.logLines(ids, options, opened),
      () => {
        opened.closed = true;
        for (const stream of opened.streams) stream.destroy();
      },
    );
  }

  private async *logLines(
    ids: string[],
    options: LogsOptions,
    opened: OpenedStreams,
  ): AsyncGenerator<LogLine> {
    const since = options.since === undefined ? undefined : timeOption(options.since, 'since');
    const until = options.until === undefined ? undefined : timeOption(options.until, 'until');
    const follow = options.follow === true;
    const sources: ClosableSource<LogLine>[] = [];
    try {
      for (const id of ids) {
        const container = this.docker.getContainer(id);
        let inspect: Dockerode.ContainerInspectInfo;
        try {
          inspect = await container.inspect();
        } catch (error) {
          throw containerError(error, this.names.get(id) ?? id, 'read the logs of');
        }
        const info = containerInfoFromInspect(inspect);
        const request: Dockerode.ContainerLogsOptions = {
          stdout: true,
          stderr: true,
          timestamps: true,
          ...(options.tail === undefined ? {} : { tail: options.tail }),
          ...(since === undefined ? {} : { since }),
          ...(until === undefined ? {} : { until }),
        };
        const response: Buffer | NodeJS.ReadableStream = follow
          ? await container.logs({ ...request, follow: true })
          : await container.logs({ ...request, follow: false });
        if (!Buffer.isBuffer(response)) {
          opened.streams.add(response as Readable);
          // The consumer may have stopped while this stream was being opened.
          if (opened.closed) (response as Readable).destroy();
        }
        sources.push(this.logSource(response, inspect.Config.Tty, info, opened));
      }
    } catch (error) {
      for (const source of sources) source.close();
      throw error;
    }
    yield* follow ? mergeByArrival(sources) : mergeByTime(sources, (line) => line.time);
  }

  private logSource(
    response: Buffer | NodeJS.ReadableStream,
    tty: boolean,
    info: ContainerInfo,
    opened: OpenedStreams,
  ): ClosableSource<LogLine> {
    const stream = Buffer.isBuffer(response) ? undefined : (response as Readable);
    if (stream) this.streams.add(stream);
    const label = (record: LogRecord): LogLine => ({
      container: info.name,
      service: info.service,
      number: info.number,
      ...record,
    });
    let closed = false;
    const records = logRecords(stream ?? (response as Buffer), tty);
    async function* lines(): AsyncGenerator<LogLine> {
      try {
        for await (const record of records) yield label(record);
      } catch (error) {
        // A stream destroyed because the consumer stopped ends quietly.
        if (!closed && !opened.closed) throw error;
      }
    }
    return {
      items: lines(),
      close: () => {
        closed = true;
        if (stream) {
          stream.destroy();
          this.streams.delete(stream);
        }
      },
    };
  }

  async runAttached(id: string, stdio: ExecStdio): Promise<number> {
    try {
      return await runAttachedContainer(this.docker.getContainer(id), stdio);
    } catch (error) {
      throw containerError(error, await this.nameOf(id), 'start');
    }
  }

  async exec(id: string, request: ExecRequest): Promise<ExecResult> {
    return this.runExec(id, request);
  }

  async execAttached(id: string, request: ExecRequest, stdio: ExecStdio): Promise<ExecResult> {
    return this.runExec(id, request, stdio);
  }

  private async runExec(id: string, request: ExecRequest, stdio?: ExecStdio): Promise<ExecResult> {
    try {
      return await runExec(this.docker.getContainer(id), request, stdio);
    } catch (error) {
      throw containerError(error, await this.nameOf(id), 'exec in');
    }
  }

  syncFiles(id: string, changes: readonly FileSync[]): Promise<void> {
    return syncContainerFiles(this.docker.getContainer(id), changes);
  }

  prepareExec(id: string): Promise<ExecPlan> {
    return Promise.reject(
      new ComposeError(
        `the Docker engine runs exec in container ${this.names.get(id) ?? id} through its API`,
        {
          hint: 'use execAttached with the Docker engine; prepareExec is for the in-process engine',
        },
      ),
    );
  }

  async top(id: string): Promise<{ titles: string[]; processes: string[][] }> {
    try {
      const result = (await this.docker.getContainer(id).top()) as {
        Titles?: string[];
        Processes?: string[][];
      };
      return { titles: result.Titles ?? [], processes: result.Processes ?? [] };
    } catch (error) {
      throw containerError(error, await this.nameOf(id), 'list the processes of');
    }
  }

  /**
   * The project's container events. The subscription starts at once, replaying from this moment, so
   * nothing that happens between this call and the first iteration is missed.
   */
  events(filter: { project: string }): AsyncIterable<EngineEvent> {
    const opened = this.docker.getEvents({
      since: Date.now() / 1000,
      filters: { type: ['container'], label: [`${Labels.project}=${filter.project}`] },
    });
    // Nobody may ever iterate: the failure is reported to whoever does.
    opened.catch(() => undefined);
    const streams = this.streams;
    async function* read(): AsyncGenerator<EngineEvent> {
      const stream = (await opened) as Readable;
      streams.add(stream);
      try {
        yield* engineEvents(stream);
      } catch (error) {
        if (!stream.destroyed) throw error;
      } finally {
        stream.destroy();
        streams.delete(stream);
      }
    }
    return interruptible(read, () => {
      opened.then(
        (stream) => (stream as Readable).destroy(),
        () => undefined,
      );
    });
  }

  // ---- images ----------------------------------------------------------------------------------

  prepareImages(request: ImagesRequest, onProgress: (event: ImageProgress) => void): Promise<void> {
    return prepareImages(this.docker, request, onProgress);
  }

  imageIds(references: readonly string[]): Promise<Record<string, string>> {
    return localImageIds(this.docker, references);
  }

  removeImage(name: string): Promise<boolean> {
    return removeImage(this.docker, name);
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Runs one lifecycle call; `ignore` lists statuses meaning "already so" (304 Not Modified). */
  private async act(
    id: string,
    action: string,
    call: (container: Dockerode.Container) => Promise<unknown>,
    ignore: number[] = [],
  ): Promise<void> {
    try {
      await call(this.docker.getContainer(id));
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && ignore.includes(status)) return;
      throw containerError(error, await this.nameOf(id), action);
    }
  }

  /** A container's name for a message: known, else asked for, else its short id. */
  private async nameOf(id: string): Promise<string> {
    const known = this.names.get(id);
    if (known !== undefined) return known;
    try {
      const inspect = await this.docker.getContainer(id).inspect();
      return inspect.Name.replace(/^\//, '');
    } catch {
      return id.length === 64 ? id.slice(0, 12) : id;
    }
  }

  /**
   * The project's replicas by service, lowest number first: what `service:NAME` (network_mode, ipc, pid,
   * volumes_from) and links resolve to. One list call, from the list data alone.
   */
  private async serviceContainers(project: string): Promise<Record<string, string[]>> {
    const summaries = await this.docker.listContainers({
      all: true,
      filters: { label: [`${Labels.project}=${project}`, `${Labels.oneoff}=False`] },
    });
    const out: Record<string, string[]> = {};
    const infos = summaries.map(containerInfoFromSummary).sort((a, b) => a.number - b.number);
    for (const info of infos) (out[info.service] ??= []).push(info.name);
    return out;
  }

  /** Recreate: the old container's anonymous volumes, container path -> volume name. */
  private async anonymousVolumes(id: string): Promise<Record<string, string>> {
    let inspect: Dockerode.ContainerInspectInfo;
    try {
      inspect = await this.docker.getContainer(id).inspect();
    } catch (error) {
      if (statusOf(error) === 404) return {};
      throw containerError(error, this.names.get(id) ?? id, 'inspect');
    }
    const out: Record<string, string> = {};
    for (const mount of inspect.Mounts ?? []) {
      // Docker names anonymous volumes with 64 hex digits; named ones are the project's to mount.
      if (mount.Type === 'volume' && mount.Name !== undefined && /^[0-9a-f]{64}$/.test(mount.Name)) {
        out[mount.Destination] = mount.Name;
      }
    }
    return out;
  }

  private createError(error: unknown, request: ContainerCreateRequest, image: string): ComposeError {
    if (error instanceof LostEngineError) return error;
    const message = engineMessage(error);
    const status = statusOf(error);
    if (status === 409) {
      return new ComposeError(`container name "${request.name}" is already in use`, {
        hint: 'remove that container first (berth down, or docker rm), or choose another container_name',
        cause: error,
      });
    }
    if (status === 404 && /image/i.test(message)) {
      return new ComposeError(
        `service "${request.serviceName}": image ${image} is not present on the engine`,
        {
          hint: 'pull or build it first (berth pull, berth build), or check the image name',
          cause: error,
        },
      );
    }
    return new ComposeError(
      `service "${request.serviceName}": cannot create container ${request.name}: ${message}`,
      {
        hint: 'check the service definition against the engine message',
        cause: error,
      },
    );
  }
}

/** Opens the connection the environment describes (DOCKER_HOST, TLS variables, default socket). */
export async function openDockerEngine(env: Record<string, string | undefined>): Promise<DockerEngine> {
  return new DockerEngine(await connectDocker(env), { hostEnv: env });
}

function timeOption(value: string, name: 'since' | 'until'): string {
  const seconds = unixSeconds(value);
  if (seconds === undefined) {
    throw new ComposeError(`logs: --${name} "${value}" is not a time`, {
      hint: 'give an RFC 3339 time (2024-01-02T15:04:05Z) or a duration such as 10m',
    });
  }
  return seconds;
}

/** `map` over items with at most `limit` calls in flight, results in order. */
async function mapLimited<T, U>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<U>,
): Promise<U[]> {
  const results = new Array<U>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
