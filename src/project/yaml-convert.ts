import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Scalar,
  type ScalarTag,
  type YAMLMap,
} from 'yaml';
import type { ComposeDict } from './dict.js';
import { ComposeError } from './errors.js';
import type { KeyPath } from './key-path.js';
import { setOwn } from './own-key.js';
import type { Position, PositionNode } from './source-map.js';
import { OverrideTag, ResetTag } from './tags.js';

/** `0440`, `-017`: an integer Go's ParseInt(text, 0, 64) reads as octal. */
const LEGACY_OCTAL = /^[-+]?0[0-7]+$/;

/** Deeper than any real Compose file; refusing it keeps the walk (and later stages) off the stack limit. */
export const MAX_DEPTH = 64;

/** Nodes produced by alias expansion; far above real files, far below a billion-laughs bomb. */
export const MAX_ALIAS_NODES = 500_000;

/** A node of a parsed document, as far as this walk needs to know. */
type YamlNode = NonNullable<Document.Parsed['contents']>;

/**
 * Turns one parsed YAML document into plain data, recording where each key and sequence item was
 * written. Aliases and `<<` merge keys are expanded here (not by the yaml library) so that every
 * expansion is counted and every key is checked.
 */
export class DocumentConverter {
  /** Anchors defined so far, in document order: an alias refers to the latest one before it. */
  private readonly anchors = new Map<string, YamlNode>();
  /** > 0 while expanding an alias: those nodes were already walked and their anchors registered. */
  private aliasDepth = 0;
  private aliasNodes = 0;
  /** The outermost alias being expanded: where an alias bomb is reported. */
  private outerAlias: YamlNode | undefined;
  /** > 0 while reading a merge source: explicit keys of the mapping keep their positions. */
  private mergeDepth = 0;

  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly schemaTags: Document.Parsed['schema']['tags'],
  ) {}

  /**
   * `path` is a stack the walk pushes to and pops from (copied when an error keeps it); `slot` is its
   * node in the document's positions tree.
   */
  convert(node: YamlNode, path: (string | number)[], slot: PositionNode, depth: number): unknown {
    if (depth > MAX_DEPTH) {
      throw this.error(node, path, `more than ${MAX_DEPTH} levels of nesting`, 'flatten the structure');
    }
    if (this.aliasDepth > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      throw this.error(
        this.outerAlias ?? node,
        path,
        'too many alias expansions (possible billion-laughs attack)',
        'aliases that repeat other aliases grow exponentially; use fewer levels of them',
      );
    }
    if (isAlias(node)) return this.expandAlias(node.source, node, path, slot, depth);

    let value: unknown;
    if (node.tag === '!reset') value = new ResetTag();
    else if (node.tag === '!override') value = new OverrideTag(this.convertContent(node, path, slot, depth));
    else value = this.convertContent(node, path, slot, depth);

    // Registered once complete: an alias inside its own anchor is refused instead of recursing.
    if (node.anchor && this.aliasDepth === 0) this.anchors.set(node.anchor, node);
    return value;
  }

  private convertContent(
    node: YamlNode,
    path: (string | number)[],
    slot: PositionNode,
    depth: number,
  ): unknown {
    if (isMap(node)) return this.convertMap(node, path, slot, depth);
    if (isSeq(node)) {
      const items = node.items;
      const out: unknown[] = new Array<unknown>(items.length);
      for (let index = 0; index < items.length; index++) {
        const item = items[index] as YamlNode | null;
        if (item === null) {
          out[index] = null;
          continue;
        }
        const itemSlot = slot.child(index);
        this.setPosition(itemSlot, item.range?.[0] ?? 0);
        path.push(index);
        out[index] = this.convert(item, path, itemSlot, depth + 1);
        path.pop();
      }
      return out;
    }
    if (isScalar(node)) return this.scalarValue(node);
    return null;
  }

  private expandAlias(
    name: string,
    node: YamlNode,
    path: (string | number)[],
    slot: PositionNode,
    depth: number,
  ): unknown {
    const target = this.anchors.get(name);
    if (!target) {
      throw this.error(
        node,
        path,
        `alias "*${name}" refers to no anchor defined before it`,
        `define "&${name}" first`,
      );
    }
    if (this.aliasDepth === 0) this.outerAlias = node;
    this.aliasDepth++;
    try {
      return this.convert(target, path, slot, depth);
    } finally {
      this.aliasDepth--;
    }
  }

  private convertMap(
    node: YAMLMap.Parsed,
    path: (string | number)[],
    slot: PositionNode,
    depth: number,
  ): ComposeDict {
    const out: ComposeDict = {};
    // Offsets of the keys written in this mapping, for the duplicate-key error.
    const explicitKeys = new Map<string, number>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      if (isMergeKey(keyNode)) {
        this.applyMerge(out, pair.value as YamlNode | null, keyNode, path, slot, depth);
        continue;
      }
      const key = this.keyString(keyNode, node, path);
      const offset = (keyNode ?? node).range?.[0] ?? 0;
      const first = explicitKeys.get(key);
      if (first !== undefined) {
        const position = this.positionAt(offset);
        throw new ComposeError(
          `duplicate key "${key}" at line ${position.line} (first defined at line ${this.positionAt(first).line})`,
          {
            location: { file: this.file, ...position },
            keyPath: [...path, key],
            hint: 'remove one of them',
          },
        );
      }
      explicitKeys.set(key, offset);
      const keySlot = slot.child(key);
      this.setPosition(keySlot, offset);
      const valueNode = pair.value as YamlNode | null;
      if (valueNode === null) {
        setOwn(out, key, null);
        continue;
      }
      path.push(key);
      setOwn(out, key, this.convert(valueNode, path, keySlot, depth + 1));
      path.pop();
    }
    return out;
  }

  /** `<<: *a` or `<<: [*a, *b]`: keys not already present are added; earlier sources win (YAML merge spec). */
  private applyMerge(
    out: ComposeDict,
    value: YamlNode | null,
    keyNode: YamlNode,
    path: (string | number)[],
    slot: PositionNode,
    depth: number,
  ): void {
    const sources = value !== null && isSeq(value) ? value.items : [value];
    for (const source of sources) {
      const data = source === null ? null : this.asMergeSource(source, path, slot, depth);
      if (data === undefined) {
        throw this.error(
          source ?? keyNode,
          path,
          'a merge key (<<) takes a mapping or a list of mappings',
          'write "<<: *anchor" where the anchor names a mapping',
        );
      }
      if (data === null) continue;
      for (const key in data) {
        if (Object.hasOwn(data, key) && !Object.hasOwn(out, key)) setOwn(out, key, data[key]);
      }
    }
  }

  private asMergeSource(
    source: YamlNode,
    path: (string | number)[],
    slot: PositionNode,
    depth: number,
  ): ComposeDict | null | undefined {
    this.mergeDepth++;
    try {
      const data = this.convert(source, path, slot, depth);
      if (data === null) return null;
      return typeof data === 'object' &&
        !Array.isArray(data) &&
        !(data instanceof ResetTag) &&
        !(data instanceof OverrideTag)
        ? (data as ComposeDict)
        : undefined;
    } finally {
      this.mergeDepth--;
    }
  }

  /** Compose keys are strings; numbers and booleans keep their source text (`80: x` -> "80"), as compose-go does. */
  private keyString(keyNode: YamlNode | null, map: YamlNode, path: KeyPath): string {
    let node = keyNode;
    if (node !== null && isAlias(node)) {
      const name = node.source;
      node = this.anchors.get(name) ?? null;
      if (node === null) {
        throw this.error(
          keyNode ?? map,
          path,
          `alias "*${name}" refers to no anchor defined before it`,
          `define "&${name}" first`,
        );
      }
    }
    if (node !== null && isScalar(node)) {
      const value = node.value;
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
        return node.source ?? String(value);
      }
    }
    const kind =
      node === null || (isScalar(node) && node.value === null)
        ? 'null'
        : isSeq(node)
          ? 'a sequence'
          : 'a mapping';
    throw this.error(
      keyNode ?? map,
      path,
      kind === 'null' ? 'a mapping key is empty (null)' : `a mapping key must be a string, not ${kind}`,
      kind === 'null'
        ? 'write a name before the colon, or quote "~" or "null"'
        : 'use a plain name as the key',
    );
  }

  private scalarValue(node: Scalar.Parsed): unknown {
    let value: unknown = node.value;
    // The yaml library reads a plain scalar with an unknown tag as a string; `!override 8080` must stay a number.
    if (node.tag === '!override' && node.type === 'PLAIN' && typeof value === 'string') {
      value = this.resolvePlain(value);
    }
    // Compose's YAML library reads integers with Go's base prefixes: a leading 0 means octal, so an
    // unquoted `mode: 0440` is 288 there, not the 440 of YAML 1.2.
    if (typeof value === 'number' && node.type === 'PLAIN' && node.source && LEGACY_OCTAL.test(node.source)) {
      value = Number.parseInt(node.source.replace(/^([-+]?)0/, '$1'), 8);
    }
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      return value;
    }
    return String(value);
  }

  private resolvePlain(text: string): unknown {
    for (const tag of this.schemaTags) {
      if (tag.default && tag.test instanceof RegExp && tag.test.test(text) && !tag.collection) {
        const scalarTag = tag as ScalarTag;
        return scalarTag.resolve(text, () => undefined, {});
      }
    }
    return text;
  }

  private setPosition(slot: PositionNode, offset: number): void {
    // Inside a merge source, positions already set (by the mapping's own keys, or an earlier source) win.
    if (this.mergeDepth > 0 && slot.value !== undefined) return;
    slot.value = offset;
  }

  positionOf(node: YamlNode): Position {
    return this.positionAt(node.range?.[0] ?? 0);
  }

  positionAt(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  private error(node: YamlNode, path: KeyPath, problem: string, hint: string): ComposeError {
    return new ComposeError(problem, {
      location: { file: this.file, ...this.positionOf(node) },
      // The walk keeps mutating its path stack; the error keeps a copy.
      keyPath: [...path],
      hint,
    });
  }
}

function isMergeKey(node: YamlNode | null): node is YamlNode {
  if (node === null || !isScalar(node)) return false;
  return typeof node.value === 'symbol' || (node.type === 'PLAIN' && node.source === '<<');
}
