/**
 * Runs the system tools isolated networking is built on — iproute2's `ip`, util-linux's `nsenter`
 * and friends — without a shell, and turns their failures into errors that name the command.
 */
import { execFile } from 'node:child_process';

export const IP = '/usr/sbin/ip';
export const NSENTER = '/usr/bin/nsenter';

/** A system tool failed; `stderr` holds what it said. */
export class NetworkCommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} failed: ${stderr.trim() || `exit code ${String(exitCode)}`}`);
    this.name = 'NetworkCommandError';
  }
}

export interface RunOptions {
  /** Written to the tool's stdin (for `ip -batch -`). */
  input?: string;
  timeoutMs?: number;
}

/** Runs `file args...`; resolves with its stdout, rejects with a NetworkCommandError. */
export function runTool(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', timeout: options.timeoutMs ?? 10_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === 'number' ? error.code : null;
        const said = stderr || (typeof error.code === 'string' ? error.message : '');
        reject(new NetworkCommandError([file, ...args], code, said));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `ip args...` in the engine's own network namespace. */
export function ip(args: readonly string[], options: RunOptions = {}): Promise<string> {
  return runTool(IP, args, options);
}

/** Several `ip` commands in one process (`ip -batch -`); `-force` carries on past failures when asked. */
export function ipBatch(lines: readonly string[], options: { force?: boolean } = {}): Promise<string> {
  const args = options.force ? ['-force', '-batch', '-'] : ['-batch', '-'];
  return ip(args, { input: `${lines.join('\n')}\n` });
}
