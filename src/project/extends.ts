import path from 'node:path';

import { cloneData, type ComposeDict, isDict } from './dict.js';
import { ComposeError } from './errors.js';
import { fileKind } from './file-kind.js';
import type { KeyPath } from './key-path.js';
import { locateInFile } from './locate-in-file.js';
import type { SourceMap } from './source-map.js';

export interface ExtendsContext {
  /** Reads another compose file up to canonical form (parse, interpolate, cast, validate, canonicalize), cached. */
  loadFile(path: string): Promise<ComposeDict>;
  /** merge.ts: the extending service's own values win per the merge rules. */
  mergeService(base: ComposeDict, override: ComposeDict): ComposeDict;
  /** paths.ts: a base service from another file gets its relative paths resolved against that file's folder. */
  resolveServicePaths(service: ComposeDict, baseDir: string): ComposeDict;
  sourceMap: SourceMap;
  /**
   * Where `extends.file` of the given file starts from; default: that file's folder. compose-go uses the
   * project directory for the files of the project itself, which differs only for files outside it.
   */
  baseDir?: string | undefined;
}

/** One service definition being resolved: which file declares it, for cycles and locations. */
interface ServiceRef {
  file: string;
  service: string;
}

/** The services of one file, and where that file's `extends.file` paths start. */
interface FileScope {
  file: string;
  services: ComposeDict;
  baseDir: string;
}

interface Resolution {
  ctx: ExtendsContext;
  /** The file applyExtends was called for: errors inside it get precise locations. */
  mainFile: string;
  /** Resolved services per `file\0service`, so chains are resolved once. */
  done: Map<string, ComposeDict>;
}

/**
 * Resolves `extends` for every service of one document: the base service (same document, or a service
 * of `extends.file`) is resolved first, recursively, then the extending service is merged onto it. A base
 * from another file has its relative paths resolved against that file's folder. All keys of the base are
 * inherited, depends_on, links and volumes_from included, as compose v2 does. The result has no `extends`.
 */
export async function applyExtends(
  model: ComposeDict,
  file: string,
  ctx: ExtendsContext,
): Promise<ComposeDict> {
  const services = model.services;
  if (!isDict(services)) return model;
  if (!Object.values(services).some((s) => isDict(s) && 'extends' in s)) return model;

  const scope: FileScope = { file, services, baseDir: ctx.baseDir ?? path.dirname(file) };
  const state: Resolution = { ctx, mainFile: file, done: new Map() };
  const out: ComposeDict = {};
  for (const name of Object.keys(services)) {
    out[name] = await resolveService(state, scope, name, []);
  }
  return { ...model, services: out };
}

async function resolveService(
  state: Resolution,
  scope: FileScope,
  name: string,
  trail: ServiceRef[],
): Promise<unknown> {
  const service = scope.services[name];
  if (!isDict(service) || !('extends' in service)) return service;
  const key = refKey({ file: scope.file, service: name });
  const known = state.done.get(key);
  if (known) return known;

  const self: ServiceRef = { file: scope.file, service: name };
  if (trail.some((r) => refKey(r) === key)) throw cycleError(state, scope, [...trail, self]);
  const here = [...trail, self];

  const extendsPath: KeyPath = ['services', name, 'extends'];
  const spec = readExtends(service.extends);
  if (!spec) {
    throw new ComposeError('extends must name a service', {
      ...where(state, scope.file, extendsPath),
      hint: 'write `extends: base` or `extends: {service: base, file: common.yaml}`',
    });
  }

  let base: unknown;
  if (spec.file === undefined) {
    if (!(spec.service in scope.services)) {
      throw notFound(state, scope, name, spec.service, path.basename(scope.file), extendsPath);
    }
    base = await resolveService(state, scope, spec.service, here);
  } else {
    const target = path.resolve(scope.baseDir, spec.file);
    if ((await fileKind(target)) !== 'file') {
      throw new ComposeError(`cannot extend service "${name}": file ${spec.file} not found`, {
        ...where(state, scope.file, [...extendsPath, 'file']),
        hint: `resolved to ${target}; relative paths start at ${scope.baseDir}`,
      });
    }
    const other = await state.ctx.loadFile(target);
    const otherServices = isDict(other.services) ? other.services : {};
    if (!(spec.service in otherServices)) {
      throw notFound(state, scope, name, spec.service, spec.file, extendsPath);
    }
    const otherScope: FileScope = { file: target, services: otherServices, baseDir: path.dirname(target) };
    const resolved = await resolveService(state, otherScope, spec.service, here);
    base = isDict(resolved)
      ? state.ctx.resolveServicePaths(cloneData(resolved), path.dirname(target))
      : resolved;
  }

  const own = cloneData(service);
  delete own.extends;
  // A base that is null (`base:` with nothing under it) has nothing to give.
  const merged = isDict(base) ? state.ctx.mergeService(cloneData(base), own) : own;
  delete merged.extends;
  state.done.set(key, merged);
  return merged;
}

function readExtends(value: unknown): { service: string; file: string | undefined } | undefined {
  if (typeof value === 'string') return value === '' ? undefined : { service: value, file: undefined };
  if (!isDict(value) || typeof value.service !== 'string' || value.service === '') return undefined;
  const file = value.file;
  if (file === undefined || file === null) return { service: value.service, file: undefined };
  return typeof file === 'string' && file !== '' ? { service: value.service, file } : undefined;
}

function notFound(
  state: Resolution,
  scope: FileScope,
  name: string,
  missing: string,
  fileLabel: string,
  extendsPath: KeyPath,
): ComposeError {
  return new ComposeError(`cannot extend service "${name}": service "${missing}" not found in ${fileLabel}`, {
    ...where(state, scope.file, [...extendsPath, 'service']),
    hint: 'check the service name under extends (and extends.file)',
  });
}

function cycleError(state: Resolution, scope: FileScope, refs: ServiceRef[]): ComposeError {
  const oneFile = refs.every((r) => r.file === refs[0]!.file);
  const root = path.dirname(state.mainFile);
  const label = (r: ServiceRef) => (oneFile ? r.service : `${r.service} (${relativeTo(root, r.file)})`);
  const last = refs[refs.length - 1]!;
  return new ComposeError(`circular reference with extends: ${refs.map(label).join(' -> ')}`, {
    ...where(state, scope.file, ['services', last.service, 'extends']),
    hint: 'a service cannot extend itself, directly or through other services',
  });
}

/** Where a key of a given file was written (the file alone when the source map does not know it). */
function where(
  state: Resolution,
  file: string,
  keyPath: KeyPath,
): Pick<ComposeError, 'location' | 'keyPath'> {
  return { location: locateInFile(state.ctx.sourceMap, file, keyPath), keyPath };
}

function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

function refKey(ref: ServiceRef): string {
  return `${ref.file}\u0000${ref.service}`;
}
