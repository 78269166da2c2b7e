import { describe, expect, it } from 'vitest';

import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeError } from '../../src/project/errors.js';
import { interpolateModel } from '../../src/project/interpolate.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { OverrideTag, ResetTag } from '../../src/project/tags.js';
import { renderWarning, Warnings } from '../../src/project/warnings.js';

const env: Record<string, string> = { TAG: '1.2', PORT: '8080', EMPTY: '' };
const lookup = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);

function positions(): DocumentPositions {
  const p = new DocumentPositions('compose.yaml');
  p.set(['services'], { line: 1, column: 1 });
  p.set(['services', 'web'], { line: 2, column: 3 });
  p.set(['services', 'web', 'image'], { line: 3, column: 5 });
  p.set(['services', 'web', 'ports'], { line: 4, column: 5 });
  p.set(['services', 'web', 'ports', 0], { line: 5, column: 9 });
  return p;
}

function run(model: ComposeDict, warnings = new Warnings()): ComposeDict {
  return interpolateModel(model, { lookup, positions: positions(), warnings });
}

function failure(model: ComposeDict): ComposeError {
  try {
    run(model);
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describe('interpolateModel', () => {
  it.each<[string, ComposeDict, ComposeDict]>([
    [
      'strings in maps',
      { services: { web: { image: 'nginx:${TAG}' } } },
      { services: { web: { image: 'nginx:1.2' } } },
    ],
    [
      'strings in sequences',
      { services: { web: { ports: ['${PORT}:80', 443] } } },
      { services: { web: { ports: ['8080:80', 443] } } },
    ],
    [
      'keys are never interpolated',
      { services: { web: { environment: { $TAG: '$TAG', '${PORT}': 1 } } } },
      { services: { web: { environment: { $TAG: '1.2', '${PORT}': 1 } } } },
    ],
    [
      'non-strings pass through',
      { a: 1, b: true, c: null, d: [null, 2.5] },
      { a: 1, b: true, c: null, d: [null, 2.5] },
    ],
    [
      '$$ escapes',
      { services: { web: { command: 'echo $$HOME' } } },
      { services: { web: { command: 'echo $HOME' } } },
    ],
    ['extension keys too', { 'x-common': { image: '${TAG}' } }, { 'x-common': { image: '1.2' } }],
  ])('%s', (_name, input, expected) => {
    expect(run(input)).toEqual(expected);
  });

  it('does not change its input', () => {
    const input = { services: { web: { image: '${TAG}' } } };
    run(input);
    expect(input.services.web.image).toBe('${TAG}');
  });

  it('passes !reset through and interpolates inside !override', () => {
    const reset = new ResetTag();
    const out = run({ services: { web: { ports: reset, environment: new OverrideTag({ A: '${TAG}' }) } } });
    const web = (out.services as ComposeDict).web as ComposeDict;
    expect(web.ports).toBe(reset);
    expect(web.environment).toBeInstanceOf(OverrideTag);
    expect((web.environment as OverrideTag).value).toEqual({ A: '1.2' });
  });

  it('keeps a __proto__ key as data', () => {
    const input = JSON.parse('{"labels": {"__proto__": "${TAG}"}}') as ComposeDict;
    const labels = run(input).labels as ComposeDict;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.entries(labels)).toEqual([['__proto__', '1.2']]);
  });

  it('warns once per unset variable, with its location', () => {
    const warnings = new Warnings();
    const out = run(
      {
        services: {
          web: { image: 'nginx:${NOPE}', ports: ['${NOPE}:80', '$OTHER'], labels: { a: '${EMPTY}' } },
        },
      },
      warnings,
    );
    expect((out.services as ComposeDict).web).toMatchObject({ image: 'nginx:', ports: [':80', ''] });
    expect(warnings.list.map(renderWarning)).toEqual([
      'compose.yaml:3:5: services.web.image: The "NOPE" variable is not set. Defaulting to a blank string.',
      // ports[1] has no position of its own: the nearest parent's is used.
      'compose.yaml:4:5: services.web.ports[1]: The "OTHER" variable is not set. Defaulting to a blank string.',
    ]);
  });

  it('warns once per variable across documents of one load', () => {
    const warnings = new Warnings();
    run({ a: '${NOPE}' }, warnings);
    run({ b: '${NOPE}' }, warnings);
    expect(warnings.list).toHaveLength(1);
  });

  it('fails on a required variable with key path and location', () => {
    const error = failure({ services: { web: { image: '${IMAGE:?set IMAGE to the image to run}' } } });
    expect(error.message).toBe(
      'compose.yaml:3:5: services.web.image: required variable IMAGE is missing a value: set IMAGE to the image to run' +
        ' (set IMAGE in the environment or in the .env file)',
    );
    expect(error.keyPath).toEqual(['services', 'web', 'image']);
  });

  it('fails on an empty required variable inside a sequence', () => {
    const error = failure({ services: { web: { ports: ['${EMPTY:?}'] } } });
    expect(error.message).toContain(
      'compose.yaml:5:9: services.web.ports[0]: required variable EMPTY is missing a value',
    );
  });

  it('fails on a malformed template', () => {
    const error = failure({ services: { web: { image: '${' } } });
    expect(error.location).toEqual({ file: 'compose.yaml', line: 3, column: 5 });
    expect(error.message).toContain('services.web.image: invalid interpolation format "${"');
    expect(error.hint).toBe('you may need to escape any $ with another $');
  });

  it('fails inside !override values too', () => {
    const error = failure({ services: { web: { image: new OverrideTag('${X:?no}') } } });
    expect(error.keyPath).toEqual(['services', 'web', 'image']);
  });
});
