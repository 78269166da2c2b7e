import { isDict, type ComposeDict } from './dict.js';
import { locateInDocument } from './document-location.js';
import { ComposeError } from './errors.js';
import type { KeyPath } from './key-path.js';
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
 * passes through; the value of `!override` is interpolated. Returns a new model.
 */
export function interpolateModel(model: ComposeDict, options: InterpolateOptions): ComposeDict {
  const path: (string | number)[] = [];
  return walk(model, path, options) as ComposeDict;
}

function walk(value: unknown, path: (string | number)[], options: InterpolateOptions): unknown {
  if (typeof value === 'string') return interpolateString(value, path, options);
  if (Array.isArray(value)) {
    return value.map((item: unknown, index) => {
      path.push(index);
      const out = walk(item, path, options);
      path.pop();
      return out;
    });
  }
  if (isOverrideTag(value)) return new OverrideTag(walk(value.value, path, options));
  if (isDict(value)) {
    // fromEntries keeps a `__proto__` key as data instead of setting the prototype.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        path.push(key);
        const out = walk(item, path, options);
        path.pop();
        return [key, out];
      }),
    );
  }
  return value;
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
      location: locateInDocument(options.positions, keyPath),
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
    location: locateInDocument(options.positions, keyPath),
    keyPath,
  });
}
