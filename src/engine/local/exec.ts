import { spawn } from 'node:child_process';

import type { ExecPlan, ExecRequest, ExecResult } from '../types.js';
import { mapArgv } from './command-line.js';
import { confinedCommand } from './confined-command.js';
import { mapContainerPath } from './path-mapping.js';
import { signalNumber } from '../signals.js';
import { resolveExecutable } from './replica-process.js';
import type { RuntimeSpec } from './types.js';

/**
 * A command in a replica's environment: its variables (plus the request's), its working directory
 * (or the one asked for, through the replica's mounts), its user and — with isolated networking — its
 * sandbox, with paths in the arguments mapped like the replica's own.
 */
export function planExec(spec: RuntimeSpec, request: ExecRequest, sandboxPid?: number): ExecPlan {
  const env = { ...spec.env, ...request.environment };
  const cwd = request.workingDir ? mapContainerPath(request.workingDir, spec.mounts) : spec.cwd;
  const [command = '', ...args] = mapArgv(request.command, spec.mounts);
  if (sandboxPid === undefined) {
    const plan: ExecPlan = { argv: [command, ...args], env, cwd };
    if (spec.uid !== undefined) plan.uid = spec.uid;
    if (spec.gid !== undefined) plan.gid = spec.gid;
    return plan;
  }
  // nsenter finds the command in the PATH of `env`, inside the sandbox, and drops to the user itself.
  const confined = confinedCommand(command, args, {
    cwd,
    sandboxPid,
    ...(spec.uid === undefined ? {} : { uid: spec.uid }),
    ...(spec.gid === undefined ? {} : { gid: spec.gid }),
  });
  return { argv: [confined.file, ...confined.args], env, cwd };
}

/**
 * Runs an exec plan with the given stdio (the caller's terminal for `berth exec`). A command that
 * cannot be found ends with 127 and one can't run with 126, as in Docker.
 */
export async function runExecPlan(
  plan: ExecPlan,
  options: {
    detach?: boolean;
    stdio?: 'inherit' | 'ignore';
    /** Instead of a terminal: the command's output, chunk by chunk (no stdin). */
    onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  } = {},
): Promise<ExecResult> {
  const found = await resolveExecutable(plan.argv[0] ?? '', plan.env, plan.cwd);
  if (!('path' in found)) {
    if (options.onOutput) options.onOutput('stderr', Buffer.from(`${found.message}\n`));
    else if (options.stdio !== 'ignore') process.stderr.write(`${found.message}\n`);
    return { exitCode: found.exitCode };
  }
  const output = options.onOutput;
  const child = spawn(found.path, plan.argv.slice(1), {
    cwd: plan.cwd,
    env: plan.env,
    stdio: options.detach ? 'ignore' : output ? ['ignore', 'pipe', 'pipe'] : (options.stdio ?? 'inherit'),
    detached: options.detach === true,
    ...(plan.uid === undefined ? {} : { uid: plan.uid }),
    ...(plan.gid === undefined ? {} : { gid: plan.gid }),
  });
  if (options.detach) {
    child.unref();
    return { exitCode: 0 };
  }
  if (output) {
    child.stdout?.on('data', (chunk: Buffer) => output('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => output('stderr', chunk));
  }
  return new Promise((resolve) => {
    child.on('error', () => resolve({ exitCode: 126 }));
    // With pipes: once they are drained too, so that no output is lost.
    child.on(output ? 'close' : 'exit', (code: number | null, signal: NodeJS.Signals | null) =>
      resolve({ exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1) }),
    );
  });
}

/** Inside the engine's host (no terminal of the caller's): output goes to the host's own. */
export function runExec(spec: RuntimeSpec, request: ExecRequest, sandboxPid?: number): Promise<ExecResult> {
  return runExecPlan(planExec(spec, request, sandboxPid), { detach: request.detach === true });
}
