/**
 * Isolated networking through the real CLI: what a replica can reach and what reaches it. Replicas
 * that all bind one port behind one published port, internal networks with no way out,
 * network_mode (service:, none, host), and exec and healthchecks running inside the sandbox.
 */
import { randomBytes } from 'node:crypto';
import { readlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';

import { expect, it } from 'vitest';

import { IP } from '../../src/engine/local/network/ip-command.js';
import { describeIsolated } from '../support/isolation.js';
import { freePort, psRows } from '../support/processes.js';
import {
  connect,
  gatewayOf,
  get,
  hostGet,
  isolatedProject,
  linkNames,
  NODE,
  poll,
  server,
  shortId,
  showNetns,
  TEST_TIMEOUT_MS,
} from './isolated-project.js';

/** Interface names in `ip -o link show` output. */
function interfaces(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (line.split(':')[1] ?? '').trim().split('@')[0]!);
}

describeIsolated('isolated networking: reaching replicas (CLI)', () => {
  it(
    'three replicas that all bind port 9000 answer through one published port',
    async () => {
      const port = await freePort();
      const p = await isolatedProject({
        web: { script: server(9000), scale: 3, ports: [`127.0.0.1:${port}:9000`] },
      });
      await p.up();
      // Until every replica listens (the proxy skips those that refuse) ...
      const seen = new Set<string>();
      await poll(async () => {
        const body = await hostGet(port);
        if (body !== undefined) seen.add(body);
        return seen.size === 3;
      }, 'three replicas to answer');
      // ... then a dozen requests on fresh connections meet all three.
      const answered = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const body = await hostGet(port);
        if (body !== undefined) answered.add(body);
      }
      const replicas = [1, 2, 3].map((n) => shortId(p, 'web', n)).sort();
      expect([...answered].sort()).toEqual(replicas);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an internal network: its replicas reach each other, but nothing outside it',
    async () => {
      // A server of the test's own on the host, reached from inside at a network's gateway.
      const hostPort = await freePort();
      const hostServer: Server = createServer((socket) => {
        socket.on('error', () => undefined);
        socket.end('host\n');
      });
      await new Promise<void>((resolve) => hostServer.listen(hostPort, '0.0.0.0', resolve));
      try {
        const p = await isolatedProject(
          {
            inner1: { script: server(9000), networks: ['secret'] },
            inner2: { script: server(9000), networks: ['secret'] },
            outer: {},
          },
          { networks: { secret: { internal: true } } },
        );
        await p.up();
        expect(await p.execUntilOk('inner1', get('http://inner2:9000'))).toBe(`OK ${shortId(p, 'inner2')}`);
        // A replica of a normal network reaches the host at its gateway ...
        const gateway = gatewayOf(p, 'default');
        expect(gateway).toMatch(/^\d+\.\d+\.\d+\.1$/);
        expect(await p.execUntilOk('outer', connect(gateway!, hostPort))).toBe('OK');
        // ... one only on the internal network has no route out, and its bridge no gateway.
        expect(gatewayOf(p, 'secret')).toBeUndefined();
        expect(await p.exec('inner1', connect(gateway!, hostPort))).toMatch(/^FAIL /);
        const routes = await p.berth(['exec', '-T', 'inner1', IP, '-4', 'route', 'show']);
        expect(routes.exitCode, routes.stderr).toBe(0);
        expect(routes.stdout).not.toContain('default');
      } finally {
        await new Promise((resolve) => hostServer.close(resolve));
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'network_mode: service:x shares its localhost; none has only lo; host is the host network',
    async () => {
      const p = await isolatedProject({
        x: { script: server(9100, { host: '127.0.0.1' }) },
        y: { network_mode: 'service:x', depends_on: ['x'] },
        lonely: { network_mode: 'none' },
        hosted: { network_mode: 'host' },
      });
      await p.up();
      expect(await p.execUntilOk('y', get('http://127.0.0.1:9100'))).toBe(`OK ${shortId(p, 'x')}`);
      expect(await p.exec('y', showNetns)).toBe(await p.exec('x', showNetns));

      const lonely = await p.berth(['exec', '-T', 'lonely', IP, '-o', 'link', 'show']);
      expect(lonely.exitCode, lonely.stderr).toBe(0);
      expect(interfaces(lonely.stdout)).toEqual(['lo']);

      const own = await readlink('/proc/self/ns/net');
      expect(await p.exec('hosted', showNetns)).toBe(own);
      expect(await p.exec('x', showNetns)).not.toBe(own);
      const hosted = await p.berth(['exec', '-T', 'hosted', IP, '-o', 'link', 'show']);
      expect(hosted.exitCode, hosted.stderr).toBe(0);
      // The host's own interfaces (not the bridges and veths that tests make and remove meanwhile).
      const steady = (await linkNames()).filter((name) => !/^(bth|bve)-/.test(name));
      expect(interfaces(hosted.stdout)).toEqual(expect.arrayContaining(steady));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exec and healthchecks run inside the sandbox: up --wait sees the service healthy',
    async () => {
      // The server answers a token on the replica's own loopback only: a probe run on the host
      // could not get it.
      const token = `inside-${randomBytes(4).toString('hex')}`;
      const probe = `fetch('http://localhost:9000').then((r) => r.text()).then((t) => process.exit(t === ${JSON.stringify(token)} ? 0 : 1), () => process.exit(1))`;
      const p = await isolatedProject({
        web: {
          script: server(9000, { host: '127.0.0.1', reply: token }),
          healthcheck: { test: ['CMD', NODE, '-e', probe], interval: '1s', timeout: '5s', retries: 30 },
        },
      });
      await p.up(['--wait']);
      const ps = await p.berth(['ps', '--format', 'json']);
      expect(ps.exitCode, ps.stderr).toBe(0);
      expect(psRows(ps.stdout).map((row) => row.Health)).toEqual(['healthy']);
      expect(await p.exec('web', get('http://127.0.0.1:9000'))).toBe(`OK ${token}`);
      expect(await p.exec('web', showNetns)).not.toBe(await readlink('/proc/self/ns/net'));
    },
    TEST_TIMEOUT_MS,
  );
});
