import { spawn } from 'node:child_process';

import { ComposeError } from '../project/errors.js';
import type { CliIO } from './io.js';

/** The docker CLI `stack deploy` and `stack rm` hand over to: `$BERTH_DOCKER_CLI`, else `docker` on PATH. */
export function dockerCli(io: CliIO): string {
  const chosen = io.env.BERTH_DOCKER_CLI;
  return chosen !== undefined && chosen !== '' ? chosen : 'docker';
}

/**
 * Runs the docker CLI with its output streamed to berth's, and resolves with its exit code. A CLI that
 * cannot be started is a ComposeError saying what to install.
 */
export function runDockerCli(io: CliIO, args: readonly string[], cwd: string): Promise<number> {
  return spawnDockerCli(io, args, cwd, io.stdout, io.stderr);
}

/** Runs the docker CLI quietly: its exit code and everything it printed. */
export async function captureDockerCli(
  io: CliIO,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  let output = '';
  const collect = (text: string): void => {
    output += text;
  };
  const code = await spawnDockerCli(io, args, cwd, collect, collect);
  return { code, output };
}

function spawnDockerCli(
  io: CliIO,
  args: readonly string[],
  cwd: string,
  onStdout: (text: string) => void,
  onStderr: (text: string) => void,
): Promise<number> {
  const command = dockerCli(io);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: io.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', onStdout);
    child.stderr.setEncoding('utf8').on('data', onStderr);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'not found' : error.message;
      reject(
        new ComposeError(`cannot run the docker CLI (${command}): ${why}`, {
          hint: 'Swarm stacks are deployed by the docker CLI: install it (Debian: apt-get install docker.io) or point BERTH_DOCKER_CLI at one',
        }),
      );
    });
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}
