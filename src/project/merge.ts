import { type ComposeDict, isDict } from './dict.js';
import { ComposeError } from './errors.js';
import type { KeyPath } from './key-path.js';
import { REMOVED, resolveList, resolveMarkers } from './merge-markers.js';
import { findRule, type MergeContext } from './merge-rules.js';
import { setOwn } from './own-key.js';
import { isOverrideTag, isResetTag } from './tags.js';

/**
 * Merges a later Compose model (file or document) onto the model so far, with compose's rules: mappings
 * merge by key, sequences append, scalars replace, plus the per-attribute rules of ./merge-rules.ts.
 * `!reset` removes a value, `!override` replaces it without merging. The result holds no marker and
 * shares nothing with the inputs, which are left untouched.
 */
export function mergeModels(base: ComposeDict, override: ComposeDict): ComposeDict {
  return asDict(mergeAt(base, override, []));
}

/**
 * Merges one service definition onto another (files and `extends`), with the same rules as
 * `services.<name>` in mergeModels. `name` only appears in error messages.
 */
export function mergeService(base: ComposeDict, override: ComposeDict, name = 'service'): ComposeDict {
  return asDict(mergeAt(base, override, ['services', name]));
}

const context: MergeContext = {
  mergeMappings,
  cannotMerge(base, override, path) {
    return new ComposeError(`cannot merge ${describe(override)} into ${describe(base)}`, {
      keyPath: path,
      hint: 'use the same kind of value in both files, or "!override" to replace it',
    });
  },
};

function mergeAt(base: unknown, override: unknown, path: KeyPath): unknown {
  if (isResetTag(override)) return REMOVED;
  if (isOverrideTag(override)) return resolveMarkers(override.value);
  // Markers in the first model have nothing to reset or override: they just resolve.
  if (isResetTag(base)) return resolveMarkers(override);
  const b = isOverrideTag(base) ? base.value : base;
  const rule = findRule(path);
  if (rule) return rule(b, override, path, context);
  return mergeGeneric(b, override, path);
}

/** compose-go's default: a null override keeps the base, mappings merge, sequences append, scalars replace. */
function mergeGeneric(base: unknown, override: unknown, path: KeyPath): unknown {
  if (override === null || override === undefined) return resolveMarkers(base);
  if (isDict(base)) {
    if (!isDict(override)) throw context.cannotMerge(base, override, path);
    return mergeMappings(base, override, path);
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(override)) throw context.cannotMerge(base, override, path);
    return [...resolveList(base), ...resolveList(override)];
  }
  return resolveMarkers(override);
}

/** Base keys keep their order; keys new in the override follow. */
function mergeMappings(base: ComposeDict, override: ComposeDict, path: KeyPath): ComposeDict {
  const out: ComposeDict = {};
  for (const [key, value] of Object.entries(base)) {
    const merged = Object.hasOwn(override, key)
      ? mergeAt(value, override[key], [...path, key])
      : resolveMarkers(value);
    if (merged !== REMOVED) setOwn(out, key, merged);
  }
  for (const [key, value] of Object.entries(override)) {
    if (Object.hasOwn(base, key)) continue;
    const resolved = resolveMarkers(value);
    if (resolved !== REMOVED) setOwn(out, key, resolved);
  }
  return out;
}

function asDict(value: unknown): ComposeDict {
  return isDict(value) ? value : {};
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a sequence';
  if (isDict(value)) return 'a mapping';
  if (value === null) return 'null';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}
