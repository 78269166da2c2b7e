import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { newestVersionDeployable } from '../../src/cli/stack-version-probe.js';
import type { CliIO } from '../../src/cli/io.js';

/** Every docker CLI on this machine and the newest stack version its release notes give it. */
const KNOWN: { major: string; newest: string }[] = [
  { major: '20.', newest: '3.9' },
  { major: '28.', newest: '3.13' },
];

function dockerClis(): { file: string; version: string }[] {
  const found: { file: string; version: string }[] = [];
  for (const file of ['/usr/local/bin/docker', '/usr/bin/docker']) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      continue;
    }
    const probe = spawnSync(file, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' });
    found.push({ file, version: probe.stdout.trim() });
  }
  return found;
}

const clis = dockerClis();

describe('the newest stack version a docker CLI deploys', () => {
  it.skipIf(clis.length === 0 && process.env.CI !== 'true')('is asked of each docker CLI here', async () => {
    expect(clis.length, 'no docker CLI: .ci/run installs docker.io').toBeGreaterThan(0);
    const folder = await mkdtemp(path.join(os.tmpdir(), 'berth-probe-'));
    try {
      for (const { file, version } of clis) {
        const io: CliIO = {
          stdout: () => undefined,
          stderr: () => undefined,
          env: { ...process.env, BERTH_DOCKER_CLI: file },
          cwd: folder,
        };
        const newest = await newestVersionDeployable(io, folder);
        const known = KNOWN.find((k) => version.startsWith(k.major));
        if (known !== undefined) expect(newest, `${file} ${version}`).toBe(known.newest);
        else expect(newest, `${file} ${version}`).toMatch(/^3\.\d+$/);
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
