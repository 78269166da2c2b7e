import { type ComposeDict, isDict } from './dict.js';
import type { ComposeError } from './errors.js';
import type { KeyPath } from './key-path.js';
import {
  byKeyValue,
  byMountTarget,
  byPath,
  byPort,
  byTarget,
  byValue,
  type Indexer,
  union,
  uniqueBy,
} from './merge-lists.js';
import { REMOVED, resolveList, resolveMarkers } from './merge-markers.js';
import { setOwn } from './own-key.js';

/** What a rule may call back into: the general merge of two mappings, and the type-mismatch error. */
export interface MergeContext {
  mergeMappings(base: ComposeDict, override: ComposeDict, path: KeyPath): ComposeDict;
  cannotMerge(base: unknown, override: unknown, path: KeyPath): ComposeError;
}

/**
 * A per-attribute merge rule (compose-go's override package). It is called with both values present
 * and neither a marker itself; markers nested inside them are still to be applied.
 */
export type MergeRule = (base: unknown, override: unknown, path: KeyPath, ctx: MergeContext) => unknown;

/** Shell commands and ulimits: the later file's value wins outright. */
const replace: MergeRule = (_base, override) => resolveMarkers(override);

/** environment, labels and the like: by key; an override's `null` (unset) replaces too. */
const byKey: MergeRule = (base, override, path, ctx) => {
  if (override === null) return resolveMarkers(base);
  const b = asKeyedMapping(base);
  const o = asKeyedMapping(override);
  if (!b || !o) return mismatch(base, override, path, ctx);
  return overlay(b, o, (_previous, next) => next);
};

/** extra_hosts: the addresses of a host are the union of both files' (compose-go keeps both). */
const hosts: MergeRule = (base, override, path, ctx) => {
  if (override === null) return resolveMarkers(base);
  if (Array.isArray(base) && Array.isArray(override)) return union(resolveList(base), resolveList(override));
  if (!isDict(base) || !isDict(override)) return mismatch(base, override, path, ctx);
  return overlay(base, override, (previous, next) => union(asList(previous), asList(next)));
};

/** logging: options merge when the driver is the same (or one side names none); else the override wins. */
const logging: MergeRule = (base, override, path, ctx) => {
  if (override === null) return resolveMarkers(base);
  if (!isDict(base) || !isDict(override)) return mismatch(base, override, path, ctx);
  const sameDriver = !('driver' in base) || !('driver' in override) || base.driver === override.driver;
  return sameDriver ? ctx.mergeMappings(base, override, path) : resolveMarkers(override);
};

/** build: a string is its context. */
const build: MergeRule = (base, override, path, ctx) => {
  const asBuild = (value: unknown): unknown => (typeof value === 'string' ? { context: value } : value);
  return mapping(asBuild(base), asBuild(override), path, ctx);
};

/** depends_on: a list of names is the long form with its defaults. */
const dependsOn: MergeRule = (base, override, path, ctx) => {
  const toMap = (value: unknown): unknown =>
    namesToMapping(value, () => ({ condition: 'service_started', required: true }));
  return mapping(toMap(base), toMap(override), path, ctx);
};

/** Service networks (and models): a list of names is a mapping of names to null. */
const namedMapping: MergeRule = (base, override, path, ctx) =>
  mapping(
    namesToMapping(base, () => null),
    namesToMapping(override, () => null),
    path,
    ctx,
  );

/** Sequences of resources: appended, then one item per key, the later one in the earlier one's place. */
function unique(indexer: Indexer): MergeRule {
  return (base, override, path, ctx) => {
    if (override === null) return resolveMarkers(base);
    const b = typeof base === 'string' ? [base] : base;
    const o = typeof override === 'string' ? [override] : override;
    if (!Array.isArray(b) || !Array.isArray(o)) return mismatch(base, override, path, ctx);
    return uniqueBy([...resolveList(b), ...resolveList(o)], indexer);
  };
}

/** IPAM pools: the same subnet merges, a new subnet is added. */
const ipamConfig: MergeRule = (base, override, path, ctx) => {
  if (override === null) return resolveMarkers(base);
  if (!Array.isArray(base) || !Array.isArray(override)) return mismatch(base, override, path, ctx);
  const out = resolveList(base);
  for (const item of resolveList(override)) {
    const at =
      isDict(item) && item.subnet !== undefined
        ? out.findIndex((e) => isDict(e) && e.subnet === item.subnet)
        : -1;
    const existing = out[at];
    if (at >= 0 && isDict(existing) && isDict(item))
      out[at] = ctx.mergeMappings(existing, item, [...path, at]);
    else out.push(item);
  }
  return out;
};

const RULES: Record<string, MergeRule> = {
  'services.*.command': replace,
  'services.*.entrypoint': replace,
  'services.*.healthcheck.test': replace,
  'services.*.ulimits.*': replace,
  'services.*.environment': byKey,
  'services.*.labels': byKey,
  'services.*.annotations': byKey,
  'services.*.sysctls': byKey,
  'services.*.build.args': byKey,
  'services.*.build.labels': byKey,
  'services.*.build.additional_contexts': byKey,
  'services.*.deploy.labels': byKey,
  'networks.*.labels': byKey,
  'networks.*.ipam.options': byKey,
  'volumes.*.labels': byKey,
  'secrets.*.labels': byKey,
  'configs.*.labels': byKey,
  'services.*.extra_hosts': hosts,
  'services.*.build.extra_hosts': hosts,
  'services.*.logging': logging,
  'services.*.build': build,
  'services.*.depends_on': dependsOn,
  'services.*.networks': namedMapping,
  'services.*.models': namedMapping,
  'services.*.ports': unique(byPort),
  'services.*.volumes': unique(byTarget),
  'services.*.devices': unique(byTarget),
  'services.*.secrets': unique(byMountTarget('/run/secrets')),
  'services.*.configs': unique(byMountTarget('')),
  'services.*.env_file': unique(byPath),
  'services.*.expose': unique(byValue),
  'services.*.cap_add': unique(byKeyValue),
  'services.*.cap_drop': unique(byKeyValue),
  'services.*.dns': unique(byKeyValue),
  'services.*.dns_opt': unique(byKeyValue),
  'services.*.dns_search': unique(byKeyValue),
  'services.*.links': unique(byKeyValue),
  'services.*.profiles': unique(byKeyValue),
  'services.*.tmpfs': unique(byKeyValue),
  'services.*.build.tags': unique(byKeyValue),
  'services.*.build.platforms': unique(byKeyValue),
  'services.*.networks.*.aliases': unique(byKeyValue),
  'services.*.networks.*.link_local_ips': unique(byKeyValue),
  'networks.*.ipam.config': ipamConfig,
};

interface IndexedRule {
  segments: string[];
  rule: MergeRule;
}

/** Rules indexed by their last segment, so most paths are ruled out with one lookup. */
const BY_LAST = new Map<string, IndexedRule[]>();
for (const [pattern, rule] of Object.entries(RULES)) {
  const segments = pattern.split('.');
  const last = segments[segments.length - 1]!;
  BY_LAST.set(last, [...(BY_LAST.get(last) ?? []), { segments, rule }]);
}

/** The rule for a key path, if the attribute there has one; otherwise the general merge applies. */
export function findRule(path: KeyPath): MergeRule | undefined {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return undefined;
  const candidates = [...(BY_LAST.get(last) ?? []), ...(BY_LAST.get('*') ?? [])];
  return candidates.find(({ segments }) => matches(segments, path))?.rule;
}

function matches(segments: readonly string[], path: KeyPath): boolean {
  if (segments.length !== path.length) return false;
  return segments.every((segment, i) => segment === '*' || segment === path[i]);
}

function mapping(base: unknown, override: unknown, path: KeyPath, ctx: MergeContext): unknown {
  if (override === null) return resolveMarkers(base);
  if (!isDict(base) || !isDict(override)) return mismatch(base, override, path, ctx);
  return ctx.mergeMappings(base, override, path);
}

/** An absent (null) base takes the override as is; any other difference of kind is an error. */
function mismatch(base: unknown, override: unknown, path: KeyPath, ctx: MergeContext): unknown {
  if (base === null) return resolveMarkers(override);
  throw ctx.cannotMerge(base, override, path);
}

/**
 * Key by key: base keys first, then new ones; a key present on both sides is `combine`d, a `!reset`
 * override removes it. Values are marker-free copies.
 */
function overlay(
  base: ComposeDict,
  override: ComposeDict,
  combine: (previous: unknown, next: unknown) => unknown,
): ComposeDict {
  const out: ComposeDict = {};
  for (const [key, value] of Object.entries(base)) {
    const previous = resolveMarkers(value);
    if (!Object.hasOwn(override, key)) {
      if (previous !== REMOVED) setOwn(out, key, previous);
      continue;
    }
    const next = resolveMarkers(override[key]);
    if (next !== REMOVED) setOwn(out, key, previous === REMOVED ? next : combine(previous, next));
  }
  for (const [key, value] of Object.entries(override)) {
    if (Object.hasOwn(base, key)) continue;
    const next = resolveMarkers(value);
    if (next !== REMOVED) setOwn(out, key, next);
  }
  return out;
}

function namesToMapping(value: unknown, valueFor: () => unknown): unknown {
  if (!Array.isArray(value)) return value;
  const out: ComposeDict = {};
  for (const name of value) if (typeof name === 'string') setOwn(out, name, valueFor());
  return out;
}

/** `KEY=VALUE` strings (environment, labels in list form) as a mapping; `KEY` alone is null. */
function asKeyedMapping(value: unknown): ComposeDict | undefined {
  if (isDict(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: ComposeDict = {};
  for (const item of value) {
    if (typeof item !== 'string') return undefined;
    const eq = item.indexOf('=');
    setOwn(out, eq < 0 ? item : item.slice(0, eq), eq < 0 ? null : item.slice(eq + 1));
  }
  return out;
}

function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === null || value === undefined ? [] : [value];
}
