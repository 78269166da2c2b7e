import { describe, expect, it } from 'vitest';

import { checkConsistency } from '../../src/project/consistency.js';
import { findDependencyCycles } from '../../src/project/consistency/cycles.js';
import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeErrors } from '../../src/project/errors.js';
import { DocumentPositions, SourceMap } from '../../src/project/source-map.js';

function sourceMap(): SourceMap {
  const doc = new DocumentPositions('compose.yaml');
  doc.set(['services'], { line: 1, column: 1 });
  doc.set(['services', 'web'], { line: 2, column: 3 });
  doc.set(['services', 'web', 'networks', 'back'], { line: 5, column: 7 });
  doc.set(['services', 'web', 'volumes', 1], { line: 8, column: 9 });
  const map = new SourceMap();
  map.add(doc);
  return map;
}

function problems(model: ComposeDict): string[] {
  try {
    checkConsistency(model, { sourceMap: sourceMap() });
  } catch (error) {
    if (error instanceof ComposeErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  return [];
}

const web = (extra: ComposeDict): ComposeDict => ({ services: { web: { image: 'x', ...extra } } });

describe('checkConsistency: valid models', () => {
  const cases: { name: string; model: ComposeDict }[] = [
    { name: 'empty', model: { services: {} } },
    {
      name: 'everything defined',
      model: {
        services: {
          web: {
            image: 'x',
            networks: { default: null, front: { aliases: ['w'] } },
            volumes: [
              { type: 'volume', source: 'data', target: '/data' },
              { type: 'volume', target: '/anon' },
              { type: 'bind', source: '/src', target: '/src' },
              { type: 'tmpfs', target: '/tmp' },
            ],
            tmpfs: ['/run:size=64k'],
            secrets: [{ source: 'token' }],
            configs: [{ source: 'conf' }],
            depends_on: { db: { condition: 'service_started', required: true } },
            links: ['db:database'],
            volumes_from: ['db:ro', 'container:external'],
            external_links: ['outside'],
            ipc: 'service:db',
            healthcheck: { test: ['CMD-SHELL', 'true'] },
            develop: {
              watch: [
                { path: '/src', action: 'rebuild' },
                { path: '/a', action: 'sync', target: '/a' },
              ],
            },
            container_name: 'web-1',
            deploy: { replicas: 1 },
          },
          db: { build: { context: '/db', dockerfile: 'Dockerfile' }, network_mode: 'host' },
          proxy: { image: 'x', network_mode: 'container:abc' },
          model: { provider: { type: 'model' } },
        },
        networks: { default: { name: 'p_default' }, front: { name: 'p_front' } },
        volumes: { data: { name: 'p_data' } },
        secrets: { token: { file: '/t' } },
        configs: { conf: { file: '/c' } },
      },
    },
    {
      name: 'external secrets need no source',
      model: { services: {}, secrets: { s: { external: true, name: 's' } } },
    },
  ];
  it.each(cases)('$name', ({ model }) => {
    expect(problems(model)).toEqual([]);
  });
});

describe('checkConsistency: problems', () => {
  const cases: { name: string; model: ComposeDict; messages: string[] }[] = [
    {
      name: 'undefined network',
      model: web({ networks: { back: null } }),
      messages: [
        'compose.yaml:5:7: services.web.networks.back: service "web" refers to undefined network "back" (define it under the top-level `networks` key, or remove it from the service)',
      ],
    },
    {
      name: 'undefined named volume',
      model: web({
        volumes: [
          { type: 'bind', source: '/a', target: '/a' },
          { type: 'volume', source: 'data', target: '/d' },
        ],
      }),
      messages: [
        'compose.yaml:8:9: services.web.volumes[1]: service "web" refers to undefined volume "data" (define it under the top-level `volumes` key, or write ./data for a bind mount of a folder)',
      ],
    },
    {
      name: 'undefined secret, config and build secret',
      model: {
        services: {
          web: {
            build: { context: '/x', secrets: [{ source: 'npm' }] },
            secrets: [{ source: 's' }],
            configs: [{ source: 'c' }],
          },
        },
      },
      messages: [
        'services.web.secrets[0]: service "web" refers to undefined secret "s" (define it under the top-level `secrets` key)',
        'services.web.configs[0]: service "web" refers to undefined config "c" (define it under the top-level `configs` key)',
        'services.web.build.secrets[0]: service "web" refers to undefined build secret "npm"',
      ],
    },
    {
      name: 'depends_on an undefined service',
      model: web({ depends_on: { db: { condition: 'service_started', required: true } } }),
      messages: [
        'compose.yaml:2:3: services.web.depends_on.db: service "web" depends on undefined service "db"',
      ],
    },
    {
      name: 'links, volumes_from and service: modes are reported once each, not again as depends_on',
      model: web({
        links: ['db:database'],
        volumes_from: ['data:ro'],
        network_mode: 'service:vpn',
        pid: 'service:init',
        depends_on: {
          db: { condition: 'service_started', required: true },
          data: { condition: 'service_started', required: true },
          vpn: { condition: 'service_started', required: true },
          init: { condition: 'service_started', required: true },
        },
      }),
      messages: [
        'services.web.links[0]: service "web" links to undefined service "db"',
        'services.web.volumes_from[0]: service "web" takes volumes_from undefined service "data"',
        'services.web.network_mode: service "web" refers to undefined service "vpn" in network_mode "service:vpn"',
        'services.web.pid: service "web" refers to undefined service "init" in pid "service:init"',
      ],
    },
    {
      name: 'neither image nor build',
      model: { services: { web: { command: ['true'] } } },
      messages: [
        'compose.yaml:2:3: services.web: service "web" has neither an image nor a build context specified (add `image:` to run an existing image, or `build:` to build one)',
      ],
    },
    {
      name: 'dockerfile and dockerfile_inline',
      model: {
        services: { web: { build: { context: '/x', dockerfile: 'D', dockerfile_inline: 'FROM x' } } },
      },
      messages: [
        'services.web.build: service "web" declares mutually exclusive `dockerfile` and `dockerfile_inline`',
      ],
    },
    {
      name: 'build.platforms without the service platform',
      model: {
        services: { web: { platform: 'linux/arm64', build: { context: '/x', platforms: ['linux/amd64'] } } },
      },
      messages: [
        'services.web.build.platforms: build.platforms must include the service\'s platform "linux/arm64"',
      ],
    },
    {
      name: 'network_mode with networks',
      model: {
        services: { web: { image: 'x', network_mode: 'host', networks: { default: null } } },
        networks: { default: {} },
      },
      messages: [
        'services.web.network_mode: service "web" declares mutually exclusive `network_mode` and `networks`',
      ],
    },
    {
      name: 'service: and container: without a name',
      model: web({ network_mode: 'service:', ipc: 'container: ' }),
      messages: [
        'services.web.network_mode: invalid network_mode "service:": missing name after "service:" (write service:<name>)',
        'services.web.ipc: invalid ipc "container: ": missing name after "container:" (write container:<name>)',
      ],
    },
    {
      name: 'container_name with deploy.replicas > 1',
      model: web({ container_name: 'web', deploy: { replicas: 2 } }),
      messages: [
        "services.web.container_name: can't set container_name and deploy.replicas as container name must be unique",
      ],
    },
    {
      name: 'container_name with scale > 1',
      model: web({ container_name: 'web', scale: 3 }),
      messages: [
        "services.web.container_name: can't set container_name and scale as container name must be unique",
      ],
    },
    {
      name: 'two mounts on one target',
      model: web({
        volumes: [
          { type: 'bind', source: '/a', target: '/data' },
          { type: 'bind', source: '/b', target: '/data/' },
        ],
        tmpfs: ['/data:size=1m'],
      }),
      messages: [
        'compose.yaml:8:9: services.web.volumes[1]: duplicate mount point "/data" (already mounted by volumes[0])',
        'services.web.tmpfs[0]: duplicate mount point "/data" (already mounted by volumes[0])',
      ],
    },
    {
      name: 'bind mount without source',
      model: web({ volumes: [{ type: 'bind', target: '/x' }] }),
      messages: [
        'services.web.volumes[0]: invalid mount config for type "bind": field source must not be empty',
      ],
    },
    {
      name: 'healthcheck test that is not CMD, CMD-SHELL or NONE',
      model: web({ healthcheck: { test: ['curl', 'x'] } }),
      messages: [
        'services.web.healthcheck.test: healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"',
      ],
    },
    {
      name: 'watch rule without target',
      model: web({ develop: { watch: [{ path: '/src', action: 'sync' }] } }),
      messages: ['services.web.develop.watch[0]: target is required for sync actions'],
    },
    {
      name: 'legacy limits disagreeing with deploy.resources',
      model: web({ mem_limit: 100, cpus: 1, deploy: { resources: { limits: { memory: 200, cpus: 1 } } } }),
      messages: [
        "services.web.mem_limit: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'",
      ],
    },
    {
      name: 'secret without a source',
      model: { services: {}, secrets: { token: { name: 'p_token' } } },
      messages: ['secrets.token: secret "token" must declare either `file` or `environment`'],
    },
    {
      name: 'dependency cycle',
      model: {
        services: {
          web: { image: 'x', depends_on: { api: {} } },
          api: { image: 'x', depends_on: { web: {} } },
        },
      },
      messages: ['services.web.depends_on.api: dependency cycle detected: web -> api -> web'],
    },
    {
      name: 'self dependency',
      model: { services: { web: { image: 'x', depends_on: { web: {} } } } },
      messages: ['services.web.depends_on.web: dependency cycle detected: web -> web'],
    },
    {
      name: 'several problems in one report',
      model: { services: { web: { networks: { back: null } } } },
      messages: [
        'services.web: service "web" has neither an image nor a build context specified',
        'services.web.networks.back: service "web" refers to undefined network "back"',
      ],
    },
  ];
  it.each(cases)('$name', ({ model, messages }) => {
    const found = problems(model);
    expect(found).toHaveLength(messages.length);
    found.forEach((message, i) => expect(message).toContain(messages[i]));
  });
});

describe('findDependencyCycles', () => {
  const graph = (edges: Record<string, string[]>): ComposeDict => ({
    services: Object.fromEntries(
      Object.entries(edges).map(([name, deps]) => [
        name,
        { depends_on: Object.fromEntries(deps.map((d) => [d, {}])) },
      ]),
    ),
  });
  it.each<{ name: string; edges: Record<string, string[]>; cycles: string[][] }>([
    { name: 'no cycle', edges: { a: ['b'], b: ['c'], c: [] }, cycles: [] },
    { name: 'diamond is not a cycle', edges: { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, cycles: [] },
    {
      name: 'three-service cycle reported once',
      edges: { a: ['b'], b: ['c'], c: ['a'] },
      cycles: [['a', 'b', 'c', 'a']],
    },
    {
      name: 'two separate cycles',
      edges: { a: ['b'], b: ['a'], c: ['d'], d: ['c'] },
      cycles: [
        ['a', 'b', 'a'],
        ['c', 'd', 'c'],
      ],
    },
    { name: 'undefined targets are ignored', edges: { a: ['zz'] }, cycles: [] },
  ])('$name', ({ edges, cycles }) => {
    expect(findDependencyCycles(graph(edges))).toEqual(cycles);
  });
});
