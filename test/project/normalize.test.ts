import { describe, expect, it } from 'vitest';

import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeError } from '../../src/project/errors.js';
import { type NormalizeOptions, normalizeProject } from '../../src/project/normalize.js';
import { DocumentPositions, SourceMap } from '../../src/project/source-map.js';
import { Warnings } from '../../src/project/warnings.js';

function sourceMap(positions: [(string | number)[], number, number][] = []): SourceMap {
  const doc = new DocumentPositions('compose.yaml');
  for (const [path, line, column] of positions) doc.set(path, { line, column });
  const map = new SourceMap();
  map.add(doc);
  return map;
}

function options(overrides: Partial<NormalizeOptions> = {}): NormalizeOptions {
  return {
    projectName: 'demo',
    workingDir: '/proj',
    environment: {},
    home: '/home/me',
    resolvePaths: true,
    warnings: new Warnings(),
    sourceMap: sourceMap(),
    readEnvFile: () => null,
    ...overrides,
  };
}

describe('normalizeProject: project, networks and resource names', () => {
  const cases: { name: string; input: ComposeDict; expected: ComposeDict }[] = [
    {
      name: 'empty model gets a name and services',
      input: {},
      expected: { name: 'demo', services: {} },
    },
    {
      name: 'a service without networks joins default, which is declared',
      input: { services: { web: { image: 'nginx' } } },
      expected: {
        name: 'demo',
        services: { web: { image: 'nginx', networks: { default: null } } },
        networks: { default: { name: 'demo_default' } },
      },
    },
    {
      name: 'an empty networks map means default too',
      input: { services: { web: { image: 'nginx', networks: {} } } },
      expected: {
        name: 'demo',
        services: { web: { image: 'nginx', networks: { default: null } } },
        networks: { default: { name: 'demo_default' } },
      },
    },
    {
      name: 'network_mode and provider services join nothing; no default network declared',
      input: {
        services: {
          a: { image: 'x', network_mode: 'host' },
          b: { provider: { type: 'model' } },
          c: { image: 'x', networks: { front: null } },
        },
        networks: { front: {} },
      },
      expected: {
        name: 'demo',
        services: {
          a: { image: 'x', network_mode: 'host' },
          b: { provider: { type: 'model' } },
          c: { image: 'x', networks: { front: null } },
        },
        networks: { front: { name: 'demo_front' } },
      },
    },
    {
      name: 'a declared default network keeps its settings',
      input: {
        services: { web: { image: 'x' } },
        networks: { default: { driver: 'bridge', name: 'shared' } },
      },
      expected: {
        name: 'demo',
        services: { web: { image: 'x', networks: { default: null } } },
        networks: { default: { driver: 'bridge', name: 'shared' } },
      },
    },
    {
      name: 'resource names: explicit, external, project-prefixed, null definitions',
      input: {
        services: {},
        networks: { ext: { external: true }, named: { name: 'custom' } },
        volumes: { data: {}, legacy: null, outside: { external: true, name: 'real' } },
        secrets: { token: { file: '/run/token' } },
        configs: { conf: { external: true } },
      },
      expected: {
        name: 'demo',
        services: {},
        networks: { ext: { external: true, name: 'ext' }, named: { name: 'custom' } },
        volumes: {
          data: { name: 'demo_data' },
          legacy: { name: 'demo_legacy' },
          outside: { external: true, name: 'real' },
        },
        secrets: { token: { file: '/run/token', name: 'demo_token' } },
        configs: { conf: { external: true, name: 'conf' } },
      },
    },
  ];
  it.each(cases)('$name', async ({ input, expected }) => {
    const before = structuredClone(input);
    expect(await normalizeProject(input, options())).toEqual(expected);
    expect(input).toEqual(before);
  });
});

describe('normalizeProject: service defaults', () => {
  const cases: {
    name: string;
    service: ComposeDict;
    environment?: Record<string, string>;
    expected: ComposeDict;
  }[] = [
    {
      name: 'pull_policy if_not_present becomes missing',
      service: { image: 'x', pull_policy: 'if_not_present' },
      expected: { image: 'x', pull_policy: 'missing' },
    },
    {
      name: 'build defaults context and dockerfile',
      service: { build: {} },
      expected: { build: { context: '/proj', dockerfile: 'Dockerfile' } },
    },
    {
      name: 'inline dockerfile gets no dockerfile',
      service: { build: { context: '.', dockerfile_inline: 'FROM x' } },
      expected: { build: { context: '/proj', dockerfile_inline: 'FROM x' } },
    },
    {
      name: 'build args: null filled from the environment, dropped when unset there',
      service: { build: { context: '.', dockerfile: 'Dockerfile', args: { A: null, B: null, C: 'c' } } },
      environment: { A: 'from-env' },
      expected: { build: { context: '/proj', dockerfile: 'Dockerfile', args: { A: 'from-env', C: 'c' } } },
    },
    {
      name: 'environment: bare keys filled when set, else stay null',
      service: { image: 'x', environment: { A: null, B: null, C: '' } },
      environment: { A: '1', C: 'ignored' },
      expected: { image: 'x', environment: { A: '1', B: null, C: '' } },
    },
    {
      name: 'extends leftovers are dropped',
      service: { image: 'x', extends: { service: 'base' } },
      expected: { image: 'x' },
    },
    {
      name: 'scale with a deploy section sets deploy.replicas',
      service: { image: 'x', scale: 3, deploy: { resources: {} } },
      expected: { image: 'x', scale: 3, deploy: { resources: {}, replicas: 3 } },
    },
    {
      name: 'deploy.replicas alone leaves scale absent',
      service: { image: 'x', deploy: { replicas: 2 } },
      expected: { image: 'x', deploy: { replicas: 2 } },
    },
    {
      name: 'equal scale and deploy.replicas are fine',
      service: { image: 'x', scale: 2, deploy: { replicas: 2 } },
      expected: { image: 'x', scale: 2, deploy: { replicas: 2 } },
    },
  ];
  it.each(cases)('$name', async ({ service, environment, expected }) => {
    const out = await normalizeProject(
      { services: { web: { ...service, network_mode: 'none' } } },
      options({ environment: environment ?? {} }),
    );
    expect(out.services).toEqual({ web: { ...expected, network_mode: 'none' } });
  });

  it('keeps relative paths when resolvePaths is off', async () => {
    const out = await normalizeProject(
      {
        services: {
          web: { build: { context: 'app' }, volumes: [{ type: 'bind', source: './d', target: '/d' }] },
        },
      },
      options({ resolvePaths: false }),
    );
    expect(out.services).toMatchObject({
      web: { build: { context: 'app' }, volumes: [{ type: 'bind', source: './d', target: '/d' }] },
    });
  });
});

describe('normalizeProject: implicit depends_on', () => {
  const started = { condition: 'service_started', required: true };
  const cases: { name: string; service: ComposeDict; expected: ComposeDict | undefined }[] = [
    { name: 'nothing to add', service: { image: 'x' }, expected: undefined },
    {
      name: 'links with and without alias',
      service: { links: ['db', 'cache:redis'] },
      expected: { db: { ...started, restart: true }, cache: { ...started, restart: true } },
    },
    {
      name: 'volumes_from services but not containers',
      service: { volumes_from: ['data', 'logs:ro', 'container:other'] },
      expected: { data: started, logs: started },
    },
    {
      name: 'service: namespaces',
      service: { network_mode: 'service:vpn', ipc: 'service:shm', pid: 'service:init' },
      expected: {
        vpn: { ...started, restart: true },
        shm: { ...started, restart: true },
        init: { ...started, restart: true },
      },
    },
    {
      name: 'container: and host namespaces add nothing',
      service: { network_mode: 'container:abc', ipc: 'host', pid: 'host' },
      expected: undefined,
    },
    {
      name: 'explicit depends_on entries win',
      service: {
        links: ['db'],
        depends_on: { db: { condition: 'service_healthy', required: false } },
      },
      expected: { db: { condition: 'service_healthy', required: false } },
    },
  ];
  it.each(cases)('$name', async ({ service, expected }) => {
    const out = await normalizeProject({ services: { web: { image: 'x', ...service } } }, options());
    const web = (out.services as Record<string, ComposeDict>).web!;
    expect(web.depends_on).toEqual(expected);
  });
});

describe('normalizeProject: env_file into environment', () => {
  const files: Record<string, Record<string, string>> = {
    '/proj/a.env': { A: 'a', SHARED: 'from-a', OVER: 'file' },
    '/proj/b.env': { B: 'b', SHARED: 'from-b' },
    '/etc/abs.env': { ABS: 'yes' },
  };
  const reads: [string, string | undefined][] = [];
  const readEnvFile: NormalizeOptions['readEnvFile'] = (path, format) => {
    reads.push([path, format]);
    const vars = files[path];
    return vars ? Promise.resolve(vars) : null;
  };

  it('merges files in order, environment wins, bare keys override too', async () => {
    reads.length = 0;
    const out = await normalizeProject(
      {
        services: {
          web: {
            image: 'x',
            env_file: [
              { path: 'a.env', required: true },
              { path: './b.env', required: true, format: 'raw' },
              { path: '/etc/abs.env', required: true },
              { path: 'missing.env', required: false },
            ],
            environment: { OVER: 'env', BARE: null, UNSET: null },
          },
        },
      },
      options({ readEnvFile, environment: { BARE: 'shell' } }),
    );
    const web = (out.services as Record<string, ComposeDict>).web!;
    expect(web.environment).toEqual({
      A: 'a',
      SHARED: 'from-b',
      OVER: 'env',
      B: 'b',
      ABS: 'yes',
      BARE: 'shell',
      UNSET: null,
    });
    expect(web.env_file).toEqual([
      { path: '/proj/a.env', required: true },
      { path: '/proj/b.env', required: true, format: 'raw' },
      { path: '/etc/abs.env', required: true },
      { path: '/proj/missing.env', required: false },
    ]);
    expect(reads).toEqual([
      ['/proj/a.env', undefined],
      ['/proj/b.env', 'raw'],
      ['/etc/abs.env', undefined],
      ['/proj/missing.env', undefined],
    ]);
  });

  it('reads relative env files from the working dir even without path resolution', async () => {
    const out = await normalizeProject(
      { services: { web: { image: 'x', env_file: [{ path: 'a.env', required: true }] } } },
      options({ readEnvFile, resolvePaths: false }),
    );
    const web = (out.services as Record<string, ComposeDict>).web!;
    expect(web.env_file).toEqual([{ path: 'a.env', required: true }]);
    expect(web.environment).toEqual({ A: 'a', SHARED: 'from-a', OVER: 'file' });
  });

  it('an optional missing file alone adds no environment', async () => {
    const out = await normalizeProject(
      { services: { web: { image: 'x', env_file: [{ path: 'nope.env', required: false }] } } },
      options({ readEnvFile }),
    );
    expect((out.services as Record<string, ComposeDict>).web!.environment).toBeUndefined();
  });
});

describe('normalizeProject: errors', () => {
  const cases: {
    name: string;
    model: ComposeDict;
    readEnvFile?: NormalizeOptions['readEnvFile'];
    message: string;
  }[] = [
    {
      name: 'missing required env file',
      model: { services: { web: { image: 'x', env_file: [{ path: 'gone.env', required: true }] } } },
      message:
        'compose.yaml:4:9: services.web.env_file[0]: env file /proj/gone.env not found for service "web" (create the file, or add `required: false` to the env_file entry to skip it when it is missing)',
    },
    {
      name: 'env file that cannot be read',
      model: { services: { web: { image: 'x', env_file: [{ path: 'bad.env', required: true }] } } },
      readEnvFile: () => Promise.reject(new Error('EACCES: permission denied')),
      message:
        'compose.yaml:4:9: services.web.env_file[0]: cannot read env file /proj/bad.env for service "web": EACCES: permission denied',
    },
    {
      name: 'distinct scale and deploy.replicas',
      model: { services: { web: { image: 'x', scale: 2, deploy: { replicas: 3 } } } },
      message: "compose.yaml:5:5: services.web: can't set distinct values on 'scale' and 'deploy.replicas'",
    },
  ];
  it.each(cases)('$name', async ({ model, readEnvFile, message }) => {
    const map = sourceMap([
      [['services', 'web'], 2, 3],
      [['services', 'web', 'env_file', 0], 4, 9],
      [['services', 'web', 'scale'], 5, 5],
    ]);
    const promise = normalizeProject(
      model,
      options({ sourceMap: map, ...(readEnvFile ? { readEnvFile } : {}) }),
    );
    await expect(promise).rejects.toBeInstanceOf(ComposeError);
    await expect(promise).rejects.toThrow(message);
  });

  it('passes a ComposeError from the env file reader through', async () => {
    const inner = new ComposeError('bad line', { location: { file: '.env', line: 3 } });
    const promise = normalizeProject(
      { services: { web: { image: 'x', env_file: [{ path: 'a.env', required: true }] } } },
      options({ readEnvFile: () => Promise.reject(inner) }),
    );
    await expect(promise).rejects.toBe(inner);
  });
});
