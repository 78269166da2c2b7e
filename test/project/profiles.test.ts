import { describe, expect, it } from 'vitest';

import type { ComposeDict } from '../../src/project/dict.js';
import { ComposeError, ComposeErrors } from '../../src/project/errors.js';
import { applyProfiles } from '../../src/project/profiles.js';
import { DocumentPositions, SourceMap } from '../../src/project/source-map.js';

const started = { condition: 'service_started', required: true };

function sourceMap(): SourceMap {
  const doc = new DocumentPositions('compose.yaml');
  doc.set(['services', 'web', 'depends_on', 'db'], { line: 6, column: 7 });
  doc.set(['services', 'web', 'depends_on', 'mock'], { line: 7, column: 7 });
  const map = new SourceMap();
  map.add(doc);
  return map;
}

const model: ComposeDict = {
  name: 'demo',
  services: {
    web: { image: 'web' },
    db: { image: 'pg', profiles: ['db'] },
    debug: { image: 'busybox', profiles: ['debug', 'tools'] },
    admin: { image: 'admin', profiles: ['admin'], depends_on: { db: started } },
  },
};

describe('applyProfiles: which services are enabled', () => {
  const cases: {
    name: string;
    profiles: string[];
    explicit?: string[];
    enabled: string[];
    active: string[];
  }[] = [
    { name: 'no profile: services without profiles only', profiles: [], enabled: ['web'], active: [] },
    { name: 'one profile', profiles: ['db'], enabled: ['web', 'db'], active: ['db'] },
    { name: 'any of a service profiles', profiles: ['tools'], enabled: ['web', 'debug'], active: ['tools'] },
    {
      name: 'star enables everything',
      profiles: ['*'],
      enabled: ['web', 'db', 'debug', 'admin'],
      active: ['*'],
    },
    { name: 'unknown profile enables nothing more', profiles: ['nope'], enabled: ['web'], active: ['nope'] },
    { name: 'duplicates are kept once', profiles: ['db', 'db'], enabled: ['web', 'db'], active: ['db'] },
    {
      name: 'explicit service enables its profiles, which can enable more services',
      profiles: ['db'],
      explicit: ['debug'],
      enabled: ['web', 'db', 'debug'],
      active: ['db', 'debug', 'tools'],
    },
    {
      name: 'explicit service without profiles changes nothing',
      profiles: [],
      explicit: ['web'],
      enabled: ['web'],
      active: [],
    },
  ];
  it.each(cases)('$name', ({ profiles, explicit, enabled, active }) => {
    const result = applyProfiles(model, {
      profiles,
      explicitServices: explicit ?? [],
      sourceMap: sourceMap(),
    });
    expect(Object.keys(result.model.services as ComposeDict)).toEqual(enabled);
    expect(result.activeProfiles).toEqual(active);
    const all = Object.keys(model.services as ComposeDict);
    expect(Object.keys(result.disabled)).toEqual(all.filter((s) => !enabled.includes(s)));
    expect(result.model.name).toBe('demo');
  });

  it('does not change its input', () => {
    const before = structuredClone(model);
    applyProfiles(model, { profiles: [], explicitServices: [], sourceMap: sourceMap() });
    expect(model).toEqual(before);
  });

  it('an explicit service that needs a disabled profile enables its dependency through it', () => {
    const result = applyProfiles(model, {
      profiles: ['db'],
      explicitServices: ['admin'],
      sourceMap: sourceMap(),
    });
    expect(Object.keys(result.model.services as ComposeDict)).toEqual(['web', 'db', 'admin']);
  });
});

describe('applyProfiles: dependencies on disabled services', () => {
  it('drops optional ones', () => {
    const input: ComposeDict = {
      services: {
        web: { image: 'web', depends_on: { mock: { ...started, required: false }, api: started } },
        api: { image: 'api' },
        mock: { image: 'mock', profiles: ['test'] },
      },
    };
    const result = applyProfiles(input, { profiles: [], explicitServices: [], sourceMap: sourceMap() });
    expect(result.model.services).toEqual({
      web: { image: 'web', depends_on: { api: started } },
      api: { image: 'api' },
    });
  });

  it('removes depends_on when nothing is left', () => {
    const input: ComposeDict = {
      services: {
        web: { image: 'web', depends_on: { mock: { ...started, required: false } } },
        mock: { image: 'mock', profiles: ['test'] },
      },
    };
    const result = applyProfiles(input, { profiles: [], explicitServices: [], sourceMap: sourceMap() });
    expect(result.model.services).toEqual({ web: { image: 'web' } });
  });

  const errorCases: { name: string; input: ComposeDict; messages: string[] }[] = [
    {
      name: 'required dependency',
      input: {
        services: {
          web: { image: 'web', depends_on: { db: started } },
          db: { image: 'pg', profiles: ['debug'] },
        },
      },
      messages: [
        'compose.yaml:6:7: services.web.depends_on.db: service "web" depends on service "db" which is disabled by its profiles ["debug"]; enable it with --profile debug',
      ],
    },
    {
      name: 'required by default (no required key)',
      input: {
        services: {
          web: { image: 'web', depends_on: { db: { condition: 'service_healthy' } } },
          db: { image: 'pg', profiles: ['a', 'b'] },
        },
      },
      messages: [
        'compose.yaml:6:7: services.web.depends_on.db: service "web" depends on service "db" which is disabled by its profiles ["a","b"]; enable it with --profile a',
      ],
    },
    {
      name: 'every problem at once',
      input: {
        services: {
          web: { image: 'web', depends_on: { db: started, mock: started } },
          db: { image: 'pg', profiles: ['db'] },
          mock: { image: 'mock', profiles: ['test'] },
        },
      },
      messages: [
        'services.web.depends_on.db: service "web" depends on service "db" which is disabled by its profiles ["db"]; enable it with --profile db',
        'compose.yaml:7:7: services.web.depends_on.mock: service "web" depends on service "mock" which is disabled by its profiles ["test"]; enable it with --profile test',
      ],
    },
  ];
  it.each(errorCases)('$name', ({ input, messages }) => {
    let caught: unknown;
    try {
      applyProfiles(input, { profiles: [], explicitServices: [], sourceMap: sourceMap() });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ComposeError);
    const errors = caught instanceof ComposeErrors ? caught.errors : [caught as ComposeError];
    expect(errors).toHaveLength(messages.length);
    errors.forEach((error, i) => expect(error.message).toContain(messages[i]));
  });

  it('an unknown explicit service is an error', () => {
    expect(() =>
      applyProfiles(model, { profiles: [], explicitServices: ['nope'], sourceMap: sourceMap() }),
    ).toThrow('no such service: nope (known services: web, db, debug, admin)');
  });
});
