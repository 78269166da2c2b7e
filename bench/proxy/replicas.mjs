// bench/proxy part 2 (Linux, root): berth itself. The server of part 1 as a replica in isolated mode,
// reached at its own address (direct) and through its published port (the proxy in berth's
// supervisor); and the time `up -d --wait` takes to start 50 replicas of one service in isolated
// mode against host mode. Every project started is brought down, and its folder removed, whatever
// happens.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { best, compare, median, run, table } from './measure.mjs';

import { tableLines } from '../support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const berthBin = path.join(root, 'bin', 'berth.js');
const SCALE = Number(process.env.BENCH_SCALE ?? 50);
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these
const q = JSON.stringify;

const started = new Map(); // project folder -> { stateDir, mode }, brought down at the end
const folders = new Set();

/** A fresh project folder with its compose file and state folder. */
function project(prefix, compose) {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-bench-${prefix}-`));
  folders.add(dir);
  const stateDir = path.join(dir, 'state');
  mkdirSync(stateDir);
  writeFileSync(path.join(dir, 'compose.yaml'), compose);
  return { dir, stateDir };
}

async function berth({ dir, stateDir }, mode, args) {
  const t0 = performance.now();
  const stdout = await run(process.execPath, [berthBin, '--progress', 'quiet', ...args], {
    cwd: dir,
    env: { ...process.env, BERTH_STATE_DIR: stateDir, BERTH_NETWORKING: mode, NO_COLOR: '1' },
  });
  return { ms: performance.now() - t0, stdout };
}

async function up(p, mode) {
  started.set(p.dir, { ...p, mode });
  return (await berth(p, mode, ['up', '-d', '--wait', '--wait-timeout', '300'])).ms;
}

async function down(p, mode) {
  const { ms } = await berth(p, mode, ['down', '-v']);
  started.delete(p.dir);
  return ms;
}

const healthcheck = (script) => [
  '    healthcheck:',
  `      test: [${['CMD', 'node', '-e', script].map(q).join(', ')}]`,
  '      interval: 30s',
  '      timeout: 5s',
  '      start_period: 120s',
  '      start_interval: 200ms',
];
const fetchExit = (url) => `fetch(${url}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;

/** Part 2a: one replica serving on 8080 (HTTP) and 8081 (bulk), both published on loopback. */
async function replicaPart({ runs, bulkBytes, progress }) {
  const name = `bthbench${randomBytes(4).toString('hex')}`;
  const compose = [
    `name: ${name}`,
    'services:',
    '  web:',
    '    image: node:20-alpine',
    `    command: [${['node', path.join(here, 'server.mjs')].map(q).join(', ')}]`,
    '    environment:',
    '      PORT: "8080"',
    '      BULK_PORT: "8081"',
    '    ports:',
    '      - "127.0.0.1::8080"',
    '      - "127.0.0.1::8081"',
    ...healthcheck(fetchExit(q('http://127.0.0.1:8080/'))),
    '',
  ].join('\n');
  const p = project('replica', compose);
  await up(p, 'isolated');
  const hostPort = async (port) => {
    const { stdout } = await berth(p, 'isolated', ['port', 'web', String(port)]);
    return Number(/:(\d+)\s*$/.exec(stdout.trim())?.[1]);
  };
  // The replica's address, as the replica itself sees it (its interface on the project network).
  const script =
    "const all = Object.values(require('node:os').networkInterfaces()).flat();" +
    "console.log(all.find((a) => a.family === 'IPv4' && !a.internal).address)";
  const { stdout } = await berth(p, 'isolated', ['exec', '-T', 'web', 'node', '-e', script]);
  const address = stdout.trim();
  const supervisor = Number(
    readFileSync(path.join(p.stateDir, 'projects', name, 'supervisor.pid'), 'utf8').split('\n')[0],
  );
  const proxyCpuMs = () => {
    const fields = readFileSync(`/proc/${supervisor}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  };
  const direct = { host: address, http: 8080, bulk: 8081 };
  const proxy = { host: '127.0.0.1', http: await hostPort(8080), bulk: await hostPort(8081) };
  process.stderr.write(`part 2: the server as a berth replica (isolated, ${address}) `);
  const result = await compare({ runs, direct, proxy, bulkBytes, progress, proxyCpuMs });
  process.stderr.write('\n');
  await down(p, 'isolated');
  return table(
    `part 2: the server as a berth replica, isolated mode: its address ${address} (direct, over the bridge) ` +
      `vs its published port on 127.0.0.1 (berth's proxy in the supervisor, CPU = the whole supervisor)`,
    result,
  );
}

/** The 50-replica project: node HTTP servers healthy when they answer, or `sleep infinity` running. */
function startCompose(kind, mode, readyDir) {
  const lines = [
    `name: bthstart${randomBytes(4).toString('hex')}`,
    'services:',
    '  s:',
    `    scale: ${SCALE}`,
  ];
  if (kind === 'sleep') {
    lines.push('    image: debian:bookworm-slim', '    command: ["sleep", "infinity"]');
  } else {
    lines.push(
      '    image: node:20-alpine',
      `    command: [${['node', path.join(here, 'server.mjs')].map(q).join(', ')}]`,
      '    environment:',
      // Isolated: every replica on the same port, each on its own address. Host: a port each.
      `      PORT: "${mode === 'isolated' ? 8080 : 0}"`,
      `      READY_DIR: ${q(readyDir)}`,
      ...healthcheck(
        "const fs = require('node:fs');" +
          "const port = fs.readFileSync(process.env.READY_DIR + '/' + process.env.HOSTNAME, 'utf8');" +
          fetchExit("'http://127.0.0.1:' + port + '/'"),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Part 2b: `up -d --wait` then `down` of SCALE replicas, isolated against host, alternating. */
async function startPart({ runs, progress }) {
  const rows = [];
  for (const kind of ['http', 'sleep']) {
    const times = { isolated: { up: [], down: [] }, host: { up: [], down: [] } };
    process.stderr.write(`part 2: ${SCALE} replicas (${kind}) `);
    for (let i = 0; i < runs; i++) {
      for (const mode of i % 2 === 0 ? ['isolated', 'host'] : ['host', 'isolated']) {
        const readyDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-ready-'));
        folders.add(readyDir);
        const p = project('start', startCompose(kind, mode, readyDir));
        times[mode].up.push(await up(p, mode));
        times[mode].down.push(await down(p, mode));
        progress();
      }
    }
    process.stderr.write('\n');
    const s = (xs) => `${(best(xs, false) / 1000).toFixed(2)} / ${(median(xs) / 1000).toFixed(2)}`;
    const label =
      kind === 'http' ? `${SCALE} × node HTTP server, healthy` : `${SCALE} × sleep infinity, running`;
    rows.push([
      label,
      s(times.isolated.up),
      s(times.host.up),
      (median(times.isolated.up) / median(times.host.up)).toFixed(2),
      s(times.isolated.down),
      s(times.host.down),
    ]);
  }
  const header = [
    '',
    'isolated up s (best / median)',
    'host up s',
    'isolated/host',
    'isolated down s',
    'host down s',
  ];
  return [
    `part 2: time to start ${SCALE} replicas of one service (up -d --wait), then down`,
    ...tableLines(header, rows),
  ].join('\n');
}

/** The texts of part 2, or why it was skipped. */
export async function replicaParts({ runs, bulkBytes, parts, progress }) {
  if (!parts.has('replica') && !parts.has('start')) return [];
  const mode = path.join(root, 'dist', 'engine', 'local', 'network', 'mode.js');
  const { detectIsolationSupport } = await import(mode).catch(() => ({ detectIsolationSupport: undefined }));
  if (detectIsolationSupport === undefined) return ['part 2 skipped: this build has no isolated networking'];
  const support = detectIsolationSupport();
  if (!support.ok) return [`part 2 skipped: isolated networking is not available here (${support.reason})`];
  const texts = [];
  if (parts.has('replica')) texts.push(await replicaPart({ runs, bulkBytes, progress }));
  if (parts.has('start')) texts.push(await startPart({ runs, progress }));
  return texts;
}

/** Brings down whatever is still up and removes the folders (also after a failure or Ctrl-C). */
export async function cleanupReplicas() {
  for (const p of started.values()) {
    await berth(p, p.mode, ['down', '-v']).catch((error) => {
      console.error(`bench/proxy: could not bring ${p.dir} down: ${error.message}`);
    });
  }
  started.clear();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  folders.clear();
}
