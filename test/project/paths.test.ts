import { describe, expect, it } from 'vitest';

import type { ComposeDict } from '../../src/project/dict.js';
import { isRemoteContext, resolveProjectPaths, resolveServicePaths } from '../../src/project/paths.js';

const base = '/proj';
const home = '/home/me';

describe('resolveServicePaths', () => {
  const cases: { name: string; input: ComposeDict; expected: ComposeDict }[] = [
    {
      name: 'build context relative, home and absolute',
      input: { build: { context: './app', additional_contexts: { a: '../lib', b: '~/x', c: '/abs' } } },
      expected: {
        build: { context: '/proj/app', additional_contexts: { a: '/lib', b: '/home/me/x', c: '/abs' } },
      },
    },
    {
      name: 'build context "." is the base directory',
      input: { build: { context: '.' } },
      expected: { build: { context: '/proj' } },
    },
    {
      name: 'remote contexts are kept',
      input: {
        build: {
          context: 'https://github.com/a/b.git#main',
          additional_contexts: {
            img: 'docker-image://alpine',
            git: 'git@github.com:a/b.git',
            gh: 'github.com/a/b',
            svc: 'service:base',
          },
        },
      },
      expected: {
        build: {
          context: 'https://github.com/a/b.git#main',
          additional_contexts: {
            img: 'docker-image://alpine',
            git: 'git@github.com:a/b.git',
            gh: 'github.com/a/b',
            svc: 'service:base',
          },
        },
      },
    },
    {
      name: 'bind sources resolved, named and anonymous volumes kept',
      input: {
        volumes: [
          { type: 'bind', source: './data', target: '/data' },
          { type: 'bind', source: '~/cache', target: '/cache' },
          { type: 'bind', source: '~', target: '/home' },
          { type: 'bind', source: '/etc/hosts', target: '/etc/hosts' },
          { type: 'volume', source: 'db', target: '/var/lib/db' },
          { type: 'volume', target: '/anon' },
          { type: 'tmpfs', target: '/tmp' },
        ],
      },
      expected: {
        volumes: [
          { type: 'bind', source: '/proj/data', target: '/data' },
          { type: 'bind', source: '/home/me/cache', target: '/cache' },
          { type: 'bind', source: '/home/me', target: '/home' },
          { type: 'bind', source: '/etc/hosts', target: '/etc/hosts' },
          { type: 'volume', source: 'db', target: '/var/lib/db' },
          { type: 'volume', target: '/anon' },
          { type: 'tmpfs', target: '/tmp' },
        ],
      },
    },
    {
      name: 'Windows absolute bind sources are never rewritten',
      input: { volumes: [{ type: 'bind', source: 'C:\\data', target: '/data' }] },
      expected: { volumes: [{ type: 'bind', source: 'C:\\data', target: '/data' }] },
    },
    {
      name: 'env_file entries, label_file and watch paths',
      input: {
        env_file: [
          { path: '.env', required: true },
          { path: '/etc/app.env', required: false, format: 'raw' },
        ],
        label_file: ['labels.txt'],
        develop: { watch: [{ path: './src', action: 'sync', target: '/app/src' }] },
      },
      expected: {
        env_file: [
          { path: '/proj/.env', required: true },
          { path: '/etc/app.env', required: false, format: 'raw' },
        ],
        label_file: ['/proj/labels.txt'],
        develop: { watch: [{ path: '/proj/src', action: 'sync', target: '/app/src' }] },
      },
    },
    {
      name: 'short env_file and label_file strings',
      input: { env_file: 'a.env', label_file: 'l.txt' },
      expected: { env_file: '/proj/a.env', label_file: '/proj/l.txt' },
    },
    {
      name: 'unrelated keys untouched',
      input: { image: './not-a-path', working_dir: 'rel', extends: { file: 'base.yaml', service: 'x' } },
      expected: { image: './not-a-path', working_dir: 'rel', extends: { file: 'base.yaml', service: 'x' } },
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    const before = structuredClone(input);
    expect(resolveServicePaths(input, base, home)).toEqual(expected);
    expect(input).toEqual(before);
  });
});

describe('resolveProjectPaths', () => {
  it('resolves services, secret and config files, and local bind volumes', () => {
    const model: ComposeDict = {
      services: { web: { build: { context: 'web' } } },
      secrets: { s: { file: './s.txt' }, e: { environment: 'TOKEN' } },
      configs: { c: { file: '~/c.conf' }, x: { external: true } },
      volumes: {
        bound: { driver: 'local', driver_opts: { o: 'bind', type: 'none', device: './bound' } },
        nfs: { driver: 'local', driver_opts: { o: 'addr=1.2.3.4', device: ':/export' } },
        other: { driver: 'custom', driver_opts: { o: 'bind', device: './x' } },
      },
      include: [{ path: ['other.yaml'] }],
    };
    expect(resolveProjectPaths(model, base, home)).toEqual({
      services: { web: { build: { context: '/proj/web' } } },
      secrets: { s: { file: '/proj/s.txt' }, e: { environment: 'TOKEN' } },
      configs: { c: { file: '/home/me/c.conf' }, x: { external: true } },
      volumes: {
        bound: { driver: 'local', driver_opts: { o: 'bind', type: 'none', device: '/proj/bound' } },
        nfs: { driver: 'local', driver_opts: { o: 'addr=1.2.3.4', device: ':/export' } },
        other: { driver: 'custom', driver_opts: { o: 'bind', device: './x' } },
      },
      include: [{ path: ['other.yaml'] }],
    });
  });

  it('is idempotent', () => {
    const model: ComposeDict = {
      services: { a: { volumes: [{ type: 'bind', source: '../up', target: '/x' }] } },
    };
    const once = resolveProjectPaths(model, base, home);
    expect(resolveProjectPaths(once, '/elsewhere', home)).toEqual(once);
  });
});

describe('isRemoteContext', () => {
  it.each([
    ['https://example.com/ctx.tar.gz', true],
    ['http://example.com/x', true],
    ['git://host/repo', true],
    ['ssh://git@host/repo', true],
    ['git@github.com:a/b.git', true],
    ['github.com/a/b', true],
    ['docker-image://alpine:3', true],
    ['oci-layout:///tmp/x', true],
    ['service:base', true],
    ['./app', false],
    ['app', false],
    ['/abs', false],
  ])('%s -> %s', (value, expected) => {
    expect(isRemoteContext(value)).toBe(expected);
  });
});
