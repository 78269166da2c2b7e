/**
 * Secrets and configs in a replica: secret files are 0400 unless `mode:` asks otherwise (configs keep
 * Compose's 0444), with the `uid`/`gid` asked for; and a secret's or config's content given by
 * `environment:` is never printed — not by `config` (which shows the variable's name), `ps`, `ls`,
 * `logs`, `top`, berth's own log and state, nor any error message.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { expectCleanFailure } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { isRoot, NOBODY, securityProject } from './security-project.js';

const defer = cleanupsAfterEach(60_000);

const SECRET = 'tok-s3cr3t-value-7f1d';
const SETTING = 'settings-s3cr3t-9a2c';
const FILED = 'filed-s3cr3t-c4e8';

const COMPOSE = `
services:
  web:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    secrets:
      - token
      - source: token
        target: shared
        mode: 0440
        uid: "${NOBODY}"
        gid: "${NOBODY}"
      - filed
    configs:
      - source: settings
        target: /etc/settings.conf
      - source: settings
        target: /etc/private.conf
        mode: 0400
secrets:
  token:
    environment: TOKEN_VALUE
  filed:
    file: ./filed.txt
configs:
  settings:
    environment: SETTINGS_VALUE
`;

/** Run in the replica by `exec`: each path (mapped to its host copy) with its mode, owner and length. */
const STAT_FILES = `
const fs = require('fs');
for (const file of process.argv.slice(1)) {
  const s = fs.statSync(file);
  console.log([(s.mode & 0o7777).toString(8), s.uid, s.gid, fs.readFileSync(file).length].join(' '));
}`;

const PATHS = [
  '/run/secrets/token',
  '/run/secrets/shared',
  '/run/secrets/filed',
  '/etc/settings.conf',
  '/etc/private.conf',
];

/** Every file under `dir`, with its text. */
async function texts(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await texts(file)));
    else if (entry.isFile()) out.push({ file, text: await readFile(file, 'utf8') });
  }
  return out;
}

function expectNoSecret(text: string, where: string): void {
  for (const value of [SECRET, SETTING, FILED])
    expect(text, `${where} printed a secret`).not.toContain(value);
}

describe('secret and config files', () => {
  it('get 0400 by default, the mode, uid and gid asked for, and their content', async () => {
    const p = await securityProject({ 'compose.yaml': COMPOSE, 'filed.txt': FILED }, defer, {
      env: { TOKEN_VALUE: SECRET, SETTINGS_VALUE: SETTING },
    });
    const up = await p.berth(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const exec = await p.berth(['exec', '-T', 'web', 'node', '-e', STAT_FILES, ...PATHS]);
    expect(exec.exitCode, exec.stderr).toBe(0);
    const uid = process.getuid!();
    const gid = process.getgid!();
    // Only root can give a file away; elsewhere uid/gid stay the user's.
    const shared = isRoot ? `${NOBODY} ${NOBODY}` : `${uid} ${gid}`;
    expect(exec.stdout.trim().split('\n')).toEqual([
      `400 ${uid} ${gid} ${SECRET.length}`,
      `440 ${shared} ${SECRET.length}`,
      `400 ${uid} ${gid} ${FILED.length}`,
      `444 ${uid} ${gid} ${SETTING.length}`,
      `400 ${uid} ${gid} ${SETTING.length}`,
    ]);
  });

  it('are never printed by config, ps, ls, logs, top, nor kept in berth log or state', async () => {
    const p = await securityProject({ 'compose.yaml': COMPOSE, 'filed.txt': FILED }, defer, {
      env: { TOKEN_VALUE: SECRET, SETTINGS_VALUE: SETTING },
    });
    const config = await p.berth(['config']);
    expect(config.exitCode, config.stderr).toBe(0);
    // The source is shown, by name.
    expect(config.stdout).toMatch(/environment: TOKEN_VALUE/);
    expect(config.stdout).toMatch(/environment: SETTINGS_VALUE/);
    const runs = [config, await p.berth(['config', '--format', 'json']), await p.berth(['up', '-d'])];
    expect(runs[2]!.exitCode, runs[2]!.stderr).toBe(0);
    for (const args of [
      ['ps', '-a'],
      ['ps', '--format', 'json'],
      ['ls', '-a'],
      ['logs'],
      ['top'],
      ['config', '--hash', '*'],
      ['config', '--variables'],
      ['stop', '-t', '1'],
    ]) {
      runs.push(await p.berth(args));
    }
    for (const run of runs) expectNoSecret(run.stdout + run.stderr, 'a command');
    for (const { file, text } of await texts(p.projectDir)) {
      if (/\/(secrets|files)\//.test(file)) continue; // the copies the replica reads
      expectNoSecret(text, file);
    }
  });

  it('are not in error messages, which name the variable or file instead', async () => {
    const p = await securityProject({ 'compose.yaml': COMPOSE, 'filed.txt': FILED }, defer, {
      env: { SETTINGS_VALUE: SETTING },
    });
    // TOKEN_VALUE is not set.
    const unset = await p.berth(['up', '-d']);
    expectCleanFailure(unset);
    expect(unset.stderr).toContain('TOKEN_VALUE');
    expectNoSecret(unset.stdout + unset.stderr, 'up with an unset variable');

    // Two references with one target: the error names the target, not the content.
    const clash = await securityProject(
      {
        'compose.yaml': `
services:
  web:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    secrets:
      - source: token
        target: same
      - source: other
        target: same
secrets:
  token:
    environment: TOKEN_VALUE
  other:
    content: ${FILED}
`,
      },
      defer,
      { name: 'clash', env: { TOKEN_VALUE: SECRET } },
    );
    const run = await clash.berth(['up', '-d']);
    expectCleanFailure(run);
    expectNoSecret(run.stdout + run.stderr, 'up with a target clash');
  });
});
