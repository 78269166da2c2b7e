import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { type ComposeDict, isDict } from './dict.js';
import { ComposeError } from './errors.js';
import { fileKind } from './file-kind.js';
import type { KeyPath } from './key-path.js';
import { locateInFile } from './locate-in-file.js';
import type { SourceMap } from './source-map.js';

export interface IncludeRequest {
  /** Absolute compose files of the included project, in order. */
  files: string[];
  /** Absolute project directory of the included project. */
  projectDirectory: string;
  /** Absolute env files for its interpolation (empty: the including project's environment only). */
  envFiles: string[];
  /** Absolute files currently being included, the including file last. */
  chain: string[];
}

export interface IncludeContext {
  /**
   * Loads a sub-project fully (its own files = `path`, working dir, env files, path resolution) and
   * returns its merged, normalized-but-not-profiled model.
   */
  loadIncluded(request: IncludeRequest): Promise<ComposeDict>;
  /** Absolute files currently being included, for cycle detection. */
  chain: string[];
  sourceMap: SourceMap;
}

/** The top-level kinds an included project brings in, as in compose-go. */
const IMPORTED_KINDS = ['services', 'volumes', 'networks', 'secrets', 'configs'] as const;

/**
 * Applies the top-level `include` of one document: each entry is loaded as a project of its own and
 * its resources are added to the model; a name defined on both sides must be defined identically.
 * The result has no `include` key.
 */
export async function applyIncludes(
  model: ComposeDict,
  file: string,
  baseDir: string,
  ctx: IncludeContext,
): Promise<ComposeDict> {
  if (!('include' in model)) return model;
  const entries = model.include;
  const result: ComposeDict = { ...model };
  delete result.include;
  if (entries === null || entries === undefined) return result;
  if (!Array.isArray(entries)) {
    throw new ComposeError('include must be a list', {
      location: locateInFile(ctx.sourceMap, file, ['include']),
      keyPath: ['include'],
    });
  }

  const chain = ctx.chain[ctx.chain.length - 1] === file ? ctx.chain : [...ctx.chain, file];
  for (const [index, entry] of entries.entries()) {
    const request = await includeRequest(entry, index, file, baseDir, chain, ctx.sourceMap);
    const included = await ctx.loadIncluded(request);
    importResources(result, included, file, index, request.files[0]!, ctx.sourceMap);
  }
  return result;
}

interface IncludeEntry {
  path: string[];
  projectDirectory: string | undefined;
  envFile: string[];
}

async function includeRequest(
  entry: unknown,
  index: number,
  file: string,
  baseDir: string,
  chain: string[],
  sourceMap: SourceMap,
): Promise<IncludeRequest> {
  const where = (keyPath: KeyPath) => ({ location: locateInFile(sourceMap, file, keyPath), keyPath });
  const parsed = readEntry(entry);
  if (!parsed) {
    throw new ComposeError('include entry must be a path or a mapping with a non-empty path', {
      ...where(['include', index]),
      hint: 'write `- other/compose.yaml` or `- path: [other/compose.yaml]`',
    });
  }

  const files: string[] = [];
  for (const [i, p] of parsed.path.entries()) {
    const absolute = path.resolve(baseDir, p);
    const kind = await fileKind(absolute);
    if (kind !== 'file') {
      throw new ComposeError(
        kind === 'missing' ? `included file ${p} not found` : `included file ${p} is a directory`,
        {
          ...where(['include', index, 'path', i]),
          hint: `resolved to ${absolute}; relative paths start at ${baseDir}`,
        },
      );
    }
    if (chain.includes(absolute)) {
      const cycle = [...chain.slice(chain.indexOf(absolute)), absolute];
      throw new ComposeError(
        `include cycle detected: ${cycle.map((f) => displayPath(f, chain)).join(' -> ')}`,
        {
          ...where(['include', index]),
          hint: 'a compose file cannot include itself, directly or through other files',
        },
      );
    }
    files.push(absolute);
  }

  const projectDirectory = parsed.projectDirectory
    ? path.resolve(baseDir, parsed.projectDirectory)
    : path.dirname(files[0]!);

  const envFiles: string[] = [];
  if (parsed.envFile.length === 0) {
    const dotEnv = path.join(projectDirectory, '.env');
    if ((await fileKind(dotEnv)) === 'file') envFiles.push(dotEnv);
  }
  for (const [i, f] of parsed.envFile.entries()) {
    // docker compose's way to say "no env file at all", which also skips the default .env
    if (f === '/dev/null') continue;
    const absolute = path.resolve(baseDir, f);
    const kind = await fileKind(absolute);
    if (kind !== 'file') {
      throw new ComposeError(kind === 'missing' ? `env file ${f} not found` : `env file ${f} is not a file`, {
        ...where(['include', index, 'env_file', i]),
        hint: `resolved to ${absolute}; relative paths start at ${baseDir}`,
      });
    }
    envFiles.push(absolute);
  }

  return { files, projectDirectory, envFiles, chain };
}

/** Accepts the canonical long form and, defensively, the short string form. */
function readEntry(entry: unknown): IncludeEntry | undefined {
  if (typeof entry === 'string')
    return entry === '' ? undefined : { path: [entry], projectDirectory: undefined, envFile: [] };
  if (!isDict(entry)) return undefined;
  const paths = stringList(entry.path);
  if (!paths || paths.length === 0 || paths.includes('')) return undefined;
  const envFile = entry.env_file === undefined || entry.env_file === null ? [] : stringList(entry.env_file);
  if (!envFile) return undefined;
  const dir = entry.project_directory;
  if (dir !== undefined && dir !== null && typeof dir !== 'string') return undefined;
  return { path: paths, projectDirectory: dir ?? undefined, envFile };
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  return undefined;
}

function importResources(
  target: ComposeDict,
  included: ComposeDict,
  file: string,
  index: number,
  includedFile: string,
  sourceMap: SourceMap,
): void {
  for (const kind of IMPORTED_KINDS) {
    const from = included[kind];
    if (!isDict(from)) continue;
    const existing = target[kind];
    const to: ComposeDict = isDict(existing) ? { ...existing } : {};
    for (const [name, definition] of Object.entries(from)) {
      if (name in to && !isDeepStrictEqual(to[name], definition)) {
        const keyPath = [kind, name];
        const own = locateInFile(sourceMap, file, keyPath);
        throw new ComposeError(`${kind}.${name} conflicts with imported resource`, {
          location: own.line === undefined ? locateInFile(sourceMap, file, ['include', index]) : own,
          hint: `${includedFile} also defines it; rename one of them, or customize the included model with an override file listed in the include's path`,
        });
      }
      to[name] = definition;
    }
    target[kind] = to;
  }
}

/** Files of a cycle named relative to the folder of the first file of the chain. */
function displayPath(file: string, chain: string[]): string {
  const root = chain.find((f) => path.isAbsolute(f));
  if (!root) return file;
  const rel = path.relative(path.dirname(root), file);
  return rel.startsWith('..') ? file : rel;
}
