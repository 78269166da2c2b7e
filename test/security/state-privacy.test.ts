/**
 * The state folder and the control socket are private to the user who owns the project: folders
 * 0700, files without group or other bits, the socket 0600; another user (nobody) can neither read
 * the state nor connect; and if the modes were loosened, the supervisor still serves only a client
 * that presents the token only the owner can read.
 */
import { chmod, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { expectCleanFailure } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import {
  asNobody,
  berthAsNobody,
  isRoot,
  type SecurityProject,
  securityProject,
} from './security-project.js';

const defer = cleanupsAfterEach(60_000);

// Running code as another user needs root; CI runs as root, so there the suite never skips.
const describeRoot = isRoot || process.env.CI === 'true' ? describe : describe.skip;
if (!isRoot && process.env.CI !== 'true') {
  process.stderr.write('skipping the state-privacy suite: acting as another user needs root\n');
}

const COMPOSE = `
services:
  web:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    secrets: [token]
    volumes: ["data:/data"]
volumes:
  data: {}
secrets:
  token:
    environment: TOKEN_VALUE
`;

/** Attempts by another user (connections, reads, berth commands), and how many got through. */
const figures = { attempts: 0, allowed: 0 };
afterAll(() => {
  process.stdout.write(
    `figure: state privacy: ${figures.attempts} attempts by another user, ${figures.allowed} allowed\n`,
  );
});

/** Counts an attempt by another user; `allowed` when it got anything. */
function attempt(allowed: boolean): void {
  figures.attempts++;
  if (allowed) figures.allowed++;
}

async function started(options: { stateRootMode?: number } = {}): Promise<SecurityProject> {
  const p = await securityProject({ 'compose.yaml': COMPOSE }, defer, {
    env: { TOKEN_VALUE: 'not-for-others', BERTH_NETWORKING: 'host' },
  });
  if (options.stateRootMode !== undefined) {
    await mkdir(p.state);
    await chmod(p.state, options.stateRootMode);
  }
  const up = await p.berth(['up', '-d']);
  expect(up.exitCode, up.stderr).toBe(0);
  return p;
}

/** Every entry under `dir`: path relative to `root`, type, permission bits, owner. */
async function tree(
  root: string,
  dir = root,
): Promise<{ rel: string; kind: string; mode: number; uid: number }[]> {
  const out: { rel: string; kind: string; mode: number; uid: number }[] = [];
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const info = await lstat(file);
    const kind = info.isDirectory() ? 'dir' : info.isSocket() ? 'socket' : info.isFile() ? 'file' : 'other';
    out.push({ rel: path.relative(root, file), kind, mode: info.mode & 0o7777, uid: info.uid });
    if (info.isDirectory()) out.push(...(await tree(root, file)));
  }
  return out;
}

/** Connects to the socket as nobody; prints the connect error code, or what one request got. */
const CONNECT_AS_NOBODY = `
const [socket, auth] = process.argv.slice(1);
const done = (text) => { console.log(text); process.exit(0); };
const s = require('net').createConnection(socket);
let got = '';
s.setTimeout(5000, () => done('TIMEOUT ' + got));
s.on('error', (e) => done('ERROR ' + e.code + ' ' + got));
s.on('connect', () => {
  if (auth) s.write(JSON.stringify({ auth }) + '\\n');
  s.write(JSON.stringify({ id: 1, method: 'listContainers', params: [{ project: 'sec', all: true }] }) + '\\n');
});
s.on('data', (d) => (got += d));
s.on('close', () => done('CLOSED ' + got));
`;

/** Reads each file (or lists each folder) as nobody; prints `path code` per line (OK when allowed). */
const READ_AS_NOBODY = `
const fs = require('fs');
for (const file of process.argv.slice(1)) {
  try {
    if (fs.statSync(file).isDirectory()) fs.readdirSync(file); else fs.readFileSync(file);
    console.log(file + ' OK');
  } catch (e) { console.log(file + ' ' + e.code); }
}
`;

describeRoot('state folder privacy', () => {
  it('makes every folder 0700 and every file and the socket private to the owner', async () => {
    const p = await started();
    const entries = await tree(p.state);
    const uid = process.getuid!();
    expect((await lstat(p.state)).mode & 0o777).toBe(0o700);
    const dirs = entries.filter((e) => e.kind === 'dir').map((e) => e.rel);
    // The folders berth keeps its own things in (a named volume's data is the services' business).
    for (const rel of ['projects', `projects/${p.name}`, `projects/${p.name}/containers`, 'volumes']) {
      expect(dirs).toContain(rel);
    }
    for (const e of entries) expect(e.uid, e.rel).toBe(uid);
    const ownFolders = entries.filter(
      (e) => e.kind === 'dir' && /^(projects(\/[^/]+(\/containers(\/[^/]+)?)?)?|volumes)$/.test(e.rel),
    );
    expect(ownFolders.length).toBeGreaterThanOrEqual(5);
    for (const e of ownFolders) expect(e.mode.toString(8), e.rel).toBe('700');
    const socket = entries.find((e) => e.kind === 'socket');
    expect(socket?.rel).toBe(`projects/${p.name}/supervisor.sock`);
    expect(socket!.mode.toString(8)).toBe('600');
    for (const e of entries.filter(
      (x) => x.kind === 'file' && path.dirname(x.rel) === `projects/${p.name}`,
    )) {
      expect(e.mode & 0o077, `${e.rel} is ${e.mode.toString(8)}`).toBe(0);
    }
    const token = entries.find((e) => e.rel === `projects/${p.name}/supervisor.sock.token`);
    expect(token?.mode.toString(8)).toBe('600');
    // The secret's copy is the owner's only.
    const secret = entries.find((e) => e.rel.endsWith('/secrets/token'));
    expect(secret?.mode.toString(8)).toBe('400');
  });

  it('keeps another user out: no reading the state, no connecting, no berth command', async () => {
    const p = await started();
    const socket = path.join(p.projectDir, 'supervisor.sock');
    const connect = await asNobody(CONNECT_AS_NOBODY, [socket]);
    attempt(!connect.startsWith('ERROR EACCES'));
    expect(connect).toMatch(/^ERROR EACCES/);
    const read = await asNobody(READ_AS_NOBODY, [
      p.state,
      path.join(p.projectDir, 'state.json'),
      path.join(p.projectDir, 'supervisor.sock.token'),
    ]);
    for (const line of read.split('\n')) attempt(line.endsWith(' OK'));
    expect(read.split('\n').map((line) => line.split(' ')[1])).toEqual(['EACCES', 'EACCES', 'EACCES']);

    for (const args of [['ps'], ['down'], ['logs']]) {
      const run = await berthAsNobody(p, args);
      attempt(run.exitCode === 0);
      expectCleanFailure(run);
      expect(run.stderr).not.toContain('this is a bug');
      expect(run.stderr).toMatch(/permission denied|belongs to another user/);
      expect(run.stdout + run.stderr).not.toContain('not-for-others');
    }
    // Nothing was harmed: the owner still sees the running replica.
    const ps = await p.berth(['ps', '--format', 'json']);
    expect(ps.stdout).toMatch(/"State":"running"/);
  });

  it('refuses another user even when the folder and socket modes were loosened', async () => {
    const p = await started();
    const socket = path.join(p.projectDir, 'supervisor.sock');
    for (const dir of [p.state, path.join(p.state, 'projects'), p.projectDir]) await chmod(dir, 0o755);
    await chmod(socket, 0o666);
    try {
      // The connection opens now, but without the token nothing is answered.
      const bare = await asNobody(CONNECT_AS_NOBODY, [socket]);
      attempt(bare.includes('"id":1'));
      expect(bare).toMatch(/^(CLOSED|ERROR EPIPE|ERROR ECONNRESET)\b/);
      expect(bare).not.toContain('"id":1');
      expect(bare).toContain('no valid control token');
      // A guessed token fares no better, and the token itself can't be read.
      const guessed = await asNobody(CONNECT_AS_NOBODY, [socket, 'a'.repeat(64)]);
      attempt(guessed.includes('"id":1'));
      expect(guessed).toMatch(/^(CLOSED|ERROR EPIPE|ERROR ECONNRESET)\b/);
      expect(guessed).not.toContain('"id":1');
      const read = await asNobody(READ_AS_NOBODY, [`${socket}.token`]);
      expect(read).toBe(`${socket}.token EACCES`);

      const ps = await berthAsNobody(p, ['ps']);
      attempt(ps.exitCode === 0);
      expectCleanFailure(ps);
      expect(ps.stderr).toMatch(/belongs to another user|EACCES|permission denied/);
      const down = await berthAsNobody(p, ['down']);
      attempt(down.exitCode === 0);
      expectCleanFailure(down);

      // The owner is served as before; the token is the owner's proof, not an obstacle.
      const token = await readFile(`${socket}.token`, 'utf8');
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      const owner = await p.berth(['ps', '--format', 'json']);
      expect(owner.exitCode, owner.stderr).toBe(0);
      expect(owner.stdout).toMatch(/"State":"running"/);
    } finally {
      await chmod(socket, 0o600).catch(() => undefined);
    }
  });

  it('keeps its own folders private in a state root the user made readable to others', async () => {
    const p = await started({ stateRootMode: 0o755 });
    // The user's choice for the root stands; what berth keeps in it does not depend on it.
    expect((await lstat(p.state)).mode & 0o777).toBe(0o755);
    for (const dir of ['projects', 'volumes', `projects/${p.name}`]) {
      expect(((await lstat(path.join(p.state, dir))).mode & 0o777).toString(8), dir).toBe('700');
    }
    const read = await asNobody(READ_AS_NOBODY, [
      path.join(p.state, 'projects'),
      path.join(p.state, 'volumes'),
      path.join(p.state, 'volumes', `${p.name}_data`, '_data'),
    ]);
    for (const line of read.split('\n')) attempt(line.endsWith(' OK'));
    expect(read.split('\n').map((line) => line.split(' ')[1])).toEqual(['EACCES', 'EACCES', 'EACCES']);
  });

  it('answers nothing to a connection that sends requests before its token', async () => {
    const p = await started();
    const socket = path.join(p.projectDir, 'supervisor.sock');
    const answer = await new Promise<string>((resolve) => {
      const client = createConnection(socket);
      let got = '';
      client.on('connect', () =>
        client.write(`${JSON.stringify({ id: 1, method: 'shutdown', params: [] })}\n`),
      );
      client.setEncoding('utf8').on('data', (chunk: string) => (got += chunk));
      client.on('close', () => resolve(got));
      client.on('error', () => undefined);
    });
    expect(answer).not.toContain('"id":1');
    // The shutdown was not obeyed.
    const ps = await p.berth(['ps', '--format', 'json']);
    expect(ps.stdout).toMatch(/"State":"running"/);
  });
});
