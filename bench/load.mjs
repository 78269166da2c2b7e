#!/usr/bin/env node
// bench/load: rounds of `berth up -d` and `berth down` of a generated project of many trivial services
// (`sleep 3600`, a few Node.js HTTP servers with published ports) through the real CLI, with host
// networking and, as root, isolated networking (a namespace and a veth pair per replica); then one
// long-lived supervisor scaled to 0 and back and `up` with every service changed, round after round.
// Per round it prints the up and down times, the supervisor's RSS and open descriptors at the end of
// up, and what leaked after down (test/support/leaks.ts, transpiled as it is); then the totals.
// Environment: BENCH_ROUNDS (20), BENCH_SERVICES (200), BENCH_ISOLATED_SERVICES (= BENCH_SERVICES, also
// the long-lived project's size as root), BENCH_SERVERS (10), BENCH_LONG_ROUNDS (= BENCH_ROUNDS),
// BENCH_SCENARIOS (host,isolated,long-lived: which to run). Run `npm run build` first (the npm script
// does). Linux only (/proc).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import ts from 'typescript';

import { freePorts, tableLines } from './support.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 200);
const ISOLATED_SERVICES = Number(process.env.BENCH_ISOLATED_SERVICES ?? SERVICES);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 10);
const LONG_ROUNDS = Number(process.env.BENCH_LONG_ROUNDS ?? ROUNDS);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'host,isolated,long-lived').split(',');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(root, 'bin', 'berth.js');

if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench/load: dist/ is missing; run "npm run build" first');
  process.exit(1);
}
if (!existsSync('/proc/self/status')) {
  console.error('bench/load: needs Linux (/proc)');
  process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'berth-load-'));
const started = new Map(); // project folders that may be up, with their env: brought down at the end

/** The suite's own helpers (node built-ins only), compiled without type checking and imported. */
async function importTs(relative) {
  const source = readFileSync(path.join(root, relative), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: relative,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = path.join(work, 'lib', path.basename(relative).replace(/\.ts$/, '.mjs'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, outputText);
  return import(pathToFileURL(file).href);
}

const leaks = await importTs('test/support/leaks.ts');
const generator = await importTs('test/load/load-project.ts');

/** Bridges carry their project's owner tag: the same hash as src/engine/local/network/bridge.ts. */
async function ownerTagOf(stateDir, project) {
  const { ownerTag } = await import(
    pathToFileURL(path.join(root, 'dist/engine/local/network/bridge.js')).href
  );
  return ownerTag(stateDir, project);
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function berth(project, args) {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [berthBin, '--progress', 'quiet', ...args], {
    cwd: project.dir,
    env: { ...process.env, ...project.env },
    encoding: 'utf8',
    timeout: 900_000,
  });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(`berth ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return { ms, stdout: result.stdout };
}

async function makeProject(label, networking, services) {
  const name = `load${label}`;
  const dir = path.join(work, name);
  const stateDir = path.join(dir, 'state');
  // The state root as berth leaves it between projects: its (empty) projects and volumes folders.
  for (const folder of ['projects', 'volumes']) mkdirSync(path.join(stateDir, folder), { recursive: true });
  const options = {
    name,
    services,
    servers: Math.min(SERVERS, services),
    ports: await freePorts(2 * Math.min(SERVERS, services)),
    marker: stateDir,
    node: process.execPath,
  };
  writeFileSync(path.join(dir, 'compose.yaml'), generator.loadCompose(options));
  const interfaces = new Set();
  const scope = {
    marker: stateDir,
    stateDir,
    owner: await ownerTagOf(stateDir, name),
    interfaces,
    ports: generator.publishedPorts(options),
  };
  const project = {
    name,
    dir,
    stateDir,
    options,
    env: { BERTH_STATE_DIR: stateDir, BERTH_NETWORKING: networking, NO_COLOR: '1' },
    record: () => leaks.recordedInterfaces(stateDir, name).forEach((n) => interfaces.add(n)),
    supervisor: () => {
      const pid = leaks.supervisorPidOf(stateDir, name);
      return pid === undefined ? undefined : leaks.supervisorFigures(pid);
    },
    snapshot: () => leaks.snapshot({ ...scope, supervisorPid: leaks.supervisorPidOf(stateDir, name) }),
  };
  started.set(dir, project);
  return project;
}

function running(project) {
  const { stdout } = berth(project, ['ps', '--format', 'json']);
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .filter((l) => JSON.parse(l).State === 'running').length;
}

const sec = (ms) => (ms / 1000).toFixed(2);
const mib = (kib) => (kib / 1024).toFixed(1);

function printLeaks(found) {
  for (const line of found.slice(0, 10)) console.log(`    leaked ${line}`);
  if (found.length > 10) console.log(`    ... and ${found.length - 10} more`);
}

/** ROUNDS of up -d and down; returns the totals. */
async function upDownRounds(label, networking, services) {
  const project = await makeProject(label, networking, services);
  const before = project.snapshot();
  const rss = [];
  let leaked = 0;
  console.log(`\n${networking} networking: ${ROUNDS} rounds of up -d and down of ${services} services`);
  console.log('  round N  up s  down s  supervisor RSS MiB at end of up  fds  leaks after down');
  for (let round = 1; round <= ROUNDS; round++) {
    const up = berth(project, ['up', '-d']);
    const live = running(project);
    if (live !== services) throw new Error(`round ${round}: ${live} of ${services} services running`);
    project.record();
    const figures = project.supervisor();
    const down = berth(project, ['down', '-t', '2']);
    const found = leaks.diff(before, project.snapshot());
    leaked += found.length;
    rss.push(figures.rssKiB);
    const row = [
      String(round),
      sec(up.ms),
      sec(down.ms),
      mib(figures.rssKiB),
      String(figures.fds),
      String(found.length),
    ];
    console.log(`  round ${row.join('  ')}`);
    printLeaks(found);
  }
  return { label: `${networking} up/down (${services})`, leaked, rss };
}

/** One up -d, then per round: scale to 0 (what is left is compared), back, and `up` with every service changed. */
async function longLived(networking, services) {
  const project = await makeProject('long', networking, services);
  const names = generator.loadServiceNames(services);
  console.log(
    `\nlong-lived supervisor (${networking}): one up -d, then ${LONG_ROUNDS} rounds of scale ${services}->0->${services} and up of ${services} changed services`,
  );
  console.log(
    '  round N  scale to 0 s  scale back s  up changed s  supervisor RSS MiB  fds  fds at 0  leaks at 0 (vs round 1)',
  );
  const before = project.snapshot();
  berth(project, ['up', '-d']);
  project.record();
  const rss = [];
  const fds = [];
  let idle;
  let leaked = 0;
  for (let round = 1; round <= LONG_ROUNDS; round++) {
    const down = berth(project, ['scale', ...names.map((n) => `${n}=0`)]);
    const now = project.snapshot();
    idle ??= now;
    const found = leaks.diff(idle, now);
    leaked += found.length;
    const up = berth(project, ['scale', ...names.map((n) => `${n}=1`)]);
    writeFileSync(path.join(project.dir, 'compose.yaml'), generator.loadCompose(project.options, round));
    const changed = berth(project, ['up', '-d']);
    const live = running(project);
    if (live !== services) throw new Error(`round ${round}: ${live} of ${services} services running`);
    project.record();
    const figures = project.supervisor();
    rss.push(figures.rssKiB);
    fds.push(figures.fds);
    const row = [
      String(round),
      sec(down.ms),
      sec(up.ms),
      sec(changed.ms),
      mib(figures.rssKiB),
      String(figures.fds),
      String(now.supervisor?.fds ?? '-'),
      String(found.length),
    ];
    console.log(`  round ${row.join('  ')}`);
    printLeaks(found);
  }
  berth(project, ['down', '-t', '2']);
  const found = leaks.diff(before, project.snapshot());
  console.log(`  after down: ${found.length} leaks`);
  printLeaks(found);
  return { label: `long-lived ${networking} (${services})`, leaked: leaked + found.length, rss, fds };
}

async function main() {
  const results = [];
  if (SCENARIOS.includes('host')) results.push(await upDownRounds('host', 'host', SERVICES));
  if (SCENARIOS.includes('isolated') && isRoot()) {
    results.push(await upDownRounds('iso', 'isolated', ISOLATED_SERVICES));
  } else if (SCENARIOS.includes('isolated')) {
    console.log('\nisolated networking: skipped (needs root)');
  }
  if (SCENARIOS.includes('long-lived')) {
    results.push(await longLived(isRoot() ? 'isolated' : 'host', isRoot() ? ISOLATED_SERVICES : SERVICES));
  }
  console.log(
    `\nberth load: ${ROUNDS} rounds of up/down, ${LONG_ROUNDS} rounds of the long-lived supervisor`,
  );
  const rows = results.map((r) => [
    r.label,
    String(r.leaked),
    mib(r.rss[0]),
    mib(r.rss.at(-1)),
    mib(Math.max(...r.rss)),
    r.fds ? `${r.fds[0]} / ${r.fds.at(-1)}` : '-',
  ]);
  const header = [
    'scenario',
    'leaks found',
    'RSS first MiB',
    'RSS last MiB',
    'RSS max MiB',
    'fds first / last',
  ];
  for (const line of tableLines(header, rows)) console.log(line);
  const total = results.reduce((n, r) => n + r.leaked, 0);
  console.log(`leaks found: ${total}`);
  if (total > 0) process.exitCode = 1;
}

function cleanup() {
  for (const project of started.values()) {
    spawnSync(process.execPath, [berthBin, '--progress', 'quiet', 'down', '-v', '-t', '1'], {
      cwd: project.dir,
      env: { ...process.env, ...project.env },
      timeout: 300_000,
    });
  }
  rmSync(work, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  await main();
} catch (error) {
  console.error(`bench/load failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
