import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Pids of live processes whose command line contains `text` (pgrep never lists itself). */
export function processesMatching(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A port nothing listens on right now (the OS's choice on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Fails clearly when a fixed port a test needs (an example's) is taken by something else. */
export async function assertPortFree(port: number, who: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', () => reject(new Error(`port ${port} is taken: ${who} needs it free`)));
    server.listen(port, () => server.close(() => resolve()));
  });
}

/** One row of `berth ps --format json`. */
export interface PsRow {
  ID: string;
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  Publishers: { URL: string; PublishedPort: number; TargetPort: number; Protocol: string }[];
}

/** `ps --format json` output (one object per line), sorted by name. */
export function psRows(text: string): PsRow[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PsRow)
    .sort((a, b) => a.Name.localeCompare(b.Name));
}
