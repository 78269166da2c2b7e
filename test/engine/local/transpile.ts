/**
 * Child processes of these tests (supervisor, watchdog, lock holders) run real berth modules, but
 * Node 20 cannot run TypeScript: this compiles the source files an entry needs (following its
 * relative imports) into a temporary folder, without type checking, fast enough for a beforeAll.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Transpiled {
  /** The temporary folder; `src/` inside mirrors the repository's. */
  dir: string;
  /** The compiled file of a source path relative to src/ (`engine/local/watchdog-main.ts`). */
  js(sourceFromSrc: string): string;
  cleanup(): Promise<void>;
}

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

export async function transpileSources(entries: string[]): Promise<Transpiled> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-transpiled-'));
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const srcRoot = path.join(repoRoot, 'src');
  const seen = new Set<string>();
  const queue = entries.map((entry) => path.join(srcRoot, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    const output = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        isolatedModules: true,
      },
    }).outputText;
    const out = path.join(dir, 'src', path.relative(srcRoot, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, output);
    for (const match of output.matchAll(RELATIVE_IMPORT)) {
      queue.push(path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.ts')));
    }
  }
  return {
    dir,
    js: (sourceFromSrc) => path.join(dir, 'src', sourceFromSrc.replace(/\.ts$/, '.js')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
