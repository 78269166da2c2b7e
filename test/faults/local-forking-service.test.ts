/**
 * Services that fork children: one that starts background children and exits, one that keeps
 * them until `down`; then the same with a daemon that double-forks and calls setsid. Once the
 * service's main process has exited (or on `down`), its whole process group and session are gone,
 * and so is the daemon it started.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { afterTest, faultProject, isLive, membersOf, PROJECT, until } from './local-fault-fixture.js';

// `$$$$` and `$$!` are the shell's `$$` and `$!` once compose has unescaped them.
const CHILDREN = `
services:
  quitter:
    image: local
    command:
      - sh
      - -c
      - |
        echo $$$$ > PIDS/quitter-main
        sleep 1000 & echo $$! > PIDS/quitter-a
        sleep 1001 & echo $$! > PIDS/quitter-b
        sleep 0.3
        exit 0
      - MARKER-quitter
  keeper:
    image: local
    command:
      - sh
      - -c
      - |
        echo $$$$ > PIDS/keeper-main
        sleep 1003 & echo $$! > PIDS/keeper-a
        wait
      - MARKER-keeper
`;

// The daemon leaves the service's group and session: only a cgroup (root, cgroup v2) holds it.
const DAEMONS = `
services:
  quitter:
    image: local
    command:
      - sh
      - -c
      - |
        echo $$$$ > PIDS/quitter-main
        setsid -f sh -c 'echo $$$$ > PIDS/quitter-a; exec sleep 1002'
        sleep 0.3
        exit 0
      - MARKER-quitter
  keeper:
    image: local
    command:
      - sh
      - -c
      - |
        echo $$$$ > PIDS/keeper-main
        setsid -f sh -c 'echo $$$$ > PIDS/keeper-a; exec sleep 1004'
        exec sleep 1005
      - MARKER-keeper
`;

const cgroupsUsable = existsSync('/sys/fs/cgroup') && process.getuid?.() === 0;
if (!cgroupsUsable && process.env.CI !== 'true') {
  process.stderr.write('skipping the setsid-daemon case: only root can give each replica a cgroup\n');
}

async function pidIn(dir: string, name: string): Promise<number> {
  let text = '';
  await until(async () => {
    text = await readFile(path.join(dir, name), 'utf8').catch(() => '');
    return text.trim() !== '';
  }, `${name} to be written`);
  return Number(text.trim());
}

async function expectGone(pids: number[], groups: number[], what: string): Promise<void> {
  await until(async () => {
    if (pids.some(isLive)) return false;
    for (const group of groups) if ((await membersOf(group)).length > 0) return false;
    return true;
  }, what);
}

/** Starts the project, checks the quitter left nothing once exited and the keeper nothing on down. */
async function expectNothingOutlives(compose: string): Promise<void> {
  const pids = await mkdtemp(path.join(tmpdir(), 'berth-fork-pids-'));
  afterTest(() => rm(pids, { recursive: true, force: true }));
  const p = await faultProject(compose.replaceAll('PIDS', pids));
  const up = await p.berth(['up', '-d']);
  expect(up.exitCode, up.stderr).toBe(0);

  const quitter = await pidIn(pids, 'quitter-main');
  const quitterChildren = [await pidIn(pids, 'quitter-a')];
  if (compose.includes('quitter-b')) quitterChildren.push(await pidIn(pids, 'quitter-b'));
  await until(
    async () => (await p.ps()).some((r) => r.Service === 'quitter' && r.State === 'exited'),
    'quitter to exit',
  );
  // Its main process led its own session and group: both must be empty, its children gone.
  await expectGone([quitter, ...quitterChildren], [quitter], 'the exited service to leave nothing');

  const keeper = await pidIn(pids, 'keeper-main');
  const keeperChildren = [await pidIn(pids, 'keeper-a')];
  expect([keeper, ...keeperChildren].every(isLive), 'the keeper and its children run').toBe(true);
  const rows = await p.ps();
  expect(rows.map((r) => `${r.Name} ${r.State}`)).toEqual([
    `${PROJECT}-keeper-1 running`,
    `${PROJECT}-quitter-1 exited`,
  ]);

  const down = await p.berth(['down']);
  expect(down.exitCode, down.stderr).toBe(0);
  await expectGone([keeper, ...keeperChildren], [keeper], 'down to leave nothing of the keeper');
  await until(async () => (await p.leftovers()).length === 0, 'nothing left after down');
}

describe('a service that forks (in-process engine)', () => {
  it('leaves no process of its group or session once it exits, or on down', async () => {
    await expectNothingOutlives(CHILDREN);
  }, 60_000);

  it.skipIf(!cgroupsUsable && process.env.CI !== 'true')(
    'leaves no double-forked setsid daemon once it exits, or on down',
    async () => {
      await expectNothingOutlives(DAEMONS);
    },
    60_000,
  );
});
