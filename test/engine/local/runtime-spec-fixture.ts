/** A RuntimeSpec for tests: a plain process with no ports, mounts or healthcheck; `extra` overrides. */
import type { RuntimeSpec } from '../../../src/engine/local/types.js';

export function runtimeSpec(argv: string[], extra: Partial<RuntimeSpec> = {}): RuntimeSpec {
  return {
    argv,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: '/',
    stopSignal: 'SIGTERM',
    stopGracePeriodMs: 10_000,
    restart: { policy: 'no' },
    logging: { maxFiles: 1 },
    ports: [],
    mounts: [],
    tty: false,
    stdinOpen: false,
    command: argv.join(' '),
    image: 'test',
    ...extra,
  };
}
