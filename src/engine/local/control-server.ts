/**
 * Serves an Engine over a unix socket (see control-protocol.ts), so that every berth command of a
 * project reaches the one process that hosts its engine. Privacy: the socket is made 0600 inside the
 * project's 0700 state folder, and a connection is served only once it presented the token only the
 * owner can read (see control-token.ts): Node offers no way to read the peer's uid.
 */
import { chmod, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

import { ComposeError } from '../../project/errors.js';
import type { Engine } from '../types.js';
import {
  encodeMessage,
  errorToWire,
  isCallMethod,
  isStreamMethod,
  paramsFromWire,
  PROTOCOL_VERSION,
  readMessages,
  type CallMethod,
  type PingResult,
  type ServerMessage,
  type StreamMethod,
} from './control-protocol.js';
import { removeControlToken, tokenMatches, writeControlToken } from './control-token.js';

export interface ControlServer {
  readonly socketPath: string;
  /** Stops accepting, ends every stream and connection, removes the socket file. */
  close(): Promise<void>;
}

export interface ServeEngineOptions {
  /** The project this engine hosts, reported by `ping`. */
  project?: string;
  /** Called once `shutdown` has been answered; the host then stops (containers were stopped by the caller). */
  onShutdown?: () => void;
}

export async function serveEngine(
  engine: Engine,
  socketPath: string,
  options: ServeEngineOptions = {},
): Promise<ControlServer> {
  await removeDeadSocket(socketPath, options.project);
  // Written before the socket listens: whoever can connect can already read the current token.
  const token = await writeControlToken(socketPath);
  const startedAt = new Date().toISOString();
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, engine, token, {
      ping: () => ({
        protocol: PROTOCOL_VERSION,
        pid: process.pid,
        kind: engine.kind,
        project: options.project,
        startedAt,
      }),
      shutdown: () => setImmediate(() => options.onShutdown?.()),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await removeControlToken(socketPath);
    throw error;
  });
  // Errors of the listening server after start (rare: the fd is already bound) must not crash the host.
  server.on('error', () => undefined);
  await chmod(socketPath, 0o600);
  return { socketPath, close: () => closeServer(server, connections, socketPath) };
}

/** A socket file nobody answers on is left by a host that died; one somebody answers on is in use. */
async function removeDeadSocket(socketPath: string, project: string | undefined): Promise<void> {
  const answered = await new Promise<boolean | 'missing'>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? 'missing' : false),
    );
  });
  if (answered === true) {
    throw new ComposeError(
      `another process already serves${project ? ` project "${project}"` : ''} on ${socketPath}`,
      { hint: 'use that one, or stop it first (`berth down`)' },
    );
  }
  if (answered === false) await unlink(socketPath).catch(() => undefined);
}

async function closeServer(server: Server, connections: Set<Socket>, socketPath: string): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of connections) socket.destroy();
  await closed;
  await unlink(socketPath).catch(() => undefined);
  await removeControlToken(socketPath);
}

interface HostMethods {
  ping(): PingResult;
  shutdown(): void;
}

function serveConnection(socket: Socket, engine: Engine, token: string, host: HostMethods): void {
  const streams = new Map<number, () => void>();
  const send = (message: ServerMessage): boolean =>
    socket.writable ? socket.write(encodeMessage(message)) : false;
  socket.on('error', () => undefined); // a client that goes away mid-answer is normal
  socket.on('close', () => {
    for (const cancel of streams.values()) cancel();
    streams.clear();
  });
  let authenticated = false;
  readMessages(socket, (message) => {
    if (!authenticated) {
      // The first message must be the token; anything else gets a refusal and the connection ends.
      if (tokenMatches(message.auth, token)) {
        authenticated = true;
        return;
      }
      send({ id: 0, error: errorToWire(notAuthorized()) });
      socket.destroySoon();
      return;
    }
    const id = message.id;
    if (typeof id !== 'number') return;
    if (message.cancel === true) {
      streams.get(id)?.();
      return;
    }
    const method = message.method;
    const params = paramsFromWire(message.params);
    if (typeof method === 'string' && isCallMethod(method)) {
      void answerCall(engine, host, method, params).then(
        (result) => send({ id, result }),
        (error: unknown) => send({ id, error: errorToWire(error) }),
      );
    } else if (typeof method === 'string' && isStreamMethod(method)) {
      void runStream(socket, send, streams, id, () => openStream(engine, method, params));
    } else {
      send({ id, error: errorToWire(new Error(`control socket: unknown method ${JSON.stringify(method)}`)) });
    }
  });
}

function notAuthorized(): ComposeError {
  return new ComposeError('the berth supervisor refused the connection: no valid control token', {
    hint: 'only the user who started the project can control it',
  });
}

async function answerCall(
  engine: Engine,
  host: HostMethods,
  method: CallMethod,
  params: unknown[],
): Promise<unknown> {
  if (method === 'ping') return host.ping();
  if (method === 'shutdown') return host.shutdown();
  // The method name was checked against the Engine's own list; its arguments come from our client.
  const call = engine[method] as (...args: unknown[]) => Promise<unknown>;
  return call.apply(engine, params);
}

function openStream(engine: Engine, method: StreamMethod, params: unknown[]): AsyncIterable<unknown> {
  if (method === 'logs')
    return engine.logs(params[0] as string[], (params[1] ?? {}) as Parameters<Engine['logs']>[1]);
  return engine.events(params[0] as Parameters<Engine['events']>[0]);
}

/**
 * Sends a stream's items while the client reads them (a full socket buffer pauses the engine's
 * iterator). A cancel or a closed connection ends the stream at once: the client gets `end` and the
 * iterator is asked to return, without waiting for an item that may never come.
 */
async function runStream(
  socket: Socket,
  send: (message: ServerMessage) => boolean,
  streams: Map<number, () => void>,
  id: number,
  open: () => AsyncIterable<unknown>,
): Promise<void> {
  let iterator: AsyncIterator<unknown>;
  try {
    iterator = open()[Symbol.asyncIterator]();
  } catch (error) {
    send({ id, error: errorToWire(error) });
    return;
  }
  let cancelled = false;
  streams.set(id, () => {
    if (cancelled) return;
    cancelled = true;
    send({ id, end: true });
    void iterator.return?.()?.catch(() => undefined);
  });
  try {
    for (;;) {
      const next = await iterator.next();
      if (cancelled) return;
      if (next.done) break;
      if (!send({ id, item: next.value })) await writable(socket);
      if (cancelled) return;
    }
    send({ id, end: true });
  } catch (error) {
    if (!cancelled) send({ id, error: errorToWire(error) });
  } finally {
    cancelled = true;
    streams.delete(id);
  }
}

function writable(socket: Socket): Promise<void> {
  if (!socket.writable) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
