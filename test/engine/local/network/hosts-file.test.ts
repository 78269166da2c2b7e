import { describe, expect, it } from 'vitest';

import { renderHostsFile, type NameTableEntry } from '../../../../src/engine/local/network/hosts-file.js';

const HEADER = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
].join('\n');

/** A container of project `p`: networks as `{ name: address }` or `{ name: [address, ...aliases] }`. */
function c(
  service: string,
  number: number,
  networks: Record<string, string | string[]>,
  extra: Partial<NameTableEntry> = {},
): NameTableEntry {
  return {
    id: `${service}-${number}${extra.oneoff === true ? '-run' : ''}`,
    name: `p-${service}-${number}`,
    service,
    number,
    oneoff: false,
    hostname: `h${service}${number}`,
    running: true,
    endpoints: Object.entries(networks).map(([network, spec]) => {
      const [address = '', ...aliases] = typeof spec === 'string' ? [spec] : spec;
      return { network, address, aliases };
    }),
    links: [],
    extraHosts: [],
    ...extra,
  };
}

/** The lines after Docker's header. */
function body(self: NameTableEntry, all: NameTableEntry[]): string[] {
  const text = renderHostsFile(self, all);
  expect(text.startsWith(`${HEADER}\n`)).toBe(true);
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(HEADER.length + 1, -1).split('\n');
}

const web = c('web', 1, { default: '10.200.0.2' });
const db = c('db', 1, { default: '10.200.0.3' });

describe('renderHostsFile', () => {
  it.each<{ name: string; self: NameTableEntry; all: NameTableEntry[]; want: string[] }>([
    {
      name: 'two services on one network: self, then services by name',
      self: web,
      all: [web, db],
      want: ['10.200.0.2\thweb1 p-web-1', '10.200.0.3\tp-db-1 db', '10.200.0.2\tp-web-1 web'],
    },
    {
      name: 'front only: back-only peers are invisible, both-networks peers at their front address',
      self: c('ui', 1, { front: '10.201.0.2' }),
      all: [
        c('ui', 1, { front: '10.201.0.2' }),
        c('api', 1, { front: '10.201.0.3', back: '10.202.0.3' }),
        c('db', 1, { back: '10.202.0.4' }),
      ],
      want: ['10.201.0.2\thui1 p-ui-1', '10.201.0.3\tp-api-1 api', '10.201.0.2\tp-ui-1 ui'],
    },
    {
      name: "on both networks: everyone, at each shared network's address, in self's network order",
      self: c('api', 1, { front: '10.201.0.3', back: '10.202.0.3' }),
      all: [
        c('ui', 1, { front: '10.201.0.2' }),
        c('api', 1, { front: '10.201.0.3', back: '10.202.0.3' }),
        c('db', 1, { back: '10.202.0.4' }),
      ],
      want: [
        '10.201.0.3\thapi1 p-api-1',
        '10.202.0.3\thapi1 p-api-1',
        '10.201.0.3\tp-api-1 api',
        '10.202.0.3\tp-api-1 api',
        '10.202.0.4\tp-db-1 db',
        '10.201.0.2\tp-ui-1 ui',
      ],
    },
    {
      name: 'a scaled service: one line per replica, rotated by self number (2 of 3 starts at the 3rd)',
      self: web,
      all: [web, ...[3, 1, 2].map((n) => c('db', n, { default: `10.200.0.1${n}` }))],
      want: [
        '10.200.0.2\thweb1 p-web-1',
        '10.200.0.12\tp-db-2 db',
        '10.200.0.13\tp-db-3 db',
        '10.200.0.11\tp-db-1 db',
        '10.200.0.2\tp-web-1 web',
      ],
    },
    {
      name: "self's own service lists every replica, self included, rotated like any other",
      self: c('web', 3, { default: '10.200.0.13' }),
      all: [1, 2, 3].map((n) => c('web', n, { default: `10.200.0.1${n}` })),
      want: [
        '10.200.0.13\thweb3 p-web-3',
        '10.200.0.11\tp-web-1 web',
        '10.200.0.12\tp-web-2 web',
        '10.200.0.13\tp-web-3 web',
      ],
    },
    {
      name: 'a link alias names the linked service (and its name) on shared networks',
      self: { ...web, links: [{ service: 'db', alias: 'database' }] },
      all: [web, db, c('db', 2, { default: '10.200.0.4' }), c('db', 3, { other: '10.203.0.4' })],
      want: [
        '10.200.0.2\thweb1 p-web-1',
        '10.200.0.4\tp-db-2 db database',
        '10.200.0.3\tp-db-1 db database',
        '10.200.0.2\tp-web-1 web',
      ],
    },
    {
      name: 'a link alias wins over a service of that name, as in Docker',
      self: { ...web, links: [{ service: 'db', alias: 'cache' }] },
      all: [web, db, c('cache', 1, { default: '10.200.0.5' })],
      want: [
        '10.200.0.2\thweb1 p-web-1',
        '10.200.0.5\tp-cache-1',
        '10.200.0.3\tp-db-1 db cache',
        '10.200.0.2\tp-web-1 web',
      ],
    },
    {
      name: 'one-off containers: by container name only, after the services, never for links',
      self: { ...web, links: [{ service: 'db', alias: 'db' }] },
      all: [web, { ...c('db', 1, { default: '10.200.0.9' }, { oneoff: true }), name: 'p-db-run-0a1b' }],
      want: ['10.200.0.2\thweb1 p-web-1', '10.200.0.2\tp-web-1 web', '10.200.0.9\tp-db-run-0a1b'],
    },
    {
      name: "a one-off container sees the service's replicas, not itself as one",
      self: { ...c('web', 1, { default: '10.200.0.9' }, { oneoff: true }), name: 'p-web-run-1' },
      all: [web],
      want: ['10.200.0.9\thweb1 p-web-run-1', '10.200.0.2\tp-web-1 web', '10.200.0.9\tp-web-run-1'],
    },
    {
      name: 'stopped containers are not listed',
      self: web,
      all: [web, { ...db, running: false }, c('db', 2, { default: '10.200.0.4' })],
      want: ['10.200.0.2\thweb1 p-web-1', '10.200.0.4\tp-db-2 db', '10.200.0.2\tp-web-1 web'],
    },
    {
      name: 'self is listed even while it is not yet running',
      self: { ...web, running: false },
      all: [{ ...web, running: false }],
      want: ['10.200.0.2\thweb1 p-web-1', '10.200.0.2\tp-web-1 web'],
    },
    {
      name: 'extra_hosts last, in order; their names are not given to containers',
      self: {
        ...web,
        extraHosts: [
          { host: 'db', address: '192.0.2.7' },
          { host: 'gateway', address: '10.200.0.1' },
          { host: 'db.example', address: '192.0.2.7' },
        ],
      },
      all: [web, db],
      want: [
        '10.200.0.2\thweb1 p-web-1',
        '10.200.0.3\tp-db-1',
        '10.200.0.2\tp-web-1 web',
        '192.0.2.7\tdb',
        '10.200.0.1\tgateway',
        '192.0.2.7\tdb.example',
      ],
    },
    {
      name: 'network aliases only on their own network, never twice on a line',
      self: c('api', 1, { front: ['10.201.0.3', 'api', 'gw'], back: ['10.202.0.3', 'internal-api'] }),
      all: [
        c('ui', 1, { front: '10.201.0.2' }),
        c('db', 1, { back: ['10.202.0.4', 'postgres', 'db', 'postgres'], front: ['10.201.0.4', 'pg'] }),
      ],
      want: [
        '10.201.0.3\thapi1 p-api-1',
        '10.202.0.3\thapi1 p-api-1',
        '10.201.0.3\tp-api-1 api gw',
        '10.202.0.3\tp-api-1 api internal-api',
        '10.201.0.4\tp-db-1 db pg',
        '10.202.0.4\tp-db-1 db postgres',
        '10.201.0.2\tp-ui-1 ui',
      ],
    },
    {
      name: 'container_name replaces the generated name; a hostname equal to it is written once',
      self: { ...web, name: 'frontdoor', hostname: 'frontdoor' },
      all: [web, { ...db, name: 'postgres', hostname: 'dbhost' }],
      want: ['10.200.0.2\tfrontdoor', '10.200.0.3\tpostgres db', '10.200.0.2\tfrontdoor web'],
    },
    {
      name: 'no network (network_mode none): only extra_hosts after the header',
      self: { ...c('job', 1, {}), extraHosts: [{ host: 'mirror', address: '192.0.2.1' }] },
      all: [web, db],
      want: ['192.0.2.1\tmirror'],
    },
    {
      name: 'names a hosts file cannot carry are left out',
      self: c('web', 1, { default: ['10.200.0.2', 'bad alias', '#x', ''] }),
      all: [],
      want: ['10.200.0.2\thweb1 p-web-1', '10.200.0.2\tp-web-1 web'],
    },
  ])('$name', ({ self, all, want }) => {
    expect(body(self, all)).toEqual(want);
  });

  it('is the same text whatever the order of the containers', () => {
    const all = [web, db, c('db', 2, { default: '10.200.0.4' }), c('cache', 1, { default: '10.200.0.5' })];
    expect(renderHostsFile(web, [...all].reverse())).toBe(renderHostsFile(web, all));
  });

  it('spreads the first address of a scaled service across the clients', () => {
    const dbs = [1, 2, 3].map((n) => c('db', n, { default: `10.200.0.1${n}` }));
    const first = [1, 2, 3].map((n) => {
      const self = c('web', n, { default: `10.200.0.2${n}` });
      return body(self, [self, ...dbs]).find((line) => line.endsWith(' db'));
    });
    expect(new Set(first).size).toBe(3);
  });
});
