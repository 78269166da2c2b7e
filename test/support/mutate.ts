import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  Pair,
  parseAllDocuments,
  Scalar,
  stringify,
  visit,
} from 'yaml';

/**
 * A seeded mutator of compose files for the loader fuzz suites. Every mutant is a pure function of
 * (seed, index, source): a failure is reproduced from the seed and index it prints.
 */

export const MUTATION_KINDS = [
  'type-swap',
  'delete',
  'duplicate',
  'deep-nesting',
  'alias-bomb',
  'huge-string',
  'invalid-utf8',
  'nul-byte',
  'tag',
  'truncate',
  'byte-flip',
  'interpolation-junk',
] as const;

export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutant {
  kind: MutationKind;
  bytes: Buffer;
  /** What was done, for the failure report. */
  note: string;
}

export interface MutateLimits {
  /** Largest huge string, in bytes (tens of MB in the long run). */
  hugeBytes: number;
  /** Deepest nesting written. */
  maxDepth: number;
  /** The share of huge strings of half to all of `hugeBytes` (the others stay under a megabyte). */
  bigShare: number;
}

/** mulberry32: tiny, fast and good enough to spread mutations; not for anything secret. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator for item `index` of a run: each mutant reproducible on its own. */
  static forItem(seed: number, index: number): Rng {
    return new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Spread evenly over orders of magnitude: most values small, some near `hi`. */
  logRange(lo: number, hi: number): number {
    return Math.min(hi, Math.floor(lo * Math.pow(hi / lo, this.next())));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An item with chances in proportion to its weight (1 when not given). */
  weighted<T extends string>(items: readonly T[], weights: Partial<Record<T, number>>): T {
    const total = items.reduce((sum, item) => sum + (weights[item] ?? 1), 0);
    let at = this.next() * total;
    for (const item of items) {
      at -= weights[item] ?? 1;
      if (at < 0) return item;
    }
    return items[items.length - 1]!;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }
}

export function mutate(source: Buffer, kind: MutationKind, rng: Rng, limits: MutateLimits): Mutant {
  const text = source.toString('utf8');
  const done = (bytes: Buffer | string, note: string): Mutant => ({
    kind,
    bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes,
    note,
  });
  switch (kind) {
    case 'type-swap': {
      const out = editDocument(text, rng, (doc, node) => swapType(doc, node, rng));
      return out
        ? done(out, 'node type swapped')
        : done(replaceValueText(text, rng, swapText(rng)), 'value text swapped');
    }
    case 'delete': {
      const out = deleteNode(text, rng);
      return out ? done(out, 'pair or item deleted') : done(deleteLines(text, rng), 'lines deleted');
    }
    case 'duplicate':
      return duplicate(text, rng, done);
    case 'deep-nesting':
      return done(deepNesting(text, rng, limits.maxDepth), 'deep nesting');
    case 'alias-bomb':
      return done(aliasBomb(text, rng), 'alias bomb');
    case 'huge-string':
      return done(hugeString(text, rng, limits), 'huge string');
    case 'invalid-utf8':
      return done(invalidUtf8(source, rng), 'invalid UTF-8');
    case 'nul-byte':
      return done(insertBytes(source, rng.int(source.length + 1), Buffer.from([0])), 'NUL byte');
    case 'tag': {
      const tag = rng.pick(TAGS);
      const out = rng.chance(0.7)
        ? editDocument(text, rng, (_doc, node) => {
            node.tag = tag;
            return node;
          })
        : undefined;
      return out ? done(out, `tag ${tag}`) : done(tagText(text, rng, tag), `tag ${tag} in text`);
    }
    case 'truncate': {
      const at = rng.int(source.length + 1);
      return done(source.subarray(0, at), `truncated at byte ${at}`);
    }
    case 'byte-flip':
      return done(flipBytes(source, rng), 'bytes flipped');
    case 'interpolation-junk': {
      const junk = interpolationJunk(rng, limits.maxDepth);
      const out = rng.chance(0.5)
        ? editDocument(text, rng, (doc, node) => (isScalar(node) ? doc.createNode(junk) : undefined))
        : undefined;
      return out
        ? done(out, 'interpolation junk value')
        : done(insertAtLine(text, rng, junk), 'interpolation junk');
    }
  }
}

/** Random compose-shaped YAML: often valid, often subtly not (each value goes wrong with `slip`). */
export function randomCompose(rng: Rng): string {
  const slip = rng.pick([0, 0.02, 0.1, 0.3]);
  const one: Choose = (good, bad) => (rng.chance(slip) ? rng.pick(bad) : rng.pick(good));
  const names = Array.from({ length: rng.range(1, 6) }, (_, i) => `${rng.pick(WORDS)}${i}`);
  const services: Record<string, unknown> = {};
  names.forEach((name, i) => (services[name] = randomService(rng, one, names.slice(0, i))));
  const model: Record<string, unknown> = { services };
  if (rng.chance(0.3)) model.name = one(['demo', 'x_y-z', '123'], ['Bad Name', '', '../up', '_x']);
  if (rng.chance(0.2)) model.version = one(['3.8', '2'], [3, '', []]);
  if (rng.chance(0.4)) model.volumes = { data: one([null, { driver: 'local' }], [{ driver: 7 }, 'x']) };
  if (rng.chance(0.4)) model.networks = { front: one([{}, { internal: true }], [{ internal: 'yes' }, 1]) };
  if (rng.chance(0.3))
    model.secrets = { token: one([{ environment: 'TOKEN' }], [{ file: './token.txt' }, 'x']) };
  if (rng.chance(0.2)) model.configs = { conf: one([{ content: 'a=1' }], [{ file: './c.conf' }, {}]) };
  if (rng.chance(0.2)) model['x-common'] = randomValue(rng, 3);
  if (rng.chance(slip)) model.include = [rng.pick(['missing.yaml', '../x.yaml', { path: 'other.yaml' }])];
  if (rng.chance(slip)) model[rng.pick(WORDS)] = randomValue(rng, 3);
  return stringify(model, {
    indent: rng.pick([2, 4]),
    flowCollectionPadding: rng.chance(0.5),
    collectionStyle: rng.pick(['any', 'block', 'flow'] as const),
    defaultStringType: rng.pick(['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'] as const),
  });
}

/** A printable rendering of a mutant for failure reports: escapes control bytes, keeps it short. */
export function describeMutant(bytes: Buffer, max = 3000): string {
  const head = bytes.subarray(0, max).toString('latin1');
  const shown = head.replace(/[^\n\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return bytes.length > max ? `${shown}\n... (${bytes.length} bytes in all)` : shown;
}

const WORDS = ['web', 'api', 'db', 'cache', 'worker', 'proxy', 'job'];

const TAGS = [
  '!!binary',
  '!reset',
  '!override',
  '!foo',
  '!!str',
  '!!int',
  '!!float',
  '!!bool',
  '!!null',
  '!!map',
  '!!seq',
  '!!set',
  '!!omap',
  '!!pairs',
  '!!timestamp',
  '!',
  '!<tag:example.com,2000:x>',
];

const JUNK = [
  '${',
  '${X:?}',
  '$$$',
  '${X:?must be set}',
  '$',
  '${}',
  '${:-x}',
  '${X:-${Y:-${',
  '${X/y}',
  '${ X }',
  '${1}',
  '$1',
  '${X:+${X}}',
  '${{X}}',
  '${X-${X-${X}}}',
  '${X:?${Y}}',
  '${X:-}}}',
  '$${X}',
  '$$${X}',
  '${HOME}${HOME:-$}',
  '${X?}',
  '${X:}',
  '${X::-y}',
  '${-}',
  '${X-${}}',
  '${\u00e9}',
];

function interpolationJunk(rng: Rng, maxDepth: number): string {
  const roll = rng.int(10);
  if (roll === 0) {
    const depth = rng.logRange(10, maxDepth);
    return `${'${A:-'.repeat(depth)}x${'}'.repeat(rng.chance(0.5) ? depth : rng.int(depth))}`;
  }
  if (roll === 1) return '$'.repeat(rng.range(1, 20_000));
  if (roll === 2) return '${X}'.repeat(rng.range(100, 20_000));
  return Array.from({ length: rng.range(1, 4) }, () => rng.pick(JUNK)).join(rng.pick(['', ' ', 'x']));
}

/** Parses the text, lets `edit` replace one random node (keys included), and prints it again. */
function editDocument(
  text: string,
  rng: Rng,
  edit: (doc: Document, node: Scalar | import('yaml').YAMLMap | import('yaml').YAMLSeq) => unknown,
): string | undefined {
  const docs = parsed(text);
  if (!docs) return undefined;
  const doc = rng.pick(docs);
  let count = 0;
  visit(doc, {
    Node(_key, node) {
      if (isScalar(node) || isMap(node) || isSeq(node)) count++;
    },
  });
  if (count === 0) return undefined;
  const target = rng.int(count);
  let seen = 0;
  let changed = false;
  visit(doc, {
    Node(_key, node) {
      if (!(isScalar(node) || isMap(node) || isSeq(node))) return undefined;
      if (seen++ !== target) return undefined;
      const replacement = edit(doc, node);
      if (replacement === undefined) return visit.BREAK;
      changed = true;
      return replacement === node ? visit.BREAK : (replacement as Scalar);
    },
  });
  return changed ? printDocuments(docs) : undefined;
}

function parsed(text: string): Document[] | undefined {
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: false, merge: false });
    if (!Array.isArray(docs) || docs.length === 0 || docs.some((d) => d.errors.length > 0)) return undefined;
    return docs;
  } catch {
    return undefined;
  }
}

function printDocuments(docs: Document[]): string | undefined {
  try {
    return docs.map((d) => d.toString()).join(docs.length > 1 ? '---\n' : '');
  } catch {
    return undefined;
  }
}

const SCALARS: readonly unknown[] = [
  0,
  -1,
  80,
  1.5,
  1e300,
  '1e400',
  '9007199254740993',
  Number.MAX_SAFE_INTEGER,
  '80',
  '0x1F',
  '0o17',
  '0440',
  '-0',
  '.inf',
  '.nan',
  true,
  false,
  'true',
  'yes',
  'off',
  null,
  '',
  '~',
  'null',
  'x',
  '__proto__',
  'constructor',
  'toString',
  '1h2m3s',
  '-5s',
  '127.0.0.1:80:80/udp',
  '../../etc/passwd',
];

function swapType(
  doc: Document,
  node: Scalar | import('yaml').YAMLMap | import('yaml').YAMLSeq,
  rng: Rng,
): unknown {
  const plain = node.toJSON() as unknown;
  if (isScalar(node)) {
    const roll = rng.int(4);
    if (roll === 0) return doc.createNode({ [String(plain)]: plain });
    if (roll === 1) return doc.createNode([plain]);
    if (roll === 2 && typeof plain === 'string' && plain.trim() !== '' && !Number.isNaN(Number(plain))) {
      return doc.createNode(Number(plain));
    }
    if (roll === 2 && typeof plain === 'number') return doc.createNode(String(plain));
    return doc.createNode(rng.pick(SCALARS));
  }
  const roll = rng.int(4);
  if (roll === 0) return doc.createNode(rng.pick(SCALARS));
  if (roll === 1) return isMap(node) ? doc.createNode(node.items.map((p) => p.value)) : doc.createNode({});
  if (roll === 2 && isSeq(node)) {
    const out: Record<string, unknown> = {};
    node.items.forEach((item, i) => (out[String(i)] = item));
    return doc.createNode(out);
  }
  return doc.createNode(isMap(node) ? [] : {});
}

function deleteNode(text: string, rng: Rng): string | undefined {
  const docs = parsed(text);
  if (!docs) return undefined;
  const doc = rng.pick(docs);
  let count = 0;
  const removable = (key: unknown, node: unknown): boolean => node instanceof Pair || typeof key === 'number';
  visit(doc, {
    Node: (key, node) => void (removable(key, node) && count++),
    Pair: (key, node) => void (removable(key, node) && count++),
  });
  if (count === 0) return undefined;
  const target = rng.int(count);
  let seen = 0;
  const remove = (key: unknown, node: unknown): symbol | undefined =>
    removable(key, node) && seen++ === target ? visit.REMOVE : undefined;
  visit(doc, { Node: remove, Pair: remove });
  return printDocuments(docs);
}

function lines(text: string): string[] {
  return text.split('\n');
}

function deleteLines(text: string, rng: Rng): string {
  const all = lines(text);
  const at = rng.int(all.length);
  all.splice(at, rng.range(1, 3));
  return all.join('\n');
}

function duplicate(text: string, rng: Rng, done: (b: string, note: string) => Mutant): Mutant {
  const roll = rng.int(4);
  const docs = roll === 0 ? undefined : parsed(text);
  const doc = docs ? rng.pick(docs) : undefined;
  if (docs && doc && roll === 1) {
    // A service copied under a new name (or its own name: a duplicate key).
    const services = doc.get('services', true);
    if (isMap(services) && services.items.length > 0) {
      const pair = rng.pick(services.items);
      const copies = rng.chance(0.2) ? rng.range(50, 500) : 1;
      for (let i = 0; i < copies; i++) {
        const name = rng.chance(0.3) ? (pair.key as unknown) : `${String(pair.key)}-copy${i}`;
        services.items.push(new Pair(doc.createNode(name), (pair.value as Scalar | null)?.clone?.() ?? null));
      }
      const out = printDocuments(docs);
      if (out) return done(out, `service duplicated x${copies}`);
    }
  }
  if (docs && doc && roll === 2) {
    // A list item repeated, sometimes many times.
    const seqs: import('yaml').YAMLSeq[] = [];
    visit(doc, { Seq: (_k, seq) => void seqs.push(seq) });
    const seq = seqs.length > 0 ? rng.pick(seqs) : undefined;
    if (seq && seq.items.length > 0) {
      const item = rng.pick(seq.items);
      const copies = rng.chance(0.2) ? rng.range(100, 5000) : 1;
      for (let i = 0; i < copies; i++) seq.items.push(item);
      const out = printDocuments(docs);
      if (out) return done(out, `list item duplicated x${copies}`);
    }
  }
  if (docs && doc && roll === 3) {
    // A key repeated in its mapping.
    const maps: import('yaml').YAMLMap[] = [];
    visit(doc, { Map: (_k, map) => void maps.push(map) });
    const map = maps.length > 0 ? rng.pick(maps) : undefined;
    if (map && map.items.length > 0) {
      const pair = rng.pick(map.items);
      map.items.splice(rng.int(map.items.length + 1), 0, new Pair(pair.key, pair.value));
      const out = printDocuments(docs);
      if (out) return done(out, 'key duplicated');
    }
  }
  // A line repeated: usually a duplicate key.
  const all = lines(text);
  const at = rng.int(all.length);
  all.splice(at, 0, all[at] ?? '');
  return done(all.join('\n'), `line ${at + 1} duplicated`);
}

/** Lines of the form `  key: value` (or `- key: value`) whose value can be replaced. */
const VALUE_LINE = /^(\s*(?:- )?)([A-Za-z0-9_.<-][^:#]*):( +\S.*)?$/;

function replaceValueText(text: string, rng: Rng, value: string): string {
  const all = lines(text);
  const candidates = all.map((l, i) => (VALUE_LINE.test(l) ? i : -1)).filter((i) => i >= 0);
  if (candidates.length === 0) return `${text}\nx-value: ${value}\n`;
  const at = rng.pick(candidates);
  const m = VALUE_LINE.exec(all[at]!)!;
  all[at] = `${m[1]}${m[2]}: ${value}`;
  return all.join('\n');
}

function swapText(rng: Rng): string {
  return rng.pick(['{a: 1}', '[1, 2]', 'null', 'true', '3', '"3"', '[]', '{}', '~', '-1', '1.5', "''"]);
}

function deepNesting(text: string, rng: Rng, maxDepth: number): string {
  const depth = rng.logRange(65, maxDepth);
  const roll = rng.int(4);
  if (roll === 0) return replaceValueText(text, rng, `${'['.repeat(depth)}${']'.repeat(depth)}`);
  if (roll === 1) return replaceValueText(text, rng, `${'{a: '.repeat(depth)}x${'}'.repeat(depth)}`);
  if (roll === 2) {
    // Block style: each level indented one more step.
    const levels = Math.min(depth, 1500);
    const out = ['x-deep:'];
    for (let i = 1; i <= levels; i++) out.push(`${' '.repeat(i)}k${i}:`);
    out.push(`${' '.repeat(levels + 1)}leaf`);
    return `${text}\n${out.join('\n')}\n`;
  }
  // Block sequences: `- - - - x`.
  return `${text}\nx-deep:\n  ${'- '.repeat(depth)}x\n`;
}

function aliasBomb(text: string, rng: Rng): string {
  const roll = rng.int(5);
  // Mostly bombs well past the loader's expansion limit, some just under it.
  const width = rng.range(3, 12);
  const levels = rng.range(3, 10);
  if (roll === 3) return `x-self: &self [*self]\n${text}`;
  if (roll === 4) return replaceValueText(text, rng, `*nowhere${rng.int(10)}`);
  const out: string[] = ['x-bomb:'];
  if (roll === 0 || roll === 1) {
    out.push(`  l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`);
    for (let i = 1; i < levels; i++)
      out.push(
        `  l${i}: &l${i} [${Array(width)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
  } else {
    // Merge keys: each level a mapping merging the one below under new keys.
    out.push('  l0: &l0 {a: 1, b: 2}');
    for (let i = 1; i < levels; i++) {
      const keys = Array.from({ length: width }, (_, k) => `k${k}: *l${i - 1}`).join(', ');
      out.push(`  l${i}: &l${i} {<<: *l${i - 1}, ${keys}}`);
    }
  }
  const top = `*l${levels - 1}`;
  const body = roll === 1 ? replaceValueText(text, rng, top) : `${text}\nx-use: ${top}\n`;
  return `${out.join('\n')}\n${body}`;
}

function hugeString(text: string, rng: Rng, limits: MutateLimits): string {
  const max = limits.hugeBytes;
  const size = rng.chance(limits.bigShare)
    ? rng.range(max >> 1, max)
    : rng.logRange(1000, Math.min(max, 1 << 20));
  const unit = rng.pick(['a', 'ab ', '\u00e9', '$$', '${X}', 'x:', '9', '\\n']);
  const body = unit.repeat(Math.max(1, Math.floor(size / unit.length)));
  const roll = rng.int(4);
  if (roll === 0) return replaceValueText(text, rng, `"${body.replace(/["\\]/g, '_')}"`);
  if (roll === 1) return replaceValueText(text, rng, `|\n  ${body}`);
  if (roll === 2) return `${text}\nx-${body.replace(/[^a-z0-9]/g, 'k').slice(0, size)}: 1\n`;
  return replaceValueText(text, rng, `'${body.replace(/'/g, '_')}'`);
}

const INVALID_SEQUENCES = [
  [0xff],
  [0xfe],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf0, 0x9f, 0x98],
];

function invalidUtf8(source: Buffer, rng: Rng): Buffer {
  const roll = rng.int(6);
  if (roll === 0)
    return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(source.toString('utf8'), 'utf16le')]);
  if (roll === 1) return Buffer.from(source.toString('utf8'), 'latin1');
  return insertBytes(source, rng.int(source.length + 1), Buffer.from(rng.pick(INVALID_SEQUENCES)));
}

function insertBytes(source: Buffer, at: number, bytes: Buffer): Buffer {
  return Buffer.concat([source.subarray(0, at), bytes, source.subarray(at)]);
}

const SPECIAL_BYTES = Buffer.from(':-{}[]"\'&*!|>#\t\n%@`,?$ ~\\');

function flipBytes(source: Buffer, rng: Rng): Buffer {
  const out = Buffer.from(source);
  if (out.length === 0) return Buffer.from([rng.int(256)]);
  const flips = rng.range(1, 8);
  for (let i = 0; i < flips; i++) {
    const at = rng.int(out.length);
    const roll = rng.int(3);
    if (roll === 0) out[at] = out[at]! ^ (1 << rng.int(8));
    else if (roll === 1) out[at] = rng.int(256);
    else out[at] = SPECIAL_BYTES[rng.int(SPECIAL_BYTES.length)]!;
  }
  return out;
}

function tagText(text: string, rng: Rng, tag: string): string {
  const roll = rng.int(3);
  if (roll === 0) return `%TAG ! tag:example.com,2000:\n---\n${text}`;
  if (roll === 1)
    return replaceValueText(text, rng, `${tag} ${rng.pick(['x', '1', '{a: 1}', '[1]', '""', 'aGVsbG8='])}`);
  return insertAtLine(text, rng, `${tag} `);
}

/** Inserts `junk` right after a `key: ` (or at a random point of a random line). */
function insertAtLine(text: string, rng: Rng, junk: string): string {
  const all = lines(text);
  const at = rng.int(all.length);
  const line = all[at] ?? '';
  const colon = line.indexOf(': ');
  const cut = colon >= 0 && rng.chance(0.7) ? colon + 2 : rng.int(line.length + 1);
  all[at] = `${line.slice(0, cut)}${junk}${line.slice(cut)}`;
  return all.join('\n');
}

/** A value from `good`, or now and then from `bad`. */
type Choose = (good: readonly unknown[], bad: readonly unknown[]) => unknown;

/** One service; `earlier` are the services it may depend on or extend (no cycles unless it slips). */
function randomService(rng: Rng, one: Choose, earlier: string[]): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  const names = earlier.length > 0 ? earlier : ['nobody'];
  s.image = one(
    ['nginx', 'busybox:1.36', 'registry:5000/a/b@sha256:abc', 'app:${TAG:-latest}'],
    ['', 'UPPER', 5],
  );
  if (rng.chance(0.3))
    s.build = one(['.', { context: '.', dockerfile: 'Dockerfile', args: { A: '1' } }], [['x'], 1]);
  if (rng.chance(0.4))
    s.command = one(['echo hi', ['sh', '-c', 'echo "$${X}"'], 'run ${TAG}'], ['', 42, ['a', null]]);
  if (rng.chance(0.2)) s.entrypoint = one(['/bin/sh -c', [], 'x ${Y:-z}'], [{}, true]);
  if (rng.chance(0.4)) s.ports = Array.from({ length: rng.range(0, 3) }, () => one(PORTS, BAD_PORTS));
  if (rng.chance(0.4)) {
    s.environment = one(
      [{ A: '1', B: 2, C: true, D: null, E: '${TAG:-2}' }, ['A=1', 'B', 'C=${TAG}']],
      [['=x', 5], { A: [] }, 'A=1'],
    );
  }
  if (rng.chance(0.3)) s.volumes = [one(VOLUMES, BAD_VOLUMES)];
  if (rng.chance(0.4)) {
    const other = rng.pick(names);
    s.depends_on = one(
      [[other], { [other]: { condition: 'service_started', required: false } }],
      [{ [other]: { condition: 'bogus' } }, other, [s.name ?? 'self']],
    );
  }
  if (rng.chance(0.2)) {
    s.healthcheck = one(
      [
        { test: ['CMD', 'true'], interval: '10s' },
        { test: 'exit 0', interval: '1m30s', retries: 3 },
        { disable: true },
      ],
      [{ test: 3 }, { test: ['CMD'], interval: 'fast' }],
    );
  }
  if (rng.chance(0.2)) {
    s.deploy = one(
      [
        { replicas: 2, resources: { limits: { cpus: '0.5', memory: '50M' } } },
        { restart_policy: { condition: 'on-failure' } },
      ],
      [{ replicas: -1 }, { replicas: 'x' }, { resources: { limits: { memory: '1x' } } }],
    );
  }
  if (rng.chance(0.2))
    s.restart = one(['no', 'always', 'on-failure:3', 'unless-stopped'], ['sometimes', false]);
  if (rng.chance(0.2))
    s.networks = one([['default'], { default: { aliases: ['a'] } }], [{ nowhere: {} }, 'front']);
  if (rng.chance(0.15)) s.profiles = one([['debug']], ['debug', [1]]);
  if (rng.chance(0.1))
    s.extends = one([{ service: rng.pick(names) }], [{ file: 'missing.yaml', service: 'x' }, 'web0']);
  if (rng.chance(0.1)) s.env_file = one([[{ path: '.env.x', required: false }]], ['.env.missing']);
  if (rng.chance(0.1)) s.ulimits = { nofile: one([{ soft: 1, hard: 2 }, 1024], ['x', { soft: 'a' }]) };
  if (rng.chance(0.1)) s.extra_hosts = one([['h:1.2.3.4'], { h: '1.2.3.4' }], [['bad'], 'x']);
  if (rng.chance(0.1)) s.labels = one([{ a: 'b' }, ['a=b', 'c']], ['x', { a: {} }]);
  if (rng.chance(0.1)) s.container_name = one(['c1', 'my-app.1'], ['../x', 'a b']);
  if (rng.chance(0.1)) s[`x-${rng.pick(WORDS)}`] = randomValue(rng, 2);
  if (rng.chance(0.1))
    s[String(one(['working_dir'], ['bogus', 'imagee']))] = one(['/app'], [randomValue(rng, 1)]);
  return s;
}

const PORTS: readonly unknown[] = [
  '80',
  '8080:80',
  '127.0.0.1:8080:80/udp',
  80,
  '80-82:80-82',
  { target: 80, published: '8080' },
  '::1:80:80',
];
const BAD_PORTS: readonly unknown[] = ['99999', 'x:y', { target: 'a' }, '80:80:80:80', -1];

const VOLUMES: readonly unknown[] = [
  './a:/b:ro',
  'data:/data',
  '/abs:/abs:z',
  { type: 'bind', source: '.', target: '/app' },
  { type: 'tmpfs', target: '/t', tmpfs: { size: '1m' } },
];
const BAD_VOLUMES: readonly unknown[] = [':/x', 'a:b:c:d', { type: 'weird', target: '/x' }, { source: 'x' }];

function randomValue(rng: Rng, depth: number): unknown {
  const roll = depth <= 0 ? 0 : rng.int(3);
  if (roll === 0) return rng.pick(SCALARS);
  if (roll === 1) return Array.from({ length: rng.range(0, 3) }, () => randomValue(rng, depth - 1));
  const out: Record<string, unknown> = {};
  for (let i = rng.range(0, 3); i > 0; i--) out[rng.pick(WORDS)] = randomValue(rng, depth - 1);
  return out;
}
