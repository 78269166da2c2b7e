import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildGraph } from '../../src/graph/build.js';
import type { GraphEdge } from '../../src/graph/model.js';
import { loadProject } from '../../src/project/load.js';
import type { Service } from '../../src/project/types.js';
import { healthy, makeProject, started } from './project.js';

describe('buildGraph', () => {
  const cases: { name: string; services: Record<string, Service>; edges: GraphEdge[] }[] = [
    {
      name: 'depends_on keeps condition, required and restart',
      services: {
        api: { depends_on: { db: { ...healthy, restart: true }, cache: started } },
        db: {},
        cache: {},
      },
      edges: [
        {
          kind: 'depends_on',
          from: 'api',
          to: 'cache',
          condition: 'service_started',
          required: true,
          restart: false,
        },
        {
          kind: 'depends_on',
          from: 'api',
          to: 'db',
          condition: 'service_healthy',
          required: true,
          restart: true,
        },
      ],
    },
    {
      name: 'a dependency outside the project is left out',
      services: {
        api: { depends_on: { gone: { ...started, required: false }, db: started } },
        db: {},
      },
      edges: [
        {
          kind: 'depends_on',
          from: 'api',
          to: 'db',
          condition: 'service_started',
          required: true,
          restart: false,
        },
      ],
    },
    {
      name: 'links with and without alias',
      services: { web: { links: ['db:database', 'cache'] }, db: {}, cache: {} },
      edges: [
        { kind: 'link', from: 'web', to: 'cache' },
        { kind: 'link', from: 'web', to: 'db', alias: 'database' },
      ],
    },
    {
      name: 'volumes_from with modes; container: sources are outside',
      services: { app: { volumes_from: ['data:ro', 'logs', 'container:other:rw'] }, data: {}, logs: {} },
      edges: [
        { kind: 'volumes_from', from: 'app', to: 'data', mode: 'ro' },
        { kind: 'volumes_from', from: 'app', to: 'logs', mode: 'rw' },
      ],
    },
    {
      name: 'service: namespaces',
      services: {
        app: { network_mode: 'service:vpn', ipc: 'service:vpn', pid: 'host', uts: 'service:box' },
        vpn: {},
        box: {},
      },
      edges: [
        { kind: 'namespace', from: 'app', to: 'box', namespace: 'uts' },
        { kind: 'namespace', from: 'app', to: 'vpn', namespace: 'ipc' },
        { kind: 'namespace', from: 'app', to: 'vpn', namespace: 'network' },
      ],
    },
  ];
  it.each(cases)('$name', ({ services, edges }) => {
    expect(buildGraph(makeProject(services)).edges).toEqual(edges);
  });

  it('has a node per service and resource, keyed by kind, and resource edges', () => {
    const project = makeProject(
      {
        web: {
          networks: { front: { aliases: ['www', 'site'] }, back: null },
          volumes: [
            { type: 'volume', source: 'data', target: '/data', read_only: true },
            { type: 'bind', source: '/host', target: '/host' },
            { type: 'volume', target: '/anonymous' },
          ],
          secrets: [{ source: 'token', target: '/run/secrets/token' }],
          configs: [{ source: 'app' }],
        },
      },
      { networks: ['front', 'back', 'unused'], volumes: ['data'], secrets: ['token'], configs: ['app'] },
    );
    project.volumes.data!.external = true;
    const graph = buildGraph(project);
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'service:web',
      'network:back',
      'network:front',
      'network:unused',
      'volume:data',
      'secret:token',
      'config:app',
    ]);
    expect(graph.nodes.find((n) => n.id === 'volume:data')).toEqual({
      id: 'volume:data',
      kind: 'volume',
      name: 'data',
      external: true,
    });
    expect(graph.edges).toEqual([
      { kind: 'network', from: 'web', to: 'back' },
      { kind: 'network', from: 'web', to: 'front', aliases: ['site', 'www'] },
      { kind: 'volume', from: 'web', to: 'data', target: '/data', readOnly: true },
      { kind: 'secret', from: 'web', to: 'token', target: '/run/secrets/token' },
      { kind: 'config', from: 'web', to: 'app' },
    ]);
  });

  it('builds from a loaded project: implicit dependencies, default network, profiles', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-graph-'));
    try {
      await writeFile(
        path.join(dir, 'compose.yaml'),
        [
          'services:',
          '  web:',
          '    image: nginx',
          '    links: [api]',
          '    depends_on:',
          '      debug: {condition: service_started, required: false}',
          '  api:',
          '    image: node',
          '    volumes: ["data:/data"]',
          '  debug:',
          '    image: busybox',
          '    profiles: [debug]',
          'volumes:',
          '  data: {}',
        ].join('\n'),
      );
      const { project } = await loadProject({ cwd: dir, env: {} });
      const graph = buildGraph(project);
      expect(graph.project).toBe(project.name);
      expect(graph.nodes.map((n) => n.id)).toEqual([
        'service:api',
        'service:web',
        'network:default',
        'volume:data',
      ]);
      expect(graph.edges).toEqual([
        { kind: 'network', from: 'api', to: 'default' },
        { kind: 'volume', from: 'api', to: 'data', target: '/data', readOnly: false },
        {
          kind: 'depends_on',
          from: 'web',
          to: 'api',
          condition: 'service_started',
          required: true,
          restart: true,
        },
        { kind: 'link', from: 'web', to: 'api' },
        { kind: 'network', from: 'web', to: 'default' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
