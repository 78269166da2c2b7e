#!/usr/bin/env node
// bench/config: `berth config` against `docker stack config -c` on the same generated 500-service
// file, both as fresh processes (Node.js start-up included). Prints best and median wall times of
// several runs and the ratio berth/docker (goal: <= 1.0).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berth = path.join(root, 'bin', 'berth.js');

/** A file both tools accept: version 3.8, anchors, interpolation, ports, env, labels, networks, a depends_on chain. */
function generate(n) {
  const lines = [
    'version: "3.8"',
    'x-common: &common',
    '  restart: unless-stopped',
    '  labels:',
    '    com.example.team: "platform"',
    '    com.example.tier: "${TIER:-backend}"',
    '  environment: &env',
    '    LOG_LEVEL: "${LOG_LEVEL:-info}"',
    '    REGION: "${REGION:-eu-west-1}"',
    'services:',
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  svc${i}:`,
      '    <<: *common',
      `    image: "registry.example.com/app/svc${i}:\${TAG:-1.0.${i}}"`,
      `    command: ["node", "server.js", "--port", "${3000 + (i % 1000)}"]`,
      '    environment:',
      '      <<: *env',
      `      SERVICE_NAME: svc${i}`,
      `      UPSTREAM: "http://svc${Math.max(0, i - 1)}:3000"`,
      '    ports:',
      `      - "\${HOST_IP:-127.0.0.1}:${20000 + i}:3000"`,
      `      - "${30000 + i}:9000/udp"`,
      '    networks:',
      '      - front',
      ...(i % 2 === 0 ? ['      - back'] : []),
      '    healthcheck:',
      '      test: ["CMD", "node", "-e", "process.exit(0)"]',
      '      interval: 10s',
      '      retries: 3',
    );
    if (i > 0) lines.push('    depends_on:', `      - svc${i - 1}`);
  }
  lines.push('networks:', '  front:', '  back:', '    driver: bridge', '');
  return lines.join('\n');
}

function time(cmd, args, options) {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { ...options, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${result.stderr}`);
  return ms;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { best: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;

const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-config-'));
try {
  const file = path.join(dir, 'compose.yaml');
  writeFileSync(file, generate(SERVICES));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, TAG: '2.0' };
  const berthArgs = ['--', berth, '-f', file, '-p', 'bench', 'config'];

  time(process.execPath, berthArgs, { env, cwd: dir }); // warm the file cache
  const berthRuns = Array.from({ length: RUNS }, () => time(process.execPath, berthArgs, { env, cwd: dir }));
  const b = stats(berthRuns);
  console.log(`bench/config: ${SERVICES} services, ${RUNS} runs each, wall time including process start-up`);
  console.log(`  berth config               best ${fmt(b.best)}  median ${fmt(b.median)}`);

  let docker;
  try {
    execFileSync('docker', ['stack', 'config', '--help'], { stdio: 'ignore' });
    docker = true;
  } catch {
    docker = false;
  }
  if (!docker) {
    console.log(
      '  docker stack config        not measured: the docker CLI is not installed (apt-get install docker.io)',
    );
  } else {
    const dockerArgs = ['stack', 'config', '-c', file];
    time('docker', dockerArgs, { env, cwd: dir });
    const d = stats(Array.from({ length: RUNS }, () => time('docker', dockerArgs, { env, cwd: dir })));
    console.log(`  docker stack config -c     best ${fmt(d.best)}  median ${fmt(d.median)}`);
    console.log(
      `  ratio berth/docker         best ${(b.best / d.best).toFixed(2)}  median ${(b.median / d.median).toFixed(2)}  (goal <= 1.00)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
