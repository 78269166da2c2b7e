import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

import { execa } from 'execa';

import {
  describeMutant,
  type Mutant,
  MUTATION_KINDS,
  type MutationKind,
  mutate,
  randomCompose,
  Rng,
} from './mutate.js';

/**
 * Drives the loader fuzz suites: mutants of the conformance corpus and of random compose YAML, each
 * loaded in a worker thread (terminated past its time bound) and a sample run through `berth config`.
 * Shared by test/fuzz/loader-fuzz.test.ts and bench/fuzz.mjs.
 */

/** What shapes the mutants, by name: a replay must use the profile of the run that found the defect. */
export interface FuzzProfile {
  name: string;
  hugeBytes: number;
  maxDepth: number;
  /** The share of huge strings of tens of MB (see MutateLimits). */
  bigShare: number;
  /** Relative chances of the mutation kinds (1 when not given): the costly ones rarer in a short run. */
  weights: Partial<Record<MutationKind, number>>;
}

export const FUZZ_PROFILES: Record<'ci' | 'long', FuzzProfile> = {
  // The bounded suite: every kind, the costly ones (each bomb is expanded to the loader's limit, each
  // big string is megabytes to parse) less often.
  ci: {
    name: 'ci',
    hugeBytes: 20 << 20,
    maxDepth: 5000,
    bigShare: 0.02,
    weights: { 'alias-bomb': 0.3, 'huge-string': 0.5, 'deep-nesting': 0.6 },
  },
  long: { name: 'long', hugeBytes: 30 << 20, maxDepth: 20_000, bigShare: 0.05, weights: {} },
};

export interface FuzzSettings {
  repoRoot: string;
  seed: number;
  mutants: number;
  /** How many of the mutants also go through the real CLI. */
  cliRuns: number;
  workers: number;
  /** Per-mutant bound: past it the worker is terminated and the mutant is a hang. */
  timeoutMs: number;
  /** Old-generation limit of a worker: past it the mutant is a memory blow-up. */
  memoryMb: number;
  profile: FuzzProfile;
  /**
   * A time budget (ms) after which no new mutant starts: a safety net for a starved machine, so the
   * run ends (and cleans up) before the test's own timeout; `stoppedEarly` tells.
   */
  budgetMs?: number;
  /** Called as each defect is found (the bench prints them as they come). */
  onDefect?: (defect: Defect) => void;
}

export type Outcome = 'project' | 'error' | 'defect';

export interface Defect {
  /** exception, crash, hang, memory, unclear-error, unlocated-error, cli-*. */
  kind: string;
  index: number;
  seed: number;
  profile: string;
  mutation: string;
  source: string;
  note: string;
  detail: string;
  mutant: string;
}

export interface Tally {
  tried: number;
  projects: number;
  errors: number;
  defects: number;
  /** Time spent on these mutants, in ms. */
  ms: number;
}

export interface FuzzReport {
  library: Tally;
  cli: Tally;
  byMutation: Map<string, Tally>;
  defects: Defect[];
  slowest: { ms: number; index: number; mutation: string; source: string };
  /** Mutants that ran past their bound once and were run again with three times as long. */
  retried: number;
  /** The budget ran out before every mutant was tried. */
  stoppedEarly: boolean;
  elapsedMs: number;
}

/** One case of the corpus, ready to load from a scratch copy. */
interface CorpusCase {
  id: string;
  /** The case folder relative to the corpus. */
  rel: string;
  /** Files of the case a mutant may replace, relative to the case folder. */
  targets: string[];
  spec: CaseSpec;
}

interface CaseSpec {
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles?: string[];
  profiles?: string[];
  services?: string[];
  env?: Record<string, string>;
  cwd?: string;
  interpolate?: boolean;
  normalize?: boolean;
  resolvePaths?: boolean;
  stdin?: string;
}

/** One mutant, fully determined by (seed, index). */
export interface PlannedMutant {
  index: number;
  mutant: Mutant | { kind: 'random'; bytes: Buffer; note: string };
  /** undefined: random YAML in an empty folder. */
  corpusCase: CorpusCase | undefined;
  target: string;
}

const HOME = '/home/tester';
const MARKERS = ['case.json', 'expected.json', 'expected-error.txt', 'expected-warnings.txt'];
const TARGET = /(\.ya?ml|^\.env.*|\.env)$/;

export function readCorpus(corpus: string): CorpusCase[] {
  const out: CorpusCase[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir).sort();
    if (dir !== corpus && entries.some((e) => MARKERS.includes(e))) {
      const rel = path.relative(corpus, dir);
      const specFile = path.join(dir, 'case.json');
      const spec = existsSync(specFile) ? (JSON.parse(readFileSync(specFile, 'utf8')) as CaseSpec) : {};
      const targets = filesUnder(dir).filter((f) => TARGET.test(path.basename(f)));
      if (targets.length > 0) out.push({ id: rel, rel, targets, spec });
      return;
    }
    for (const e of entries) if (statSync(path.join(dir, e)).isDirectory()) walk(path.join(dir, e));
  };
  walk(corpus);
  return out;
}

function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const name = path.join(rel, e.name);
    if (e.isDirectory()) return filesUnder(dir, name);
    return e.isFile() ? [name] : [];
  });
}

/** Mutant `index` of the run with `seed`: a corpus file (85%) or random YAML, mutated. */
export function planMutant(
  settings: { seed: number; profile: FuzzProfile },
  cases: CorpusCase[],
  corpus: string,
  index: number,
): PlannedMutant {
  const rng = Rng.forItem(settings.seed, index);
  const { hugeBytes, maxDepth, bigShare, weights } = settings.profile;
  const limits = { hugeBytes, maxDepth, bigShare };
  const kind = (): MutationKind => rng.weighted(MUTATION_KINDS, weights);
  if (rng.chance(0.15)) {
    const text = Buffer.from(randomCompose(rng));
    const mutant = rng.chance(0.5)
      ? { kind: 'random' as const, bytes: text, note: 'random compose YAML' }
      : mutate(text, kind(), rng, limits);
    return { index, mutant, corpusCase: undefined, target: 'compose.yaml' };
  }
  const corpusCase = rng.pick(cases);
  const target = rng.pick(corpusCase.targets);
  const source = readFileSync(path.join(corpus, corpusCase.rel, target));
  return { index, mutant: mutate(source, kind(), rng, limits), corpusCase, target };
}

function sourceName(plan: PlannedMutant): string {
  return plan.corpusCase ? `${plan.corpusCase.rel}/${plan.target}` : 'random';
}

/** Where a slot writes its mutants: its own copy of the corpus, and a folder for random YAML. */
class Scratch {
  readonly root: string;

  constructor(corpus: string, slots: number) {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'berth-fuzz-'));
    for (let i = 0; i < slots; i++) {
      cpSync(corpus, path.join(this.root, `s${i}`, 'corpus'), { recursive: true });
      mkdirSync(path.join(this.root, `s${i}`, 'random'), { recursive: true });
    }
    process.once('exit', this.onExit);
  }

  /** Writes the mutant in place; the returned function puts the original back. */
  place(slot: number, plan: PlannedMutant): { dir: string; restore: () => void } {
    const base = path.join(this.root, `s${slot}`);
    const dir = plan.corpusCase ? path.join(base, 'corpus', plan.corpusCase.rel) : path.join(base, 'random');
    const file = path.join(dir, plan.target);
    const original = existsSync(file) ? readFileSync(file) : undefined;
    writeFileSync(file, plan.mutant.bytes);
    return {
      dir,
      restore: () => (original ? writeFileSync(file, original) : rmSync(file, { force: true })),
    };
  }

  /** Also at exit: a run stopped by a signal (bench/fuzz.mjs exits on SIGINT) leaves nothing behind. */
  private readonly onExit = (): void => this.remove();

  remove(): void {
    process.off('exit', this.onExit);
    rmSync(this.root, { recursive: true, force: true });
  }
}

interface LoadJob {
  id: number;
  variables: boolean;
  options: Record<string, unknown>;
}

interface WorkerReply {
  id: number;
  outcome:
    | { class: 'project' }
    | { class: 'error'; errors: { message: string; problem: string; located: boolean }[] }
    | { class: 'defect'; kind: string; detail: string };
  ms: number;
}

type SlotResult = { outcome: Outcome; kind?: string; detail?: string; ms: number };

/** A worker thread that can be replaced when it hangs or dies. */
class LoaderSlot {
  private worker: Worker | undefined;
  /** Replies come on a port of their own, so that a late one can still be read when the timer fires. */
  private replies: MessagePort | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 0;

  constructor(
    private readonly workerFile: string,
    private readonly dist: string,
    private readonly memoryMb: number,
  ) {}

  private start(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(this.workerFile, {
      workerData: { dist: this.dist, replies: port2 },
      transferList: [port2],
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    this.replies = port1;
    // A worker that dies after its mutant was settled must not take the run down with it.
    worker.on('error', () => undefined);
    this.ready = new Promise((resolve, reject) => {
      port1.once('message', () => resolve());
      worker.once('error', reject);
    });
    return this.ready;
  }

  async run(job: Omit<LoadJob, 'id'>, timeoutMs: number): Promise<SlotResult> {
    if (!this.worker) await this.start();
    else await this.ready;
    const worker = this.worker!;
    const replies = this.replies!;
    const id = ++this.nextId;
    const started = performance.now();
    return new Promise<SlotResult>((resolve) => {
      const finish = (result: SlotResult, replace: boolean): void => {
        clearTimeout(timer);
        replies.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (replace) void this.close();
        resolve(result);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) return;
        const o = reply.outcome;
        if (o.class === 'project') finish({ outcome: 'project', ms: reply.ms }, false);
        else if (o.class === 'defect')
          finish({ outcome: 'defect', kind: o.kind, detail: o.detail, ms: reply.ms }, false);
        else finish(judgeErrors(o.errors, reply.ms), false);
      };
      const onError = (error: Error): void => {
        const code = (error as { code?: string }).code;
        const kind = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
        finish(
          { outcome: 'defect', kind, detail: error.stack ?? String(error), ms: performance.now() - started },
          true,
        );
      };
      const onExit = (code: number): void =>
        finish(
          {
            outcome: 'defect',
            kind: 'crash',
            detail: `worker exited with ${code}`,
            ms: performance.now() - started,
          },
          true,
        );
      const onTimeout = (): void => {
        // The reply may be waiting behind a busy main thread: the timer runs before it is dispatched.
        for (let late = receiveMessageOnPort(replies); late; late = receiveMessageOnPort(replies)) {
          if ((late.message as WorkerReply).id === id) return onMessage(late.message as WorkerReply);
        }
        finish(
          { outcome: 'defect', kind: 'hang', detail: `no outcome within ${timeoutMs} ms`, ms: timeoutMs },
          true,
        );
      };
      const timer = setTimeout(onTimeout, timeoutMs);
      replies.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ ...job, id });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.replies?.close();
    this.replies = undefined;
    if (worker) await worker.terminate();
  }
}

/** A ComposeError is clear when it says something, nothing leaks from the code, and it says where. */
function judgeErrors(
  errors: { message: string; problem: string; located: boolean }[],
  ms: number,
): SlotResult {
  for (const e of errors) {
    const unclear = unclearReason(e.message, e.problem);
    if (unclear)
      return {
        outcome: 'defect',
        kind: 'unclear-error',
        detail: `${unclear}: ${e.message.slice(0, 4000)}`,
        ms,
      };
    if (!e.located && !UNLOCATABLE.some((re) => re.test(e.problem))) {
      return { outcome: 'defect', kind: 'unlocated-error', detail: e.message, ms };
    }
  }
  return { outcome: 'error', ms };
}

/** Problems that belong to no file or key: they come from a flag, the environment or the folder name. */
const UNLOCATABLE = [
  /^invalid project name/,
  /^no such service: /,
  // These name the missing file in the message itself.
  /^compose file not found: /,
  /^no configuration file provided: /,
];

/** A line no one reads to the end: a quoted user value should have been shortened. */
const MAX_LINE = 5000;

function unclearReason(message: string, problem: string): string | undefined {
  if (problem.trim() === '' || message.trim() === '') return 'empty message';
  // "undefined network" is English; "undefined" where a name or a value belongs is a leak.
  if (/\bundefined\b(?! [a-z])/.test(problem)) return 'says "undefined"';
  if (/\[object \w+\]/.test(message)) return 'prints an object';
  if (/\bNaN\b/.test(problem)) return 'says "NaN"';
  if (message.split('\n').some((line) => line.length > MAX_LINE)) return 'a line too long to read';
  return undefined;
}

/**
 * A load's time bound grows with the mutant's size: the yaml library alone reads dense flow YAML at
 * well under 1 MB/s on this class of machine, so a 20 MB mutant may take long without hanging.
 */
function boundFor(bytes: number, timeoutMs: number): number {
  return timeoutMs + Math.ceil((bytes / (1 << 20)) * 3000);
}

/** The load options of a planned mutant in the scratch folder `dir`. */
function loadOptions(plan: PlannedMutant, dir: string): Record<string, unknown> {
  if (!plan.corpusCase) return { cwd: dir, env: { HOME, TAG: '1.0' }, projectName: 'fuzz' };
  const spec = JSON.parse(
    JSON.stringify(plan.corpusCase.spec).replaceAll('${CASE}', dir).replaceAll('${HOME}', HOME),
  ) as CaseSpec;
  const options: Record<string, unknown> = {
    cwd: spec.cwd ? path.join(dir, spec.cwd) : dir,
    env: { ...spec.env, HOME },
  };
  for (const key of [
    'files',
    'projectName',
    'projectDirectory',
    'envFiles',
    'profiles',
    'services',
    'interpolate',
    'normalize',
    'resolvePaths',
  ] as const) {
    if (spec[key] !== undefined) options[key] = spec[key];
  }
  if (spec.stdin) options.stdinFile = path.join(dir, spec.stdin);
  return options;
}

/** The same load as `berth config` arguments. */
function cliArgs(options: Record<string, unknown>, extra: string[]): string[] {
  const args: string[] = [];
  for (const f of (options.files as string[] | undefined) ?? []) args.push('-f', f);
  if (typeof options.projectName === 'string') args.push('-p', options.projectName);
  if (typeof options.projectDirectory === 'string')
    args.push('--project-directory', options.projectDirectory);
  for (const f of (options.envFiles as string[] | undefined) ?? []) args.push('--env-file', f);
  for (const p of (options.profiles as string[] | undefined) ?? []) args.push('--profile', p);
  args.push('config', ...extra);
  if (options.interpolate === false) args.push('--no-interpolate');
  if (options.normalize === false) args.push('--no-normalize');
  if (options.resolvePaths === false) args.push('--no-path-resolution');
  args.push(...((options.services as string[] | undefined) ?? []));
  return args;
}

const CONFIG_FLAGS: string[][] = [
  [],
  [],
  ['--format', 'json'],
  ['--services'],
  ['--variables'],
  ['--hash', '*'],
  ['-q'],
  ['--images'],
  ['--profiles'],
];

async function runCli(
  repoRoot: string,
  plan: PlannedMutant,
  dir: string,
  timeoutMs: number,
): Promise<SlotResult> {
  const options = loadOptions(plan, dir);
  const rng = Rng.forItem(plan.index, 7);
  const args = cliArgs(options, rng.pick(CONFIG_FLAGS));
  const started = performance.now();
  const stdinFile = options.stdinFile as string | undefined;
  const result = await execa(process.execPath, ['--', path.join(repoRoot, 'bin', 'berth.js'), ...args], {
    cwd: options.cwd as string,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(options.env as Record<string, string>) },
    extendEnv: false,
    reject: false,
    input: stdinFile ? readFileSync(stdinFile) : '',
    timeout: timeoutMs,
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const said = `berth ${args.join(' ')} -> exit ${String(result.exitCode)}${result.signal ? ` (${result.signal})` : ''}\n${result.stderr.slice(0, 4000)}`;
  if (result.timedOut) return { outcome: 'defect', kind: 'cli-hang', detail: said, ms };
  if (result.exitCode === 0) return { outcome: 'project', ms };
  if (/this is a bug in berth|internal error/.test(result.stderr))
    return { outcome: 'defect', kind: 'cli-bug', detail: said, ms };
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(`\n${result.stderr}`))
    return { outcome: 'defect', kind: 'cli-stack', detail: said, ms };
  if (result.exitCode !== 1) return { outcome: 'defect', kind: 'cli-exit', detail: said, ms };
  const first = /^error: (.*)$/m.exec(result.stderr);
  if (!first) return { outcome: 'defect', kind: 'cli-no-error-line', detail: said, ms };
  const unclear = unclearReason(result.stderr, first[1]!);
  if (unclear) return { outcome: 'defect', kind: 'cli-unclear', detail: `${unclear}: ${said}`, ms };
  return { outcome: 'error', ms };
}

function emptyTally(): Tally {
  return { tried: 0, projects: 0, errors: 0, defects: 0, ms: 0 };
}

function count(tally: Tally, outcome: Outcome, ms: number): void {
  tally.tried++;
  tally.ms += ms;
  if (outcome === 'project') tally.projects++;
  else if (outcome === 'error') tally.errors++;
  else tally.defects++;
}

/** Runs the library mutants on `settings.workers` slots, then the CLI sample, and reports. */
export async function runFuzz(settings: FuzzSettings): Promise<FuzzReport> {
  const corpus = path.join(settings.repoRoot, 'test', 'conformance');
  const cases = readCorpus(corpus);
  const slots = settings.workers;
  const scratch = new Scratch(corpus, slots);
  const workerFile = path.join(settings.repoRoot, 'test', 'support', 'fuzz-worker.mjs');
  const dist = path.join(settings.repoRoot, 'dist');
  const loaders = Array.from({ length: slots }, () => new LoaderSlot(workerFile, dist, settings.memoryMb));
  const report: FuzzReport = {
    library: emptyTally(),
    cli: emptyTally(),
    byMutation: new Map([...MUTATION_KINDS, 'random'].map((k) => [k, emptyTally()])),
    defects: [],
    slowest: { ms: 0, index: -1, mutation: '', source: '' },
    retried: 0,
    stoppedEarly: false,
    elapsedMs: 0,
  };
  const started = performance.now();
  const outOfTime = (): boolean => {
    if (settings.budgetMs === undefined || performance.now() - started < settings.budgetMs) return false;
    report.stoppedEarly = true;
    return true;
  };
  const record = (plan: PlannedMutant, result: SlotResult, tally: Tally): void => {
    count(tally, result.outcome, result.ms);
    if (result.outcome !== 'defect') return;
    const defect: Defect = {
      kind: result.kind ?? 'unknown',
      index: plan.index,
      seed: settings.seed,
      profile: settings.profile.name,
      mutation: plan.mutant.kind,
      source: sourceName(plan),
      note: plan.mutant.note,
      detail: result.detail ?? '',
      mutant: describeMutant(plan.mutant.bytes),
    };
    report.defects.push(defect);
    settings.onDefect?.(defect);
  };
  try {
    let next = 0;
    await Promise.all(
      loaders.map(async (loader, slot) => {
        for (let index = next++; index < settings.mutants && !outOfTime(); index = next++) {
          const plan = planMutant(settings, cases, corpus, index);
          const placed = scratch.place(slot, plan);
          try {
            const job = { variables: index % 4 === 0, options: loadOptions(plan, placed.dir) };
            const bound = boundFor(plan.mutant.bytes.length, settings.timeoutMs);
            let result = await loader.run(job, bound);
            if (result.kind === 'hang') {
              // A hang is a hang again; a load starved by a busy machine is not.
              report.retried++;
              const again = await loader.run(job, bound * 3);
              if (again.kind !== 'hang') result = again;
            }
            record(plan, result, report.library);
            count(report.byMutation.get(plan.mutant.kind)!, result.outcome, result.ms);
            if (result.ms > report.slowest.ms) {
              report.slowest = { ms: result.ms, index, mutation: plan.mutant.kind, source: sourceName(plan) };
            }
          } finally {
            placed.restore();
          }
        }
      }),
    );
    await Promise.all(loaders.map((l) => l.close()));

    // The CLI sample: spread over the run, the largest mutants left to the library runs.
    const step = Math.max(1, Math.floor(settings.mutants / Math.max(1, settings.cliRuns)));
    const picks = Array.from({ length: settings.cliRuns }, (_, i) => i * step);
    let pick = 0;
    await Promise.all(
      loaders.map(async (_l, slot) => {
        for (let i = pick++; i < picks.length && !outOfTime(); i = pick++) {
          let plan = planMutant(settings, cases, corpus, picks[i]!);
          for (let skip = 1; plan.mutant.bytes.length > 2 << 20; skip++) {
            plan = planMutant(settings, cases, corpus, picks[i]! + skip);
          }
          const placed = scratch.place(slot, plan);
          try {
            record(
              plan,
              await runCli(settings.repoRoot, plan, placed.dir, settings.timeoutMs * 4),
              report.cli,
            );
          } finally {
            placed.restore();
          }
        }
      }),
    );
  } finally {
    await Promise.all(loaders.map((l) => l.close()));
    scratch.remove();
  }
  report.elapsedMs = performance.now() - started;
  return report;
}

/** A defect as printed: enough to reproduce it (`node bench/fuzz.mjs --profile P --seed S --replay I`). */
export function formatDefect(d: Defect): string {
  return [
    `DEFECT ${d.kind}: seed ${d.seed} mutant #${d.index} (${d.mutation} of ${d.source}: ${d.note})`,
    `  replay: node bench/fuzz.mjs --profile ${d.profile} --seed ${d.seed} --replay ${d.index} --out mutant.yaml`,
    d.detail
      .split('\n')
      .slice(0, 12)
      .map((l) => `  | ${l}`)
      .join('\n'),
    '--- mutant ---',
    d.mutant,
    '--------------',
  ].join('\n');
}

/** The one-line summary both suites print. */
export function summaryLine(r: FuzzReport, seed: number): string {
  const byKind = new Map<string, number>();
  for (const d of r.defects) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([k, n]) => `${k}=${n}`).join(' ');
  return (
    `loader fuzz (seed ${seed}): ${r.library.tried} mutants, ${r.library.projects} projects, ` +
    `${r.library.errors} clean errors, ${r.library.defects} defects; ` +
    `berth config: ${r.cli.tried} runs, ${r.cli.projects} ok, ${r.cli.errors} clean errors, ${r.cli.defects} defects` +
    `${kinds ? ` (${kinds})` : ''}; slowest ${r.slowest.ms.toFixed(0)} ms (#${r.slowest.index} ${r.slowest.mutation} of ${r.slowest.source}); ` +
    `${r.retried} retried after a timeout; ${(r.elapsedMs / 1000).toFixed(1)} s` +
    (r.stoppedEarly ? ' (stopped early: the time budget ran out)' : '')
  );
}

/** Re-creates mutant `index` of a run, for a replay. */
export function replayMutant(
  repoRoot: string,
  settings: { seed: number; profile: FuzzProfile },
  index: number,
): PlannedMutant {
  const corpus = path.join(repoRoot, 'test', 'conformance');
  return planMutant(settings, readCorpus(corpus), corpus, index);
}
