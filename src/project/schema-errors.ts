import type { ErrorObject } from 'ajv';
import { formatKeyPath, type KeyPath } from './key-path.js';
import { suggestKey } from './suggest.js';

/** One real problem found by the schema, ready to become a ComposeError. */
export interface SchemaProblem {
  keyPath: KeyPath;
  problem: string;
  hint?: string | undefined;
  /** What to point at in the file: for an unknown key, the key itself rather than its parent. */
  locatePath: KeyPath;
}

type JsonSchema = Record<string, unknown>;

/** An ajv error, or several alternatives (anyOf) of which none accepts the value's type. */
type Item =
  | { kind: 'error'; pointer: string; error: ErrorObject }
  | { kind: 'mismatch'; pointer: string; data: unknown; nouns: string[] };

/**
 * Turns ajv's raw errors (compiled with allErrors and verbose) into one problem per real mistake.
 *
 * ajv reports every failed branch of an anyOf, then the anyOf itself. The branches whose type does not
 * accept the value are noise: when one branch does accept it, only that branch's errors are kept; when
 * none does, they become a single "must be a string, a number or a port mapping".
 */
export function explainSchemaErrors(errors: readonly ErrorObject[], data: unknown): SchemaProblem[] {
  const items: Item[] = [];
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') collapseAlternatives(items, error);
    else items.push({ kind: 'error', pointer: error.instancePath, error });
  }
  // A value of the wrong type also fails its schema's enum or pattern: the type error alone says it.
  const mistyped = new Set<unknown>();
  for (const item of items)
    if (item.kind === 'error' && item.error.keyword === 'type') mistyped.add(item.error.parentSchema);
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const item of items) {
    if (item.kind === 'error' && item.error.keyword !== 'type' && mistyped.has(item.error.parentSchema))
      continue;
    const problem = explainItem(item, data);
    const id = `${formatKeyPath(problem.keyPath)}\u0000${problem.problem}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(problem);
  }
  return problems;
}

function collapseAlternatives(items: Item[], error: ErrorObject): void {
  const pointer = error.instancePath;
  // The branches' errors are the ones ajv pushed just before the anyOf error, all at or under its value.
  let start = items.length;
  while (start > 0 && isAtOrUnder(items[start - 1]!.pointer, pointer)) start--;
  const block = items.splice(start);
  const kept: Item[] = [];
  const nouns: string[] = [];
  for (const item of block) {
    if (item.pointer !== pointer) kept.push(item);
    else if (item.kind === 'mismatch') nouns.push(...item.nouns);
    else if (!schemaAccepts(asSchema(item.error.parentSchema), error.data))
      nouns.push(...describe(item.error, true));
    else kept.push(item);
  }
  if (kept.length > 0) items.push(...kept);
  else items.push({ kind: 'mismatch', pointer, data: error.data, nouns: unique(nouns) });
}

function explainItem(item: Item, data: unknown): SchemaProblem {
  const keyPath = toKeyPath(item.pointer, data);
  if (item.kind === 'mismatch')
    return { keyPath, locatePath: keyPath, problem: `must be ${joinOr(item.nouns)}` };
  const { error } = item;
  const params: Record<string, unknown> = error.params;
  const schema = asSchema(error.parentSchema);
  switch (error.keyword) {
    case 'type':
      return { keyPath, locatePath: keyPath, problem: `must be ${joinOr(describe(error, false))}` };
    case 'additionalProperties':
      return unknownKey(keyPath, String(params['additionalProperty']), schema, valueAt(data, keyPath));
    case 'required':
      return {
        keyPath,
        locatePath: keyPath,
        problem: `missing required property ${JSON.stringify(params['missingProperty'])}`,
      };
    case 'enum': {
      const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'] : [];
      const suggestion =
        typeof error.data === 'string' ? suggestKey(error.data, allowed.map(String)) : undefined;
      return {
        keyPath,
        locatePath: keyPath,
        problem: `invalid value ${JSON.stringify(error.data)}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
        hint: suggestion === undefined ? undefined : `did you mean ${JSON.stringify(suggestion)}?`,
      };
    }
    case 'pattern': {
      const key = keyPath[keyPath.length - 1];
      return {
        keyPath,
        locatePath: keyPath,
        problem: `invalid value ${JSON.stringify(error.data)}`,
        hint: PATTERN_HINTS[String(key)] ?? `it must match ${String(params['pattern'])}`,
      };
    }
    case 'uniqueItems': {
      const i = Number(params['i']);
      const j = Number(params['j']);
      const duplicate = [...keyPath, Math.max(i, j)];
      return {
        keyPath: duplicate,
        locatePath: duplicate,
        problem: `duplicate entry: same as ${formatKeyPath([...keyPath, Math.min(i, j)])}`,
      };
    }
    default:
      return { keyPath, locatePath: keyPath, problem: error.message ?? `is invalid (${error.keyword})` };
  }
}

/** What the `pattern`s of the schema mean, in words. */
const PATTERN_HINTS: Record<string, string> = {
  container_name: 'use a letter or digit, then letters, digits, "_", "." or "-"',
  pull_policy:
    'use always, never, build, missing, if_not_present, refresh, daily, weekly or every_<duration>',
};

const NAME_PATTERN = '^[a-zA-Z0-9._-]+$';

function unknownKey(keyPath: KeyPath, key: string, schema: JsonSchema, parent: unknown): SchemaProblem {
  const locatePath = [...keyPath, key];
  const properties = asSchema(schema['properties']);
  const known = Object.keys(properties);
  if (known.length === 0) {
    const patterns = Object.keys(asSchema(schema['patternProperties']));
    if (patterns.includes(NAME_PATTERN)) {
      return {
        keyPath,
        locatePath,
        problem: `invalid name ${JSON.stringify(key)}`,
        hint: 'names may contain only letters, digits, ".", "_" and "-"',
      };
    }
    return { keyPath, locatePath, problem: `key ${JSON.stringify(key)} is not allowed` };
  }
  const suggestion = suggestKey(key, known);
  let hint: string | undefined;
  if (suggestion !== undefined) hint = `did you mean ${JSON.stringify(suggestion)}?`;
  else if (keyPath.length === 0 && looksLikeService(parent, key)) {
    hint = 'version 1 files are not supported: put services under "services:"';
  } else if (keyPath.length === 0) hint = `top-level keys are ${known.join(', ')} and x-*`;
  else if (Object.keys(asSchema(schema['patternProperties'])).includes('^x-')) {
    hint = 'custom keys must start with "x-"';
  }
  return { keyPath, locatePath, problem: `additional property ${JSON.stringify(key)} is not allowed`, hint };
}

function looksLikeService(root: unknown, key: string): boolean {
  if (!isObject(root)) return false;
  const value = root[key];
  return isObject(value) && ('image' in value || 'build' in value);
}

/** Whether a schema's `type` admits the value (a schema without `type` admits everything). */
function schemaAccepts(schema: JsonSchema, value: unknown): boolean {
  const types = typesOf(schema['type']);
  if (types.length === 0) return true;
  return types.some((type) => {
    switch (type) {
      case 'null':
        return value === null;
      case 'boolean':
        return typeof value === 'boolean';
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'number':
        return typeof value === 'number';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isObject(value);
      default:
        return false;
    }
  });
}

/**
 * What the schema behind an error accepts, in words: "a string", "a list of strings", "a port mapping".
 * Titles name the alternatives of an anyOf; alone, "services.web must be a service" would say nothing.
 */
function describe(error: ErrorObject, useTitle: boolean): string[] {
  const schema = asSchema(error.parentSchema);
  const types = typesOf(error.keyword === 'type' ? error.params['type'] : schema['type']);
  const title = schema['title'];
  const values = schema['enum'];
  if (Array.isArray(values)) return [values.map((v) => JSON.stringify(v)).join(' or ')];
  return types.map((type) => {
    if (type === 'object' && useTitle && typeof title === 'string') return withArticle(title.toLowerCase());
    if (type === 'array') {
      const items = asSchema(schema['items']);
      return typesOf(items['type']).join() === 'string' ? 'a list of strings' : 'a list';
    }
    return TYPE_NOUNS[type] ?? type;
  });
}

const TYPE_NOUNS: Record<string, string> = {
  null: 'null',
  boolean: 'a boolean',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  object: 'a mapping',
  array: 'a list',
};

function typesOf(type: unknown): string[] {
  if (typeof type === 'string') return type.split(',');
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return [];
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function joinOr(nouns: readonly string[]): string {
  const list = unique(nouns);
  if (list.length <= 1) return list[0] ?? 'something else';
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function isAtOrUnder(pointer: string, parent: string): boolean {
  return pointer === parent || pointer.startsWith(`${parent}/`);
}

/** A JSON pointer (`/services/web/ports/0`) as a key path, with numbers where the data has sequences. */
export function toKeyPath(pointer: string, data: unknown): KeyPath {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(segment);
      path.push(index);
      node = node[index];
    } else {
      path.push(segment);
      node = isObject(node) ? node[segment] : undefined;
    }
  }
  return path;
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let node = data;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isObject(node) && typeof segment === 'string') node = node[segment];
    else return undefined;
  }
  return node;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): JsonSchema {
  return isObject(value) ? value : {};
}
