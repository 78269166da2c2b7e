import { describe, expect, it } from 'vitest';

import { buildGraph } from '../../src/graph/build.js';
import { DependencyCycleError } from '../../src/graph/cycles.js';
import { startLevels, startOrder, stopLevels } from '../../src/graph/levels.js';
import { ComposeError } from '../../src/project/errors.js';
import type { Service } from '../../src/project/types.js';
import { healthy, makeProject, started } from './project.js';

const graphOf = (services: Record<string, Service>) => buildGraph(makeProject(services));

describe('startLevels', () => {
  const cases: { name: string; services: Record<string, Service>; levels: string[][] }[] = [
    { name: 'no services', services: {}, levels: [] },
    {
      name: 'independent services share level 0, sorted',
      services: { b: {}, a: {}, c: {} },
      levels: [['a', 'b', 'c']],
    },
    {
      name: 'a chain',
      services: { web: { depends_on: { api: started } }, api: { depends_on: { db: healthy } }, db: {} },
      levels: [['db'], ['api'], ['web']],
    },
    {
      name: 'a diamond waits for its slowest branch',
      services: {
        top: { depends_on: { left: started, right: started } },
        left: { depends_on: { base: started } },
        right: { depends_on: { mid: started } },
        mid: { depends_on: { base: started } },
        base: {},
      },
      levels: [['base'], ['left', 'mid'], ['right'], ['top']],
    },
    {
      name: 'links, volumes_from and namespaces order too',
      services: {
        app: { links: ['db'], volumes_from: ['data'], network_mode: 'service:vpn' },
        db: {},
        data: {},
        vpn: {},
      },
      levels: [['data', 'db', 'vpn'], ['app']],
    },
    {
      name: 'a dependency outside the project is ignored',
      services: { app: { depends_on: { gone: { ...started, required: false } } } },
      levels: [['app']],
    },
  ];
  it.each(cases)('$name', ({ services, levels }) => {
    const graph = graphOf(services);
    expect(startLevels(graph)).toEqual(levels);
    expect(stopLevels(graph)).toEqual([...levels].reverse());
    expect(startOrder(graph)).toEqual(levels.flat());
  });

  const cycles: { name: string; services: Record<string, Service>; message: string }[] = [
    {
      name: 'two services',
      services: { a: { depends_on: { b: started } }, b: { depends_on: { a: started } }, c: {} },
      message: 'services.a: dependency cycle detected: a -> b -> a',
    },
    {
      name: 'a cycle behind a healthy service, through a link',
      services: {
        ok: {},
        x: { depends_on: { y: started, ok: started } },
        y: { links: ['z'] },
        z: { depends_on: { y: started } },
      },
      message: 'services.y: dependency cycle detected: y -> z -> y',
    },
    {
      name: 'a service on itself',
      services: { self: { depends_on: { self: started } } },
      message: 'services.self: dependency cycle detected: self -> self',
    },
  ];
  it.each(cycles)('throws on a cycle: $name', ({ services, message }) => {
    const graph = graphOf(services);
    expect(() => startLevels(graph)).toThrow(DependencyCycleError);
    expect(() => stopLevels(graph)).toThrow(ComposeError);
    expect(() => startLevels(graph)).toThrow(message);
  });
});
