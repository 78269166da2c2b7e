import { describe, expect, it } from 'vitest';

import {
  linkEnvironment,
  linkPrefix,
  linkedPorts,
  linksEnvironment,
  parseLink,
} from '../../../src/engine/local/link-environment.js';
import { parsePortSpec } from '../../../src/project/canonical/ports.js';
import type { Port, Service } from '../../../src/project/types.js';

/** Canonical ports from short specs. */
const portList = (...specs: string[]): Port[] =>
  specs.flatMap((spec) => parsePortSpec(spec).map((p) => ({ ...p })));

describe('parseLink and linkPrefix', () => {
  it.each([
    ['db', { service: 'db', alias: 'db' }],
    ['db:database', { service: 'db', alias: 'database' }],
    ['db:', { service: 'db', alias: 'db' }],
  ])('%s', (entry, want) => {
    expect(parseLink(entry)).toEqual(want);
  });

  it.each([
    ['db', 'DB'],
    ['my-db', 'MY_DB'],
    ['cache_1', 'CACHE_1'],
  ])('%s -> %s', (alias, want) => {
    expect(linkPrefix(alias)).toBe(want);
  });
});

describe('linkEnvironment', () => {
  it("produces Docker's variables for one port, pointing at the real port", () => {
    expect(
      linkEnvironment('app-web-1', {
        alias: 'db',
        ports: [{ port: 5432, protocol: 'tcp', realPort: 15432 }],
        environment: { POSTGRES_DB: 'shop', PATH: '/usr/bin', HOME: '/root' },
      }),
    ).toEqual({
      DB_PORT: 'tcp://127.0.0.1:15432',
      DB_PORT_5432_TCP: 'tcp://127.0.0.1:15432',
      DB_PORT_5432_TCP_ADDR: '127.0.0.1',
      DB_PORT_5432_TCP_PORT: '15432',
      DB_PORT_5432_TCP_PROTO: 'tcp',
      DB_NAME: '/app-web-1/db',
      DB_ENV_POSTGRES_DB: 'shop',
    });
  });

  it('puts TCP first and the lowest port in NAME_PORT', () => {
    const env = linkEnvironment('p-web-1', {
      alias: 'dns-server',
      ports: [
        { port: 53, protocol: 'udp', realPort: 53 },
        { port: 8080, protocol: 'tcp', realPort: 8080 },
        { port: 443, protocol: 'tcp', realPort: 8443 },
      ],
    });
    expect(env.DNS_SERVER_PORT).toBe('tcp://127.0.0.1:8443');
    expect(env.DNS_SERVER_PORT_53_UDP).toBe('udp://127.0.0.1:53');
    expect(env.DNS_SERVER_PORT_53_UDP_PROTO).toBe('udp');
    expect(env.DNS_SERVER_NAME).toBe('/p-web-1/dns-server');
    expect(Object.keys(env)[0]).toBe('DNS_SERVER_PORT');
  });

  it('adds _START/_END variables for consecutive ports, as Docker does', () => {
    const env = linkEnvironment('p-web-1', {
      alias: 'db',
      ports: [7000, 7001, 7002, 9000].map((port) => ({ port, protocol: 'tcp', realPort: port })),
    });
    expect(env).toMatchObject({
      DB_PORT_7000_TCP_START: 'tcp://127.0.0.1:7000',
      DB_PORT_7000_TCP_PORT_START: '7000',
      DB_PORT_7000_TCP_END: 'tcp://127.0.0.1:7002',
      DB_PORT_7000_TCP_PORT_END: '7002',
    });
    expect(Object.keys(env).filter((k) => k.endsWith('_START'))).toEqual([
      'DB_PORT_7000_TCP_START',
      'DB_PORT_7000_TCP_PORT_START',
    ]);
  });

  it("isolated networking: the linked replica's address and the container port, as in Docker", () => {
    expect(
      linkEnvironment('app-web-1', {
        alias: 'db',
        ports: [
          { port: 5432, protocol: 'tcp', realPort: 5432 },
          { port: 5433, protocol: 'tcp', realPort: 5433 },
        ],
        environment: { POSTGRES_DB: 'shop' },
        address: '10.200.0.5',
      }),
    ).toEqual({
      DB_PORT: 'tcp://10.200.0.5:5432',
      DB_PORT_5432_TCP: 'tcp://10.200.0.5:5432',
      DB_PORT_5432_TCP_ADDR: '10.200.0.5',
      DB_PORT_5432_TCP_PORT: '5432',
      DB_PORT_5432_TCP_PROTO: 'tcp',
      DB_PORT_5433_TCP: 'tcp://10.200.0.5:5433',
      DB_PORT_5433_TCP_ADDR: '10.200.0.5',
      DB_PORT_5433_TCP_PORT: '5433',
      DB_PORT_5433_TCP_PROTO: 'tcp',
      DB_PORT_5432_TCP_START: 'tcp://10.200.0.5:5432',
      DB_PORT_5432_TCP_PORT_START: '5432',
      DB_PORT_5432_TCP_END: 'tcp://10.200.0.5:5433',
      DB_PORT_5432_TCP_PORT_END: '5433',
      DB_NAME: '/app-web-1/db',
      DB_ENV_POSTGRES_DB: 'shop',
    });
  });

  it('isolated networking through linksEnvironment: each link at its own address', () => {
    const env = linksEnvironment('shop-web-1', ['db:database', 'cache'], (name) => ({
      ports: [{ port: name === 'db' ? 5432 : 6379, protocol: 'tcp', realPort: name === 'db' ? 5432 : 6379 }],
      address: name === 'db' ? '10.200.0.5' : '10.200.0.6',
    }));
    expect(env).toMatchObject({
      DATABASE_PORT: 'tcp://10.200.0.5:5432',
      DATABASE_PORT_5432_TCP_ADDR: '10.200.0.5',
      DATABASE_PORT_5432_TCP_PORT: '5432',
      CACHE_PORT: 'tcp://10.200.0.6:6379',
      CACHE_PORT_6379_TCP_ADDR: '10.200.0.6',
    });
  });

  it('a service without ports still gets NAME and ENV', () => {
    expect(
      linkEnvironment('p-web-1', { alias: 'worker', ports: [], environment: { QUEUE: 'jobs' } }),
    ).toEqual({
      WORKER_NAME: '/p-web-1/worker',
      WORKER_ENV_QUEUE: 'jobs',
    });
  });
});

describe('linkedPorts: where a linked service really listens', () => {
  const db: Service = {
    ports: portList('15432:5432', '127.0.0.2:9187:9187'),
    expose: ['6000'],
  };

  it.each([
    {
      name: 'published host ports when bound, else the container port',
      replica1: { boundPorts: [15432, 9187] },
      want: [
        { port: 5432, protocol: 'tcp', realPort: 15432 },
        { port: 9187, protocol: 'tcp', realPort: 9187 },
        { port: 6000, protocol: 'tcp', realPort: 6000 },
      ],
    },
    {
      name: "replica 1's PORT for the moved port when nothing is published",
      replica1: { listenPort: 41000 },
      want: [
        { port: 5432, protocol: 'tcp', realPort: 41000 },
        { port: 9187, protocol: 'tcp', realPort: 9187 },
        { port: 6000, protocol: 'tcp', realPort: 6000 },
      ],
    },
  ])('$name', ({ replica1, want }) => {
    expect(linkedPorts(db, replica1)).toEqual(want);
  });

  it('isolated networking: without replica 1 facts, every port is the container port', () => {
    expect(linkedPorts(db)).toEqual([
      { port: 5432, protocol: 'tcp', realPort: 5432 },
      { port: 9187, protocol: 'tcp', realPort: 9187 },
      { port: 6000, protocol: 'tcp', realPort: 6000 },
    ]);
  });

  it('skips published ports bound on an address loopback cannot reach', () => {
    const svc: Service = { ports: portList('10.1.2.3:8080:80') };
    expect(linkedPorts(svc, { boundPorts: [8080] })).toEqual([{ port: 80, protocol: 'tcp', realPort: 80 }]);
  });
});

describe('linksEnvironment', () => {
  it('joins every link, with aliases, and ignores unknown services', () => {
    const env = linksEnvironment('shop-web-1', ['db:database', 'cache', 'ghost'], (name) =>
      name === 'ghost'
        ? undefined
        : { ports: [{ port: name === 'db' ? 5432 : 6379, protocol: 'tcp', realPort: 1 }] },
    );
    expect(env.DATABASE_PORT_5432_TCP).toBe('tcp://127.0.0.1:1');
    expect(env.DATABASE_NAME).toBe('/shop-web-1/database');
    expect(env.CACHE_PORT).toBe('tcp://127.0.0.1:1');
    expect(Object.keys(env).some((k) => k.startsWith('GHOST'))).toBe(false);
  });
});
