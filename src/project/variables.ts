import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { isDict } from './dict.js';
import { defaultEnvFilePath, discoverComposeFiles } from './discovery.js';
import { loadEnvironment } from './environment.js';
import { displayName } from './load.js';
import type { LoadOptions } from './options.js';
import { isOverrideTag } from './tags.js';
import { decodeComposeBytes, parseYamlDocuments } from './yaml.js';

export interface TemplateVariable {
  name: string;
  /** `${NAME:?err}` / `${NAME?err}`. */
  required: boolean;
  /** `${NAME:-default}` / `${NAME-default}`. */
  defaultValue?: string;
  /** `${NAME:+alternate}` / `${NAME+alternate}`. */
  alternateValue?: string;
}

/**
 * Every variable the project's compose files refer to (`config --variables`), read from the files as
 * written, before interpolation; sorted by name. A variable used several times keeps the first
 * default, alternate and required flag seen.
 */
export async function listVariables(options: LoadOptions): Promise<TemplateVariable[]> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const osEnv = options.env ?? process.env;
  const files = options.files ?? [];
  const env = await loadEnvironment({
    osEnv,
    envFiles: (options.envFiles ?? []).map((f) => path.resolve(cwd, f)),
    defaultEnvFile:
      options.envFiles && options.envFiles.length > 0
        ? undefined
        : defaultEnvFilePath({ files, projectDirectory: options.projectDirectory, cwd }),
  });
  const discovery = await discoverComposeFiles({
    files,
    projectDirectory: options.projectDirectory,
    cwd,
    env: env.environment,
  });
  const found = new Map<string, TemplateVariable>();
  for (const file of discovery.configFiles) {
    const display = displayName(cwd, file);
    const text =
      file === '-' && options.readStdin
        ? await options.readStdin()
        : decodeComposeBytes(await readFile(file), display);
    for (const doc of parseYamlDocuments(text, display)) collectFromValue(doc.data, found);
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function collectFromValue(value: unknown, found: Map<string, TemplateVariable>): void {
  if (typeof value === 'string') {
    for (const v of extractVariables(value)) if (!found.has(v.name)) found.set(v.name, v);
  } else if (Array.isArray(value)) {
    for (const item of value) collectFromValue(item, found);
  } else if (isOverrideTag(value)) {
    collectFromValue(value.value, found);
  } else if (isDict(value)) {
    for (const item of Object.values(value)) collectFromValue(item, found);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The variables one template refers to, nested ones (inside defaults) included. */
export function extractVariables(text: string): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) break;
    const next = text[dollar + 1];
    if (next === '$') {
      i = dollar + 2;
      continue;
    }
    if (next !== '{') {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name) out.push({ name, required: false });
      i = dollar + 1 + (name?.length ?? 0);
      continue;
    }
    const close = matchingBrace(text, dollar + 1);
    if (close < 0) break;
    const body = text.slice(dollar + 2, close);
    const name = NAME.exec(body)?.[0];
    if (name) {
      const rest = body.slice(name.length);
      const op = /^(:-|:\?|:\+|-|\?|\+)/.exec(rest)?.[0];
      const arg = op ? rest.slice(op.length) : '';
      const variable: TemplateVariable = { name, required: op === ':?' || op === '?' };
      if (op === ':-' || op === '-') variable.defaultValue = arg;
      if (op === ':+' || op === '+') variable.alternateValue = arg;
      out.push(variable);
      if (op) out.push(...extractVariables(arg));
    }
    i = close + 1;
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${`. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
