// The long loader fuzz run: mutants of the conformance corpus and of random compose YAML through
// loadProject (worker threads, a time bound each) and a sample through `berth config`; prints the
// counts per mutation kind and every defect with its seed and mutant.
//
//   node bench/fuzz.mjs [--mutants N] [--seed S] [--cli N] [--timeout MS] [--profile long|ci]
//   node bench/fuzz.mjs --profile P --seed S --replay I [--out FILE]   re-creates mutant I
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import ts from 'typescript';

import { tableLines } from './support.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The fuzzer is TypeScript shared with the test suite: transpiled here (types dropped, nothing else)
 * into node_modules/.cache, where its imports of `yaml` and `execa` resolve.
 */
async function importFuzzer() {
  const out = path.join(repoRoot, 'node_modules', '.cache', 'berth-fuzz');
  mkdirSync(out, { recursive: true });
  for (const name of ['mutate', 'fuzz-runner']) {
    const source = readFileSync(path.join(repoRoot, 'test', 'support', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(path.join(out, `${name}.js`), outputText);
  }
  return import(pathToFileURL(path.join(out, 'fuzz-runner.js')).href);
}

const { values } = parseArgs({
  options: {
    mutants: { type: 'string', default: '30000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    cli: { type: 'string', default: '300' },
    timeout: { type: 'string', default: '5000' },
    profile: { type: 'string', default: 'long' },
    workers: { type: 'string', default: String(Math.max(1, os.availableParallelism())) },
    replay: { type: 'string' },
    out: { type: 'string' },
  },
});

// Exit (and so run the fuzzer's exit cleanup of its scratch folder) on Ctrl-C or kill.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const fuzzer = await importFuzzer();
const seed = Number(values.seed);
const profile = fuzzer.FUZZ_PROFILES[values.profile];
if (!profile) throw new Error(`--profile is one of: ${Object.keys(fuzzer.FUZZ_PROFILES).join(', ')}`);

if (values.replay !== undefined) {
  const plan = fuzzer.replayMutant(repoRoot, { seed, profile }, Number(values.replay));
  const where = plan.corpusCase ? `test/conformance/${plan.corpusCase.rel}/${plan.target}` : 'random YAML';
  console.log(`seed ${seed} mutant #${plan.index}: ${plan.mutant.kind} of ${where} (${plan.mutant.note})`);
  if (plan.corpusCase) console.log(`case options: ${JSON.stringify(plan.corpusCase.spec)}`);
  if (values.out) {
    writeFileSync(values.out, plan.mutant.bytes);
    console.log(`written to ${values.out} (${plan.mutant.bytes.length} bytes)`);
  } else {
    console.log(
      (
        await import(
          pathToFileURL(path.join(repoRoot, 'node_modules', '.cache', 'berth-fuzz', 'mutate.js')).href
        )
      ).describeMutant(plan.mutant.bytes),
    );
  }
  process.exit(0);
}

console.log(
  `loader fuzz: profile ${profile.name}, seed ${seed}, ${values.mutants} mutants, ${values.cli} berth config runs, ${values.workers} workers`,
);
const report = await fuzzer.runFuzz({
  repoRoot,
  seed,
  mutants: Number(values.mutants),
  cliRuns: Number(values.cli),
  workers: Number(values.workers),
  timeoutMs: Number(values.timeout),
  memoryMb: 1024,
  profile,
  onDefect: (d) => console.log(fuzzer.formatDefect(d)),
});

const row = (name, t) => [
  name,
  String(t.tried),
  String(t.projects),
  String(t.errors),
  String(t.defects),
  (t.ms / 1000).toFixed(1),
];
const rows = [...report.byMutation].map(([kind, t]) => row(kind, t));
rows.push(row('total', report.library), row('berth config', report.cli));
for (const line of tableLines(['mutation', 'tried', 'projects', 'clean errors', 'defects', 'seconds'], rows))
  console.log(line);
const byKind = new Map();
for (const d of report.defects) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
console.log(
  `defects by kind: ${byKind.size === 0 ? 'none' : [...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
);
console.log(fuzzer.summaryLine(report, seed));
process.exitCode = report.defects.length === 0 ? 0 : 1;
