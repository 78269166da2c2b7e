import { isDict, type ComposeDict } from './dict.js';
import { ComposeError } from './errors.js';
import type { KeyPath } from './key-path.js';
import { setOwn } from './own-key.js';
import type { DocumentPositions } from './source-map.js';
import { isOverrideTag, OverrideTag } from './tags.js';
import { describeTemplateError, substitute, type Lookup } from './template.js';
import type { Warnings } from './warnings.js';

export interface InterpolateOptions {
  lookup: Lookup;
  positions: DocumentPositions;
  warnings: Warnings;
}

// Unset variables warn once per load, not once per place they are used (Warnings dedupes by location).
const warnedVariables = new WeakMap<Warnings, Set<string>>();

/**
 * Substitutes variables in every string value of one document (keys are never interpolated). `!reset`
 * passes through; the value of `!override` is interpolated. Returns a new model; branches without
 * variables are shared with the input (copy on write, to spare the garbage collector).
 */
export function interpolateModel(model: ComposeDict, options: InterpolateOptions): ComposeDict {
  const path: (string | number)[] = [];
  return walk(model, path, options) as ComposeDict;
}

function walk(value: unknown, path: (string | number)[], options: InterpolateOptions): unknown {
  if (typeof value === 'string') return interpolateString(value, path, options);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      path.push(index);
      const next = walk(item, path, options);
      path.pop();
      if (next !== item && out === undefined) out = value.slice(0, index);
      if (out !== undefined) out.push(next);
    }
    return out ?? value;
  }
  if (isOverrideTag(value)) {
    const inner = walk(value.value, path, options);
    return inner === value.value ? value : new OverrideTag(inner);
  }
  if (isDict(value)) {
    let out: ComposeDict | undefined;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = value[key];
      path.push(key);
      const next = walk(item, path, options);
      path.pop();
      if (next !== item && out === undefined) out = copyDict(value);
      // setOwn keeps a `__proto__` key as data instead of setting the prototype.
      if (out !== undefined) setOwn(out, key, next);
    }
    return out ?? value;
  }
  return value;
}

/** A shallow copy that keeps every own key as data (a `__proto__` key included). */
function copyDict(value: ComposeDict): ComposeDict {
  const out: ComposeDict = {};
  for (const key in value) if (Object.hasOwn(value, key)) setOwn(out, key, value[key]);
  return out;
}

function interpolateString(
  text: string,
  path: readonly (string | number)[],
  options: InterpolateOptions,
): string {
  if (!text.includes('$')) return text;
  const result = substitute(text, options.lookup);
  if (!result.ok) {
    const error = result.error;
    const keyPath: KeyPath = [...path];
    throw new ComposeError(describeTemplateError(error), {
      location: options.positions.locate(keyPath),
      keyPath,
      hint:
        error.kind === 'invalid'
          ? 'you may need to escape any $ with another $'
          : `set ${error.variable} in the environment or in the .env file`,
    });
  }
  for (const name of result.unset) warnUnset(name, [...path], options);
  return result.value;
}

function warnUnset(name: string, keyPath: KeyPath, options: InterpolateOptions): void {
  let warned = warnedVariables.get(options.warnings);
  if (!warned) {
    warned = new Set();
    warnedVariables.set(options.warnings, warned);
  }
  if (warned.has(name)) return;
  warned.add(name);
  options.warnings.add({
    message: `The "${name}" variable is not set. Defaulting to a blank string.`,
    location: options.positions.locate(keyPath),
    keyPath,
  });
}
