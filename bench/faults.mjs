#!/usr/bin/env node
// bench/faults: the in-process engine's fault scenarios (test/faults/local-*.test.ts) with many more
// repetitions, through the real CLI on host networking with a private state folder:
//   - SIGKILL of the supervisor at seeded random moments of `up -d`, `down` and `scale`;
//   - Ctrl-C of an attached `up` at random moments;
//   - a service that forks children and a setsid daemon, then exits;
//   - a service that ignores SIGTERM (stop waits for its grace period);
//   - a read-only and a full state folder (root only: mounts);
//   - a service that floods its log: the supervisor's VmRSS sampled every second.
// Prints "faults survived: N/M", "leaks found: L" and the RSS figures. Run `npm run build` first.
// Options: --kills N (default 50), --interrupts N (20), --forks N (10), --flood-seconds N (30),
// --seed N (BERTH_FAULT_SEED; default random, printed), --only kills,interrupts,forks,stubborn,state,flood.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { tableLines } from './support.mjs';

const { values: flags } = parseArgs({
  options: {
    kills: { type: 'string', default: '50' },
    interrupts: { type: 'string', default: '20' },
    forks: { type: 'string', default: '10' },
    'flood-seconds': { type: 'string', default: '30' },
    seed: { type: 'string', default: process.env.BERTH_FAULT_SEED ?? '' },
    only: { type: 'string', default: '' },
  },
});
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(root, 'bin', 'berth.js');
if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench/faults: dist/ is missing; run "npm run build" first');
  process.exit(1);
}
if (!existsSync('/proc/self/status')) {
  console.error('bench/faults: needs Linux (/proc)');
  process.exit(1);
}
const seed = Number(flags.seed) > 0 ? Number(flags.seed) : Math.floor(Math.random() * 2 ** 31) + 1;
const random = seededRandom(seed);
const PROJECT = 'faults';
const isRoot = process.getuid?.() === 0;

const results = []; // [scenario, survived, tried, leaks]
const notes = [];
const projects = []; // cleaned at the end whatever happens

function seededRandom(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- processes ------------------------------------------------------------------------------------

function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], pgrp: Number(f[2]), session: Number(f[3]) };
  } catch {
    return undefined;
  }
}
const isLive = (pid) => {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z';
};
function liveWith(...parts) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (parts.every((p) => cmdline.includes(p)) && isLive(Number(name))) found.push(Number(name));
  }
  return found;
}
function membersOf(id) {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      const s = procStat(pid);
      return s && s.state !== 'Z' && (s.pgrp === id || s.session === id);
    });
}
function rssKiB(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return undefined;
  }
}
async function until(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
/** `pid (command line)` of each, for the notes. */
function describe(pids) {
  return pids
    .map((pid) => {
      try {
        return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()})`;
      } catch {
        return `${pid} (gone)`;
      }
    })
    .join(', ');
}
const hasStackTrace = (text) => /\n\s+at .+:\d+:\d+\)?\n/.test(text);

// --- projects -------------------------------------------------------------------------------------

function makeProject(compose) {
  const marker = `berthfault${Math.floor(random() * 2 ** 40).toString(16)}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-faults-'));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'bfs-'));
  writeFileSync(path.join(dir, 'compose.yaml'), compose.replaceAll('MARKER', marker));
  const env = { PATH: process.env.PATH, HOME: dir, BERTH_STATE_DIR: stateDir, BERTH_NETWORKING: 'host' };
  const args = (rest) => ['--', berthBin, '-p', PROJECT, '--networking', 'host', ...rest];
  const p = {
    dir,
    stateDir,
    marker,
    projectDir: path.join(stateDir, 'projects', PROJECT),
    spawn(rest) {
      const child = spawn(process.execPath, args(rest), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.done = new Promise((resolve) =>
        child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
      );
      child.output = () => stdout;
      return child;
    },
    run(rest) {
      return p.spawn(rest).done;
    },
    leftovers: () => [...liveWith(marker), ...liveWith(stateDir)],
    supervisor: () => liveWith(stateDir, 'supervisor-main.js')[0],
    async ps() {
      const r = await p.run(['ps', '-a', '--format', 'json']);
      if (r.code !== 0) return undefined;
      return r.stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    },
    async cleanup() {
      await p.run(['down', '-t', '0']);
      await until(() => p.leftovers().length === 0, 5_000);
      const left = p.leftovers();
      for (const pid of left) killQuietly(pid);
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      return left.length;
    },
  };
  projects.push(p);
  return p;
}
function killQuietly(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}
async function finish(p) {
  projects.splice(projects.indexOf(p), 1);
  return p.cleanup();
}

const node = (name) => `["node", "-e", "setInterval(() => {}, 1000)", "MARKER-${name}"]`;

// --- scenarios ------------------------------------------------------------------------------------

async function supervisorKills(n) {
  const p = makeProject(`
services:
  web:
    image: local
    command: ${node('web')}
  worker:
    image: local
    command: ${node('worker')}
    depends_on: [web]
`);
  let survived = 0;
  let leaks = 0;
  let landed = 0;
  let relaunches = 0;
  const kinds = ['up', 'down', 'scale'];
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % 3];
    const delay = Math.floor(random() * 1_500);
    const failures = [];
    await p.run(kind === 'up' ? ['down'] : ['up', '-d']);
    const child = p.spawn(kind === 'up' ? ['up', '-d'] : kind === 'down' ? ['down'] : ['scale', 'web=3']);
    let ended = false;
    child.done.then(() => (ended = true));
    await sleep(delay);
    let before = [];
    let killedHost;
    for (;;) {
      const pid = p.supervisor();
      if (pid !== undefined) {
        before = liveWith(p.marker);
        killQuietly(pid);
        killedHost = pid;
        landed += 1;
        break;
      }
      if (ended) break;
      await sleep(5);
    }
    const r = await child.done;
    if (hasStackTrace(r.stderr)) failures.push(`stack trace:\n${r.stderr}`);
    else if (r.code !== 0 && !/^error: /m.test(r.stderr))
      failures.push(`exit ${r.code} without an error line:\n${r.stderr}`);
    // A command that lost its supervisor before connecting cleans up and starts a new one itself.
    const host = p.supervisor();
    const relaunched = host !== undefined && host !== killedHost;
    if (relaunched) relaunches += 1;
    const settled = () => before.every((pid) => !isLive(pid)) && (relaunched || p.leftovers().length === 0);
    if (!(await until(settled))) {
      const left = relaunched ? before.filter(isLive) : p.leftovers();
      failures.push(`left running: ${describe(left)}`);
      leaks += left.length;
      for (const pid of left) killQuietly(pid);
    }
    const psRun = await p.run(['ps', '-a', '--format', 'json']);
    const rows = psRun.code === 0 ? await p.ps() : undefined;
    if (!rows) failures.push(`ps failed: ${psRun.stderr}`);
    else if (!relaunched && rows.some((row) => row.State === 'running'))
      failures.push('ps shows running replicas');
    const up = await p.run(['up', '-d']);
    const after = await p.ps();
    const running = (after ?? []).filter((row) => row.State === 'running').length;
    if (up.code !== 0 || running !== 2) failures.push(`did not converge: up ${up.code}, ${running} running`);
    if (failures.length === 0) survived += 1;
    else notes.push(`kill ${delay} ms into ${kind}: ${failures.join('; ')}`);
  }
  leaks += await finish(p);
  results.push([
    `supervisor SIGKILL during up/down/scale (${landed} landed, ${relaunches} relaunched by the command)`,
    survived,
    n,
    leaks,
  ]);
}

async function interrupts(n) {
  let survived = 0;
  let leaks = 0;
  const p = makeProject(`
services:
  db:
    image: local
    command: ${node('db')}
    healthcheck:
      test: ["CMD", "sh", "-c", "sleep 1"]
      interval: 1s
  web:
    image: local
    command: ["node", "-e", "console.log('web ready'); setInterval(() => {}, 1000)", "MARKER-web"]
    depends_on:
      db:
        condition: service_healthy
`);
  for (let i = 0; i < n; i++) {
    const delay = Math.floor(random() * 4_000);
    const child = p.spawn(['up']);
    await sleep(delay);
    child.kill('SIGINT');
    const r = await child.done;
    const failures = [];
    const code = r.code ?? (r.signal === 'SIGINT' ? 130 : r.signal);
    if (code !== 130) failures.push(`exit ${code}`);
    if (hasStackTrace(r.stderr)) failures.push('stack trace');
    if (!(await until(() => p.leftovers().length === 0))) {
      failures.push(`left running: ${describe(p.leftovers())}`);
      leaks += p.leftovers().length;
      for (const pid of p.leftovers()) killQuietly(pid);
    }
    const rows = await p.ps();
    if (!rows || rows.some((row) => row.State === 'running')) failures.push('recorded as running');
    if (failures.length === 0) survived += 1;
    else notes.push(`Ctrl-C ${delay} ms into up: ${failures.join('; ')}`);
  }
  leaks += await finish(p);
  results.push(['Ctrl-C during attached up', survived, n, leaks]);
}

async function forks(n) {
  let survived = 0;
  let leaks = 0;
  for (let i = 0; i < n; i++) {
    const pids = mkdtempSync(path.join(tmpdir(), 'berth-bench-pids-'));
    const p = makeProject(`
services:
  quitter:
    image: local
    command:
      - sh
      - -c
      - |
        echo $$$$ > ${pids}/main
        sleep 1000 & echo $$! > ${pids}/a
        sleep 1001 & echo $$! > ${pids}/b
        setsid -f sh -c 'echo $$$$ > ${pids}/daemon; exec sleep 1002'
        sleep 0.3
        exit 0
      - MARKER
`);
    await p.run(['up', '-d']);
    const read = (name) => {
      try {
        return Number(readFileSync(path.join(pids, name), 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    };
    await until(() => read('main') && read('a') && read('b') && read('daemon'), 5_000);
    const main = read('main');
    const all = ['main', 'a', 'b', 'daemon'].map(read).filter(Boolean);
    const gone = await until(() => all.every((pid) => !isLive(pid)) && membersOf(main).length === 0);
    if (gone) survived += 1;
    else {
      const left = all.filter(isLive);
      notes.push(`forking service: left running after it exited: ${describe(left)}`);
      leaks += left.length;
      for (const pid of left) killQuietly(pid);
    }
    leaks += await finish(p);
    rmSync(pids, { recursive: true, force: true });
  }
  results.push(['forking service (children, setsid daemon) exits', survived, n, leaks]);
}

async function stubborn() {
  const p = makeProject(`
services:
  stubborn:
    image: local
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.2; done", "MARKER"]
    stop_grace_period: 2s
`);
  let survived = 0;
  for (const command of ['stop', 'down']) {
    await p.run(['up', '-d']);
    const started = Date.now();
    const r = await p.run([command]);
    const took = Date.now() - started;
    const ok = r.code === 0 && took >= 2_000 && liveWith(p.marker).length === 0;
    if (ok) survived += 1;
    else notes.push(`SIGTERM-ignoring service: ${command} exit ${r.code}, ${took} ms`);
    notes.push(`SIGTERM-ignoring service, stop_grace_period 2s: ${command} took ${took} ms`);
  }
  const leaks = await finish(p);
  results.push(['service ignoring SIGTERM: stop and down', survived, 2, leaks]);
}

function sh(cmd, args) {
  execFileSync(cmd, args, { stdio: 'ignore' });
}
function unmountAll(dir) {
  for (let i = 0; i < 5; i++) {
    const mounted = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === dir);
    if (!mounted) return;
    try {
      sh('umount', [dir]);
    } catch {
      sh('umount', ['-l', dir]);
    }
  }
}
function stateParses(p) {
  try {
    return JSON.parse(readFileSync(path.join(p.projectDir, 'state.json'), 'utf8')).version === 1;
  } catch {
    return false;
  }
}

async function stateFolder(kind, n) {
  let survived = 0;
  let leaks = 0;
  for (let i = 0; i < n; i++) {
    const p = makeProject(`
services:
  web:
    image: local
    command: ${node('web')}
`);
    const failures = [];
    if (kind === 'full') sh('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', p.stateDir]);
    await p.run(['up', '-d']);
    const filler = path.join(p.stateDir, 'filler');
    if (kind === 'read-only') {
      sh('mount', ['--bind', p.stateDir, p.stateDir]);
      sh('mount', ['-o', 'remount,bind,ro', p.stateDir]);
    } else {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // ENOSPC: full, as wanted
      }
    }
    for (const args of [
      ['up', '-d', '--scale', 'web=2'],
      ['scale', 'web=2'],
    ]) {
      const r = await p.run(args);
      if (r.code === 0 || !/^error: /m.test(r.stderr) || hasStackTrace(r.stderr)) {
        failures.push(`${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
      }
      if (!stateParses(p)) failures.push('state.json does not parse');
      const running = ((await p.ps()) ?? []).filter((row) => row.State === 'running').length;
      if (running !== 1) failures.push(`${running} running after a failed ${args[0]}`);
    }
    if (kind === 'read-only') unmountAll(p.stateDir);
    else rmSync(filler, { force: true });
    const up = await p.run(['up', '-d', '--scale', 'web=2']);
    const running = ((await p.ps()) ?? []).filter((row) => row.State === 'running').length;
    if (up.code !== 0 || running !== 2)
      failures.push(`not manageable again: up ${up.code}, ${running} running`);
    if (failures.length === 0) survived += 1;
    else notes.push(`${kind} state folder: ${failures.join('; ')}`);
    projects.splice(projects.indexOf(p), 1);
    await p.run(['down', '-t', '0']);
    await until(() => p.leftovers().length === 0, 5_000);
    leaks += p.leftovers().length;
    for (const pid of p.leftovers()) killQuietly(pid);
    unmountAll(p.stateDir);
    rmSync(p.stateDir, { recursive: true, force: true });
    rmSync(p.dir, { recursive: true, force: true });
  }
  results.push([`${kind} state folder`, survived, n, leaks]);
}

async function flood(seconds) {
  const p = makeProject(`
services:
  flood:
    image: local
    command: ["yes", "MARKER flooding the log as fast as it can"]
    logging:
      driver: json-file
      options:
        max-size: 1m
        max-file: "3"
`);
  await p.run(['up', '-d']);
  const supervisor = p.supervisor();
  const samples = [];
  let largest = 0;
  let most = 0;
  const started = Date.now();
  for (let i = 0; i < seconds; i++) {
    await sleep(1_000);
    samples.push(rssKiB(supervisor) ?? 0);
    const containers = path.join(p.projectDir, 'containers');
    let files = 0;
    for (const id of readdirSync(containers)) {
      for (const name of readdirSync(path.join(containers, id))) {
        if (!/-json\.log(\.\d+)?$/.test(name)) continue;
        files += 1;
        try {
          largest = Math.max(largest, statSync(path.join(containers, id, name)).size);
        } catch {
          // rotated away meanwhile
        }
      }
    }
    most = Math.max(most, files);
  }
  const logs = await p.run(['logs', '--tail', '5', 'flood']);
  const bounded = samples.at(-1) < 2 * samples[1];
  const ok = bounded && largest <= 1024 * 1024 + 64 * 1024 && most <= 3 && logs.code === 0;
  notes.push(
    `log flood: supervisor VmRSS (KiB, 1 s apart over ${Math.round((Date.now() - started) / 1000)} s): ${samples.join(' ')}`,
  );
  notes.push(
    `log flood: largest log file ${largest} bytes (max-size 1m), at most ${most} files (max-file 3)`,
  );
  const leaks = await finish(p);
  results.push(['log flood: rotation, bounded supervisor RSS, logs', ok ? 1 : 0, 1, leaks]);
}

// --- main -----------------------------------------------------------------------------------------

const only = flags.only ? new Set(flags.only.split(',')) : undefined;

async function step(name, run) {
  if (only && !only.has(name.split(':')[0])) return;
  const started = Date.now();
  process.stderr.write(`bench/faults: ${name}...\n`);
  await run();
  process.stderr.write(`bench/faults: ${name} done in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

async function main() {
  console.log(`bench/faults: seed ${seed} (--seed ${seed} replays the random moments)`);
  await step('kills: supervisor SIGKILL', () => supervisorKills(Number(flags.kills)));
  await step('interrupts: Ctrl-C', () => interrupts(Number(flags.interrupts)));
  await step('forks: forking services', () => forks(Number(flags.forks)));
  await step('stubborn: SIGTERM-ignoring service', () => stubborn());
  if (isRoot) {
    await step('state: read-only folder', () => stateFolder('read-only', 5));
    await step('state: full folder', () => stateFolder('full', 5));
  } else {
    notes.push('state folder faults skipped: they mount file systems and need root');
  }
  await step('flood: log flood', () => flood(Number(flags['flood-seconds'])));
}

// Interrupted: take down what is up before going.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void (async () => {
      for (const p of projects.splice(0)) {
        unmountAll(p.stateDir);
        await p.cleanup();
      }
      process.exit(130);
    })();
  });
}

try {
  await main();
} finally {
  for (const p of projects.splice(0)) {
    unmountAll(p.stateDir);
    await p.cleanup();
  }
}
const survived = results.reduce((sum, r) => sum + r[1], 0);
const tried = results.reduce((sum, r) => sum + r[2], 0);
const leaks = results.reduce((sum, r) => sum + r[3], 0);
for (const line of tableLines(
  ['scenario', 'survived', 'leaks'],
  results.map(([name, ok, n, leaked]) => [name, `${ok}/${n}`, String(leaked)]),
)) {
  console.log(line);
}
for (const note of notes) console.log(note);
console.log(`faults survived: ${survived}/${tried}`);
console.log(`leaks found: ${leaks}`);
process.exitCode = survived === tried && leaks === 0 ? 0 : 1;
