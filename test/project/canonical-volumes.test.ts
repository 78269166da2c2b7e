import { describe, expect, it } from 'vitest';
import { canonicalize, parseVolumeSpec } from '../../src/project/canonical/index.js';
import type { ComposeDict } from '../../src/project/dict.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { Warnings } from '../../src/project/warnings.js';

function service(attrs: ComposeDict): ComposeDict {
  const positions = new DocumentPositions('compose.yaml');
  positions.set(['services', 'web'], { line: 2, column: 3 });
  const out = canonicalize({ services: { web: attrs } }, { positions, warnings: new Warnings() });
  return (out.services as ComposeDict).web as ComposeDict;
}

const bind = (source: string, target: string, extra: ComposeDict = {}): ComposeDict => ({
  type: 'bind',
  source,
  target,
  bind: { create_host_path: true },
  ...extra,
});

describe('volumes short syntax', () => {
  it.each<[string, ComposeDict]>([
    ['/data', { type: 'volume', target: '/data', volume: {} }],
    ['./src:/app', bind('./src', '/app')],
    ['../src:/app/', bind('../src', '/app')],
    ['/var/run/docker.sock:/var/run/docker.sock', bind('/var/run/docker.sock', '/var/run/docker.sock')],
    ['~/configs:/etc/configs:ro', bind('~/configs', '/etc/configs', { read_only: true })],
    ['C:\\data:/data', bind('C:\\data', '/data')],
    ['C:/data:/data:ro', bind('C:/data', '/data', { read_only: true })],
    [
      'db-data:/var/lib/postgresql/data',
      { type: 'volume', source: 'db-data', target: '/var/lib/postgresql/data', volume: {} },
    ],
    ['a:/data:ro', { type: 'volume', source: 'a', target: '/data', read_only: true, volume: {} }],
    ['cache:/cache:nocopy', { type: 'volume', source: 'cache', target: '/cache', volume: { nocopy: true } }],
    ['./x:/x:rw', bind('./x', '/x')],
    ['./x:/x:z', { ...bind('./x', '/x'), bind: { create_host_path: true, selinux: 'z' } }],
    [
      './x:/x:ro,Z',
      { ...bind('./x', '/x', { read_only: true }), bind: { create_host_path: true, selinux: 'Z' } },
    ],
    ['./x:/x:rshared', { ...bind('./x', '/x'), bind: { create_host_path: true, propagation: 'rshared' } }],
    ['${HOME}:/home', { type: 'volume', source: '${HOME}', target: '/home', volume: {} }],
  ])('%s', (spec, expected) => {
    expect(service({ volumes: [spec] }).volumes).toEqual([expected]);
  });
});

describe('volumes long syntax', () => {
  it('is kept with its sub-objects', () => {
    const volume = {
      type: 'bind',
      source: './a',
      target: '/a',
      bind: { propagation: 'slave', create_host_path: false },
      read_only: true,
    };
    expect(service({ volumes: [volume] }).volumes).toEqual([volume]);
  });
  it('defaults create_host_path to true in a written bind section, as compose-go does', () => {
    const volume = { type: 'bind', source: './a', target: '/a', bind: { propagation: 'slave' } };
    expect(service({ volumes: [volume] }).volumes).toEqual([
      { ...volume, bind: { propagation: 'slave', create_host_path: true } },
    ]);
    const bare = { type: 'bind', source: './a', target: '/a' };
    expect(service({ volumes: [bare] }).volumes).toEqual([bare]);
  });
  it('turns a tmpfs size into bytes', () => {
    expect(
      service({ volumes: [{ type: 'tmpfs', target: '/tmp', tmpfs: { size: '64m', mode: 1777 } }] }).volumes,
    ).toEqual([{ type: 'tmpfs', target: '/tmp', tmpfs: { size: 67108864, mode: 1777 } }]);
  });
  it('keeps volumes_from', () => {
    expect(service({ volumes_from: ['other', 'container:c:ro'] }).volumes_from).toEqual([
      'other',
      'container:c:ro',
    ]);
  });
});

describe('invalid volumes', () => {
  it.each([
    ['./a:/a:bogus', 'unknown mode "bogus"'],
    ['./a:/a:ro:x', 'too many colons'],
    ['./a::/a', 'empty section between colons'],
    ['', 'empty volume spec'],
  ])('%s', (spec, why) => {
    const message = `compose.yaml:2:3: services.web.volumes[0]: invalid volume ${JSON.stringify(spec)} (${why}`;
    expect(() => service({ volumes: [spec] })).toThrow(message);
  });
  it('refuses a long entry without target', () => {
    expect(() => service({ volumes: [{ type: 'volume', source: 'x' }] })).toThrow(
      'services.web.volumes[0]: volume has no target',
    );
  });
  it('refuses a bad tmpfs size', () => {
    expect(() => service({ volumes: [{ type: 'tmpfs', target: '/t', tmpfs: { size: 'lots' } }] })).toThrow(
      'services.web.volumes[0].tmpfs.size: invalid size "lots"',
    );
  });
});

describe('parseVolumeSpec', () => {
  it('throws a plain Error with the reason', () => {
    expect(() => parseVolumeSpec('a:b:c:d')).toThrow('too many colons');
  });
});
