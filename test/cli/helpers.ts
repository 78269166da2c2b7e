import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const berthBin = path.join(repoRoot, 'bin', 'berth.js');

export interface BerthRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (the built dist/) as a child process with only the given environment. */
export async function runBerth(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<BerthRun> {
  const result = await execa(process.execPath, ['--', berthBin, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd, ...options.env },
    extendEnv: false,
    reject: false,
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 20_000,
    stripFinalNewline: false,
  });
  if (result.timedOut) throw new Error(`berth ${args.join(' ')} timed out`);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A temporary folder with the given files; remove it with the returned function. */
export async function tempProject(files: Record<string, string | Uint8Array>): Promise<{
  dir: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-test-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A user-facing failure: non-zero exit, an `error:` line, and no stack trace. */
export function expectCleanFailure(run: BerthRun): void {
  if (run.exitCode === 0) throw new Error(`expected failure, got exit 0\n${run.stdout}`);
  if (!/^error: /m.test(run.stderr)) throw new Error(`no error line in stderr:\n${run.stderr}`);
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(run.stderr)) throw new Error(`stack trace in stderr:\n${run.stderr}`);
}
