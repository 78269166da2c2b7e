#!/usr/bin/env node
// bench/docker: berth's Docker engine against Debian's docker-compose 1.29 on the same dockerd, in the
// same run. One generated project of 20 busybox services (s1..s10, and d1..d10 each depending on its
// sN; every one traps SIGTERM and exits at once): `up -d`, a second `up -d` that changes nothing, and
// `down`, RUNS times per tool, the tools taking turns. Prints best/median wall times per step and the
// ratio docker-compose / berth (goal: berth at least 3x faster over the three steps together), next
// to the engine's floor: the same container calls made straight through the API.
// Usage: node bench/docker.mjs [--runs N] [--tool berth|docker-compose]. Run `npm run build` first;
// needs a dockerd, docker-compose and the image made by scripts/make-test-image.sh.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import Dockerode from 'dockerode';

import { tableLines } from './support.mjs';

const IMAGE = 'berth-test/busybox:latest';
const PAIRS = 10;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(root, 'bin', 'berth.js');

const { values: options } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, tool: { type: 'string' } },
});
const RUNS = Number(options.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs must be a whole number above 0, not "${options.runs}"`);
if (options.tool !== undefined && !['berth', 'docker-compose'].includes(options.tool)) {
  fail(`--tool must be berth or docker-compose, not "${options.tool}"`);
}

function fail(message) {
  console.error(`bench/docker: ${message}`);
  process.exit(1);
}

const docker = new Dockerode();
const work = mkdtempSync(path.join(tmpdir(), 'berth-bench-docker-'));
const file = path.join(work, 'compose.yaml');
const stateDir = path.join(work, 'state');
const suffix = randomBytes(3).toString('hex');

/** `sleep & wait`: a trapped TERM interrupts `wait` at once, where a foreground `sleep` would delay it. */
const COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"];

function composeFile() {
  const lines = ['services:'];
  const command = `[${COMMAND.map((a) => JSON.stringify(a)).join(', ')}]`;
  for (let i = 1; i <= PAIRS; i++) {
    lines.push(`  s${i}:`, `    image: ${IMAGE}`, `    command: ${command}`);
  }
  for (let i = 1; i <= PAIRS; i++) {
    lines.push(
      `  d${i}:`,
      `    image: ${IMAGE}`,
      `    command: ${command}`,
      '    depends_on:',
      `      - s${i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Each tool runs its own project, so a leftover of one can never be taken for the other's. */
const tools = [
  {
    name: 'berth',
    project: `berthbench-${suffix}-berth`,
    argv: (project, args) => [
      process.execPath,
      [berthBin, '--engine', 'docker', '--progress', 'quiet', '-p', project, '-f', file, ...args],
    ],
    env: { BERTH_STATE_DIR: stateDir, NO_COLOR: '1' },
  },
  {
    name: 'docker-compose',
    project: `berthbench-${suffix}-compose`,
    argv: (project, args) => ['docker-compose', ['--ansi', 'never', '-p', project, '-f', file, ...args]],
    env: {},
  },
].filter((tool) => options.tool === undefined || tool.name === options.tool);

const STEPS = [
  { name: 'up -d', args: ['up', '-d'] },
  { name: 'up -d (no change)', args: ['up', '-d'] },
  { name: 'down', args: ['down'] },
];

function run(tool, args) {
  const [command, argv] = tool.argv(tool.project, args);
  const t0 = performance.now();
  const result = spawnSync(command, argv, {
    cwd: work,
    env: { ...process.env, ...tool.env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  const ms = performance.now() - t0;
  if (result.error) throw new Error(`${tool.name} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${tool.name} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return ms;
}

/**
 * The engine's floor: the calls any client must make and wait for, straight through the API in the
 * same order (network; s1..s10 created and started together, then d1..d10; stop and remove together).
 * It shows how much of each tool's time is dockerd's own.
 */
const floor = { name: 'dockerd floor', project: `berthbench-${suffix}-floor`, containers: [] };

async function floorStep(step) {
  const labels = { 'com.docker.compose.project': floor.project };
  const network = `${floor.project}_default`;
  const t0 = performance.now();
  if (step === 0) {
    await docker.createNetwork({ Name: network, Labels: labels });
    for (const prefix of ['s', 'd']) {
      const created = await Promise.all(
        Array.from({ length: PAIRS }, (_, i) =>
          docker.createContainer({
            name: `${floor.project}-${prefix}${i + 1}-1`,
            Image: IMAGE,
            Cmd: COMMAND,
            Labels: labels,
            HostConfig: { NetworkMode: network },
          }),
        ),
      );
      floor.containers.push(...created);
      await Promise.all(created.map((c) => c.start()));
    }
  } else if (step === 1) {
    await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${floor.project}`] },
    });
  } else {
    await Promise.all(floor.containers.map((c) => c.stop()));
    await Promise.all(floor.containers.map((c) => c.remove()));
    floor.containers = [];
    await docker.getNetwork(network).remove();
  }
  return performance.now() - t0;
}

/** What is left of a project on the engine: containers, networks and volumes carrying its label. */
async function leftovers(project) {
  const filters = { label: [`com.docker.compose.project=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers, networks, volumes: volumes.Volumes ?? [] };
}

async function expectDown(project) {
  const left = await leftovers(project);
  const count = left.containers.length + left.networks.length + left.volumes.length;
  if (count > 0) {
    const names = [
      ...left.containers.map((c) => c.Names[0]?.replace(/^\//, '') ?? c.Id),
      ...left.networks.map((n) => n.Name),
      ...left.volumes.map((v) => v.Name),
    ];
    throw new Error(`project ${project} is not fully down: ${names.join(', ')} remain`);
  }
}

/** Removes whatever a project left, through the API, whichever tool made it and however it failed. */
async function removeProject(project) {
  const left = await leftovers(project);
  await Promise.all(left.containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  await Promise.all(
    left.networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  await Promise.all(
    left.volumes.map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
}

async function preflight() {
  if (tools.some((t) => t.name === 'berth') && !existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing; run "npm run build" first');
  }
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`no Docker engine answers (${error instanceof Error ? error.message : error})`, {
      cause: error,
    });
  }
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    throw new Error(`the image ${IMAGE} is missing; run scripts/make-test-image.sh`);
  }
  if (tools.some((t) => t.name === 'docker-compose')) {
    const version = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    if (version.status !== 0) throw new Error('docker-compose is missing; apt-get install docker-compose');
  }
}

const best = (xs) => Math.min(...xs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sec = (ms) => (ms / 1000).toFixed(2);
const pair = (xs) => `${sec(best(xs))} / ${sec(median(xs))}`;

async function main() {
  await preflight();
  writeFileSync(file, composeFile());
  const times = new Map([...tools, floor].map((t) => [t.name, STEPS.map(() => [])]));
  for (let r = 0; r < RUNS; r++) {
    // Take turns going first, so neither tool always meets a dockerd the other has just warmed up.
    const order = r % 2 === 0 ? tools : [...tools].reverse();
    for (const tool of order) {
      for (const t of [...tools, floor]) await expectDown(t.project);
      for (const [i, step] of STEPS.entries()) times.get(tool.name)[i].push(run(tool, step.args));
      await expectDown(tool.project);
    }
    for (const i of STEPS.keys()) times.get(floor.name)[i].push(await floorStep(i));
    await expectDown(floor.project);
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const totals = (name) => times.get(name)[0].map((_, r) => times.get(name).reduce((s, xs) => s + xs[r], 0));
  const rows = [
    ...STEPS.map((step, i) => [step.name, (name) => times.get(name)[i]]),
    ['total (3 steps)', totals],
  ];
  const header = ['step', ...tools.map((t) => `${t.name} s (best / median)`), `${floor.name} s`];
  if (tools.length === 2) header.push('docker-compose / berth');
  const table = rows.map(([name, of]) => {
    const cells = [name, ...tools.map((t) => pair(of(t.name))), pair(of(floor.name))];
    if (tools.length === 2) cells.push(`${(median(of('docker-compose')) / median(of('berth'))).toFixed(2)}x`);
    return cells;
  });
  const engine = await docker.version();
  console.log(
    `berth docker: ${2 * PAIRS} services, ${RUNS} runs each on dockerd ${engine.Version}; ` +
      'ratio = docker-compose median / berth median (goal: total >= 3x)',
  );
  console.log(
    `${floor.name}: the same engine calls made straight through the API, what any client waits for`,
  );
  for (const text of tableLines(header, table)) console.log(text);
}

let cleaning;
function cleanup() {
  cleaning ??= Promise.all(
    [...tools, floor].map((t) => removeProject(t.project).catch(() => undefined)),
  ).finally(() => rmSync(work, { recursive: true, force: true }));
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench/docker: ${signal}, removing what the bench made\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  console.error(`bench/docker failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
