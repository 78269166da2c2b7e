import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { isComposeError } from '../src/project/errors.js';
import { loadProject } from '../src/project/load.js';
import type { LoadOptions } from '../src/project/options.js';
import { escapeDollars } from '../src/project/escape-dollars.js';
import { projectToModel, renderYaml } from '../src/project/serialize.js';
import { renderWarning } from '../src/project/warnings.js';

/**
 * The conformance corpus: every folder under test/conformance/ that holds a case.json or an expected.*
 * file is one case (see test/conformance/README.md). Each successful case is also loaded again from its
 * own printed output (the round trip), which must give the same model.
 */

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'conformance');
const HOME = '/home/tester';
const MARKERS = ['case.json', 'expected.json', 'expected-error.txt', 'expected-warnings.txt'];

interface CaseSpec {
  description?: string;
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
  /** A file of the case folder that `-f -` reads as standard input. */
  stdin?: string;
}

interface Case {
  /** Relative to the corpus, e.g. `ports/012-ports-short`. */
  id: string;
  dir: string;
}

function findCases(dir: string): Case[] {
  const entries = readdirSync(dir).sort();
  if (dir !== CORPUS && entries.some((e) => MARKERS.includes(e))) {
    return [{ id: path.relative(CORPUS, dir), dir }];
  }
  return entries
    .map((e) => path.join(dir, e))
    .filter((p) => statSync(p).isDirectory())
    .flatMap(findCases);
}

/** `${CASE}` is the case folder, `${HOME}` the fake home: expectations never hold machine paths. */
function substitute(text: string, dir: string): string {
  return text.replaceAll('${CASE}', dir).replaceAll('${HOME}', HOME);
}

function readSpec(c: Case): CaseSpec {
  const file = path.join(c.dir, 'case.json');
  if (!existsSync(file)) return {};
  return JSON.parse(substitute(readFileSync(file, 'utf8'), c.dir)) as CaseSpec;
}

function lines(file: string, dir: string): string[] {
  return substitute(readFileSync(file, 'utf8'), dir)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function optionsFor(spec: CaseSpec, dir: string): LoadOptions {
  const options: LoadOptions = {
    cwd: spec.cwd ? path.join(dir, spec.cwd) : dir,
    // Only the case's own environment: the machine's must never leak into a result.
    env: { ...spec.env, HOME },
    readStdin: () => Promise.resolve(spec.stdin ? readFileSync(path.join(dir, spec.stdin), 'utf8') : ''),
  };
  if (spec.files) options.files = spec.files;
  if (spec.projectName !== undefined) options.projectName = spec.projectName;
  if (spec.projectDirectory !== undefined) options.projectDirectory = spec.projectDirectory;
  if (spec.envFiles) options.envFiles = spec.envFiles;
  if (spec.profiles) options.profiles = spec.profiles;
  if (spec.services) options.services = spec.services;
  if (spec.interpolate !== undefined) options.interpolate = spec.interpolate;
  if (spec.normalize !== undefined) options.normalize = spec.normalize;
  if (spec.resolvePaths !== undefined) options.resolvePaths = spec.resolvePaths;
  return options;
}

/** Plain JSON, as `berth config --format json` would print it. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

async function loadError(options: LoadOptions): Promise<unknown> {
  try {
    await loadProject(options);
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectLinesIn(text: string, expected: string[], what: string): void {
  const haystack = text.toLowerCase();
  for (const line of expected) {
    expect(haystack, `${what} should contain: ${line}\n--- got:\n${text}`).toContain(line.toLowerCase());
  }
}

async function expectRoundTrip(options: LoadOptions, model: unknown, first: LoadedProject) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-roundtrip-'));
  try {
    const file = path.join(tmp, 'compose.yaml');
    // As `berth config` prints it: `$` escaped unless interpolation was off.
    const printed = options.interpolate === false ? model : escapeDollars(model);
    writeFileSync(file, renderYaml(printed));
    const again: LoadOptions = {
      ...options,
      files: [file],
      projectName: first.name,
      // The same project directory: relative paths kept by --no-path-resolution and .env mean the same.
      projectDirectory: first.workingDir,
      // Services enabled by name on the first load turned their profiles on: the same profiles keep them.
      profiles: first.profiles,
    };
    delete again.services;
    const { project } = await loadProject(again);
    expect(asJson(projectToModel(project)), `round trip of:\n${renderYaml(model)}`).toEqual(model);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface LoadedProject {
  name: string;
  workingDir: string;
  profiles: string[];
}

const cases = findCases(CORPUS);

describe('conformance corpus', () => {
  it('has at least 160 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(160);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const spec = readSpec(c);
    const options = optionsFor(spec, c.dir);
    const expectedJson = path.join(c.dir, 'expected.json');
    const expectedError = path.join(c.dir, 'expected-error.txt');
    const expectedWarnings = path.join(c.dir, 'expected-warnings.txt');

    if (existsSync(expectedError)) {
      const error = await loadError(options);
      expect(error, 'the load should fail').toBeDefined();
      expect(isComposeError(error), `a ComposeError, not a raw exception: ${String(error)}`).toBe(true);
      expectLinesIn((error as Error).message, lines(expectedError, c.dir), 'the error');
      return;
    }

    const { project, warnings } = await loadProject(options);
    const model = asJson(projectToModel(project));
    if (existsSync(expectedJson)) {
      const expected = JSON.parse(substitute(readFileSync(expectedJson, 'utf8'), c.dir)) as unknown;
      expect(model).toEqual(expected);
    }
    if (existsSync(expectedWarnings)) {
      expectLinesIn(warnings.map(renderWarning).join('\n'), lines(expectedWarnings, c.dir), 'the warnings');
    }
    await expectRoundTrip(options, model, {
      name: project.name,
      workingDir: project.meta.workingDir,
      profiles: project.meta.profiles,
    });
  });
});

/** Inputs too large or too hostile to commit: generated here, each must end in bounded time. */
describe('hostile input', () => {
  const withFile = async (text: string | Buffer, run: (dir: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hostile-'));
    try {
      writeFileSync(path.join(dir, 'compose.yaml'), text);
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const load = (dir: string) => loadProject({ cwd: dir, env: { HOME }, projectName: 'hostile' });

  it('a 10 MB file loads or fails cleanly', async () => {
    const parts = ['services:'];
    let size = 0;
    for (let i = 0; size < 10 * 1024 * 1024; i++) {
      const block = [
        `  svc${i}:`,
        `    image: registry.example.com/team/app-${i}:1.0`,
        `    environment:`,
        `      INDEX: "${i}"`,
        `      PADDING: "${'x'.repeat(200)}"`,
        `    labels:`,
        `      com.example.index: "${i}"`,
      ].join('\n');
      parts.push(block);
      size += block.length;
    }
    await withFile(parts.join('\n'), async (dir) => {
      const result = await loadProject({ cwd: dir, env: { HOME }, projectName: 'big' }).catch(
        (e: unknown) => e,
      );
      if (result instanceof Error) expect(isComposeError(result)).toBe(true);
      else
        expect(
          Object.keys((result as { project: { services: object } }).project.services).length,
        ).toBeGreaterThan(1000);
    });
  }, 120_000);

  it('an alias bomb is refused', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const text = `x-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\nservices:\n  web:\n    image: nginx\n`;
    await withFile(text, async (dir) => {
      const error = await load(dir).catch((e: unknown) => e);
      expect(isComposeError(error)).toBe(true);
      expect((error as Error).message).toMatch(/alias/i);
    });
  });

  it('deep nesting is refused', async () => {
    const depth = 10_000;
    const text = `services:\n  web:\n    image: nginx\nx-deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    await withFile(text, async (dir) => {
      const error = await load(dir).catch((e: unknown) => e);
      expect(isComposeError(error)).toBe(true);
    });
  });

  it('deeply nested mappings are refused', async () => {
    const depth = 500;
    const lines = ['services:', '  web:', '    image: nginx', 'x-deep:'];
    for (let i = 1; i <= depth; i++) lines.push(`${'  '.repeat(i)}k${i}:`);
    lines.push(`${'  '.repeat(depth + 1)}leaf`);
    await withFile(lines.join('\n'), async (dir) => {
      const error = await load(dir).catch((e: unknown) => e);
      expect(isComposeError(error)).toBe(true);
    });
  });

  it('invalid UTF-8 is refused', async () => {
    const bytes = Buffer.concat([
      Buffer.from('services:\n  web:\n    image: "ng'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('x"\n'),
    ]);
    await withFile(bytes, async (dir) => {
      const error = await load(dir).catch((e: unknown) => e);
      expect(isComposeError(error)).toBe(true);
      expect((error as Error).message).toMatch(/utf-?8/i);
    });
  });

  it('a NUL byte is refused', async () => {
    await withFile('services:\n  web:\n    image: "ng\u0000inx"\n', async (dir) => {
      const error = await load(dir).catch((e: unknown) => e);
      expect(isComposeError(error)).toBe(true);
    });
  });

  it('many interpolations in one file complete', async () => {
    const vars = Array.from({ length: 5000 }, (_, i) => `      V${i}: "\${A:-\${B:-\${C:-x}}}-${i}"`);
    const text = `services:\n  web:\n    image: nginx\n    environment:\n${vars.join('\n')}\n`;
    await withFile(text, async (dir) => {
      const { project } = await load(dir);
      expect(project.services.web?.environment?.V4999).toBe('x-4999');
    });
  }, 60_000);

  it('a long depends_on chain loads, and a long cycle is reported', async () => {
    const n = 300;
    const services = Array.from(
      { length: n },
      (_, i) => `  s${i}:\n    image: busybox\n${i > 0 ? `    depends_on: [s${i - 1}]\n` : ''}`,
    );
    await withFile(`services:\n${services.join('')}`, async (dir) => {
      const { project } = await load(dir);
      expect(Object.keys(project.services)).toHaveLength(n);
    });
    const cyclic = [...services];
    cyclic[0] = `  s0:\n    image: busybox\n    depends_on: [s${n - 1}]\n`;
    await withFile(`services:\n${cyclic.join('')}`, async (dir) => {
      const error = await load(dir).catch((e: unknown) => e);
      expect(isComposeError(error)).toBe(true);
      expect((error as Error).message).toMatch(/cycle/i);
    });
  }, 60_000);
});
