/**
 * SIGKILL of a project's detached supervisor at seeded random moments of `up -d`, `down` and
 * `scale`: no service process survives it (checked by pid, by process group and by the marker in
 * their command lines), the interrupted command fails cleanly or had finished, and the next commands
 * (`ps`, `up -d`, `down`) report and clean the stale state and converge.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  type FaultProject,
  faultProject,
  expectNothingLeft,
  faultSeed,
  hasStackTrace,
  isLive,
  liveProcessesWith,
  membersOf,
  PROJECT,
  seededRandom,
  sleep,
  until,
} from './local-fault-fixture.js';

const COMPOSE = `
services:
  web:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER-web"]
  worker:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER-worker"]
    depends_on: [web]
`;

/** Moments per command in the bounded run (bench/faults.mjs tries many more). */
const MOMENTS = 2;
/** Kills land within this many ms of the command's start: before, during and after its work. */
const LATEST_KILL_MS = 1_500;

type Kind = 'up' | 'down' | 'scale';

interface KillOutcome {
  /** The supervisor was there to kill: its pid. */
  killed: number | undefined;
  exitCode: number;
  stderr: string;
  /** Service processes alive just before the kill: by marker and by the groups the state recorded. */
  before: number[];
}

/** Runs the command, SIGKILLs the supervisor `delayMs` after its start (or as soon as one exists). */
async function killDuring(p: FaultProject, args: string[], delayMs: number): Promise<KillOutcome> {
  const child = p.spawn(args);
  let ended = false;
  void child.finally(() => (ended = true));
  await sleep(delayMs);
  let killed: number | undefined;
  let before: number[] = [];
  for (;;) {
    const pid = await p.supervisorPid();
    if (pid !== undefined) {
      before = [...(await liveProcessesWith(p.marker)), ...(await recordedGroupMembers(p))];
      process.kill(pid, 'SIGKILL');
      killed = pid;
      break;
    }
    if (ended) break;
    await sleep(5);
  }
  const result = await child;
  return { killed, exitCode: result.exitCode ?? -1, stderr: String(result.stderr), before };
}

/** Members of the process groups state.json records as running. */
async function recordedGroupMembers(p: FaultProject): Promise<number[]> {
  const text = await readFile(path.join(p.projectDir, 'state.json'), 'utf8').catch(() => undefined);
  if (!text) return [];
  const state = JSON.parse(text) as { containers: { state: { pgid?: number } }[] };
  const members: number[] = [];
  for (const c of state.containers) if (c.state.pgid) members.push(...(await membersOf(c.state.pgid)));
  return members;
}

/**
 * After a fault: nothing of the project runs — unless the interrupted command, having lost its
 * supervisor before it connected, cleaned up and started a new one itself — and `ps`, `up -d`
 * bring the project back to what the file says.
 */
async function expectRecovery(p: FaultProject, what: string, killedHost: number | undefined): Promise<void> {
  const host = await p.supervisorPid();
  const ps = await p.berth(['ps', '-a', '--format', 'json']);
  expect(ps.exitCode, `ps after ${what}:\n${ps.stderr}`).toBe(0);
  expect(hasStackTrace(ps.stderr), ps.stderr).toBe(false);
  if (host === undefined || host === killedHost) {
    await expectNothingLeft(p, what);
    const rows = ps.stdout.split('\n').filter((l) => l.trim() !== '');
    for (const row of rows) expect(JSON.parse(row)).not.toMatchObject({ State: 'running' });
  }
  const up = await p.berth(['up', '-d']);
  expect(up.exitCode, `up -d after ${what}:\n${up.stderr}`).toBe(0);
  const running = (await p.ps()).filter((r) => r.State === 'running').map((r) => r.Name);
  expect(running, `after ${what}`).toEqual([`${PROJECT}-web-1`, `${PROJECT}-worker-1`]);
}

describe('SIGKILL of the supervisor (in-process engine)', () => {
  it('leaves no service process behind at any moment of up, down and scale, and the next commands recover', async () => {
    const seed = faultSeed();
    const random = seededRandom(seed);
    process.stderr.write(`supervisor-kill faults: seed ${seed} (BERTH_FAULT_SEED=${seed} replays it)\n`);
    const p = await faultProject(COMPOSE);
    const kinds: Kind[] = [];
    for (let i = 0; i < MOMENTS; i++) kinds.push('up', 'down', 'scale');
    let survived = 0;
    let killedCount = 0;
    for (const kind of kinds) {
      const delayMs = Math.floor(random() * LATEST_KILL_MS);
      const what = `a kill ${delayMs} ms into ${kind} (seed ${seed})`;
      if (kind === 'up') {
        expect((await p.berth(['down'])).exitCode).toBe(0);
      } else {
        expect((await p.berth(['up', '-d'])).exitCode).toBe(0);
      }
      const args = kind === 'up' ? ['up', '-d'] : kind === 'down' ? ['down'] : ['scale', 'web=3'];
      const outcome = await killDuring(p, args, delayMs);
      // Finished before the kill, or failed saying why: never a stack trace.
      expect(hasStackTrace(outcome.stderr), `${what}:\n${outcome.stderr}`).toBe(false);
      if (outcome.exitCode !== 0) expect(outcome.stderr, what).toMatch(/^error: /m);
      if (outcome.killed !== undefined) {
        killedCount += 1;
        await until(() => outcome.before.every((pid) => !isLive(pid)), `the replicas to die after ${what}`);
      }
      await expectRecovery(p, what, outcome.killed);
      survived += 1;
    }
    const down = await p.berth(['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    await until(async () => (await p.leftovers()).length === 0, 'nothing left after the last down');
    process.stderr.write(
      `supervisor-kill faults survived: ${survived}/${kinds.length} (${killedCount} kills landed)\n`,
    );
  }, 120_000);
});
