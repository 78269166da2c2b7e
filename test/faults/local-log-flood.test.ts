/**
 * A service that writes logs as fast as it can (`yes`): its log files rotate and stay within
 * max-size × max-file, the supervisor's memory stops growing (VmRSS sampled for ~10 s and printed),
 * and `logs` still answers while the flood goes on.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { faultProject, PROJECT, rssKiB, sleep, until } from './local-fault-fixture.js';

const MAX_SIZE = 1024 * 1024;
const MAX_FILES = 3;
const COMPOSE = `
services:
  flood:
    image: local
    command: ["yes", "MARKER flooding the log as fast as it can"]
    logging:
      driver: json-file
      options:
        max-size: 1m
        max-file: "${MAX_FILES}"
`;
/** One JSON entry at most: a file is rotated between entries, so it may pass max-size by one. */
const ENTRY_SLACK = 64 * 1024;
const SAMPLES = 10;
const WARM_UP_SAMPLES = 2;

/** Every log file of every container of the project, with its size. */
async function logFiles(projectDir: string): Promise<{ file: string; size: number }[]> {
  const containers = path.join(projectDir, 'containers');
  const found: { file: string; size: number }[] = [];
  for (const id of await readdir(containers).catch(() => [])) {
    for (const name of await readdir(path.join(containers, id)).catch(() => [])) {
      if (!/-json\.log(\.\d+)?$/.test(name)) continue;
      const file = path.join(containers, id, name);
      const size = await stat(file).then(
        (s) => s.size,
        () => undefined,
      );
      if (size !== undefined) found.push({ file: name, size });
    }
  }
  return found;
}

describe('a service flooding its log (in-process engine)', () => {
  it('rotates the log within its limits, keeps the supervisor bounded, and logs still answers', async () => {
    const p = await faultProject(COMPOSE);
    const up = await p.berth(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const supervisor = await p.supervisorPid();
    expect(supervisor, 'the supervisor').toBeDefined();

    // Rotation happened at least once (several MiB written), then sample the supervisor.
    await until(async () => (await logFiles(p.projectDir)).length >= 2, 'the log to rotate');
    const samples: number[] = [];
    let largest = 0;
    for (let i = 0; i < SAMPLES; i++) {
      await sleep(1_000);
      const rss = await rssKiB(supervisor!);
      expect(rss, 'the supervisor is alive').toBeDefined();
      samples.push(rss!);
      const files = await logFiles(p.projectDir);
      expect(files.length, files.map((f) => f.file).join(' ')).toBeLessThanOrEqual(MAX_FILES);
      for (const f of files) largest = Math.max(largest, f.size);
    }
    process.stderr.write(
      `log flood: supervisor VmRSS samples (KiB, 1 s apart): ${samples.join(' ')}; largest log file ${largest} bytes\n`,
    );
    expect(largest).toBeLessThanOrEqual(MAX_SIZE + ENTRY_SLACK);
    // Bounded: after warm-up it stops growing (the last sample is not twice the warmed-up one).
    expect(samples.at(-1)!).toBeLessThan(2 * samples[WARM_UP_SAMPLES - 1]!);

    const logs = await p.berth(['logs', '--tail', '5', 'flood']);
    expect(logs.exitCode, logs.stderr).toBe(0);
    const lines = logs.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toContain(`${p.marker} flooding`);
    expect((await p.ps()).map((r) => `${r.Name} ${r.State}`)).toEqual([`${PROJECT}-flood-1 running`]);

    const down = await p.berth(['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    await until(async () => (await p.leftovers()).length === 0, 'nothing left after down');
  }, 60_000);
});
