#!/usr/bin/env node
// bench/stack: `berth stack convert -o FILE` against `docker stack config -c FILE` (the peer: docker's
// own loader reading what berth wrote, so both produce the same stack) on the two examples and every
// stack of the loader corpus (test/conformance/stacks/) that converts without error. Both run as fresh
// processes (start-up included), taking turns, RUNS times each; prints the median per project, the
// ratio berth/docker per project and overall, and the library call alone (loadProject +
// convertToStack, in this process, best of many).
// Usage: node bench/stack.mjs [--runs N] [--library-runs N]. Run `npm run build` first; needs a docker
// CLI with `stack config` (CLI 20.10 from upstream or newer; Debian's docker.io build lacks it).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { tableLines } from './support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(root, 'bin', 'berth.js');

const { values: options } = parseArgs({
  options: { runs: { type: 'string', default: '9' }, 'library-runs': { type: 'string', default: '50' } },
});
const RUNS = Number(options.runs);
const LIBRARY_RUNS = Number(options['library-runs']);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs must be a whole number above 0, not "${options.runs}"`);
if (!Number.isInteger(LIBRARY_RUNS) || LIBRARY_RUNS < 1) {
  fail(`--library-runs must be a whole number above 0, not "${options['library-runs']}"`);
}

function fail(message) {
  console.error(`bench/stack: ${message}`);
  process.exit(1);
}

const { loadProject } = await import(path.join(root, 'dist', 'index.js'));
const { convertToStack } = await import(path.join(root, 'dist', 'index.js'));

/** The first docker CLI on PATH that has `stack config` (Debian's docker.io 20.10 build has not). */
function stackConfigCli() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, 'docker');
    try {
      accessSync(file, constants.X_OK);
    } catch {
      continue;
    }
    if (spawnSync(file, ['stack', 'config', '--help'], { stdio: 'ignore' }).status === 0) return file;
  }
  return null;
}

/**
 * The projects, each as the CLI and the library load it: the examples by their compose.yaml, the corpus
 * cases as their case.json says (files, project name, profiles, environment; else default discovery).
 */
function projects() {
  const list = ['webapp', 'queue'].map((name) => ({
    name: `examples/${name}`,
    cwd: path.join(root, 'examples', name),
    files: ['compose.yaml'],
    env: {},
  }));
  const corpus = path.join(root, 'test', 'conformance', 'stacks');
  for (const name of readdirSync(corpus).sort()) {
    const dir = path.join(corpus, name);
    const caseFile = path.join(dir, 'case.json');
    const spec = existsSync(caseFile) ? JSON.parse(readFileSync(caseFile, 'utf8')) : {};
    list.push({
      name: `stacks/${name}`,
      cwd: path.join(dir, spec.cwd ?? '.'),
      files: spec.files ?? [],
      projectName: spec.projectName,
      profiles: spec.profiles ?? [],
      env: spec.env ?? {},
    });
  }
  return list;
}

function cliArgs(project, output) {
  return [
    '--',
    berthBin,
    ...project.files.flatMap((f) => ['-f', f]),
    ...(project.projectName === undefined ? [] : ['-p', project.projectName]),
    ...(project.profiles ?? []).flatMap((p) => ['--profile', p]),
    'stack',
    'convert',
    '-o',
    output,
  ];
}

/** Runs a command, returns its wall time in ms, or the failure's first line. */
function time(command, args, spawnOptions) {
  const start = performance.now();
  const result = spawnSync(command, args, { ...spawnOptions, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (result.status !== 0) {
    const said = `${result.stderr}${result.stdout}`.split('\n').find((l) => /^error|error:/i.test(l));
    return { ms, error: (said ?? result.stderr.trim().split('\n')[0] ?? `exit ${result.status}`).trim() };
  }
  return { ms, error: undefined };
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function libraryBest(project, contentDir) {
  const load = {
    cwd: project.cwd,
    files: project.files,
    projectName: project.projectName,
    profiles: project.profiles,
    env: { HOME: project.cwd, ...project.env },
  };
  let best = Infinity;
  for (let i = 0; i <= LIBRARY_RUNS; i++) {
    const start = performance.now();
    const { project: loaded } = await loadProject(load);
    convertToStack(loaded, { contentDir });
    const ms = performance.now() - start;
    if (i > 0) best = Math.min(best, ms); // the first run warms the module caches
  }
  return best;
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;

const docker = stackConfigCli();
if (docker === null) fail('no docker CLI on PATH has `stack config`: the peer cannot be measured');

const work = mkdtempSync(path.join(tmpdir(), 'berth-bench-stack-'));
try {
  const rows = [];
  const skipped = [];
  let berthTotal = 0;
  let dockerTotal = 0;
  let logRatios = 0;
  for (const project of projects()) {
    const dir = mkdtempSync(path.join(work, 'p-'));
    const output = path.join(dir, 'stack.yaml');
    const env = { PATH: process.env.PATH, HOME: project.cwd, ...project.env };
    const berthArgs = cliArgs(project, output);
    // One run of each first: it says whether the project converts, warms the file cache, and leaves
    // the stack file docker reads in every later run.
    const first = time(process.execPath, berthArgs, { cwd: project.cwd, env });
    if (first.error !== undefined) {
      skipped.push(`${project.name}: berth stack convert failed: ${first.error}`);
      continue;
    }
    const peerArgs = ['stack', 'config', '-c', output];
    const peerFirst = time(docker, peerArgs, { cwd: dir, env });
    if (peerFirst.error !== undefined) {
      skipped.push(`${project.name}: docker stack config refused berth's file: ${peerFirst.error}`);
      continue;
    }
    const berthRuns = [];
    const dockerRuns = [];
    for (let i = 0; i < RUNS; i++) {
      berthRuns.push(time(process.execPath, berthArgs, { cwd: project.cwd, env }).ms);
      dockerRuns.push(time(docker, peerArgs, { cwd: dir, env }).ms);
    }
    const b = median(berthRuns);
    const d = median(dockerRuns);
    const library = await libraryBest(project, path.join(dir, 'library.files'));
    berthTotal += b;
    dockerTotal += d;
    logRatios += Math.log(b / d);
    rows.push([project.name, fmt(b), fmt(d), (b / d).toFixed(2), fmt(library)]);
  }

  console.log(
    `bench/stack: ${rows.length} projects, median of ${RUNS} runs each (the tools taking turns), ` +
      `wall time including process start-up; library: best of ${LIBRARY_RUNS}`,
  );
  console.log(`peer: ${docker} stack config -c <berth's stack file>`);
  const header = ['project', 'berth stack convert', 'docker stack config', 'berth/docker', 'library'];
  for (const line of tableLines(header, rows)) console.log(`  ${line}`);
  if (rows.length > 0) {
    console.log(
      `overall berth/docker: ${(berthTotal / dockerTotal).toFixed(2)} (sum of medians ` +
        `${fmt(berthTotal)} / ${fmt(dockerTotal)}), geometric mean of the ratios ` +
        `${Math.exp(logRatios / rows.length).toFixed(2)}`,
    );
  }
  for (const line of skipped) console.log(`not measured: ${line}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
