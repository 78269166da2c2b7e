/**
 * The control socket's protocol: newline-delimited JSON. A request `{id, method, params}` is answered
 * by `{id, result}` or `{id, error}`; a streaming request (`logs`, `events`) by `{id, item}` messages
 * until `{id, end: true}` (or `{id, error}`); the client stops a stream with `{id, cancel: true}`.
 * `params` are the Engine method's arguments in order.
 */
import type { Socket } from 'node:net';

import { ComposeError, ComposeErrors } from '../../project/errors.js';
import { RESOURCE_IN_USE, ResourceInUseError } from '../resource-in-use.js';
import type { KeyPath } from '../../project/key-path.js';
import type { Location } from '../../project/source-map.js';
import type { Engine } from '../types.js';

export const PROTOCOL_VERSION = 1;

export type StreamMethod = 'logs' | 'events';
/** Engine methods answered once, plus the supervisor's own. */
/** Methods only engines that run images have (Docker): the in-process engine never serves them. */
type ImageEngineMethod = 'execAttached' | 'runAttached' | 'prepareImages' | 'imageIds' | 'removeImage';
export type CallMethod =
  Exclude<keyof Engine, 'kind' | 'close' | StreamMethod | ImageEngineMethod> | 'ping' | 'shutdown';

/** Listed as a record so that a method added to Engine and not here fails to compile. */
const callMethods: Record<CallMethod, true> = {
  listContainers: true,
  listNetworks: true,
  listVolumes: true,
  listProjects: true,
  inspectNetwork: true,
  inspectVolume: true,
  createNetwork: true,
  removeNetwork: true,
  createVolume: true,
  removeVolume: true,
  createContainer: true,
  startContainer: true,
  stopContainer: true,
  killContainer: true,
  restartContainer: true,
  pauseContainer: true,
  unpauseContainer: true,
  removeContainer: true,
  renameContainer: true,
  waitContainer: true,
  inspectContainer: true,
  exec: true,
  prepareExec: true,
  syncFiles: true,
  top: true,
  ping: true,
  shutdown: true,
};

export function isCallMethod(method: string): method is CallMethod {
  return Object.hasOwn(callMethods, method);
}

export function isStreamMethod(method: string): method is StreamMethod {
  return method === 'logs' || method === 'events';
}

/** What `ping` answers: enough to tell which process serves the socket. */
export interface PingResult {
  protocol: number;
  pid: number;
  kind: Engine['kind'];
  project?: string;
  startedAt: string;
}

export interface RequestMessage {
  id: number;
  method: string;
  params: unknown[];
}
export interface CancelMessage {
  id: number;
  cancel: true;
}
export type ClientMessage = RequestMessage | CancelMessage;

export type ServerMessage =
  | { id: number; result?: unknown }
  | { id: number; error: WireError }
  | { id: number; item: unknown }
  | { id: number; end: true };

/** An error as it crosses the socket; a ComposeError keeps everything needed to rebuild it. */
export interface WireError {
  name: string;
  message: string;
  problem?: string;
  hint?: string;
  keyPath?: KeyPath;
  location?: Location;
  /** errno-style code (`ENOENT`) of a system error. */
  code?: string;
  /** The parts of a ComposeErrors. */
  errors?: WireError[];
}

export function errorToWire(error: unknown): WireError {
  if (error instanceof ComposeErrors) {
    return { name: error.name, message: error.message, errors: error.errors.map(errorToWire) };
  }
  if (error instanceof ComposeError) {
    const wire: WireError = { name: error.name, message: error.message, problem: error.problem };
    if (error.hint !== undefined) wire.hint = error.hint;
    if (error.keyPath !== undefined) wire.keyPath = error.keyPath;
    if (error.location !== undefined) wire.location = error.location;
    if (error instanceof ResourceInUseError) wire.code = RESOURCE_IN_USE;
    return wire;
  }
  if (error instanceof Error) {
    const wire: WireError = { name: error.name, message: error.message };
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') wire.code = code;
    return wire;
  }
  return { name: 'Error', message: String(error) };
}

/** The same error on this side of the socket: a ComposeError renders the same message. */
export function errorFromWire(wire: WireError): Error {
  if (wire.errors) return new ComposeErrors(wire.errors.map((e) => composeErrorFromWire(e)));
  if (wire.name === 'ComposeError' && wire.problem !== undefined) return composeErrorFromWire(wire);
  const error: Error & { code?: string } = new Error(wire.message);
  if (wire.name !== 'Error') error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

function composeErrorFromWire(wire: WireError): ComposeError {
  if (wire.problem === undefined) return new ComposeError(wire.message);
  if (wire.code === RESOURCE_IN_USE) return new ResourceInUseError(wire.problem);
  return new ComposeError(wire.problem, {
    hint: wire.hint,
    keyPath: wire.keyPath,
    location: wire.location,
  });
}

export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** A line longer than this is not something berth sends: the peer is broken or hostile. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Calls `onMessage` with each JSON object read from the socket. A line that is not JSON, or is too
 * long, destroys the connection with an error: the peer is not speaking this protocol.
 */
export function readMessages(socket: Socket, onMessage: (message: Record<string, unknown>) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() === '') continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        socket.destroy(new Error('control socket: received a line that is not JSON'));
        return;
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        socket.destroy(new Error('control socket: received a message that is not a JSON object'));
        return;
      }
      onMessage(message as Record<string, unknown>);
      if (socket.destroyed) return;
    }
    if (buffered.length > MAX_LINE_BYTES) socket.destroy(new Error('control socket: message too long'));
  });
}

/** JSON turns an `undefined` argument into `null`; Engine methods never take null, so undo it. */
export function paramsFromWire(params: unknown): unknown[] {
  if (!Array.isArray(params)) return [];
  return params.map((p: unknown) => (p === null ? undefined : p));
}
