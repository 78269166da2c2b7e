/**
 * The port proxy listens only where the project asked: `127.0.0.1:P:T` on 127.0.0.1 alone, `[::1]:P:T`
 * on ::1 alone, `P:T` on every address (0.0.0.0 and ::), and nothing for `expose` or for anything
 * else — read from the kernel's socket tables (/proc/<pid>/net/{tcp,tcp6,udp,udp6}) for the
 * sockets the supervisor holds open.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { request } from 'node:http';

import { describe, expect, it } from 'vitest';

import { expectCleanFailure } from '../cli/helpers.js';
import { cleanupsAfterEach } from '../support/cleanups.js';
import { freePort } from '../support/processes.js';
import { securityProject } from './security-project.js';

const defer = cleanupsAfterEach(60_000);

/** Whether this host has IPv6 loopback (`::1` on lo); some containers and CI hosts do not. */
async function hasIpv6Loopback(): Promise<boolean> {
  const table = await readFile('/proc/net/if_inet6', 'utf8').catch(() => '');
  return table.split('\n').some((line) => line.startsWith('00000000000000000000000000000001'));
}

/** `/proc/net/tcp*` addresses: IPv4 as one little-endian word, IPv6 as four. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    for (const i of [3, 2, 1, 0]) bytes.push(parseInt(w.slice(i * 2, i * 2 + 2), 16));
  }
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** `tcp 127.0.0.1:8080`-style entries for the listening (TCP) and bound (UDP) sockets `pid` holds. */
async function socketsOf(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      const tcp = table.startsWith('tcp');
      if (tcp && fields[3] !== '0A') continue; // only listeners; connections are not bindings
      const [address = '', port = ''] = fields[1]!.split(':');
      out.push(`${tcp ? 'tcp' : 'udp'} ${decodeAddress(address)}:${parseInt(port, 16)}`);
    }
  }
  return [...new Set(out)].sort();
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(`OK ${body}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`FAIL ${error.code ?? error.message}`));
    req.end();
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A service answering `hi` on each of `ports` (its container ports; in host networking, real ones). */
function serving(ports: number[]): string {
  return `for (const p of ${JSON.stringify(ports)}) require('http').createServer((q, s) => s.end('hi')).listen(p)`;
}

describe.each(['isolated', 'host'])('port proxy listeners (%s networking)', (networking) => {
  it('listens on exactly the addresses the ports ask for', async () => {
    const [p1, p2, p3, t1, t2, t3, t4] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const ipv6 = await hasIpv6Loopback();
    const ports = [`127.0.0.1:${p1}:${t1}`, `${p3}:${t3}`];
    if (ipv6) ports.push(`[::1]:${p2}:${t2}`);
    const p = await securityProject(
      {
        'compose.yaml': `
services:
  web:
    image: local
    command: ["node", "-e", ${JSON.stringify(serving([t1!, t2!, t3!, t4!]))}, "MARKER"]
    ports: ${JSON.stringify(ports)}
    expose: ["${t4}"]
`,
      },
      defer,
      { env: { BERTH_NETWORKING: networking } },
    );
    const up = await p.berth(['up', '-d']);
    if (networking === 'isolated' && /isolated networking/.test(up.stderr) && process.env.CI !== 'true') {
      return; // not available here (needs root); CI has it
    }
    expect(up.exitCode, up.stderr).toBe(0);
    await until(async () => (await get('127.0.0.1', p1!)) === 'OK hi', 'the published port to answer');
    const expected = [`tcp 127.0.0.1:${p1}`, `tcp 0.0.0.0:${p3}`, `tcp :::${p3}`];
    if (ipv6) expected.push(`tcp ::1:${p2}`);
    expect(await socketsOf(await p.supervisorPid())).toEqual(expected.sort());
    // 127.0.0.1 only: the port is not reachable on another address of this host.
    const other = await otherAddress();
    if (other !== undefined) expect(await get(other, p1!)).toMatch(/^FAIL /);
  }, 60_000);
});

describe('port proxy listeners: an address the host does not have', () => {
  it('is refused clearly, and nothing else is left listening', async () => {
    const [published, target] = await Promise.all([freePort(), freePort()]);
    const p = await securityProject(
      {
        'compose.yaml': `
services:
  web:
    image: local
    command: ["node", "-e", "setInterval(() => {}, 1000)", "MARKER"]
    ports: ["192.0.2.1:${published}:${target}"]
`,
      },
      defer,
      { env: { BERTH_NETWORKING: 'host' } },
    );
    const up = await p.berth(['up', '-d']);
    expectCleanFailure(up);
    expect(up.stderr).toContain('192.0.2.1');
    const pid = await p.supervisorPid().catch(() => undefined);
    if (pid !== undefined) expect(await socketsOf(pid)).toEqual([]);
  });
});

/** A non-loopback IPv4 address of this host, when it has one. */
async function otherAddress(): Promise<string | undefined> {
  const { networkInterfaces } = await import('node:os');
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return undefined;
}
