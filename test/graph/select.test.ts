import { describe, expect, it } from 'vitest';

import { buildGraph } from '../../src/graph/build.js';
import { dependentsOf, selectServices } from '../../src/graph/select.js';
import { subgraph } from '../../src/graph/subgraph.js';
import { ComposeError } from '../../src/project/errors.js';
import { healthy, makeProject, started } from './project.js';

// web -> api -> db (restart), api -> cache; worker -> db; tool (alone)
const graph = buildGraph(
  makeProject(
    {
      web: { depends_on: { api: started }, networks: { front: null } },
      api: {
        depends_on: { db: { ...healthy, restart: true }, cache: started },
        networks: { front: null, back: null },
      },
      db: { networks: { back: null }, volumes: [{ type: 'volume', source: 'data', target: '/data' }] },
      cache: { networks: { back: null } },
      worker: { depends_on: { db: started }, secrets: [{ source: 'token' }] },
      tool: {},
    },
    { networks: ['front', 'back'], volumes: ['data'], secrets: ['token'] },
  ),
);

describe('selectServices', () => {
  const cases: { names: string[]; withDependencies: boolean; expected: string[] }[] = [
    { names: ['web'], withDependencies: true, expected: ['api', 'cache', 'db', 'web'] },
    { names: ['web'], withDependencies: false, expected: ['web'] },
    { names: ['worker', 'tool'], withDependencies: true, expected: ['db', 'tool', 'worker'] },
    { names: ['db', 'db'], withDependencies: false, expected: ['db'] },
    { names: [], withDependencies: true, expected: [] },
  ];
  it.each(cases)('$names with dependencies: $withDependencies', ({ names, withDependencies, expected }) => {
    expect(selectServices(graph, names, { withDependencies })).toEqual(expected);
  });

  it('refuses an unknown service with the known ones as a hint', () => {
    expect(() => selectServices(graph, ['web', 'nope'], { withDependencies: true })).toThrow(ComposeError);
    expect(() => selectServices(graph, ['nope'], { withDependencies: false })).toThrow(
      'no such service: nope (services are: api, cache, db, tool, web, worker)',
    );
  });
});

describe('dependentsOf', () => {
  const cases: { name: string; transitive: boolean; restartOnly?: boolean; expected: string[] }[] = [
    { name: 'db', transitive: false, expected: ['api', 'worker'] },
    { name: 'db', transitive: true, expected: ['api', 'web', 'worker'] },
    { name: 'db', transitive: true, restartOnly: true, expected: ['api'] },
    { name: 'cache', transitive: false, restartOnly: true, expected: [] },
    { name: 'web', transitive: true, expected: [] },
  ];
  it.each(cases)(
    '$name transitive: $transitive restartOnly: $restartOnly',
    ({ name, expected, ...options }) => {
      expect(dependentsOf(graph, name, options)).toEqual(expected);
    },
  );

  it('refuses an unknown service', () => {
    expect(() => dependentsOf(graph, 'nope', { transitive: true })).toThrow('no such service: nope');
  });

  it('terminates on a cycle', () => {
    const cyclic = buildGraph(
      makeProject({ a: { depends_on: { b: started } }, b: { depends_on: { a: started } } }),
    );
    expect(dependentsOf(cyclic, 'a', { transitive: true })).toEqual(['b']);
    expect(selectServices(cyclic, ['a'], { withDependencies: true })).toEqual(['a', 'b']);
  });
});

describe('subgraph', () => {
  it('keeps the selected services, the edges among them and the resources they use', () => {
    const part = subgraph(graph, ['api', 'web']);
    expect(part.nodes.map((n) => n.id)).toEqual([
      'service:api',
      'service:web',
      'network:back',
      'network:front',
    ]);
    expect(part.edges.map((e) => `${e.from} ${e.kind} ${e.to}`)).toEqual([
      'api network back',
      'api network front',
      'web depends_on api',
      'web network front',
    ]);
  });
});
