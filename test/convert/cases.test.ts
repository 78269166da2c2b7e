import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  convertToStack,
  renderChange,
  renderStack,
  type StackConversion,
  type StackConvertOptions,
} from '../../src/convert/index.js';
import { isComposeError } from '../../src/project/errors.js';
import { loadProject } from '../../src/project/load.js';
import type { LoadOptions } from '../../src/project/options.js';
import { describeStackCli, runStackConfig } from '../support/stack-cli.js';

/**
 * The Swarm conversion fixtures (see test/convert/README.md): every folder under test/convert/cases/
 * is one project converted with `convertToStack`, compared with its expected stack file and report,
 * and, where a docker CLI with `stack config` exists (always in CI), checked by that real CLI.
 * `UPDATE_EXPECTED=1` rewrites the expected files from the current converter.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const CASES = path.join(HERE, 'cases');
const HOME = '/home/tester';
const UPDATE = process.env.UPDATE_EXPECTED === '1';

interface CaseSpec {
  description?: string;
  source?: string;
  files?: string[];
  projectName?: string;
  profiles?: string[];
  env?: Record<string, string>;
  version?: string;
  registry?: string;
}

interface Case {
  id: string;
  dir: string;
  spec: CaseSpec;
  /** Where the compose files are: the case folder, or `source` from the repository root. */
  source: string;
}

function readCases(): Case[] {
  return readdirSync(CASES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((id) => {
      const dir = path.join(CASES, id);
      const specFile = path.join(dir, 'case.json');
      const spec = existsSync(specFile) ? (JSON.parse(readFileSync(specFile, 'utf8')) as CaseSpec) : {};
      return { id, dir, spec, source: spec.source ? path.join(ROOT, spec.source) : dir };
    });
}

function loadOptions(c: Case): LoadOptions {
  // Only the case's environment: nothing of the machine's may reach a result.
  const options: LoadOptions = { cwd: c.source, env: { ...c.spec.env, HOME } };
  if (c.spec.files) options.files = c.spec.files;
  if (c.spec.projectName !== undefined) options.projectName = c.spec.projectName;
  if (c.spec.profiles) options.profiles = c.spec.profiles;
  return options;
}

interface Outcome {
  conversion?: StackConversion;
  error?: unknown;
}

async function convertCase(c: Case, contentDir: string): Promise<Outcome> {
  try {
    const { project } = await loadProject(loadOptions(c));
    const options: StackConvertOptions = { contentDir };
    if (c.spec.version !== undefined) options.version = c.spec.version;
    if (c.spec.registry !== undefined) options.registry = c.spec.registry;
    return { conversion: convertToStack(project, options) };
  } catch (error) {
    return { error };
  }
}

/** The stack file as `berth stack convert` writes it. */
function renderStackYaml(conversion: StackConversion): string {
  return renderStack(conversion, 'yaml');
}

/** Machine paths become `${SOURCE}` and `${CONTENT}` so expectations hold anywhere. */
function portable(text: string, c: Case, contentDir: string): string {
  return text.replaceAll(contentDir, '${CONTENT}').replaceAll(c.source, '${SOURCE}');
}

function changesText(conversion: StackConversion): string {
  return conversion.changes.map((ch) => `${renderChange(ch)}\n`).join('');
}

function contentPath(file: string, contentDir: string): string {
  return path.isAbsolute(file) ? path.relative(contentDir, file) : file;
}

function filesText(conversion: StackConversion, contentDir: string): string {
  return conversion.files
    .map((f) => `${contentPath(f.path, contentDir)} ${f.mode.toString(8)} ${JSON.stringify(f.content)}\n`)
    .join('');
}

/** Compares with the expected file, or writes it under UPDATE_EXPECTED (an empty report: no file). */
function expectFile(file: string, actual: string, what: string): void {
  if (UPDATE) {
    if (actual === '' && path.basename(file) !== 'stack.yaml') rmSync(file, { force: true });
    else writeFileSync(file, actual);
    return;
  }
  const expected = existsSync(file) ? readFileSync(file, 'utf8') : '';
  expect(actual, `${what} (${path.relative(ROOT, file)}; UPDATE_EXPECTED=1 rewrites it)`).toBe(expected);
}

function expectedErrorLines(c: Case): string[] | undefined {
  const file = path.join(c.dir, 'expected-error.txt');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const cases = readCases();
const table = cases.map((c) => [c.id, c] as const);

describe('swarm conversion cases', () => {
  it('has at least 34 cases, reusing every loader stack and both examples', () => {
    expect(cases.length).toBeGreaterThanOrEqual(34);
    const sources = new Set(cases.map((c) => c.spec.source).filter((s) => s !== undefined));
    const wanted = [
      ...readdirSync(path.join(ROOT, 'test/conformance/stacks')).map((d) => `test/conformance/stacks/${d}`),
      'examples/webapp',
      'examples/queue',
    ];
    for (const source of wanted) expect(sources, `a case with source ${source}`).toContain(source);
  });

  it.each(table)('%s', async (_id, c) => {
    const contentDir = tempDir('berth-stack-content-');
    const { conversion, error } = await convertCase(c, contentDir);
    const errorLines = expectedErrorLines(c);

    if (errorLines) {
      expect(error, 'the conversion should fail').toBeDefined();
      expect(isComposeError(error), `a ComposeError, not a raw exception: ${String(error)}`).toBe(true);
      const message = (error as Error).message;
      for (const line of errorLines) {
        expect(message.toLowerCase(), `the error should contain: ${line}\n--- got:\n${message}`).toContain(
          line.toLowerCase(),
        );
      }
      return;
    }
    if (error !== undefined) throw error;
    if (!conversion) throw new Error('no conversion');

    expectFile(
      path.join(c.dir, 'stack.yaml'),
      portable(renderStackYaml(conversion), c, contentDir),
      'stack file',
    );
    expectFile(path.join(c.dir, 'changes.txt'), portable(changesText(conversion), c, contentDir), 'report');
    expectFile(path.join(c.dir, 'files.txt'), filesText(conversion, contentDir), 'content files');
  });
});

// What `docker stack config` prints is the loaded form of the file, which must be exactly what berth
// wrote, with two differences of spelling only: berth doubles literal `$` for the deploy-time
// interpolation (stack config prints values after it), and below version 3.2, which has no long syntax,
// berth writes ports and mounts short while stack config prints every one long.
function unescapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$$', '$');
  if (Array.isArray(value)) return value.map(unescapeDollars);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeDollars(v)]));
  }
  return value;
}

/** `8080:80/tcp` or `80/udp` as stack config prints a port. */
function longPort(short: string): Record<string, unknown> {
  const m = /^(?:(\d+):)?(\d+)\/(\w+)$/.exec(short);
  if (!m) throw new Error(`unexpected short port ${short}`);
  const port: Record<string, unknown> = { mode: 'ingress', target: Number(m[2]) };
  if (m[1] !== undefined) port.published = Number(m[1]);
  port.protocol = m[3];
  return port;
}

/** `source:target[:ro]` or `target` as stack config prints a mount. */
function longMount(short: string): Record<string, unknown> {
  const parts = short.split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0] };
  const [source = '', target] = parts;
  const mount: Record<string, unknown> = { type: source.startsWith('/') ? 'bind' : 'volume', source, target };
  if (parts[2] === 'ro') mount.read_only = true;
  return mount;
}

function expandShortSyntax(stack: Record<string, unknown>): void {
  const services = (stack.services ?? {}) as Record<string, Record<string, unknown>>;
  for (const service of Object.values(services)) {
    const ports = service.ports;
    if (Array.isArray(ports)) service.ports = ports.map((p) => (typeof p === 'string' ? longPort(p) : p));
    const volumes = service.volumes;
    if (Array.isArray(volumes))
      service.volumes = volumes.map((v) => (typeof v === 'string' ? longMount(v) : v));
  }
}

describeStackCli('swarm conversion cases against docker stack config', () => {
  it.each(table.filter(([, c]) => expectedErrorLines(c) === undefined))('%s', async (_id, c) => {
    const contentDir = tempDir('berth-stack-content-');
    const { conversion, error } = await convertCase(c, contentDir);
    if (error !== undefined) throw error;
    if (!conversion) throw new Error('no conversion');
    for (const f of conversion.files) {
      const file = path.resolve(contentDir, f.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, f.content, { mode: f.mode });
    }
    const text = renderStackYaml(conversion);
    const stackFile = path.join(tempDir('berth-stack-file-'), 'stack.yaml');
    writeFileSync(stackFile, text);

    const result = runStackConfig(stackFile);
    expect(result.stderr, 'docker stack config should not warn').toBe('');
    expect(result.status, result.stderr).toBe(0);
    const theirs = parse(result.stdout) as unknown;
    const ours = unescapeDollars(parse(text)) as Record<string, unknown>;
    if (['3.0', '3.1'].includes(conversion.version)) expandShortSyntax(ours);
    expect(theirs).toEqual(ours);
  });
});
