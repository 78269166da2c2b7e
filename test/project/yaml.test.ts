import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/project/errors.js';
import { OverrideTag, ResetTag } from '../../src/project/tags.js';
import { Warnings } from '../../src/project/warnings.js';
import { decodeComposeBytes, parseYamlDocuments } from '../../src/project/yaml.js';

const parse = (text: string): unknown[] => parseYamlDocuments(text, 'compose.yaml').map((d) => d.data);
const parseOne = (text: string): unknown => parse(text)[0];

function errorOf(fn: () => unknown): ComposeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return error as ComposeError;
  }
  throw new Error('expected a ComposeError');
}

describe('parseYamlDocuments: values', () => {
  it.each([
    [
      'yes/no/on/off stay strings (YAML 1.2 core)',
      'a: yes\nb: no\nc: on\nd: off\ne: y',
      { a: 'yes', b: 'no', c: 'on', d: 'off', e: 'y' },
    ],
    [
      'booleans and null',
      'a: true\nb: false\nc: null\nd: ~\ne:',
      { a: true, b: false, c: null, d: null, e: null },
    ],
    ['numbers', 'a: 1\nb: 1.5\nc: 0x1F\nd: 0o17\ne: "80"', { a: 1, b: 1.5, c: 31, d: 15, e: '80' }],
    [
      'a %YAML 1.1 directive does not bring back yes = true',
      '%YAML 1.1\n---\na: yes\nb: 0777',
      // 0777 is octal as in compose's YAML library (Go's base prefixes), whatever the directive says.
      { a: 'yes', b: 511 },
    ],
    [
      'number and boolean keys keep their source text',
      '80: x\n0x1F: y\ntrue: z\n1.50: w',
      { '80': 'x', '0x1F': 'y', true: 'z', '1.50': 'w' },
    ],
    ['quoted keys', '"a b": 1\n\'c\': 2', { 'a b': 1, c: 2 }],
    ['block scalars', 'a: |\n  x\n  y\nb: >-\n  p\n  q', { a: 'x\ny\n', b: 'p q' }],
    ['flow collections', 'a: [1, {b: c}]\nd: {}', { a: [1, { b: 'c' }], d: {} }],
    ['standard tags', 'a: !!str 12\nb: !!int "7"', { a: '12', b: 7 }],
    [
      '__proto__ is plain data',
      '__proto__: {polluted: true}',
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ],
  ])('%s', (_name, text, expected) => {
    expect(parseOne(text)).toEqual(expected);
  });

  it('a __proto__ key does not change the prototype', () => {
    const data = parseOne('__proto__: {polluted: true}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__']);
  });
});

describe('parseYamlDocuments: anchors, aliases and merge keys', () => {
  it.each([
    [
      'alias of a scalar and a mapping',
      'x: &v 3\ny: *v\na: &m {p: 1}\nb: *m',
      { x: 3, y: 3, a: { p: 1 }, b: { p: 1 } },
    ],
    [
      'merge key',
      'base: &b {image: i, restart: always}\nweb:\n  <<: *b\n  image: j',
      { base: { image: 'i', restart: 'always' }, web: { image: 'j', restart: 'always' } },
    ],
    [
      'merge list: earlier sources win, explicit keys win over all',
      'a: &a {x: 1, y: 1}\nb: &b {x: 2, y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  y: 3',
      { a: { x: 1, y: 1 }, b: { x: 2, y: 2, z: 2 }, c: { x: 1, y: 3, z: 2 } },
    ],
    [
      'explicit key before the merge key wins',
      'a: &a {x: 1}\nc:\n  x: 9\n  <<: *a',
      { a: { x: 1 }, c: { x: 9 } },
    ],
    ['inline merge mapping', 'c:\n  <<: {x: 1}\n  y: 2', { c: { x: 1, y: 2 } }],
    [
      'merged mapping with its own merge key',
      'a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}',
      { a: { x: 1 }, b: { x: 1, y: 2 }, c: { x: 1, y: 2, z: 3 } },
    ],
    ['quoted << is a normal key', '"<<": 1', { '<<': 1 }],
    [
      'a redefined anchor: later aliases see the new one',
      'a: &x 1\nb: *x\nc: &x 2\nd: *x',
      { a: 1, b: 1, c: 2, d: 2 },
    ],
    ['an alias as a key', 'k: &k name\n*k : v', { k: 'name', name: 'v' }],
  ])('%s', (_name, text, expected) => {
    expect(parseOne(text)).toEqual(expected);
  });

  it('aliased content is a copy, not shared', () => {
    const data = parseOne('a: &a {p: [1]}\nb: *a') as Record<string, { p: number[] }>;
    expect(data.a).not.toBe(data.b);
    expect(data.a!.p).not.toBe(data.b!.p);
  });

  it('a merge key that is not a mapping is an error', () => {
    const error = errorOf(() => parse('a: &a [1]\nb:\n  <<: *a'));
    expect(error.message).toMatch(/^compose\.yaml:3:7: b: a merge key \(<<\) takes a mapping/);
  });

  it('an alias to an unknown anchor is an error', () => {
    expect(errorOf(() => parse('a: 1\nb: *nope')).message).toBe(
      'compose.yaml:2:4: b: alias "*nope" refers to no anchor defined before it (define "&nope" first)',
    );
  });

  it('an alias key to an unknown anchor is an error', () => {
    expect(errorOf(() => parse('a:\n  *nope : 1')).message).toMatch(
      /^compose\.yaml:2:3: a: alias "\*nope" refers to no anchor/,
    );
  });

  it('an alias inside its own anchor is an error, not a loop', () => {
    expect(errorOf(() => parse('a: &a [*a]')).message).toMatch(/a\[0\]: alias "\*a" refers to no anchor/);
  });
});

describe('parseYamlDocuments: !reset and !override', () => {
  it('produces markers for every node kind', () => {
    const data = parseOne(
      'a: !reset\nb: !reset []\nc: !reset {x: 1}\nd: !reset null\ne: !override [1, 2]\nf: !override {x: 1}\ng: !override 8080\nh: !override "8080"\ni: !override text',
    ) as Record<string, unknown>;
    for (const key of ['a', 'b', 'c', 'd']) expect(data[key]).toBeInstanceOf(ResetTag);
    expect(data.e).toEqual(new OverrideTag([1, 2]));
    expect(data.f).toEqual(new OverrideTag({ x: 1 }));
    expect(data.g).toEqual(new OverrideTag(8080));
    expect(data.h).toEqual(new OverrideTag('8080'));
    expect(data.i).toEqual(new OverrideTag('text'));
  });

  it('markers survive in sequences and nested maps, and do not warn', () => {
    const warnings = new Warnings();
    const [doc] = parseYamlDocuments(
      's:\n  web:\n    ports: [!reset x]\n    environment: {A: !reset null}',
      'f.yaml',
      warnings,
    );
    expect(doc!.data).toEqual({
      s: { web: { ports: [new ResetTag()], environment: { A: new ResetTag() } } },
    });
    expect(warnings.list).toEqual([]);
  });

  it('an unknown tag is read without it and warns with its position', () => {
    const warnings = new Warnings();
    const [doc] = parseYamlDocuments('a: 1\nb: !foo bar\nc: !vault {x: 1}', 'f.yaml', warnings);
    expect(doc!.data).toEqual({ a: 1, b: 'bar', c: { x: 1 } });
    expect(warnings.list.map((w) => [w.message, w.location?.line])).toEqual([
      ['unknown YAML tag !foo ignored', 2],
      ['unknown YAML tag !vault ignored', 3],
    ]);
  });
});

describe('parseYamlDocuments: documents', () => {
  it.each([
    ['several documents', 'a: 1\n---\nb: 2\n', [{ a: 1 }, { b: 2 }]],
    ['empty documents are skipped', '---\n---\na: 1\n---\n# nothing\n', [{ a: 1 }]],
    ['an empty file yields one empty model', '', [{}]],
    ['a file of comments yields one empty model', '# just a comment\n\n# another\n', [{}]],
    ['a document end marker', 'a: 1\n...\n---\nb: 2', [{ a: 1 }, { b: 2 }]],
    ['a BOM is ignored', '\ufeffa: 1', [{ a: 1 }]],
  ])('%s', (_name, text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it('keeps the stream index of each document', () => {
    expect(parseYamlDocuments('a: 1\n---\n---\nb: 2', 'f').map((d) => d.index)).toEqual([0, 2]);
  });

  it('anchors do not cross documents', () => {
    expect(errorOf(() => parse('a: &a 1\n---\nb: *a')).message).toMatch(/^compose\.yaml:3:4: b: alias "\*a"/);
  });
});

describe('parseYamlDocuments: positions', () => {
  const text = [
    'x-base: &base', //           1
    '  restart: always', //       2
    'services:', //               3
    '  web:', //                  4
    '    <<: *base', //           5
    '    image: nginx', //        6
    '    ports:', //              7
    '      - "80:80"', //         8
    '      - target: 443', //     9
    '  db: *base', //             10
  ].join('\n');
  const [doc] = parseYamlDocuments(text, 'compose.yaml');

  it.each([
    [[], 1, 1],
    [['services'], 3, 1],
    [['services', 'web'], 4, 3],
    [['services', 'web', 'image'], 6, 5],
    [['services', 'web', 'ports'], 7, 5],
    [['services', 'web', 'ports', 0], 8, 9],
    [['services', 'web', 'ports', 1], 9, 9],
    [['services', 'web', 'ports', 1, 'target'], 9, 9],
    // merged keys point at the anchor's text
    [['services', 'web', 'restart'], 2, 3],
    [['services', 'db'], 10, 3],
    [['services', 'db', 'restart'], 2, 3],
  ] as const)('%j is at %i:%i', (path, line, column) => {
    expect(doc!.positions.get(path)).toEqual({ line, column });
  });

  it('an explicit key keeps its position when a later merge has the same key', () => {
    const [d] = parseYamlDocuments('a: &a {x: 1}\nb:\n  x: 2\n  <<: *a', 'f');
    expect(d!.positions.get(['b', 'x'])).toEqual({ line: 3, column: 3 });
  });
});

describe('parseYamlDocuments: refused input', () => {
  it.each([
    [
      'bad indentation',
      'services:\n  web:\n    image: a\n   ports: []',
      /^compose\.yaml:4:1: invalid YAML: .+ \(check the indentation/,
    ],
    [
      'a tab as indentation',
      'a:\n\t- b',
      /^compose\.yaml:2:1: invalid YAML: Tabs are not allowed as indentation \(indent with spaces/,
    ],
    ['an unclosed quote', 'a: "x\n', /^compose\.yaml:2:1: invalid YAML: Missing closing "quote/],
    ['an unclosed flow sequence', 'a: [1, 2\n', /^compose\.yaml:2:1: invalid YAML: /],
    [
      'a reserved character',
      'a: @x',
      /^compose\.yaml:1:4: invalid YAML: Plain value cannot start with reserved character @ \(quote the value\)/,
    ],
    [
      'a compact nested mapping',
      'a: b: c',
      /^compose\.yaml:1:4: invalid YAML: Nested mappings are not allowed/,
    ],
    ['an error in a later document', 'a: 1\n---\nb: [', /^compose\.yaml:3:\d+: invalid YAML/],
  ])('%s', (_name, text, pattern) => {
    const error = errorOf(() => parse(text));
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain('\n');
  });

  it('duplicate keys name both lines', () => {
    const text = 'services:\n  web:\n    image: a\n    ports: []\n\n\n    image: b\n';
    const error = errorOf(() => parse(text));
    expect(error.message).toBe(
      'compose.yaml:7:5: services.web.image: duplicate key "image" at line 7 (first defined at line 3) (remove one of them)',
    );
    expect(error.location).toEqual({ file: 'compose.yaml', line: 7, column: 5 });
  });

  it('duplicate keys in flow mappings and duplicate number keys', () => {
    expect(errorOf(() => parse('a: {b: 1, b: 2}')).message).toMatch(
      /^compose\.yaml:1:11: a\.b: duplicate key "b"/,
    );
    expect(errorOf(() => parse('80: a\n80: b')).message).toMatch(
      /duplicate key "80" at line 2 \(first defined at line 1\)/,
    );
  });

  it('a key that overrides a merged key is not a duplicate', () => {
    expect(parseOne('a: &a {x: 1}\nb:\n  <<: *a\n  x: 2')).toEqual({ a: { x: 1 }, b: { x: 2 } });
  });

  it.each([
    ['a sequence key', '? [a]\n: b', /^compose\.yaml:1:3: a mapping key must be a string, not a sequence/],
    ['a mapping key', '? {a: 1}\n: b', /^compose\.yaml:1:3: a mapping key must be a string, not a mapping/],
    ['a null key', 'services:\n  ~: x', /^compose\.yaml:2:3: services: a mapping key is empty \(null\)/],
    ['an empty key', 'services:\n  : x', /^compose\.yaml:2:\d+: services: a mapping key is empty \(null\)/],
  ])('refuses %s', (_name, text, pattern) => {
    expect(errorOf(() => parse(text)).message).toMatch(pattern);
  });

  it.each([
    ['a sequence', '- a\n- b'],
    ['a scalar', 'hello'],
    ['a null', '~'],
    ['a number', '42'],
    ['a reset marker', '!reset {}'],
  ])('refuses %s at the top level', (_name, text) => {
    const error = errorOf(() => parse(text));
    expect(error.message).toMatch(/^compose\.yaml:1:\d+: the top level must be a mapping/);
  });

  it('refuses NUL bytes with their position', () => {
    expect(errorOf(() => parse('a: 1\nb: x\u0000y')).message).toMatch(
      /^compose\.yaml:2:5: the file contains a NUL byte/,
    );
  });

  it('refuses a billion-laughs alias bomb quickly', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) {
      const prev = `*a${i - 1}`;
      lines.push(`a${i}: &a${i} [${Array(10).fill(prev).join(', ')}]`);
    }
    const error = errorOf(() => parse(lines.join('\n')));
    expect(error.message).toMatch(/too many alias expansions \(possible billion-laughs attack\)/);
    // reported at the outermost alias being expanded
    expect(error.location?.line).toBeGreaterThan(1);
    expect(error.keyPath?.[0]).toBe(`a${error.location!.line! - 1}`);
  });

  it('refuses nesting deeper than 64 levels, in block and flow style', () => {
    const flow = `a: ${'['.repeat(100)}${']'.repeat(100)}`;
    expect(errorOf(() => parse(flow)).message).toMatch(/more than 64 levels of nesting/);
    const block = Array.from({ length: 80 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n');
    const error = errorOf(() => parse(block));
    expect(error.message).toMatch(/^compose\.yaml:\d+:\d+: k0\.k1\..*: more than 64 levels of nesting/);
  });

  it('refuses very deep flow nesting that the parser itself cannot handle', () => {
    const error = errorOf(() => parse(`a: ${'['.repeat(50_000)}`));
    expect(error.message).toMatch(/^compose\.yaml:1:\d+: more than 64 levels of nesting/);
  });

  it('accepts 64 levels', () => {
    const text = Array.from({ length: 64 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n') + ' x';
    expect(() => parse(text)).not.toThrow();
  });

  it('parses a 10 MB file in bounded time', () => {
    const service = (i: number): string =>
      `  svc${i}:\n    <<: *defaults\n    image: "registry.example.com/app-${i}:1.0"\n    ports: ["${1000 + (i % 60000)}:80"]\n    environment:\n      NAME: svc${i}\n      LONG: "${'x'.repeat(40)}"\n    labels: [a=b, c=d]\n`;
    const parts = ['x-defaults: &defaults\n  restart: always\n  networks: [front]\nservices:\n'];
    let size = parts[0]!.length;
    for (let i = 0; size < 10 * 1024 * 1024; i++) {
      const s = service(i);
      parts.push(s);
      size += s.length;
    }
    const [doc] = parseYamlDocuments(parts.join(''), 'big.yaml');
    const services = (doc!.data as { services: Record<string, { restart: string }> }).services;
    expect(services.svc0!.restart).toBe('always');
    expect(Object.keys(services).length).toBe(parts.length - 1);
  }, 120_000);
});

describe('decodeComposeBytes', () => {
  const bytes = (...parts: (string | number[])[]): Uint8Array =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it('decodes UTF-8 and strips a BOM', () => {
    expect(decodeComposeBytes(bytes([0xef, 0xbb, 0xbf], 'a: é'), 'f')).toBe('a: é');
    expect(decodeComposeBytes(bytes('a: 1'), 'f')).toBe('a: 1');
  });

  it('refuses invalid UTF-8 naming the line', () => {
    const error = errorOf(() =>
      decodeComposeBytes(bytes('a: 1\nb: ', [0xc3, 0x28], '\nc: 3'), 'compose.yaml'),
    );
    expect(error.message).toBe(
      'compose.yaml:2: the file is not valid UTF-8 text (save it with UTF-8 encoding; is it a binary file?)',
    );
  });

  it('refuses UTF-16', () => {
    expect(errorOf(() => decodeComposeBytes(bytes([0xff, 0xfe], [0x61, 0]), 'f')).message).toBe(
      'f: the file is UTF-16 encoded (save it as UTF-8)',
    );
  });
});

describe('integers with a leading zero', () => {
  it.each<[string, unknown]>([
    ['mode: 0440', 288],
    ['mode: 0o440', 288],
    ['mode: 440', 440],
    ['mode: "0440"', '0440'],
    ['mode: 0', 0],
    ['mode: -017', -15],
    ['mode: 089', 89],
  ])('%s reads as compose reads it', (text, expected) => {
    const [doc] = parseYamlDocuments(text, 'c.yaml');
    expect(doc!.data.mode).toBe(expected);
  });
});
