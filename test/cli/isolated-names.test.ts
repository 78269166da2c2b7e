/**
 * Isolated networking through the real CLI: names and addresses. Peers resolve by service, container
 * name and link alias only on the networks they share; other networks are out of reach even by
 * address; hostnames and static addresses are as written; the host's own names are never touched.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeIsolated } from '../support/isolation.js';
import { expectCleanFailure } from './helpers.js';
import {
  addressOf,
  connect,
  get,
  isolatedProject,
  lookup,
  server,
  shortId,
  TEST_TIMEOUT_MS,
} from './isolated-project.js';

describeIsolated('isolated networking: names and addresses (CLI)', () => {
  // The host's /etc/hosts and hostname before the suite: nothing berth does may change them.
  let hostBefore: { hosts: string; hostname: string } | undefined;
  beforeAll(async () => {
    hostBefore = { hosts: await readFile('/etc/hosts', 'utf8'), hostname: hostname() };
  });
  afterAll(async () => {
    if (hostBefore) expect(await readFile('/etc/hosts', 'utf8')).toBe(hostBefore.hosts);
  });

  it(
    'two services on one network reach each other by name',
    async () => {
      const p = await isolatedProject({ server: { script: server(9000) }, client: {} });
      await p.up();
      expect(await p.execUntilOk('client', get('http://server:9000'))).toBe(`OK ${shortId(p, 'server')}`);
      // And back, by service name and by container name.
      const client = addressOf(p, 'client', 'default');
      expect(await p.exec('server', lookup('client'))).toBe(`OK ${client}`);
      expect(await p.exec('server', lookup(`${p.name}-client-1`))).toBe(`OK ${client}`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a service only on back is out of reach from one only on front, by name and by address; one on both reaches both',
    async () => {
      const p = await isolatedProject(
        {
          web: { script: server(9000), networks: ['front'] },
          db: { script: server(9000), networks: ['back'] },
          api: { script: server(9000), networks: ['front', 'back'] },
        },
        { networks: { front: {}, back: {} } },
      );
      await p.up();
      // The one on both reaches both (which also waits until both servers listen) ...
      expect(await p.execUntilOk('api', get('http://db:9000'))).toBe(`OK ${shortId(p, 'db')}`);
      expect(await p.execUntilOk('api', get('http://web:9000'))).toBe(`OK ${shortId(p, 'web')}`);
      // ... web reaches api on front ...
      expect(await p.execUntilOk('web', get('http://api:9000'))).toBe(`OK ${shortId(p, 'api')}`);
      // ... but not db: its name is not in web's hosts file (a lookup would go on to the host's DNS
      // servers, out of reach from a sandbox, and hang until the resolver gives up) ...
      const hosts = await p.exec(
        'web',
        `process.stdout.write(require('fs').readFileSync('/etc/hosts', 'utf8'))`,
      );
      expect(hosts).toContain(`${p.name}-api-1`);
      expect(hosts).not.toMatch(/\sdb(\s|$)/m);
      expect(hosts).not.toContain(`${p.name}-db-1`);
      // ... and its address (as `hostname -i` shows it inside db) is not routed from front.
      const shown = await p.berth(['exec', '-T', 'db', 'hostname', '-i']);
      expect(shown.exitCode, shown.stderr).toBe(0);
      const dbAddress = shown.stdout.trim();
      expect(dbAddress).toBe(addressOf(p, 'db', 'back'));
      expect(await p.exec('web', connect(dbAddress, 9000))).toMatch(/^FAIL /);
      // Nor is api's address on back, though api is on front too.
      expect(await p.exec('web', connect(addressOf(p, 'api', 'back'), 9000))).toMatch(/^FAIL /);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a link alias resolves to the linked replica, and the legacy link variables carry its address',
    async () => {
      const p = await isolatedProject({
        db: { script: server(5432), expose: ['5432'] },
        client: { links: ['db:database'], depends_on: ['db'] },
      });
      await p.up();
      const db = addressOf(p, 'db', 'default');
      expect(await p.exec('client', lookup('database'))).toBe(`OK ${db}`);
      expect(await p.execUntilOk('client', get('http://database:5432'))).toBe(`OK ${shortId(p, 'db')}`);
      const variables = await p.exec(
        'client',
        `console.log(JSON.stringify([process.env.DATABASE_PORT_5432_TCP_ADDR, process.env.DATABASE_PORT_5432_TCP_PORT, process.env.DATABASE_PORT]))`,
      );
      expect(JSON.parse(variables)).toEqual([db, '5432', `tcp://${db}:5432`]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the hostname inside is the service's hostname:, else the short container id",
    async () => {
      const custom = `custom-${randomBytes(3).toString('hex')}`;
      const p = await isolatedProject({ named: { hostname: custom }, plain: {} });
      await p.up();
      const show = `console.log(require('os').hostname())`;
      expect(await p.exec('named', show)).toBe(custom);
      expect(await p.exec('plain', show)).toBe(shortId(p, 'plain'));
      // A replica resolves its own hostname (to its own address).
      expect(await p.exec('named', lookup(custom))).toBe(`OK ${addressOf(p, 'named', 'default')}`);
      expect(hostname()).toBe(hostBefore?.hostname);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a static ipv4_address in the ipam subnet is honoured; one outside it is refused clearly',
    async () => {
      // Outside the allocator's pool (10.200.0.0/13) and random, so that parallel files do not meet.
      const third = Math.floor(Math.random() * 255);
      const wanted = `10.209.${third}.50`;
      const p = await isolatedProject(
        { fixed: { networks: { pinned: { ipv4_address: wanted } } } },
        { networks: { pinned: { ipam: { config: [{ subnet: `10.209.${third}.0/24` }] } } } },
      );
      await p.up();
      const shown = await p.berth(['exec', '-T', 'fixed', 'hostname', '-i']);
      expect(shown.exitCode, shown.stderr).toBe(0);
      expect(shown.stdout.trim()).toBe(wanted);

      const bad = await isolatedProject(
        { misplaced: { networks: { pinned: { ipv4_address: '10.99.0.5' } } } },
        { networks: { pinned: { ipam: { config: [{ subnet: `10.209.${third + 1}.0/24` }] } } } },
      );
      const run = await bad.berth(['up', '-d']);
      expectCleanFailure(run);
      expect(run.stderr).toContain('10.99.0.5');
      expect(run.stderr).toContain('misplaced');
      expect(run.stderr).toContain('ipv4_address');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "an external network is another project's: its replicas are reached there, at addresses of their own",
    async () => {
      const shared = `berth-ext-${randomBytes(4).toString('hex')}`;
      const owner = await isolatedProject(
        { srv: { script: server(9000, { reply: 'owner' }), networks: ['shared'] } },
        { networks: { shared: { name: shared } } },
      );
      await owner.up();
      const guest = await isolatedProject(
        { cli: { networks: ['shared'] } },
        { networks: { shared: { name: shared, external: true } } },
      );
      await guest.up();
      const ownerAddress = (await owner.berth(['exec', '-T', 'srv', 'hostname', '-i'])).stdout.trim();
      const guestAddress = (await guest.berth(['exec', '-T', 'cli', 'hostname', '-i'])).stdout.trim();
      expect(guestAddress).not.toBe(ownerAddress);
      expect(await guest.exec('cli', get(`http://${ownerAddress}:9000`))).toBe('OK owner');
    },
    TEST_TIMEOUT_MS,
  );

  it('leaves the host its own /etc/hosts and hostname', async () => {
    expect(await readFile('/etc/hosts', 'utf8')).toBe(hostBefore?.hosts);
    expect(hostname()).toBe(hostBefore?.hostname);
  });
});
