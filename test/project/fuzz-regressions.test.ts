import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ComposeError } from '../../src/project/errors.js';
import { loadProject } from '../../src/project/load.js';
import { renderYaml } from '../../src/project/serialize.js';
import { parseYamlDocuments } from '../../src/project/yaml.js';

/** Inputs the loader fuzzer (test/fuzz/) found mishandled, kept as they were found. */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-fuzz-regression-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), text);
  return dir;
}

async function loadError(dir: string): Promise<ComposeError> {
  const error = await loadProject({ cwd: dir, env: { HOME: '/home/tester' }, projectName: 'fuzz' }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ComposeError);
  return error as ComposeError;
}

describe('loader fuzz regressions', () => {
  it('a file of junk tokens is refused at its first syntax error', () => {
    // Half a megabyte of `${X}` in a flow mapping: the yaml library reports one error per token, and
    // building all of them took seconds; the loader stops at the first.
    const text = `{services: {web: {image: nginx, command: |\n  ${'${X}'.repeat(100_000)}\n}}}\n`;
    let error: unknown;
    try {
      parseYamlDocuments(text, 'compose.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).message).toMatch(/^compose\.yaml:1:\d+: invalid YAML: /);
  });

  it('an error quoting a huge value stays short', async () => {
    const name = '9'.repeat(1 << 20);
    const dir = project(`services:\n  web:\n    image: nginx\n    configs:\n      - source: "${name}"\n`);
    const error = await loadError(dir);
    expect(error.message).toContain('services.web.configs[0]');
    expect(error.message).toContain('characters left out');
    expect(error.message.length).toBeLessThan(5000);
  });

  it('ComposeErrors keeps every message whole', () => {
    const errors = Array.from(
      { length: 50 },
      (_, i) => new ComposeError(`problem number ${i} ${'x'.repeat(100)}`),
    );
    const joined = errors.map((e) => e.message).join('\n');
    expect(joined.length).toBeGreaterThan(2000);
    expect(new ComposeError(joined).message).toBe(joined);
  });

  it('a huge plain string is printed (no stack overflow in the plain-scalar check)', () => {
    const value = 'kn'.repeat(300_000);
    expect(renderYaml({ 'x-a': value, b: 'a: b', c: '-x', d: '- x', e: 'a b' })).toBe(
      `x-a: ${value}\nb: "a: b"\nc: -x\nd: "- x"\ne: a b\n`,
    );
  });

  it('a merge tag where no merge happens is named, not printed as an object', async () => {
    const dir = project(
      'services:\n  web:\n    image: nginx\n    depends_on:\n      - !override db\n  db:\n    image: db\n',
    );
    const error = await loadError(dir);
    expect(error.message).toContain('services.web.depends_on[0]');
    expect(error.message).toContain('an !override tag');
    expect(error.message).not.toContain('[object');
  });

  it('a file past the size limit is refused before it is parsed', async () => {
    const dir = project(`services:\n  web:\n    image: nginx\nx-big: "${'é'.repeat(17 << 20)}"\n`);
    const error = await loadError(dir);
    expect(error.message).toMatch(
      /^compose\.yaml: the file is too large \(34\.0 MiB; berth reads compose files up to 32 MiB\)/,
    );
  });
});
