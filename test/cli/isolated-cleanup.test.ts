/**
 * Isolated networking through the real CLI: the lifetime of what berth makes on the host (bridges,
 * veth pairs, namespace holders) — gone after `down` and after a SIGKILLed supervisor — and the
 * networking mode, as `berth version` reports it and as a project keeps it.
 */
import { tmpdir } from 'node:os';

import { expect, it } from 'vitest';

import { describeIsolated } from '../support/isolation.js';
import { expectCleanFailure, runBerth } from './helpers.js';
import {
  count,
  isHolder,
  isolatedProject,
  linkNames,
  netnsList,
  poll,
  TEST_TIMEOUT_MS,
} from './isolated-project.js';

describeIsolated('isolated networking: clean-up and mode (CLI)', () => {
  it(
    'nothing berth made is left after down, nor after its supervisor is SIGKILLed',
    async () => {
      const netnsBefore = await netnsList();
      const p = await isolatedProject(
        { a: { networks: ['one', 'two'] }, b: { networks: ['two'], scale: 2 } },
        { networks: { one: {}, two: {} } },
      );
      await p.up();
      const made = p.snapshot();
      expect(made.bridges).toHaveLength(2);
      expect(made.veths).toHaveLength(4);
      expect(made.holders).toHaveLength(3);
      const links = await linkNames();
      expect(links).toEqual(expect.arrayContaining([...made.bridges, ...made.veths]));
      expect(made.holders.filter(isHolder)).toHaveLength(3);

      const down = await p.berth(['down', '-t', '1']);
      expect(down.exitCode, down.stderr).toBe(0);
      await poll(async () => count(await p.leftovers()) === 0, 'bridges, veths and holders to go after down');
      expect(await netnsList()).toBe(netnsBefore);

      // Again, and this time the supervisor dies without a word: its watchdog removes what it made.
      await p.up();
      expect(p.snapshot().holders.filter(isHolder)).toHaveLength(3);
      const supervisor = p.supervisorPid();
      expect(supervisor).toBeGreaterThan(1);
      process.kill(supervisor, 'SIGKILL');
      await poll(
        async () => count(await p.leftovers()) === 0,
        'bridges, veths and holders to go after the supervisor was killed',
      );
      expect(await netnsList()).toBe(netnsBefore);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'berth version says which networking is used and why',
    async () => {
      // Here (root on Linux with the tools) isolated is what berth detects.
      const detected = await runBerth(['version'], { cwd: tmpdir() });
      expect(detected.exitCode, detected.stderr).toBe(0);
      expect(detected.stdout).toMatch(/^networking: isolated \(.+\)$/m);
      const asked = await runBerth(['version'], { cwd: tmpdir(), env: { BERTH_NETWORKING: 'isolated' } });
      expect(asked.stdout).toMatch(/^networking: isolated \(asked for .+\)$/m);
      const host = await runBerth(['--networking', 'host', 'version'], { cwd: tmpdir() });
      expect(host.stdout).toMatch(/^networking: host \(asked for .+\)$/m);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '--networking host on a project created isolated is refused once its supervisor is gone',
    async () => {
      const p = await isolatedProject({ web: {} });
      await p.up();
      process.kill(p.supervisorPid(), 'SIGKILL');
      await poll(async () => count(await p.leftovers()) === 0, 'the watchdog to clean up');
      const forced = await p.berth(['--networking', 'host', 'up', '-d']);
      expectCleanFailure(forced);
      expect(forced.stderr).toContain('created with isolated networking');
    },
    TEST_TIMEOUT_MS,
  );

  // A running supervisor must not be reused as it is when another mode is forced.
  it(
    '--networking host on a project created isolated is refused while its supervisor runs',
    async () => {
      const p = await isolatedProject({ web: {} });
      await p.up();
      const forced = await p.berth(['--networking', 'host', 'up', '-d']);
      expectCleanFailure(forced);
      expect(forced.stderr).toContain('created with isolated networking');
    },
    TEST_TIMEOUT_MS,
  );
});
