import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, it } from 'vitest';

import { formatDefect, FUZZ_PROFILES, runFuzz, summaryLine } from '../support/fuzz-runner.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The bounded loader fuzz run (the long one is `npm run bench:fuzz`). Its workers load the built
 * loader (dist/) and its CLI runs run bin/berth.js: `npm test` builds first.
 * A fixed seed: the same mutants on every run, so a defect found here is found again.
 */
const SEED = 20261124;

it('every mutant of the corpus and of random YAML is a project or a clear error, in bounded time', async () => {
  const report = await runFuzz({
    repoRoot,
    seed: SEED,
    mutants: Number(process.env.BERTH_FUZZ_MUTANTS ?? 3000),
    cliRuns: 60,
    workers: 2,
    timeoutMs: 5000,
    memoryMb: 1024,
    profile: FUZZ_PROFILES.ci,
    // Far above what it needs; only a starved machine gets there, and then the run ends with fewer mutants.
    budgetMs: 180_000,
  });
  process.stderr.write(`${summaryLine(report, SEED)}\n`);
  const shown = report.defects.slice(0, 5).map(formatDefect).join('\n');
  expect(report.defects.length, `${report.defects.length} defects; the first:\n${shown}`).toBe(0);
  expect(report.library.projects).toBeGreaterThan(0);
  expect(report.library.errors).toBeGreaterThan(0);
}, 240_000);
