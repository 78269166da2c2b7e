/**
 * The engine's streamed answers (`/images/create`, `/build`): newline-delimited JSON messages with
 * progress, output and, at the end, possibly an error. The request succeeds at the HTTP level even
 * when the pull or build fails, so errors are read from the stream.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

import type Dockerode from 'dockerode';

/** The engine's JSONMessage. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: unknown;
}

export interface StreamRequest {
  path: string;
  query: Record<string, string | number | boolean | string[]>;
  /** The request body (a tar for /build). */
  body?: NodeJS.ReadableStream;
  /** Sent base64-encoded in X-Registry-Auth. */
  auth?: object;
  signal?: AbortSignal;
}

/** POSTs to the engine and resolves with the streamed answer; rejects on HTTP errors. */
export function engineStream(docker: Dockerode, request: StreamRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `${request.path}?`,
        method: 'POST',
        options: { _query: request.query },
        isStream: true,
        ...(request.body === undefined ? { allowEmpty: true } : { file: request.body }),
        ...(request.auth === undefined ? {} : { authconfig: request.auth }),
        ...(request.signal === undefined ? {} : { abortSignal: request.signal }),
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'not found', 500: 'server error' },
      },
      (error, result) => {
        if (error !== null) reject(error);
        else if (result instanceof Readable) resolve(result as IncomingMessage);
        else reject(new Error('the engine answered without a stream'));
      },
    );
  });
}

/** The messages of a stream, one by one, as they arrive. */
export async function* jsonMessages(stream: NodeJS.ReadableStream): AsyncGenerator<JsonMessage> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') yield parse(line);
      newline = buffered.indexOf('\n');
    }
  }
  if (buffered.trim() !== '') yield parse(buffered.trim());
}

function parse(line: string): JsonMessage {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as JsonMessage) : { stream: line };
  } catch {
    // Not JSON (a proxy's or an old engine's plain text): keep it as output.
    return { stream: line };
  }
}
