// Faults and load on the Docker engine, the long versions: the suites test/faults/docker-*.test.ts
// with BERTH_DOCKER_FAULTS=long (every moment x signal x comeback of a dockerd restart during `up`,
// a minute of log flood, 10 rounds of up/down of 30 services), each on a dockerd of its own. The
// suites collect their figures; this prints them with the faults survived, the leaks found and the
// timings. Needs root, dockerd and the test image (scripts/make-test-image.sh).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { tableLines } from './support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-faults-'));
const figuresFile = path.join(dir, 'figures.jsonl');

const began = Date.now();
const run = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    'test/faults/docker-engine-restart.test.ts',
    'test/faults/docker-stop-and-logs.test.ts',
    'test/faults/docker-load.test.ts',
  ],
  {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BERTH_DOCKER_FAULTS: 'long', BERTH_FIGURES_FILE: figuresFile },
  },
);
const seconds = ((Date.now() - began) / 1000).toFixed(0);

let figures = [];
try {
  figures = readFileSync(figuresFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // no suite got as far as a figure
}
rmSync(dir, { recursive: true, force: true });

console.log('');
console.log(`Docker engine faults and load (long versions, ${seconds} s in all)`);
for (const line of tableLines(
  ['figure', 'value'],
  figures.map((f) => [f.name, f.value]),
))
  console.log(line);
console.log(run.status === 0 ? 'every suite passed' : `some suites failed (vitest exit ${run.status})`);
process.exitCode = run.status ?? 1;
