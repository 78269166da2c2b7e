/**
 * RemoteEngine: the Engine of a project's hosting process (a detached supervisor or a foreground
 * `up`), reached over its control socket. Every command other than the one hosting the engine uses
 * this; it behaves like the engine itself, errors included (a ComposeError arrives as one).
 */
import { createConnection, type Socket } from 'node:net';

import { ComposeError } from '../../project/errors.js';
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
import {
  encodeMessage,
  errorFromWire,
  readMessages,
  type CallMethod,
  type ClientMessage,
  type PingResult,
  type StreamMethod,
  type WireError,
} from './control-protocol.js';
import { readControlToken, type AuthMessage } from './control-token.js';

export interface RemoteEngineOptions {
  /** Named in errors. */
  project?: string;
  /** Where the host writes its own errors; named in errors when the connection is lost. */
  logFile?: string;
  /** How long to wait for the connection; default 5 s. */
  connectTimeoutMs?: number;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface StreamSink {
  item(value: unknown): void;
  end(): void;
  fail(error: Error): void;
}

export class RemoteEngine implements Engine {
  readonly kind = 'local' as const;
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, StreamSink>();
  private lost: Error | undefined;
  /** Why the host refused this connection, when it did. */
  private refused: Error | undefined;
  private closing = false;

  private constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
    private readonly options: RemoteEngineOptions,
  ) {
    readMessages(socket, (message) => this.receive(message));
    socket.on('error', () => undefined); // reported through 'close' to every caller
    socket.on('close', () => this.connectionLost());
    this.updateRef();
  }

  /**
   * Connects to a control socket and presents the host's token; rejects with the system error (ENOENT,
   * ECONNREFUSED...) if nobody serves it, or a ComposeError if this user may not read the token.
   */
  static async connect(socketPath: string, options: RemoteEngineOptions = {}): Promise<RemoteEngine> {
    const socket = await RemoteEngine.open(socketPath, options);
    let token: string | undefined;
    try {
      // Read once connected: the host writes its token before it listens, so this one is current.
      token = await readControlToken(socketPath, options.project);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    if (token !== undefined) {
      const auth: AuthMessage = { auth: token };
      socket.write(`${JSON.stringify(auth)}\n`);
    }
    return new RemoteEngine(socket, socketPath, options);
  }

  private static open(socketPath: string, options: RemoteEngineOptions): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const timer = setTimeout(
        () =>
          socket.destroy(
            Object.assign(new Error(`timed out connecting to ${socketPath}`), { code: 'ETIMEDOUT' }),
          ),
        options.connectTimeoutMs ?? 5_000,
      );
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        // Errors after this are reported through 'close' by the RemoteEngine; none may go unheard.
        socket.on('error', () => undefined);
        resolve(socket);
      });
    });
  }

  /** Which process answers, and that it answers at all. */
  ping(): Promise<PingResult> {
    return this.call('ping', []) as Promise<PingResult>;
  }

  /** Asks the host to stop; call it after the project's containers are stopped. */
  async shutdown(): Promise<void> {
    await this.call('shutdown', []);
  }

  listContainers(filter: ProjectFilter): Promise<ContainerInfo[]> {
    return this.call('listContainers', [filter]) as Promise<ContainerInfo[]>;
  }
  listNetworks(project: string): Promise<NetworkInfo[]> {
    return this.call('listNetworks', [project]) as Promise<NetworkInfo[]>;
  }
  listVolumes(project: string): Promise<VolumeInfo[]> {
    return this.call('listVolumes', [project]) as Promise<VolumeInfo[]>;
  }
  listProjects(): Promise<{ name: string; status: string; configFiles: string }[]> {
    return this.call('listProjects', []) as Promise<{ name: string; status: string; configFiles: string }[]>;
  }
  inspectNetwork(name: string): Promise<NetworkInfo | undefined> {
    return this.call('inspectNetwork', [name]) as Promise<NetworkInfo | undefined>;
  }
  inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    return this.call('inspectVolume', [name]) as Promise<VolumeInfo | undefined>;
  }
  createNetwork(request: NetworkCreateRequest): Promise<NetworkInfo> {
    return this.call('createNetwork', [request]) as Promise<NetworkInfo>;
  }
  async removeNetwork(name: string): Promise<void> {
    await this.call('removeNetwork', [name]);
  }
  createVolume(request: VolumeCreateRequest): Promise<VolumeInfo> {
    return this.call('createVolume', [request]) as Promise<VolumeInfo>;
  }
  async removeVolume(name: string): Promise<void> {
    await this.call('removeVolume', [name]);
  }
  createContainer(request: ContainerCreateRequest): Promise<ContainerInfo> {
    return this.call('createContainer', [request]) as Promise<ContainerInfo>;
  }
  async startContainer(id: string): Promise<void> {
    await this.call('startContainer', [id]);
  }
  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.call('stopContainer', [id, timeoutSeconds]);
  }
  async killContainer(id: string, signal?: string): Promise<void> {
    await this.call('killContainer', [id, signal]);
  }
  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.call('restartContainer', [id, timeoutSeconds]);
  }
  async pauseContainer(id: string): Promise<void> {
    await this.call('pauseContainer', [id]);
  }
  async unpauseContainer(id: string): Promise<void> {
    await this.call('unpauseContainer', [id]);
  }
  async removeContainer(id: string, options?: { force?: boolean; volumes?: boolean }): Promise<void> {
    await this.call('removeContainer', [id, options]);
  }
  async renameContainer(id: string, name: string): Promise<void> {
    await this.call('renameContainer', [id, name]);
  }
  waitContainer(id: string): Promise<number> {
    return this.call('waitContainer', [id]) as Promise<number>;
  }
  inspectContainer(id: string): Promise<ContainerInfo> {
    return this.call('inspectContainer', [id]) as Promise<ContainerInfo>;
  }
  exec(id: string, request: ExecRequest): Promise<ExecResult> {
    return this.call('exec', [id, request]) as Promise<ExecResult>;
  }
  prepareExec(id: string, request: ExecRequest): Promise<ExecPlan> {
    return this.call('prepareExec', [id, request]) as Promise<ExecPlan>;
  }
  async syncFiles(id: string, changes: readonly FileSync[]): Promise<void> {
    await this.call('syncFiles', [id, changes]);
  }
  top(id: string): Promise<{ titles: string[]; processes: string[][] }> {
    return this.call('top', [id]) as Promise<{ titles: string[]; processes: string[][] }>;
  }

  logs(ids: string[], options: LogsOptions): AsyncIterable<LogLine> {
    return this.stream<LogLine>('logs', [ids, options]);
  }
  events(filter: { project: string }): AsyncIterable<EngineEvent> {
    return this.stream<EngineEvent>('events', [filter]);
  }

  /** Closes this connection; the remote engine and its containers keep running. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.end();
    // A server that does not close its side promptly must not hold the caller.
    const timer = setTimeout(() => this.socket.destroy(), 1_000);
    await closed;
    clearTimeout(timer);
  }

  private call(method: CallMethod, params: unknown[]): Promise<unknown> {
    if (this.lost) return Promise.reject(this.lost);
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => this.calls.set(id, { resolve, reject }));
    this.send({ id, method, params: trimUndefined(params) });
    this.updateRef();
    return done;
  }

  private stream<T>(method: StreamMethod, params: unknown[]): AsyncIterable<T> {
    return { [Symbol.asyncIterator]: () => this.openStream<T>(method, params) };
  }

  /** Items are queued as they arrive; `return()` (a `break` in for-await) cancels on the server. */
  private openStream<T>(method: StreamMethod, params: unknown[]): AsyncIterator<T> {
    const queue: T[] = [];
    let finished = false;
    let failure: Error | undefined;
    let waiting: { resolve(r: IteratorResult<T>): void; reject(e: Error): void } | undefined;
    const id = this.nextId++;
    const settle = (): void => {
      if (!waiting) return;
      const w = waiting;
      if (queue.length > 0) {
        waiting = undefined;
        w.resolve({ value: queue.shift()!, done: false });
      } else if (failure) {
        waiting = undefined;
        w.reject(failure);
      } else if (finished) {
        waiting = undefined;
        w.resolve({ value: undefined, done: true });
      }
    };
    const stop = (): void => {
      finished = true;
      this.streams.delete(id);
      this.updateRef();
    };
    if (this.lost) {
      failure = this.lost;
      finished = true;
    } else {
      this.streams.set(id, {
        item: (value) => {
          queue.push(value as T);
          settle();
        },
        end: () => {
          stop();
          settle();
        },
        fail: (error) => {
          failure = error;
          stop();
          settle();
        },
      });
      this.send({ id, method, params: trimUndefined(params) });
      this.updateRef();
    }
    return {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (failure) return Promise.reject(failure);
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          waiting = { resolve, reject };
        });
      },
      return: () => {
        if (!finished) {
          stop();
          if (!this.lost) this.send({ id, cancel: true });
        }
        queue.length = 0;
        failure = undefined;
        settle();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private send(message: ClientMessage): void {
    if (this.socket.writable) this.socket.write(encodeMessage(message));
  }

  private receive(message: Record<string, unknown>): void {
    const id = message.id;
    if (typeof id !== 'number') return;
    const error = message.error as WireError | undefined;
    if (id === 0 && error) {
      this.refused = errorFromWire(error);
      return;
    }
    const stream = this.streams.get(id);
    if (stream) {
      if (error) stream.fail(errorFromWire(error));
      else if (message.end === true) stream.end();
      else if ('item' in message) stream.item(message.item);
      return;
    }
    const call = this.calls.get(id);
    if (!call) return; // an answer to a cancelled stream
    this.calls.delete(id);
    this.updateRef();
    if (error) call.reject(errorFromWire(error));
    else call.resolve(message.result);
  }

  private connectionLost(): void {
    const project = this.options.project ? ` of project "${this.options.project}"` : '';
    this.lost = this.refused
      ? this.refused
      : this.closing
        ? new ComposeError(`the connection to the berth supervisor${project} was closed`)
        : new ComposeError(`lost the connection to the berth supervisor${project} (${this.socketPath})`, {
            hint: this.options.logFile
              ? `it may have stopped; see ${this.options.logFile}`
              : 'it may have stopped',
          });
    for (const call of this.calls.values()) call.reject(this.lost);
    this.calls.clear();
    for (const stream of [...this.streams.values()]) stream.fail(this.lost);
    this.streams.clear();
  }

  /** An idle connection does not keep the process alive; one with answers outstanding does. */
  private updateRef(): void {
    if (this.calls.size > 0 || this.streams.size > 0) this.socket.ref();
    else this.socket.unref();
  }
}

/** `f(a, undefined)` and `f(a)` are the same call; do not send the trailing `null`s JSON would make. */
function trimUndefined(params: unknown[]): unknown[] {
  let end = params.length;
  while (end > 0 && params[end - 1] === undefined) end--;
  return params.slice(0, end);
}
