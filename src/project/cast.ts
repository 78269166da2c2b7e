import { isDict, type ComposeDict } from './dict.js';
import { ComposeError } from './errors.js';
import type { KeyPath } from './key-path.js';
import type { DocumentPositions } from './source-map.js';
import { isOverrideTag, OverrideTag } from './tags.js';
import {
  ANY_INDEX,
  ANY_KEY,
  buildTypedTree,
  TYPED_FIELDS,
  type CastKind,
  type TypedNode,
} from './typed-fields.js';
import type { Warnings } from './warnings.js';

export interface CastOptions {
  positions: DocumentPositions;
  warnings: Warnings;
}

const TYPED_TREE = buildTypedTree(TYPED_FIELDS);

/**
 * Casts string values of fields whose type is an integer, a number or a boolean (see ./typed-fields.ts)
 * back to that type, as compose-go does after interpolation. Values of other types are left for
 * validation. Returns a new model; branches without typed fields are shared with the input.
 */
export function castTypedFields(model: ComposeDict, options: CastOptions): ComposeDict {
  return walk(model, [TYPED_TREE], [], options) as ComposeDict;
}

function walk(value: unknown, nodes: TypedNode[], path: (string | number)[], options: CastOptions): unknown {
  if (typeof value === 'string') {
    const kind = nodes.find((n) => n.cast !== undefined)?.cast;
    return kind === undefined ? value : castString(value, kind, [...path], options);
  }
  if (isOverrideTag(value)) return new OverrideTag(walk(value.value, nodes, path, options));
  if (Array.isArray(value)) {
    const next = childNodes(nodes, [ANY_INDEX]);
    if (next.length === 0) return value;
    return value.map((item: unknown, index) => descend(item, next, path, index, options));
  }
  if (isDict(value)) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
      const next = childNodes(nodes, [key, ANY_KEY]);
      if (next.length === 0) return [key, item];
      const out = descend(item, next, path, key, options);
      if (out !== item) changed = true;
      return [key, out];
    });
    // fromEntries keeps a `__proto__` key as data instead of setting the prototype.
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

function descend(
  value: unknown,
  nodes: TypedNode[],
  path: (string | number)[],
  segment: string | number,
  options: CastOptions,
): unknown {
  path.push(segment);
  try {
    return walk(value, nodes, path, options);
  } finally {
    path.pop();
  }
}

function childNodes(nodes: TypedNode[], segments: string[]): TypedNode[] {
  const out: TypedNode[] = [];
  for (const node of nodes) {
    for (const segment of segments) {
      const child = node.children.get(segment);
      if (child) out.push(child);
    }
  }
  return out;
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const OCTAL = /^(?:0o)?([0-7]+)$/i;
const YAML11_TRUE = new Set(['y', 'yes', 'on']);
const YAML11_FALSE = new Set(['n', 'no', 'off']);

function castString(text: string, kind: CastKind, keyPath: KeyPath, options: CastOptions): unknown {
  const fail = (expected: string, hint?: string): never => {
    throw new ComposeError(`must be ${expected}, got ${JSON.stringify(text)}`, {
      location: options.positions.locate(keyPath),
      keyPath,
      hint,
    });
  };
  switch (kind) {
    case 'int':
    case 'intIfNumeric': {
      if (INTEGER.test(text)) {
        const n = Number(text);
        if (Number.isSafeInteger(n)) return n;
        return fail('an integer', 'the number is too large');
      }
      return kind === 'int' ? fail('an integer') : text;
    }
    case 'float':
      return NUMBER.test(text) ? Number(text) : fail('a number');
    case 'octal': {
      const digits = OCTAL.exec(text)?.[1];
      return digits === undefined
        ? fail('an octal file mode', 'write the mode in octal, for example "0440"')
        : parseInt(digits, 8);
    }
    case 'bool':
      return castBoolean(text, keyPath, options, () => fail('a boolean', 'use true or false'));
  }
}

function castBoolean(text: string, keyPath: KeyPath, options: CastOptions, fail: () => never): boolean {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  const legacy = YAML11_TRUE.has(lower) ? true : YAML11_FALSE.has(lower) ? false : undefined;
  if (legacy === undefined) return fail();
  // YAML 1.1 spellings that compose-go still accepts, with a warning.
  options.warnings.add({
    message: `${JSON.stringify(text)} is not a boolean in YAML 1.2; use ${String(legacy)} instead`,
    location: options.positions.locate(keyPath),
    keyPath,
  });
  return legacy;
}
