import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';

import { afterEach, beforeEach, expect, it } from 'vitest';

import { ComposeError } from '../../../../src/project/errors.js';
import { isProcessAlive } from '../../../../src/engine/local/process-liveness.js';
import {
  destroyRecordedSandbox,
  enterSandbox,
  macAddressOf,
  Sandbox,
  sandboxRecord,
  type SandboxSpec,
} from '../../../../src/engine/local/network/sandbox.js';
import type { NetworkEndpoint } from '../../../../src/engine/local/network/types.js';
import { describeIsolated } from '../../../support/isolation.js';
import {
  bridgeAlias,
  createBridge,
  deleteBridge,
  ownerTag,
} from '../../../../src/engine/local/network/bridge.js';

const hex = (n: number): string => randomBytes(8).toString('hex').slice(0, n);

function linkExists(name: string): boolean {
  try {
    execFileSync('/usr/sbin/ip', ['link', 'show', 'dev', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Live `sleep` processes whose parent is this test process: holders not cleaned up. */
function ourHolders(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return stat.includes('(sleep)') && Number(fields[1]) === process.pid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeIsolated('replica sandbox', () => {
  let bridge: string;
  let prefix: string;
  let gateway: string;
  let folder: string;
  let cleanups: (() => unknown)[];
  let hostsBefore: { text: string; ino: number };

  beforeEach(async () => {
    cleanups = [];
    hostsBefore = { text: readFileSync('/etc/hosts', 'utf8'), ino: statSync('/etc/hosts').ino };
    bridge = `bth-${hex(11)}`;
    prefix = `10.${randomInt(200, 210)}.${randomInt(0, 256)}`;
    gateway = `${prefix}.1`;
    folder = mkdtempSync(join(tmpdir(), 'berth-sandbox-'));
    // berth's own bridge, so that a host firewall dropping forwarded packets (dockerd's) lets it work.
    const network = { name: 'sandbox-test', bridge, subnet: `${prefix}.0/24`, gateway, internal: false };
    await createBridge(network, bridgeAlias(ownerTag(folder, 'sandbox-test'), network.name));
    cleanups.push(() => deleteBridge(bridge));
  });

  afterEach(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    rmSync(folder, { recursive: true, force: true });
    await until('holders to be reaped', () => ourHolders().length === 0);
    expect(errors).toEqual([]);
    // The host's own /etc/hosts: same file, same content.
    expect(statSync('/etc/hosts').ino).toBe(hostsBefore.ino);
    expect(readFileSync('/etc/hosts', 'utf8')).toBe(hostsBefore.text);
  });

  function endpoint(host: number, withGateway = true): NetworkEndpoint {
    return {
      network: 'test_default',
      bridge,
      ifname: 'eth0',
      hostVeth: `bve-${hex(11)}`,
      address: `${prefix}.${host}`,
      prefixLength: 24,
      ...(withGateway ? { defaultGateway: gateway } : {}),
    };
  }

  async function sandbox(
    hostname: string,
    network: SandboxSpec['network'],
    hosts = `${hostname}\n`,
  ): Promise<Sandbox> {
    const hostsFile = join(folder, `${hostname}.hosts`);
    writeFileSync(hostsFile, hosts);
    const made = await Sandbox.create({ hostname, hostsFile, network });
    cleanups.push(() => made.destroy());
    return made;
  }

  /** Runs a program inside the sandbox to its end; its stdout. */
  function run(
    s: Sandbox,
    file: string,
    args: string[],
    who: { uid?: number; gid?: number } = {},
  ): Promise<string> {
    const entered = enterSandbox(s.holderPid, { cwd: '/', ...who }, file, args);
    return new Promise((resolve, reject) => {
      execFile(entered.file, entered.args, { encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
  }

  /** Node code run inside the sandbox. */
  function node(s: Sandbox, code: string): Promise<string> {
    return run(s, process.execPath, ['-e', code]);
  }

  /** A client that connects, prints what the server says and ends. */
  const client = (host: string, port: number): string =>
    `const c=require('net').connect(${port},'${host}');c.setEncoding('utf8');` +
    `let t='';c.on('data',d=>t+=d);c.on('end',()=>{process.stdout.write(t)});` +
    `c.on('error',e=>{console.error(e.message);process.exit(1)})`;

  /** A server inside the sandbox that answers `reply`; resolves once it listens. */
  async function serveInside(s: Sandbox, host: string, port: number, reply: string): Promise<ChildProcess> {
    const code =
      `require('net').createServer(c=>c.end('${reply}'))` +
      `.listen(${port},'${host}',()=>console.log('listening'))`;
    const entered = enterSandbox(s.holderPid, { cwd: '/' }, process.execPath, ['-e', code]);
    const child = spawn(entered.file, entered.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`server inside exited with ${String(code)}`)));
    });
    return child;
  }

  async function serveOnHost(host: string, reply: string): Promise<number> {
    const server: Server = createServer((c) => c.end(reply));
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  it('gives the replica its address, hostname and /etc/hosts, kept current in place', async () => {
    const e = endpoint(10);
    const s = await sandbox('web-1', { kind: 'new', endpoints: [e] }, `${prefix}.10 web\n`);
    expect(s.isAlive()).toBe(true);
    expect(s.hostVeths).toEqual([e.hostVeth]);
    expect(linkExists(e.hostVeth)).toBe(true);

    const addresses = await run(s, '/usr/sbin/ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addresses).toContain(`inet ${prefix}.10/24`);
    // A MAC derived from the address, as Docker's: the same after a restart with the same address.
    const link = await run(s, '/usr/sbin/ip', ['-o', 'link', 'show', 'dev', 'eth0']);
    expect(link).toContain(`link/ether ${macAddressOf(`${prefix}.10`)} `);
    expect(macAddressOf('10.200.3.17')).toBe('02:42:0a:c8:03:11');
    expect(await run(s, '/usr/sbin/ip', ['route', 'show', 'default'])).toContain(
      `default via ${gateway} dev eth0`,
    );
    expect((await run(s, '/usr/bin/hostname', [])).trim()).toBe('web-1');
    expect(await run(s, '/usr/bin/cat', ['/etc/hosts'])).toBe(`${prefix}.10 web\n`);

    writeFileSync(join(folder, 'web-1.hosts'), `${prefix}.10 web\n${prefix}.11 db\n`);
    expect(await run(s, '/usr/bin/cat', ['/etc/hosts'])).toBe(`${prefix}.10 web\n${prefix}.11 db\n`);
    // Only inside: the engine's namespace has no such mount.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(folder);
    expect(execFileSync('/usr/bin/hostname', { encoding: 'utf8' }).trim()).not.toBe('web-1');
  });

  it('reaches a server on the bridge address of the host, and another sandbox on the bridge', async () => {
    const port = await serveOnHost(gateway, 'from the host');
    const a = await sandbox('a', { kind: 'new', endpoints: [endpoint(20)] });
    const b = await sandbox('b', { kind: 'new', endpoints: [endpoint(21)] });
    expect(await node(a, client(gateway, port))).toBe('from the host');

    await serveInside(a, `${prefix}.20`, 9000, 'from a');
    expect(await node(b, client(`${prefix}.20`, 9000))).toBe('from a');
    // Every sandbox has its own port space: b can listen on the same port.
    await serveInside(b, '0.0.0.0', 9000, 'from b');
    expect(await node(a, client(`${prefix}.21`, 9000))).toBe('from b');
  });

  it('network none: loopback only', async () => {
    const s = await sandbox('lonely', { kind: 'none' });
    expect(s.hostVeths).toEqual([]);
    const links = await run(s, '/usr/sbin/ip', ['-o', 'link', 'show']);
    expect(links.trim().split('\n')).toHaveLength(1);
    expect(links).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    await serveInside(s, '127.0.0.1', 9001, 'to myself');
    expect(await node(s, client('127.0.0.1', 9001))).toBe('to myself');
  });

  it('join: shares the network of another sandbox, with its own hostname and hosts file', async () => {
    const a = await sandbox('app', { kind: 'new', endpoints: [endpoint(30)] });
    const b = await sandbox('sidecar', { kind: 'join', holderPid: a.holderPid }, 'sidecar hosts\n');
    expect(b.hostVeths).toEqual([]);
    await serveInside(a, '127.0.0.1', 9002, 'over localhost');
    expect(await node(b, client('127.0.0.1', 9002))).toBe('over localhost');
    expect(await run(b, '/usr/sbin/ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toContain(
      `${prefix}.30/24`,
    );
    expect((await run(b, '/usr/bin/hostname', [])).trim()).toBe('sidecar');
    expect((await run(a, '/usr/bin/hostname', [])).trim()).toBe('app');
    expect(await run(b, '/usr/bin/cat', ['/etc/hosts'])).toBe('sidecar hosts\n');
  });

  it('runs entered programs as the given user and group, in the given folder', async () => {
    const s = await sandbox('nobody', { kind: 'new', endpoints: [endpoint(40)] });
    const entered = enterSandbox(s.holderPid, { cwd: '/usr', uid: 65534, gid: 65534 }, '/usr/bin/id', []);
    expect(entered.args).toContain('--wd=/usr');
    expect(await run(s, '/usr/bin/id', ['-u'], { uid: 65534, gid: 65534 })).toBe('65534\n');
    expect(await run(s, '/usr/bin/id', ['-g'], { uid: 65534, gid: 65534 })).toBe('65534\n');
    const where = execFileSync(entered.file, [...entered.args.slice(0, -2), '--', '/usr/bin/pwd'], {
      encoding: 'utf8',
    });
    expect(where).toBe('/usr\n');
  });

  it('destroy() leaves nothing behind, and can be called again', async () => {
    const e = endpoint(50);
    const s = await sandbox('gone', { kind: 'new', endpoints: [e] });
    const pid = s.holderPid;
    await serveInside(s, '0.0.0.0', 9003, 'still here'); // keeps the namespace alive past the holder
    await s.destroy();
    await s.destroy();
    expect(s.isAlive()).toBe(false);
    expect(isProcessAlive(pid)).toBe(false);
    expect(linkExists(e.hostVeth)).toBe(false);
  });

  it('the kernel removes the veth pair when the holder and the entered processes die', async () => {
    const e = endpoint(60);
    const s = await sandbox('killed', { kind: 'new', endpoints: [e] });
    const server = await serveInside(s, '0.0.0.0', 9004, 'x');
    process.kill(s.holderPid, 'SIGKILL');
    server.kill('SIGKILL');
    await until('the veth to disappear', () => !linkExists(e.hostVeth));
    await until('the holder to be reaped', () => !s.isAlive());
  });

  it('destroyRecordedSandbox removes a recorded sandbox, and spares a process that reused its pid', async () => {
    const e = endpoint(70);
    const s = await sandbox('recorded', { kind: 'new', endpoints: [e] });
    await serveInside(s, '0.0.0.0', 9005, 'x');
    const record = sandboxRecord(s);
    expect(record).toEqual({
      holderPid: s.holderPid,
      holderStartTime: expect.any(Number),
      hostVeths: [e.hostVeth],
    });
    const copy = JSON.parse(JSON.stringify(record)) as typeof record;
    await destroyRecordedSandbox(copy);
    await until('the holder to die', () => !s.isAlive());
    expect(linkExists(e.hostVeth)).toBe(false);
    await destroyRecordedSandbox(copy); // nothing left to do: fine

    const other = spawn('/usr/bin/sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => other.kill('SIGKILL'));
    await destroyRecordedSandbox({ holderPid: other.pid!, holderStartTime: 1, hostVeths: [] });
    await destroyRecordedSandbox({ holderPid: other.pid!, hostVeths: [] });
    expect(other.exitCode).toBeNull();
    expect(isProcessAlive(other.pid!)).toBe(true);
  });

  it('a failed step removes what was made and says which step failed', async () => {
    const e = { ...endpoint(80), bridge: `bth-${hex(11)}` }; // no such bridge
    const error = await sandbox('broken', { kind: 'new', endpoints: [e] }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).message).toMatch(
      /sandbox of broken: creating veth pairs on bth-\w+ failed: .+/,
    );
    expect(linkExists(e.hostVeth)).toBe(false);
    await until('the holder to be reaped', () => ourHolders().length === 0);

    const gone = await sandbox('orphan', { kind: 'join', holderPid: 999_999_999 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((gone as ComposeError).message).toMatch(/sandbox of orphan: starting the namespace holder failed/);
  });
});
