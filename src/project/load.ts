import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

import { canonicalize } from './canonical/index.js';
import { castTypedFields } from './cast.js';
import { checkConsistency } from './consistency.js';
import { type ComposeDict, isDict } from './dict.js';
import { defaultEnvFilePath, discoverComposeFiles } from './discovery.js';
import { loadEnvironment, readServiceEnvFile } from './environment.js';
import { ComposeError } from './errors.js';
import { applyExtends } from './extends.js';
import { applyIncludes } from './include.js';
import { interpolateModel } from './interpolate.js';
import { mergeModels, mergeService } from './merge.js';
import { normalizeProject } from './normalize.js';
import type { LoadOptions } from './options.js';
import { resolveProjectPaths, resolveServicePaths } from './paths.js';
import { applyProfiles } from './profiles.js';
import { resolveProjectName } from './project-name.js';
import { pruneUnusedResources } from './prune.js';
import { DocumentPositions, SourceMap } from './source-map.js';
import type { Project, Service } from './types.js';
import { validateSchema } from './validate-schema.js';
import { type LoadWarning, Warnings } from './warnings.js';
import { decodeComposeBytes, parseYamlDocuments } from './yaml.js';

export interface LoadResult {
  project: Project;
  warnings: LoadWarning[];
}

/** Shared by every file of one load, including extended and included files. */
interface LoadSession {
  cwd: string;
  home: string;
  options: LoadOptions;
  warnings: Warnings;
  sourceMap: SourceMap;
  /** Every file read, for watch mode. */
  sourceFiles: Set<string>;
  /** Canonical models of files read for `extends`, per environment. */
  extendsCache: Map<string, Promise<ComposeDict>>;
}

/** Where one set of compose files is read from: the main project, or an included one. */
interface ModelScope {
  files: string[];
  workingDir: string;
  environment: Record<string, string>;
  /** Absolute compose files being included above this scope, for cycle detection. */
  includeChain: string[];
}

/**
 * Loads a Compose project the way docker compose does: discovery, environment, then per file parse ->
 * interpolate -> cast -> validate -> canonical -> extends -> include -> merge, then normalize,
 * profiles and consistency checks. Never prints: warnings are returned, problems thrown as ComposeError.
 */
export async function loadProject(options: LoadOptions = {}): Promise<LoadResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const osEnv = options.env ?? process.env;
  const session: LoadSession = {
    cwd,
    home: osEnv.HOME ?? homedir(),
    options,
    warnings: new Warnings(),
    sourceMap: new SourceMap(),
    sourceFiles: new Set(),
    extendsCache: new Map(),
  };

  const files = options.files ?? [];
  const explicitEnvFiles = (
    options.envFiles && options.envFiles.length > 0
      ? options.envFiles
      : splitList(osEnv.COMPOSE_ENV_FILES, ',')
  ).map((f) => path.resolve(cwd, f));
  const defaultEnvFile =
    explicitEnvFiles.length > 0
      ? undefined
      : defaultEnvFilePath({ files, projectDirectory: options.projectDirectory, cwd });
  const env = await loadEnvironment({ osEnv, envFiles: explicitEnvFiles, defaultEnvFile });
  for (const f of env.files) session.sourceFiles.add(f);
  const environment = env.environment;

  const discovery = await discoverComposeFiles({
    files,
    projectDirectory: options.projectDirectory,
    cwd,
    env: environment,
  });
  for (const w of discovery.warnings) session.warnings.add({ message: w });
  const workingDir = discovery.workingDir;

  let model = await loadModel(session, {
    files: discovery.configFiles,
    workingDir,
    environment,
    includeChain: [],
  });

  const fileName = typeof model.name === 'string' ? model.name : undefined;
  const name = resolveProjectName({ flag: options.projectName, env: environment, fileName, workingDir });
  model.name = name;

  const normalize = options.normalize ?? true;
  if (normalize) {
    model = await normalizeProject(model, {
      projectName: name,
      workingDir,
      environment,
      home: session.home,
      resolvePaths: options.resolvePaths ?? true,
      warnings: session.warnings,
      sourceMap: session.sourceMap,
      readEnvFile: (file, format) => {
        session.sourceFiles.add(file);
        return readServiceEnvFile(file, format, (key) => environment[key]);
      },
    });
  }

  const profiles =
    options.profiles && options.profiles.length > 0
      ? options.profiles
      : splitList(environment.COMPOSE_PROFILES, ',');
  const profiled = applyProfiles(model, {
    profiles,
    explicitServices: options.services ?? [],
    sourceMap: session.sourceMap,
  });
  model = profiled.model;

  if (!options.skipConsistencyCheck) checkConsistency(model, { sourceMap: session.sourceMap });
  if (normalize) model = pruneUnusedResources(model);

  const project = toProject(model, {
    workingDir,
    configFiles: discovery.configFiles,
    sourceFiles: [...discovery.configFiles.filter((f) => f !== '-'), ...session.sourceFiles],
    environment,
    profiles: profiled.activeProfiles,
    disabledServices: profiled.disabled as Record<string, Service>,
  });
  return { project, warnings: session.warnings.list };
}

/** Reads, canonicalizes and merges the files of one scope (the main project or an included one). */
async function loadModel(session: LoadSession, scope: ModelScope): Promise<ComposeDict> {
  let model: ComposeDict = {};
  for (const file of scope.files) {
    const docs = await readComposeFile(session, file, scope);
    for (const doc of docs) {
      let data = await applyExtends(doc, file === '-' ? path.join(scope.workingDir, 'stdin') : file, {
        loadFile: (other) => loadExtendedFile(session, other, scope),
        mergeService,
        resolveServicePaths: (service, baseDir) => resolveServicePaths(service, baseDir, session.home),
        sourceMap: session.sourceMap,
      });
      data = await applyIncludes(data, file, scope.workingDir, {
        chain: [...scope.includeChain, file],
        sourceMap: session.sourceMap,
        loadIncluded: (request) => loadIncluded(session, scope, request),
      });
      model = mergeModels(model, data);
    }
  }
  return model;
}

/** One compose file, each of its YAML documents up to canonical form. */
async function readComposeFile(
  session: LoadSession,
  file: string,
  scope: ModelScope,
): Promise<ComposeDict[]> {
  const display = displayName(session.cwd, file);
  let text: string;
  if (file === '-') {
    const read = session.options.readStdin ?? readProcessStdin;
    text = await read();
  } else {
    session.sourceFiles.add(file);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new ComposeError(`cannot read compose file: ${describeFsError(error)}`, {
        location: { file: display },
        hint: 'check the path given with -f or COMPOSE_FILE',
        cause: error,
      });
    }
    text = decodeComposeBytes(bytes, display);
  }

  const interpolate = session.options.interpolate ?? true;
  const lookup = (name: string): string | undefined => scope.environment[name];
  const documents = parseYamlDocuments(text, display, session.warnings);
  if (documents.every((doc) => Object.keys(doc.data).length === 0)) {
    // As docker compose: an empty file is a mistake (and, in watch mode, an editor's save half done).
    throw new ComposeError('empty compose file', {
      location: { file: display },
      hint: 'add at least a `services:` section, or leave this file out of -f / COMPOSE_FILE',
    });
  }
  return documents.map((doc) => {
    session.sourceMap.add(doc.positions);
    return prepareDocument(session, doc.data, doc.positions, interpolate, lookup);
  });
}

/** interpolate -> cast -> validate -> canonical, for one document. */
function prepareDocument(
  session: LoadSession,
  data: ComposeDict,
  positions: DocumentPositions,
  interpolate: boolean,
  lookup: (name: string) => string | undefined,
): ComposeDict {
  let out = data;
  if (interpolate) {
    out = interpolateModel(out, { lookup, positions, warnings: session.warnings });
    out = castTypedFields(out, { positions, warnings: session.warnings });
    validateSchema(out, positions);
  }
  return canonicalize(out, { positions, warnings: session.warnings });
}

/** A file named by `extends.file`: read once per scope, up to canonical form, all documents merged. */
function loadExtendedFile(session: LoadSession, file: string, scope: ModelScope): Promise<ComposeDict> {
  const key = `${scope.workingDir}\u0000${file}`;
  let cached = session.extendsCache.get(key);
  if (!cached) {
    cached = readComposeFile(session, file, scope).then((docs) =>
      docs.reduce<ComposeDict>((acc, doc) => mergeModels(acc, doc), {}),
    );
    session.extendsCache.set(key, cached);
  }
  return cached;
}

/** An `include` entry: a project of its own (working dir, env files), paths resolved in its scope. */
async function loadIncluded(
  session: LoadSession,
  parent: ModelScope,
  request: { files: string[]; projectDirectory: string; envFiles: string[]; chain: string[] },
): Promise<ComposeDict> {
  const env = await loadEnvironment({ osEnv: parent.environment, envFiles: request.envFiles });
  for (const f of env.files) session.sourceFiles.add(f);
  const model = await loadModel(session, {
    files: request.files,
    workingDir: request.projectDirectory,
    environment: env.environment,
    includeChain: request.chain,
  });
  const resolve = session.options.resolvePaths ?? true;
  return resolve ? resolveProjectPaths(model, request.projectDirectory, session.home) : model;
}

function toProject(model: ComposeDict, meta: Project['meta']): Project {
  const extensions: Project['extensions'] = {};
  for (const [key, value] of Object.entries(model)) {
    if (key.startsWith('x-')) extensions[key as `x-${string}`] = value;
  }
  const project: Project = {
    name: String(model.name),
    services: dictOf(model.services) as Project['services'],
    networks: dictOf(model.networks) as Project['networks'],
    volumes: dictOf(model.volumes) as Project['volumes'],
    secrets: dictOf(model.secrets) as Project['secrets'],
    configs: dictOf(model.configs) as Project['configs'],
    extensions,
    meta,
  };
  if (isDict(model.models)) project.models = model.models as Project['models'];
  return project;
}

function dictOf(value: unknown): ComposeDict {
  return isDict(value) ? value : {};
}

function splitList(value: string | undefined, separator: string): string[] {
  if (!value) return [];
  return value
    .split(separator)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Files inside the working directory are named relative to it, as users typed them. */
export function displayName(cwd: string, file: string): string {
  if (file === '-') return '<stdin>';
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function describeFsError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code?: unknown }).code;
    const file = 'path' in error ? String((error as { path?: unknown }).path) : '';
    if (code === 'ENOENT') return `no such file: ${file}`;
    if (code === 'EISDIR') return `${file} is a directory, not a file`;
    if (code === 'EACCES') return `permission denied: ${file}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return decodeComposeBytes(Buffer.concat(chunks), '<stdin>');
}
