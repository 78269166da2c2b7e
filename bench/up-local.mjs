#!/usr/bin/env node
// bench/up-local: `berth up -d --wait` and `berth down` with the in-process engine on three generated
// projects — 50 Node.js HTTP servers with healthchecks as a chain and as a fan-out, and 200 `sleep`
// services — against a peer that starts the same processes directly (spawn in dependency order, wait
// for the same health probes, kill all). Prints best/median wall times of RUNS runs, the supervisor's
// peak RSS (VmHWM) and its share per service. Run `npm run build` first. Linux only (/proc).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { freePorts, tableLines } from './support.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const HTTP_SERVICES = Number(process.env.BENCH_HTTP_SERVICES ?? 50);
const SLEEP_SERVICES = Number(process.env.BENCH_SLEEP_SERVICES ?? 200);
const PROBE_MS = 200;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(root, 'bin', 'berth.js');

if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench/up-local: dist/ is missing; run "npm run build" first');
  process.exit(1);
}
if (!existsSync('/proc/self/status')) {
  console.error('bench/up-local: needs Linux (/proc) to read the supervisor RSS');
  process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'berth-bench-'));
const started = new Map(); // berth projects that may be up: brought down at the end whatever happens
const peers = new Set(); // peer child processes still alive

const SERVER = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT))";
const probe = (port) =>
  `fetch('http://127.0.0.1:${port}/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;

/** A scenario: its services in start order, each with its command, env, health probe and dependencies. */
function httpScenario(name, ports, dependsOn) {
  const services = ports.map((port, i) => ({
    name: `s${String(i).padStart(3, '0')}`,
    argv: ['node', '-e', SERVER],
    env: { PORT: String(port) },
    probe: ['node', '-e', probe(port)],
    dependsOn: dependsOn(i),
  }));
  return { name, services };
}

function sleepScenario(name, n) {
  const services = Array.from({ length: n }, (_, i) => ({
    name: `s${String(i).padStart(3, '0')}`,
    argv: ['sleep', '3600'],
    env: {},
    probe: undefined,
    dependsOn: [],
  }));
  return { name, services };
}

/** The compose file: healthchecks probe every 200 ms while starting, then rarely, so probes do not dominate. */
function composeFile(scenario) {
  const lines = [`name: ${scenario.name}`, 'services:'];
  const q = (s) => JSON.stringify(s);
  for (const s of scenario.services) {
    lines.push(`  ${s.name}:`, '    image: node:20-alpine', "    restart: 'no'");
    lines.push(`    command: [${s.argv.map(q).join(', ')}]`);
    if (Object.keys(s.env).length > 0) {
      lines.push('    environment:');
      for (const [k, v] of Object.entries(s.env)) lines.push(`      ${k}: ${q(v)}`);
    }
    if (s.probe) {
      lines.push(
        '    healthcheck:',
        `      test: [${['CMD', ...s.probe].map(q).join(', ')}]`,
        '      interval: 30s',
        '      timeout: 5s',
        '      retries: 3',
        '      start_period: 120s',
        `      start_interval: ${PROBE_MS}ms`,
      );
    }
    if (s.dependsOn.length > 0) {
      lines.push('    depends_on:');
      for (const d of s.dependsOn) {
        lines.push(`      ${d}:`, `        condition: ${s.probe ? 'service_healthy' : 'service_started'}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function berth(dir, stateDir, args) {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [berthBin, '--progress', 'quiet', ...args], {
    cwd: dir,
    env: { ...process.env, BERTH_STATE_DIR: stateDir, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const ms = performance.now() - t0;
  if (result.status !== 0) {
    throw new Error(`berth ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return ms;
}

/** VmHWM of a process in MiB, or undefined once it is gone. */
function peakRssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return undefined;
  }
}

function supervisorPid(stateDir, project) {
  const text = readFileSync(path.join(stateDir, 'projects', project, 'supervisor.pid'), 'utf8');
  return Number.parseInt(text.split('\n')[0], 10);
}

function watchdogPid(stateDir) {
  try {
    const out = execFileSync('pgrep', ['-f', `watchdog-main.js --state-file ${stateDir}/`], {
      encoding: 'utf8',
    });
    return Number(out.trim().split('\n')[0]);
  } catch {
    return undefined;
  }
}

async function runBerth(scenario) {
  const dir = path.join(work, scenario.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'compose.yaml'), composeFile(scenario));
  const stateDir = path.join(dir, 'state');
  const ups = [];
  const downs = [];
  const rss = [];
  const watchdogRss = [];
  for (let run = 0; run < RUNS; run++) {
    started.set(dir, stateDir);
    ups.push(berth(dir, stateDir, ['up', '-d', '--wait', '--wait-timeout', '300']));
    const pid = supervisorPid(stateDir, scenario.name);
    rss.push(peakRssMiB(pid));
    const watchdog = watchdogPid(stateDir);
    if (watchdog !== undefined) watchdogRss.push(peakRssMiB(watchdog));
    downs.push(berth(dir, stateDir, ['down', '-v']));
    process.stderr.write('.');
  }
  return {
    ups,
    downs,
    rss: Math.max(...rss.filter((x) => x !== undefined)),
    watchdogRss: Math.max(...watchdogRss.filter((x) => x !== undefined)),
  };
}

/** The peer: plain child processes, started in dependency order, probed like berth probes them. */
async function runPeer(scenario) {
  const ups = [];
  const downs = [];
  for (let run = 0; run < RUNS; run++) {
    const children = new Map();
    const ready = new Map();
    const t0 = performance.now();
    const startOne = async (s) => {
      await Promise.all(s.dependsOn.map((d) => ready.get(d)));
      const child = spawn(s.argv[0], s.argv.slice(1), {
        env: { ...process.env, ...s.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.resume();
      child.stderr.resume();
      peers.add(child);
      child.once('exit', () => peers.delete(child));
      children.set(s.name, child);
      await new Promise((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      if (s.probe) {
        for (;;) {
          await sleep(PROBE_MS);
          const code = await new Promise((resolve) => {
            const p = spawn(s.probe[0], s.probe.slice(1), { stdio: 'ignore' });
            p.once('exit', (c) => resolve(c));
            p.once('error', () => resolve(1));
          });
          if (code === 0) break;
        }
      }
    };
    for (const s of scenario.services) ready.set(s.name, startOne(s));
    await Promise.all(ready.values());
    ups.push(performance.now() - t0);

    const t1 = performance.now();
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
    downs.push(performance.now() - t1);
    process.stderr.write('.');
  }
  return { ups, downs };
}

const best = (xs) => Math.min(...xs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sec = (ms) => (ms / 1000).toFixed(2);
const pair = (xs) => `${sec(best(xs))} / ${sec(median(xs))}`;

async function main() {
  const ports = await freePorts(HTTP_SERVICES);
  const scenarios = [
    httpScenario('chain', ports, (i) => (i === 0 ? [] : [`s${String(i - 1).padStart(3, '0')}`])),
    httpScenario('fanout', ports, (i) => (i === 0 ? [] : ['s000'])),
    sleepScenario('sleep', SLEEP_SERVICES),
  ];
  const rows = [];
  for (const scenario of scenarios) {
    process.stderr.write(`${scenario.name} (${scenario.services.length} services) `);
    const b = await runBerth(scenario);
    const p = await runPeer(scenario);
    process.stderr.write('\n');
    rows.push([
      `${scenario.name} (${scenario.services.length})`,
      pair(b.ups),
      pair(b.downs),
      b.rss.toFixed(1),
      ((b.rss * 1024) / scenario.services.length).toFixed(0),
      Number.isFinite(b.watchdogRss) ? b.watchdogRss.toFixed(1) : '-',
      pair(p.ups),
      pair(p.downs),
      (median(b.ups) / median(p.ups)).toFixed(2),
      (median(b.downs) / median(p.downs)).toFixed(2),
    ]);
  }
  const header = [
    'project',
    'up -d --wait s (best / median)',
    'down s',
    'supervisor peak RSS MiB',
    'KiB / service',
    'watchdog MiB',
    'peer up s',
    'peer down s',
    'up ratio',
    'down ratio',
  ];
  console.log(
    `berth up-local: ${RUNS} runs each; ratio = berth median / peer median (peer: plain child processes)`,
  );
  for (const text of tableLines(header, rows)) console.log(text);
}

async function cleanup() {
  for (const child of peers) child.kill('SIGKILL');
  for (const [dir, stateDir] of started) {
    spawnSync(process.execPath, [berthBin, '--progress', 'quiet', 'down', '-v'], {
      cwd: dir,
      env: { ...process.env, BERTH_STATE_DIR: stateDir },
      timeout: 120_000,
    });
  }
  rmSync(work, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  await main();
} catch (error) {
  console.error(`bench/up-local failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
