#!/usr/bin/env node
// bench/watch: how long `berth watch` on the in-process engine takes from a file write to the new
// behaviour being served over HTTP, p50 and p95 over EDITS edits, for two rules:
// - restart: a Node.js server answering with the version it read at start up from a bind-mounted
//   ./app/version.json; a `restart` rule on ./app;
// - sync: a Node.js server reading ./www/index.html under its working_dir /srv (the replica's private
//   folder, not a bind mount) on every request; a `sync` rule from ./www to /srv/www, initial_sync on.
// The peer, measured in the same run, is the floor of each action done by hand without berth: on an
// fs.watch event the bench itself kills and respawns the same server, or copies the same file.
// Each edit is timed from just before writeFile to the first answer carrying the new content, found by
// polling the published port (no keep-alive, ~2 ms apart). Rows for host networking, and for isolated
// networking where it is available (Linux as root). An edit not served within 15 s fails its row.
// Usage: node bench/watch.mjs [--edits N] [--networking host|isolated|both] [--pause-ms N]
// (default: 30 edits, both modes as root, 600 ms). Run `npm run build` first.
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { parseArgs } from 'node:util';

import { freePorts, tableLines } from './support.mjs';

const WARM_UP = 3;
// Pause after an edit was observed, so that each edit is a batch of its own. berth's feedback guard takes
// a file changed within 500 ms after each of three actions in a row for a service's own writes coming
// back (a loop), as a person does not save that fast: edits here are spaced further apart than that, the
// floors' alike.
const POLL_MS = 2;
const MAX_PENDING = 64; // requests waiting at once while polling
const ATTEMPT_MS = 100; // a request unanswered this long is dropped (a lost SYN)
const EDIT_TIMEOUT_MS = 15_000;
const GOALS = { restart: 300, sync: 100 }; // p50 goals of issue 6, ms
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(root, 'bin', 'berth.js');

const { values: options } = parseArgs({
  options: {
    edits: { type: 'string', default: '30' },
    networking: { type: 'string' },
    'pause-ms': { type: 'string', default: '600' },
  },
});
const EDITS = Number(options.edits);
if (!Number.isInteger(EDITS) || EDITS < 1)
  fail(`--edits must be a whole number above 0, not "${options.edits}"`);
const PAUSE_MS = Number(options['pause-ms']);
if (!Number.isInteger(PAUSE_MS) || PAUSE_MS < 0)
  fail(`--pause-ms must be a whole number, not "${options['pause-ms']}"`);
const isRoot = process.getuid?.() === 0;
const asked = options.networking ?? (isRoot ? 'both' : 'host');
if (!['host', 'isolated', 'both'].includes(asked)) {
  fail(`--networking must be host, isolated or both, not "${options.networking}"`);
}
const MODES = asked === 'both' ? ['host', 'isolated'] : [asked];
if (!existsSync(path.join(root, 'dist', 'cli', 'main.js')))
  fail('dist/ is missing; run "npm run build" first');

function fail(message) {
  console.error(`bench/watch: ${message}`);
  process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'berth-bench-watch-'));
const children = new Set(); // every child process still alive: killed at the end whatever happens
const projects = new Map(); // berth projects that may be up (dir -> env): brought down at the end
const watchers = new Set(); // fs.watch handles of the peers

// The restart server reads its version once; the sync server reads its page on every request.
const RESTART_SERVER = [
  "const { version } = require('./version.json');",
  "require('node:http').createServer((q, s) => s.end(version)).listen(Number(process.env.PORT));",
  '',
].join('\n');
const SYNC_SERVER =
  "const fs = require('node:fs'); require('node:http').createServer((q, s) => " +
  "fs.readFile('www/index.html', (e, b) => { s.statusCode = e ? 404 : 200; s.end(e ? '' : b); }))" +
  '.listen(Number(process.env.PORT));';

const versionJson = (version) => `${JSON.stringify({ version })}\n`;
const page = (n) => `<p>edit ${n} ${Math.random().toString(36).slice(2)}</p>\n`;

/** The files both sides start from: ./app (restart) and ./www (sync) under `dir`. */
function writeSources(dir) {
  mkdirSync(path.join(dir, 'app'), { recursive: true });
  mkdirSync(path.join(dir, 'www'), { recursive: true });
  // No package.json above /tmp is expected, but a "type": "module" one would break require().
  writeFileSync(path.join(dir, 'app', 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(path.join(dir, 'app', 'server.js'), RESTART_SERVER);
  writeFileSync(path.join(dir, 'app', 'version.json'), versionJson('start'));
  writeFileSync(path.join(dir, 'www', 'index.html'), '<p>start</p>\n');
}

function composeFile(name, ports) {
  const q = JSON.stringify;
  return `name: ${name}
services:
  web:
    image: node:20-alpine
    command: ["node", "server.js"]
    working_dir: /app
    environment:
      PORT: "${ports.webContainer}"
    ports:
      - "127.0.0.1:${ports.web}:${ports.webContainer}"
    volumes:
      - ./app:/app
    develop:
      watch:
        - action: restart
          path: ./app
  static:
    image: node:20-alpine
    command: ["node", "-e", ${q(SYNC_SERVER)}]
    working_dir: /srv
    environment:
      PORT: "${ports.staticContainer}"
    ports:
      - "127.0.0.1:${ports.static}:${ports.staticContainer}"
    develop:
      watch:
        - action: sync
          path: ./www
          target: /srv/www
          initial_sync: true
`;
}

/** One GET without keep-alive: the request, and its body (undefined when the server did not answer). */
function get(port) {
  let req;
  const body = new Promise((resolve) => {
    req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
  return { req, body };
}

/**
 * Polls until the answer is `expected`; returns when it first was (performance.now()). A new request
 * starts every POLL_MS, and one left unanswered for ATTEMPT_MS is dropped: with isolated networking a
 * connection attempted while the replica's network namespace is made again loses its SYN and would wait
 * for the kernel's retry (1 s), long after a fresh request would have been answered.
 */
function pollUntil(port, expected, what) {
  const deadline = performance.now() + EDIT_TIMEOUT_MS;
  const pending = new Set();
  let last;
  let timer;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (settle) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const req of pending) req.destroy();
      settle();
    };
    const attempt = () => {
      if (done) return;
      if (performance.now() > deadline) {
        const message = `${what}: no answer ${JSON.stringify(expected)} within ${EDIT_TIMEOUT_MS} ms`;
        finish(() => reject(new Error(`${message} (last: ${JSON.stringify(last)})`)));
        return;
      }
      if (pending.size < MAX_PENDING) {
        const { req, body } = get(port);
        pending.add(req);
        const giveUp = setTimeout(() => req.destroy(), ATTEMPT_MS);
        void body.then((text) => {
          clearTimeout(giveUp);
          pending.delete(req);
          const now = performance.now();
          if (text !== undefined) last = text;
          if (text === expected) finish(() => resolve(now));
        });
      }
      timer = setTimeout(attempt, POLL_MS);
    };
    attempt();
  });
}

/**
 * The edit loop: WARM_UP + EDITS writes of `file`, each timed from just before writeFile to the first
 * answer on `port` carrying the new content. Returns the EDITS latencies in ms.
 */
async function measure(label, file, port, contentOf, answerOf, pauseMs) {
  const samples = [];
  for (let i = 0; i < WARM_UP + EDITS; i++) {
    const content = contentOf(i);
    const t0 = performance.now();
    await writeFile(file, content);
    const t1 = await pollUntil(port, answerOf(content), `${label}, edit ${i + 1}`);
    if (i >= WARM_UP) samples.push(t1 - t0);
    await sleep(pauseMs);
  }
  process.stderr.write('.');
  return samples;
}

const restartEdit = (tag) => (i) => versionJson(`${tag}-${i}-${Math.random().toString(36).slice(2)}`);
const restartAnswer = (content) => JSON.parse(content).version;
const syncEdit = () => (i) => page(i);
const syncAnswer = (content) => content;

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

/** Ends a child with `signal`, and with SIGKILL if it is still there after `ms`. */
async function stop(child, signal, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited(child);
  clearTimeout(timer);
}

/** The floor of a restart: on any fs.watch event in ./app, kill the server and start it again. */
async function floorRestart(dir, port) {
  const app = path.join(dir, 'app');
  const start = () =>
    track(
      spawn(process.execPath, ['server.js'], {
        cwd: app,
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      }),
    );
  let server = start();
  let restarting = false;
  let again = false;
  const restart = async () => {
    if (restarting) {
      again = true;
      return;
    }
    restarting = true;
    do {
      again = false;
      await stop(server, 'SIGTERM', 5000);
      server = start();
    } while (again);
    restarting = false;
  };
  const watcher = watch(app, () => void restart());
  watchers.add(watcher);
  try {
    await pollUntil(port, 'start', 'floor restart, first start');
    return await measure(
      'floor restart',
      path.join(app, 'version.json'),
      port,
      restartEdit('floor'),
      restartAnswer,
      PAUSE_MS,
    );
  } finally {
    watcher.close();
    watchers.delete(watcher);
    while (restarting) await sleep(10);
    await stop(server, 'SIGTERM', 5000);
  }
}

/** The floor of a sync: on any fs.watch event in ./www, copy the file into the served folder. */
async function floorSync(dir, port) {
  const source = path.join(dir, 'www');
  const served = path.join(dir, 'srv', 'www');
  await mkdir(served, { recursive: true });
  await copyFile(path.join(source, 'index.html'), path.join(served, 'index.html'));
  const server = track(
    spawn(process.execPath, ['-e', SYNC_SERVER], {
      cwd: path.join(dir, 'srv'),
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    }),
  );
  const watcher = watch(source, (_event, name) => {
    if (name) void copyFile(path.join(source, name), path.join(served, name)).catch(() => {});
  });
  watchers.add(watcher);
  try {
    await pollUntil(port, '<p>start</p>\n', 'floor sync, first start');
    return await measure(
      'floor sync',
      path.join(source, 'index.html'),
      port,
      syncEdit(),
      syncAnswer,
      PAUSE_MS,
    );
  } finally {
    watcher.close();
    watchers.delete(watcher);
    await stop(server, 'SIGTERM', 5000);
  }
}

function berthEnv(dir, mode) {
  return { ...process.env, BERTH_STATE_DIR: path.join(dir, 'state'), BERTH_NETWORKING: mode, NO_COLOR: '1' };
}

function berthDown(dir, env) {
  spawnSync(process.execPath, [berthBin, '--progress', 'quiet', 'down', '-v'], {
    cwd: dir,
    env,
    stdio: 'ignore',
    timeout: 120_000,
  });
}

/** `berth watch` (which brings the project up first) as a child; resolves once it is watching. */
async function startWatch(dir, env) {
  const child = track(
    spawn(process.execPath, [berthBin, '--progress', 'quiet', 'watch'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  const log = [];
  let buffer = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('berth watch did not start watching within 120 s')),
      120_000,
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        log.push(line);
        if (line.startsWith('[watch] Watch enabled')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`berth watch exited (${signal ?? code}) before watching:\n${[...log, buffer].join('\n')}`),
      );
    });
  });
  await ready;
  return { child, log };
}

/** The latencies of one loop, or why it stopped (an edit that was never served is a result too). */
async function row(loop) {
  try {
    return { samples: await loop() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One networking mode: a project with both services under `berth watch`, the restart then the sync
 * edits. Throws only when berth watch does not start.
 */
async function runBerth(mode, ports) {
  const dir = path.join(work, `berth-${mode}`);
  writeSources(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), composeFile(`watchbench-${mode}`, ports));
  const env = berthEnv(dir, mode);
  projects.set(dir, env);
  let watcher;
  try {
    watcher = await startWatch(dir, env);
    const { log } = watcher;
    const withLog = (result) =>
      result.error
        ? { error: `${result.error}\n    last lines of berth watch:\n    ${log.slice(-8).join('\n    ')}` }
        : result;
    const restart = withLog(
      await row(async () => {
        await pollUntil(ports.web, 'start', `restart (${mode}), first start`);
        const file = path.join(dir, 'app', 'version.json');
        return measure(`restart (${mode})`, file, ports.web, restartEdit(mode), restartAnswer, PAUSE_MS);
      }),
    );
    const sync = withLog(
      await row(async () => {
        await pollUntil(ports.static, '<p>start</p>\n', `sync (${mode}), initial sync`);
        const file = path.join(dir, 'www', 'index.html');
        return measure(`sync (${mode})`, file, ports.static, syncEdit(), syncAnswer, PAUSE_MS);
      }),
    );
    const count = (prefix) => log.filter((l) => l.startsWith(prefix)).length;
    return {
      restart,
      sync,
      restarts: count('[watch] Restarted service "web"'),
      syncs: count('[watch] Synced'),
      notes: log.filter((l) => l.startsWith('[watch] error') || l.startsWith('[watch] WARN')),
    };
  } finally {
    if (watcher) await stop(watcher.child, 'SIGINT', 15_000);
    berthDown(dir, env);
    projects.delete(dir);
  }
}

/** Nearest-rank percentile. */
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (x) => x.toFixed(1);

async function main() {
  const [floorRestartPort, floorSyncPort, ...more] = await freePorts(2 + 4 * MODES.length);
  process.stderr.write(`bench/watch: ${EDITS} edits per row (+${WARM_UP} warm-up) `);
  const peerDir = path.join(work, 'peer');
  writeSources(peerDir);
  const floor = {
    restart: await floorRestart(peerDir, floorRestartPort),
    sync: await floorSync(peerDir, floorSyncPort),
  };

  const results = [];
  for (const [i, mode] of MODES.entries()) {
    const [web, webContainer, stat, staticContainer] = more.slice(4 * i, 4 * i + 4);
    const ports = { web, webContainer, static: stat, staticContainer };
    try {
      results.push({ mode, ...(await runBerth(mode, ports)) });
    } catch (error) {
      // Isolated networking may be missing here (no root, no iproute2): a note, unless it was asked for.
      if (mode !== 'isolated' || asked === 'isolated') throw error;
      results.push({ mode, skipped: error instanceof Error ? error.message : String(error) });
    }
  }
  process.stderr.write('\n');

  const rows = [];
  const goalLines = [];
  const failures = [];
  const figures = (xs) => [
    ms(percentile(xs, 50)),
    ms(percentile(xs, 95)),
    ms(Math.min(...xs)),
    ms(Math.max(...xs)),
  ];
  for (const action of ['restart', 'sync']) {
    const floorP50 = percentile(floor[action], 50);
    for (const r of results) {
      const who = `berth (${r.mode})`;
      if (r.skipped) {
        rows.push([action, who, 'skipped', '', '', '', '']);
        continue;
      }
      const { samples, error } = r[action];
      if (error) {
        rows.push([action, who, 'failed', '', '', '', '']);
        goalLines.push(`  ${action} (${r.mode}): NOT met (an edit was not served, see below)`);
        failures.push(`${action} (${r.mode}): ${error}`);
        continue;
      }
      const p50 = percentile(samples, 50);
      rows.push([action, who, ...figures(samples), (p50 / floorP50).toFixed(2)]);
      const met = p50 < GOALS[action] ? 'met' : 'NOT met';
      goalLines.push(`  ${action} (${r.mode}): p50 ${ms(p50)} ms, goal < ${GOALS[action]} ms: ${met}`);
    }
    const peer = action === 'restart' ? 'floor: kill + spawn on fs.watch' : 'floor: copy on fs.watch';
    rows.push([action, peer, ...figures(floor[action]), '1.00']);
  }

  const header = ['action', 'who', 'p50 ms', 'p95 ms', 'min ms', 'max ms', 'p50 / floor'];
  console.log(
    `berth watch (in-process engine): ${EDITS} edits per row after ${WARM_UP} warm-up edits; the next edit ` +
      `${PAUSE_MS} ms after the previous one was served (the floors alike); ` +
      'latency = file write to first HTTP answer with the new content',
  );
  for (const text of tableLines(header, rows)) console.log(text);
  console.log('goals (issue 6):');
  for (const l of goalLines) console.log(l);
  for (const r of results) {
    if (r.skipped) {
      console.log(`isolated networking skipped: ${r.skipped}`);
      continue;
    }
    console.log(`berth (${r.mode}): "Restarted" reported ${r.restarts} times and "Synced" ${r.syncs} times`);
    for (const l of r.notes) console.log(`  ${l}`);
  }
  for (const f of failures) console.log(`failed: ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}

let cleaned = false;
/** Kills what is left, brings down what may be up, removes the temp folder (with the state folders in it). */
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const w of watchers) w.close();
  for (const child of children) child.kill('SIGKILL');
  for (const [dir, env] of projects) berthDown(dir, env);
  rmSync(work, { recursive: true, force: true });
}

process.once('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

try {
  await main();
} catch (error) {
  console.error(`bench/watch failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
