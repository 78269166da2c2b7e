/**
 * `exec` through the Docker Engine API: create an exec instance, start it on a hijacked connection,
 * copy stdin in and stdout/stderr out (demultiplexed unless it has a TTY), and report the exit code from
 * the exec's inspect once its output has ended.
 */
import { type Duplex, Readable } from 'node:stream';

import type Dockerode from 'dockerode';

import type { ExecRequest, ExecResult, ExecStdio } from '../types.js';
import { FrameDemuxer } from './log-stream.js';

/** Runs `request` in the container; output is copied to `stdio` when given, else discarded. */
export async function runExec(
  container: Dockerode.Container,
  request: ExecRequest,
  stdio?: ExecStdio,
): Promise<ExecResult> {
  const detach = request.detach === true;
  const tty = request.tty === true;
  const stdin = detach ? undefined : stdio?.stdin;
  const exec = await container.exec({
    Cmd: request.command,
    Env: Object.entries(request.environment ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(request.workingDir === undefined ? {} : { WorkingDir: request.workingDir }),
    ...(request.user === undefined ? {} : { User: request.user }),
    Tty: tty,
    AttachStdin: stdin !== undefined,
    AttachStdout: !detach,
    AttachStderr: !detach,
  });
  if (detach) {
    // The engine answers a detached start with an empty response; left unread, its socket would keep
    // the caller alive until the command ends.
    const response: unknown = await exec.start({ Detach: true, Tty: tty });
    if (response instanceof Readable) response.destroy();
    return { exitCode: 0 };
  }
  const stream = await exec.start({ hijack: true, stdin: stdin !== undefined, Detach: false, Tty: tty });
  await copyStreams(stream, tty, stdio, stdin);
  return { exitCode: await exitCodeOf(exec) };
}

/** Copies a hijacked stream out to `stdio` (demultiplexed unless TTY) and `stdin` in, until it ends. */
export function copyStreams(
  stream: Duplex,
  tty: boolean,
  stdio: ExecStdio | undefined,
  stdin: NodeJS.ReadableStream | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const demuxer = new FrameDemuxer();
    stream.on('data', (chunk: Buffer) => {
      if (!stdio) return;
      if (tty) {
        stdio.stdout.write(chunk);
        return;
      }
      for (const frame of demuxer.push(chunk)) {
        (frame.stream === 'stderr' ? stdio.stderr : stdio.stdout).write(frame.payload);
      }
    });
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      if (stdin) stdin.unpipe(stream);
      if (error) reject(error);
      else resolve();
    };
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (error: Error) => finish(error));
    // Ending stdin half-closes the connection: the command sees end of input and its output still flows.
    if (stdin) stdin.pipe(stream);
  });
}

/** The exec's exit code; the engine may record it a moment after the output ends. */
async function exitCodeOf(exec: Dockerode.Exec): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (attempt >= 100) return info.ExitCode ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
