/**
 * The command of a sync+exec rule, run in one replica with its output handed back line by line: through
 * the engine's API where it runs commands elsewhere (Docker), else from the in-process engine's exec plan,
 * spawned here (the replica's environment, working directory, user and sandbox).
 */
import { PassThrough } from 'node:stream';

import { runExecPlan } from '../engine/local/exec.js';
import type { Engine, ExecRequest } from '../engine/types.js';
import type { WatchExec } from './types.js';

export type OutputLine = (stream: 'stdout' | 'stderr', text: string) => void;

export async function execInContainer(
  engine: Engine,
  id: string,
  exec: WatchExec,
  onLine: OutputLine,
): Promise<number> {
  const request: ExecRequest = { command: exec.command };
  if (exec.environment) request.environment = exec.environment;
  if (exec.workingDir) request.workingDir = exec.workingDir;
  if (exec.user) request.user = exec.user;
  const stdout = new LineSplitter((text) => onLine('stdout', text));
  const stderr = new LineSplitter((text) => onLine('stderr', text));
  try {
    if (engine.execAttached) {
      const out = new PassThrough().on('data', (chunk: Buffer) => stdout.push(chunk));
      const err = new PassThrough().on('data', (chunk: Buffer) => stderr.push(chunk));
      return (await engine.execAttached(id, request, { stdout: out, stderr: err })).exitCode;
    }
    const plan = await engine.prepareExec(id, request);
    const result = await runExecPlan(plan, {
      onOutput: (stream, chunk) => (stream === 'stdout' ? stdout : stderr).push(chunk),
    });
    return result.exitCode;
  } finally {
    stdout.end();
    stderr.end();
  }
}

/** Chunks to lines; a last line without its newline is given at the end. */
class LineSplitter {
  private rest = '';
  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    const lines = (this.rest + chunk.toString('utf8')).split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  end(): void {
    if (this.rest !== '') this.emit(this.rest);
    this.rest = '';
  }
}
