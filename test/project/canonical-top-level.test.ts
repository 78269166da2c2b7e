import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/project/canonical/index.js';
import type { ComposeDict } from '../../src/project/dict.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { OverrideTag, ResetTag } from '../../src/project/tags.js';
import { renderWarning, Warnings } from '../../src/project/warnings.js';

function run(model: ComposeDict): { out: ComposeDict; warnings: string[] } {
  const positions = new DocumentPositions('compose.yaml');
  positions.set(['version'], { line: 1, column: 1 });
  positions.set(['networks', 'outside', 'external', 'name'], { line: 9, column: 7 });
  const warnings = new Warnings();
  const out = canonicalize(model, { positions, warnings });
  return { out, warnings: warnings.list.map(renderWarning) };
}

describe('version', () => {
  it('is removed with a warning that says where', () => {
    const { out, warnings } = run({ version: '3.8', services: {} });
    expect(out).toEqual({ services: {} });
    expect(warnings).toEqual([
      'compose.yaml:1:1: version: the attribute "version" is obsolete, it will be ignored, please remove it to avoid potential confusion',
    ]);
  });
});

describe('top-level resources', () => {
  it.each(['networks', 'volumes', 'secrets', 'configs'])('%s: a null definition is {}', (kind) => {
    expect(run({ [kind]: { a: null } }).out).toEqual({ [kind]: { a: {} } });
  });
  it('turns labels and driver_opts into maps of strings', () => {
    const { out } = run({
      volumes: { data: { labels: ['a=b'], driver_opts: { size: 10, o: 'bind' } } },
      networks: {
        n: { labels: { x: 1 }, ipam: { options: { mtu: 1500 }, config: [{ subnet: '10.0.0.0/24' }] } },
      },
    });
    expect(out).toEqual({
      volumes: { data: { labels: { a: 'b' }, driver_opts: { size: '10', o: 'bind' } } },
      networks: {
        n: { labels: { x: '1' }, ipam: { options: { mtu: '1500' }, config: [{ subnet: '10.0.0.0/24' }] } },
      },
    });
  });
  it('turns the legacy external.name into name and external: true, with a warning', () => {
    const { out, warnings } = run({ networks: { outside: { external: { name: 'corp-net' } } } });
    expect(out).toEqual({ networks: { outside: { external: true, name: 'corp-net' } } });
    expect(warnings).toEqual([
      'compose.yaml:9:7: networks.outside.external.name: external.name is deprecated, please set name and external: true',
    ]);
  });
  it('keeps external: true and name', () => {
    expect(run({ secrets: { s: { external: true, name: 'x' } } }).out).toEqual({
      secrets: { s: { external: true, name: 'x' } },
    });
  });
  it('refuses an external.name that conflicts with name', () => {
    expect(() => run({ networks: { outside: { name: 'a', external: { name: 'b' } } } })).toThrow(
      'compose.yaml:9:7: networks.outside.external.name: external.name "b" conflicts with name "a"',
    );
  });
  it('refuses a definition that is not a mapping', () => {
    expect(() => run({ volumes: { data: 'x' } })).toThrow(
      'volumes.data: must be a mapping, got the string "x"',
    );
  });
});

describe('include', () => {
  it('turns every entry into the long syntax', () => {
    const { out } = run({
      include: [
        'a.yaml',
        { path: 'b.yaml', env_file: 'b.env' },
        { path: ['c.yaml', 'd.yaml'], project_directory: 'c' },
      ],
    });
    expect(out.include).toEqual([
      { path: ['a.yaml'] },
      { path: ['b.yaml'], env_file: ['b.env'] },
      { path: ['c.yaml', 'd.yaml'], project_directory: 'c' },
    ]);
  });
  it('refuses an entry without path', () => {
    expect(() => run({ include: [{ env_file: 'x' }] })).toThrow('include[0]: include has no path');
  });
});

describe('merge markers', () => {
  it('leaves !reset values as markers', () => {
    const reset = new ResetTag();
    const { out } = run({ services: { web: { ports: reset, environment: { A: reset } } } });
    const web = (out.services as ComposeDict).web as ComposeDict;
    expect(web.ports).toBe(reset);
    expect((web.environment as ComposeDict).A).toBe(reset);
  });
  it('canonicalizes inside !override and wraps again', () => {
    const { out } = run({
      services: { web: { ports: new OverrideTag(['8080:80']), command: new OverrideTag('a b') } },
    });
    const web = (out.services as ComposeDict).web as ComposeDict;
    expect(web.ports).toEqual(
      new OverrideTag([{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }]),
    );
    expect(web.ports).toBeInstanceOf(OverrideTag);
    expect(web.command).toEqual(new OverrideTag(['a', 'b']));
  });
  it('handles a marker on a whole service or a list item', () => {
    const reset = new ResetTag();
    const { out } = run({ services: { old: reset, web: { volumes: ['/data', new OverrideTag('./a:/a')] } } });
    const services = out.services as ComposeDict;
    expect(services.old).toBe(reset);
    expect((services.web as ComposeDict).volumes).toEqual([
      { type: 'volume', target: '/data', volume: {} },
      new OverrideTag({ type: 'bind', source: './a', target: '/a', bind: { create_host_path: true } }),
    ]);
  });
});

describe('everything else', () => {
  it('keeps x-* keys, name and unknown top-level keys as written', () => {
    const model = {
      name: 'demo',
      'x-common': { ports: ['80'] },
      services: { 'x-shared': 'keep', web: { image: 'a' } },
    };
    expect(run(model).out).toEqual(model);
  });
  it('does not modify its input', () => {
    const model: ComposeDict = { services: { web: { ports: ['80'], build: { context: '.' } } } };
    const copy = structuredClone(model);
    run(model);
    expect(model).toEqual(copy);
  });
  it('refuses services that are not a mapping', () => {
    expect(() => run({ services: ['web'] })).toThrow('services: services must be a mapping, got a list');
  });
});
