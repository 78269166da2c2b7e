/**
 * The docker CLI that can check stack files: `docker stack config` exists from CLI 20.10 on, but Debian's
 * docker.io 20.10 build lacks it, so every `docker` on PATH is asked in turn. Suites that need it run where
 * one exists and always in CI (a missing one fails there instead of skipping).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

import { describe } from 'vitest';

export interface StackCli {
  /** Absolute path of a docker CLI with `stack config`, or null. */
  path: string | null;
  /** Why there is none, for the skip message. */
  reason: string;
}

function candidates(): string[] {
  const seen = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, 'docker');
    try {
      accessSync(file, constants.X_OK);
      seen.add(file);
    } catch {
      // not here
    }
  }
  return [...seen];
}

function detect(): StackCli {
  const found = candidates();
  if (found.length === 0) return { path: null, reason: 'no docker CLI on PATH' };
  for (const file of found) {
    const probe = spawnSync(file, ['stack', 'config', '--help'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return { path: file, reason: '' };
  }
  return { path: null, reason: `no docker CLI on PATH has \`stack config\` (tried ${found.join(', ')})` };
}

export const stackCli = detect();

const runs = stackCli.path !== null || process.env.CI === 'true';
let told = false;

/** `describe` for a suite that checks files with the real `docker stack config`. */
export function describeStackCli(name: string, body: () => void): void {
  if (!runs && !told) {
    told = true;
    process.stderr.write(`skipping docker stack config suites: ${stackCli.reason}\n`);
  }
  (runs ? describe : describe.skip)(name, body);
}

export interface StackConfigResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker stack config -c FILE` in `cwd`. Throws in CI when there is no usable CLI. */
export function runStackConfig(file: string, cwd: string = path.dirname(file)): StackConfigResult {
  if (stackCli.path === null) throw new Error(`cannot run docker stack config: ${stackCli.reason}`);
  const result = spawnSync(stackCli.path, ['stack', 'config', '-c', file], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The docker CLI for commands any version has (`stack deploy`, `service ls`): the one with stack config. */
export function dockerCliPath(): string {
  return stackCli.path ?? execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
}
