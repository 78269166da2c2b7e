/**
 * A service that ignores SIGTERM: `stop` and `down` wait for its stop_grace_period, then kill it
 * (the whole group: the children inherit the ignored signal), and its exit (137) is reported. No
 * timing is asserted beyond "it is gone, and not before the grace period was over".
 */
import { describe, expect, it } from 'vitest';

import { faultProject, isLive, liveProcessesWith, PROJECT, until } from './local-fault-fixture.js';

const GRACE_MS = 2_000;
const COMPOSE = `
services:
  stubborn:
    image: local
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.2; done", "MARKER"]
    stop_grace_period: 2s
`;

describe('a service that ignores SIGTERM (in-process engine)', () => {
  it('is killed by stop and by down after its grace period, and its exit is reported', async () => {
    const p = await faultProject(COMPOSE);
    for (const command of ['stop', 'down'] as const) {
      const up = await p.berth(['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      await until(async () => (await liveProcessesWith(p.marker)).length > 0, 'the service to run');
      const pids = await liveProcessesWith(p.marker);

      const started = Date.now();
      const run = await p.berth([command]);
      const took = Date.now() - started;
      expect(run.exitCode, run.stderr).toBe(0);
      expect(pids.some(isLive), `${command} returned with the service alive`).toBe(false);
      expect(await liveProcessesWith(p.marker)).toEqual([]);
      // Killed only once the grace period was over: the stop signal alone could not end it.
      expect(took, `${command} took ${took} ms`).toBeGreaterThanOrEqual(GRACE_MS);
      process.stderr.write(`stop grace: ${command} of a SIGTERM-ignoring service took ${took} ms\n`);

      if (command === 'stop') {
        const rows = await p.ps();
        expect(rows.map((r) => [r.Name, r.State, r.ExitCode])).toEqual([
          [`${PROJECT}-stubborn-1`, 'exited', 137],
        ]);
      } else {
        expect(run.stderr).toMatch(/Removed/);
        expect(await p.ps()).toEqual([]);
      }
    }
    await until(async () => (await p.leftovers()).length === 0, 'nothing left after down');
  }, 60_000);
});
