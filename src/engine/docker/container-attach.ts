/**
 * `run` without -d on the Docker engine: attach to the created one-off's streams before it starts
 * (so nothing it prints is missed and berth's stdin reaches it), start it, copy until it ends, and
 * report its exit code.
 */
import type { Duplex } from 'node:stream';

import type Dockerode from 'dockerode';

import type { ExecStdio } from '../types.js';
import { copyStreams } from './exec-session.js';

export async function runAttachedContainer(
  container: Dockerode.Container,
  stdio: ExecStdio,
): Promise<number> {
  const info = await container.inspect();
  const stdin = info.Config.OpenStdin ? stdio.stdin : undefined;
  // With hijack the engine hands over the connection itself: a duplex socket.
  const stream = (await container.attach({
    stream: true,
    stdin: stdin !== undefined,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as unknown as Duplex;
  const copied = copyStreams(stream, info.Config.Tty, stdio, stdin);
  try {
    await container.start();
  } catch (error) {
    stream.destroy();
    throw error;
  }
  await copied;
  const result = (await container.wait()) as { StatusCode: number };
  return result.StatusCode;
}
