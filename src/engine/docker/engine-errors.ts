/**
 * Errors of the Docker Engine API (as dockerode raises them) turned into what users see: a ComposeError
 * naming the container or resource, the engine's own message, and a hint.
 */
import { ComposeError } from '../../project/errors.js';

/** The HTTP status of a failed API call, when it was one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's message (its JSON `message`), without dockerode's `(HTTP code 409) unexpected - ` prefix. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null) {
      const message = (json as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return message.trim();
    }
    if (Buffer.isBuffer(json) || typeof json === 'string') {
      const text = String(json).trim();
      const parsed = parseMessage(text);
      if (parsed !== '') return parsed;
    }
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT') return `the Docker engine is not reachable (${code})`;
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

function parseMessage(text: string): string {
  try {
    const value = JSON.parse(text) as { message?: unknown };
    return typeof value.message === 'string' ? value.message.trim() : text;
  } catch {
    return text;
  }
}

/** A failed operation on a container, with hints for what users most often hit. */
export function containerError(error: unknown, container: string, action: string): ComposeError {
  if (error instanceof ComposeError) return error;
  const message = engineMessage(error);
  const status = statusOf(error);
  if (status === 404 && /no such container/i.test(message)) {
    return new ComposeError(`no such container: ${container}`, { cause: error });
  }
  const port = portInUse(message);
  if (port !== undefined) {
    return new ComposeError(`cannot ${action} container ${container}: port already in use: ${port}`, {
      hint: 'stop what listens on that port, or publish the service on another host port',
      cause: error,
    });
  }
  if (/is not running/i.test(message)) {
    return new ComposeError(`container ${container} is not running`, {
      hint: 'start it first (berth start)',
      cause: error,
    });
  }
  if (/is paused/i.test(message)) {
    return new ComposeError(`cannot ${action} container ${container}: it is paused`, {
      hint: 'unpause it first (berth unpause)',
      cause: error,
    });
  }
  if (/is not paused/i.test(message)) {
    return new ComposeError(`container ${container} is not paused`, { cause: error });
  }
  return new ComposeError(`cannot ${action} container ${container}: ${message}`, { cause: error });
}

/**
 * Which address a start could not bind, from the engine's wording (`Bind for 0.0.0.0:8080 failed: port
 * is already allocated`, `listen tcp4 0.0.0.0:8080: bind: address already in use`).
 */
function portInUse(message: string): string | undefined {
  const allocated = /Bind for (\S+?) failed: port is already allocated/.exec(message);
  if (allocated) return allocated[1];
  const listen = /listen (?:tcp|udp|sctp)[46]? (\S+?): bind: address already in use/.exec(message);
  if (listen) return listen[1];
  return undefined;
}
