/**
 * An engine that stops answering in the middle of a command (dockerd stopped, killed or restarting)
 * fails every call with a socket error (`connect ECONNREFUSED /var/run/docker.sock`, `socket hang up`)
 * that says nothing to a user, and that each caller would wrap in its own words. Every API call of a
 * connection goes through the modem's `dial`, so it is there that such errors become one ComposeError
 * saying that the engine went away, and how to go on.
 */
import type Dockerode from 'dockerode';

import { ComposeError } from '../../project/errors.js';

/** The engine stopped answering after berth had connected to it. */
export class LostEngineError extends ComposeError {}

/** Socket-level failures: the engine is gone (or going), as opposed to an answer that refuses a call. */
const TRANSPORT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'its socket is gone',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

type DialCallback = (error: unknown, data: unknown) => void;
interface Dialer {
  dial: (options: object, callback?: DialCallback) => unknown;
}

/** Makes every API call of `docker` fail with a LostEngineError naming `address` when the engine is gone. */
export function reportLostEngine(docker: Dockerode, address: string): void {
  const modem = docker.modem as Dialer;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) =>
    dial(
      options,
      callback && ((error, data) => callback(error ? (lostEngine(error, address) ?? error) : error, data)),
    );
}

/** The LostEngineError for a socket-level failure, or undefined for any other error. */
export function lostEngine(error: unknown, address: string): LostEngineError | undefined {
  if (error instanceof LostEngineError) return error;
  if (!(error instanceof Error) || 'statusCode' in error) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  const what = code === undefined ? undefined : TRANSPORT_CODES[code];
  if (what === undefined) return undefined;
  return new LostEngineError(`lost the connection to the Docker engine at ${address}: ${what}`, {
    hint: 'dockerd stopped or is restarting; once it answers again (docker info), run the command again: berth up carries on from what is already there',
    cause: error,
  });
}
