/**
 * Isolated networking end to end through the in-process engine, on real kernel objects: a bridge per
 * network, a sandbox per replica with its own address, hosts files that follow the replicas, the
 * proxy reaching replica addresses, and nothing left after shutdown, a restart or a crash.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, expect, it } from 'vitest';

import type { ContainerCreateRequest, NetworkCreateRequest } from '../../../../src/engine/types.js';
import { createLocalEngine, type LocalEngineInstance } from '../../../../src/engine/local/engine.js';
import { ownerTag, removeOwnedBridges } from '../../../../src/engine/local/network/bridge.js';
import { IP, NSENTER } from '../../../../src/engine/local/network/ip-command.js';
import { cidrContains } from '../../../../src/engine/local/network/ipv4.js';
import { removeRecordedNetworking } from '../../../../src/engine/local/network/isolated-networking.js';
import { isProcessAlive } from '../../../../src/engine/local/process-liveness.js';
import type { ProjectState } from '../../../../src/engine/local/types.js';
import { loadProject } from '../../../../src/project/load.js';
import { containerCreateRequest, networkCreateRequest } from '../../../../src/reconcile/create-request.js';
import { describeIsolated } from '../../../support/isolation.js';
import { transpileSources } from '../transpile.js';

const run = promisify(execFile);
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Every link name on the host. */
async function links(): Promise<Set<string>> {
  const { stdout } = await run(IP, ['-j', 'link', 'show']);
  return new Set((JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname));
}

async function ipv4Of(device: string, holderPid?: number): Promise<string[]> {
  const args = ['-j', '-4', 'addr', 'show', 'dev', device];
  const { stdout } =
    holderPid === undefined
      ? await run(IP, args)
      : await run(NSENTER, ['-t', String(holderPid), '-n', '--', IP, ...args]);
  const parsed = JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return parsed.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

/** The first answer of a TCP server (it writes and ends), or the error. */
function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let text = '';
    socket.setTimeout(3_000, () => socket.destroy(new Error(`no answer from ${host}:${port}`)));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

/** Processes whose command line holds `marker` (our replicas), and live `sleep` children of ours (holders). */
function strayProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const holder = stat.includes('(sleep)') && Number(fields[1]) === process.pid;
      if (cmdline.includes(marker) || holder) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describeIsolated('isolated networking through the in-process engine', () => {
  let dir: string;
  let stateRoot: string;
  let claimsDir: string;
  let project: string;
  /** In every replica's command line, to find them all when cleaning up. */
  let marker: string;
  let engines: LocalEngineInstance[];
  let linksBefore: Set<string>;
  /** Things a test made beside the engine (a stand-in bridge). */
  let extraCleanups: (() => Promise<unknown>)[];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-isolated-'));
    stateRoot = path.join(dir, 'state');
    claimsDir = path.join(dir, 'claims');
    project = `p${hex(5)}`;
    marker = `berth-test-${hex(6)}`;
    engines = [];
    extraCleanups = [];
    linksBefore = await links();
  });

  afterEach(async () => {
    const errors: unknown[] = [];
    const attempt = async (step: () => unknown): Promise<void> => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const engine of engines.reverse()) await attempt(() => engine.shutdown());
    for (const cleanup of extraCleanups) await attempt(cleanup);
    for (const pid of strayProcesses(marker)) await attempt(() => process.kill(pid, 'SIGKILL'));
    await attempt(async () => {
      const state = await readState().catch(() => undefined);
      if (state) await removeRecordedNetworking(state);
    });
    await attempt(() => removeOwnedBridges(ownerTag(stateRoot, project)));
    await rm(dir, { recursive: true, force: true });
    await until('our processes to end', async () => (strayProcesses(marker).length === 0 ? true : undefined));
    // Nothing of ours is left: every link that is here now and was not before belongs to another test.
    const ours = [...(await links())].filter((l) => !linksBefore.has(l) && recorded.has(l));
    expect(ours).toEqual([]);
    expect(errors).toEqual([]);
  });

  /** Bridge and veth names seen in the state during the test, to check none is left. */
  const recorded = new Set<string>();

  async function readState(): Promise<ProjectState> {
    const file = path.join(stateRoot, 'projects', project, 'state.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as ProjectState;
    for (const n of state.networks) if (n.realized) recorded.add(n.realized.bridge);
    for (const c of state.containers) for (const e of c.network?.endpoints ?? []) recorded.add(e.hostVeth);
    return state;
  }

  async function engine(): Promise<LocalEngineInstance> {
    const made = await createLocalEngine({
      stateRoot,
      project,
      networking: 'isolated',
      subnetClaimsDir: claimsDir,
    });
    engines.push(made);
    return made;
  }

  /** A network and two replicas of a server on port 9000 that answers with its hostname. */
  async function requests(
    extra = '    ports: ["127.0.0.1::9000"]\n',
    key = 'default',
  ): Promise<{ network: NetworkCreateRequest; containers: ContainerCreateRequest[] }> {
    const server = `/*${marker}*/ require('node:net').createServer((s) => s.end(require('node:os').hostname())).listen(9000)`;
    await writeFile(
      path.join(dir, 'compose.yaml'),
      `services:
  web:
    image: local
    command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(server)}]
${extra}`,
    );
    const { project: loaded } = await loadProject({
      cwd: dir,
      projectName: project,
      env: { PATH: process.env.PATH },
    });
    return {
      network: networkCreateRequest(loaded, key),
      containers: [1, 2].map((n) => containerCreateRequest(loaded, 'web', n)),
    };
  }

  /** Creates the network and the replicas, starts them, waits until each answers at its address. */
  async function upOn(
    e: LocalEngineInstance,
    made: Awaited<ReturnType<typeof requests>> | undefined = undefined,
  ): Promise<{ ids: string[]; state: ProjectState }> {
    const { network, containers } = made ?? (await requests());
    await e.createNetwork(network);
    const ids: string[] = [];
    for (const request of containers) ids.push((await e.createContainer(request)).id);
    await Promise.all(ids.map((id) => e.startContainer(id)));
    const state = await readState();
    await waitAnswering(state);
    return { ids, state };
  }

  async function waitAnswering(state: ProjectState): Promise<void> {
    for (const c of state.containers) {
      const address = c.network!.endpoints[0]!.address;
      await until(`${c.name} to answer at ${address}`, () => ask(address, 9000));
    }
  }

  it('gives each replica its own address on the bridge, names its peers and proxies published ports', async () => {
    const e = await engine();
    const { ids, state } = await upOn(e);
    const network = state.networks[0]!.realized!;
    expect(network.bridge).toMatch(/^bth-[0-9a-f]{11}$/);
    expect(await ipv4Of(network.bridge)).toEqual([`${network.gateway!}/24`]);

    const replicas = state.containers.map((c) => ({
      name: c.name,
      hostname: c.network!.hostname,
      address: c.network!.endpoints[0]!.address,
      holder: c.state.sandbox!.holderPid,
      hostsFile: path.join(c.dir, 'hosts'),
    }));
    expect(new Set(replicas.map((r) => r.address)).size).toBe(2);
    for (const r of replicas) {
      expect(cidrContains(network.subnet, r.address)).toBe(true);
      expect(r.address).not.toBe(network.gateway);
      // The kernel agrees: the namespace's eth0 carries that address.
      expect(await ipv4Of('eth0', r.holder)).toEqual([`${r.address}/24`]);
      expect(await ask(r.address, 9000)).toBe(r.hostname);
    }

    // Each hosts file lists itself and its peer, under the container and the service name.
    const [one, two] = replicas;
    const hostsOfOne = await readFile(one!.hostsFile, 'utf8');
    expect(hostsOfOne).toContain(`${one!.address}\t${one!.hostname} ${one!.name}`);
    expect(hostsOfOne).toContain(`${two!.address}\t${two!.name} web`);
    expect(await readFile(two!.hostsFile, 'utf8')).toContain(`${one!.address}\t${one!.name} web`);

    // From inside replica 1, the peer's container name resolves and reaches it.
    const { stdout } = await run(NSENTER, [
      '-t',
      String(one!.holder),
      '-n',
      '-m',
      '-u',
      '--',
      process.execPath,
      '-e',
      `const s = require('node:net').connect(9000, ${JSON.stringify(two!.name)}); s.pipe(process.stdout);`,
    ]);
    expect(stdout).toBe(two!.hostname);

    // The published port balances across both replicas' addresses.
    const published = (await e.inspectContainer(ids[0]!)).publishers[0]!.PublishedPort;
    expect(published).toBeGreaterThan(0);
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await ask('127.0.0.1', published));
    expect(answers).toEqual(new Set(replicas.map((r) => r.hostname)));

    // A stopped peer leaves the others' hosts files, rewritten in place (the bind mount sees it).
    const inode = statSync(one!.hostsFile).ino;
    await e.stopContainer(ids[1]!, 1);
    expect(statSync(one!.hostsFile).ino).toBe(inode);
    const after = await readFile(one!.hostsFile, 'utf8');
    expect(after).not.toContain(two!.name);
    const seenInside = await run(NSENTER, [
      '-t',
      String(one!.holder),
      '-m',
      '--',
      '/usr/bin/cat',
      '/etc/hosts',
    ]);
    expect(seenInside.stdout).toBe(after);
  });

  it('an internal network with an ipam subnet: static address, no gateway, no route out', async () => {
    const third = 1 + Math.floor(Math.random() * 254);
    const subnet = `10.209.${third}.0/24`;
    const made = await requests(
      `    networks:
      inside: { ipv4_address: 10.209.${third}.50 }
networks:
  inside:
    internal: true
    ipam: { config: [{ subnet: ${subnet} }] }
`,
      'inside',
    );
    // The second replica cannot have the same fixed address.
    const e = await engine();
    await e.createNetwork(made.network);
    const first = await e.createContainer(made.containers[0]!);
    await expect(e.createContainer(made.containers[1]!)).rejects.toThrow(
      /10\.209\.\d+\.50 .* already in use/,
    );
    await e.startContainer(first.id);
    const state = await readState();
    const network = state.networks[0]!.realized!;
    expect(network).toMatchObject({ subnet, internal: true });
    expect(network.gateway).toBeUndefined();
    expect(await ipv4Of(network.bridge)).toEqual([]);
    const replica = state.containers[0]!;
    const holder = String(replica.state.sandbox!.holderPid);
    expect(await ipv4Of('eth0', Number(holder))).toEqual([`10.209.${third}.50/24`]);
    // The host has no address there: only from inside is the replica reachable.
    const probe = `require('node:net').connect(9000, '10.209.${third}.50').on('error', () => process.exit(1)).pipe(process.stdout)`;
    const answer = await until('the replica to answer inside', async () => {
      const { stdout } = await run(NSENTER, ['-t', holder, '-n', '--', process.execPath, '-e', probe]);
      return stdout === '' ? undefined : stdout;
    });
    expect(answer).toBe(replica.network!.hostname);
    const routes = await run(NSENTER, ['-t', holder, '-n', '--', IP, '-4', 'route', 'show']);
    expect(routes.stdout).not.toMatch(/default/);
    const out = await run(NSENTER, ['-t', holder, '-n', '--', IP, '-4', 'route', 'get', '1.1.1.1']).catch(
      (error: { stderr?: string }) => ({ stdout: '', stderr: error.stderr ?? '' }),
    );
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/unreachable/i);
  });

  it('shutdown removes the bridge and veths and kills the holders; the next engine brings them back', async () => {
    const first = await engine();
    const { ids, state } = await upOn(first);
    const bridge = state.networks[0]!.realized!.bridge;
    const veths = state.containers.map((c) => c.state.sandbox!.hostVeths).flat();
    const holders = state.containers.map((c) => c.state.sandbox!.holderPid);
    expect(veths).toHaveLength(2);
    const before = await links();
    for (const name of [bridge, ...veths]) expect(before.has(name)).toBe(true);

    await first.shutdown();
    engines.splice(engines.indexOf(first), 1);
    const after = await links();
    for (const name of [bridge, ...veths]) expect(after.has(name)).toBe(false);
    await until('the holders to die', async () => (holders.some(isProcessAlive) ? undefined : true));
    const saved = await readState();
    expect(saved.containers.every((c) => c.state.sandbox === undefined)).toBe(true);

    // Same state, new engine: the network's bridge and the replicas' addresses come back at start.
    const second = await engine();
    expect((await links()).has(bridge)).toBe(false);
    await Promise.all(ids.map((id) => second.startContainer(id)));
    const again = await readState();
    await waitAnswering(again);
    expect((await links()).has(bridge)).toBe(true);
    expect(again.networks[0]!.realized).toEqual(state.networks[0]!.realized);
    expect(again.containers.map((c) => c.network!.endpoints[0]!.address)).toEqual(
      state.containers.map((c) => c.network!.endpoints[0]!.address),
    );
  });

  it('moves a pool network whose subnet was taken while no engine ran, addresses at the same offset', async () => {
    const first = await engine();
    const { ids, state } = await upOn(first);
    const old = state.networks[0]!.realized!;
    await first.shutdown();
    engines.splice(engines.indexOf(first), 1);

    // Something else on the host now routes that subnet.
    const other = `bdm-${hex(5)}`;
    recorded.add(other);
    await run(IP, ['link', 'add', other, 'type', 'bridge']);
    extraCleanups.push(() => run(IP, ['link', 'del', other]));
    await run(IP, ['addr', 'add', `${old.subnet.replace(/\.0\/24$/, '.200')}/24`, 'dev', other]);
    await run(IP, ['link', 'set', other, 'up']);

    const second = await engine();
    await Promise.all(ids.map((id) => second.startContainer(id)));
    const moved = await readState();
    const network = moved.networks[0]!.realized!;
    expect(network.subnet).not.toBe(old.subnet);
    expect(network.bridge).toBe(old.bridge);
    const offset = (address: string): string => address.split('.')[3]!;
    expect(moved.containers.map((c) => offset(c.network!.endpoints[0]!.address))).toEqual(
      state.containers.map((c) => offset(c.network!.endpoints[0]!.address)),
    );
    expect(await ipv4Of(network.bridge)).toEqual([`${network.gateway!}/24`]);
    await waitAnswering(moved);
    const hosts = await readFile(path.join(moved.containers[0]!.dir, 'hosts'), 'utf8');
    expect(hosts).toContain(
      `${moved.containers[1]!.network!.endpoints[0]!.address}\t${moved.containers[1]!.name} web`,
    );
    expect(hosts).not.toContain(old.subnet.replace(/\.0\/24$/, '.'));
  });

  it('removeRecordedNetworking removes what a vanished engine recorded: holders, veths, bridge', async () => {
    const e = await engine();
    const { state } = await upOn(e);
    const bridge = state.networks[0]!.realized!.bridge;
    const sandboxes = state.containers.map((c) => c.state.sandbox!);
    // The engine is gone as far as the state knows: nobody calls shutdown.
    const removed = await removeRecordedNetworking(state);
    expect(removed).toEqual([
      ...state.containers.map((c) => `removed the network sandbox of ${c.name}`),
      `removed bridge ${bridge} of network ${state.networks[0]!.name}`,
    ]);
    expect(state.containers.every((c) => c.state.sandbox === undefined)).toBe(true);
    const now = await links();
    for (const name of [bridge, ...sandboxes.flatMap((s) => s.hostVeths)]) expect(now.has(name)).toBe(false);
    await until('the holders to die', async () =>
      sandboxes.some((s) => isProcessAlive(s.holderPid)) ? undefined : true,
    );
    // Twice is fine: nothing left to remove.
    expect(await removeRecordedNetworking(state)).toEqual([]);
  });

  it('after a SIGKILLed engine, the next engine removes the bridge it left and starts afresh', async () => {
    const { network, containers } = await requests();
    const compiled = await transpileSources(['engine/local/engine.ts']);
    try {
      const script = `
        const { createLocalEngine } = await import(${JSON.stringify(compiled.js('engine/local/engine.ts'))});
        const input = JSON.parse(process.env.BERTH_TEST_INPUT);
        const engine = await createLocalEngine(input.options);
        await engine.createNetwork(input.network);
        for (const request of input.containers) {
          const info = await engine.createContainer(request);
          await engine.startContainer(info.id);
        }
        process.stdout.write('ready\\n');
        setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          ...process.env,
          BERTH_TEST_INPUT: JSON.stringify({
            options: { stateRoot, project, networking: 'isolated', subnetClaimsDir: claimsDir },
            network,
            containers,
          }),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let said = '';
      child.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
          child.once('exit', (code) => reject(new Error(`engine exited with ${String(code)}: ${said}`)));
        });
      } finally {
        child.kill('SIGKILL');
        await exited;
      }

      const left = await readState();
      const bridge = left.networks[0]!.realized!.bridge;
      const veths = left.containers.flatMap((c) => c.state.sandbox!.hostVeths);
      expect(veths).toHaveLength(2);
      // Holders and replicas die with their engine (parent-death signal); the kernel then drops the
      // namespaces and their veth pairs. The bridge is the engine's to remove.
      await until('the holders and replicas to die', async () =>
        left.containers.some((c) => isProcessAlive(c.state.sandbox!.holderPid)) ||
        strayProcesses(marker).length > 0
          ? undefined
          : true,
      );
      await until('the kernel to drop the veths', async () => {
        const now = await links();
        return veths.some((v) => now.has(v)) ? undefined : true;
      });
      expect((await links()).has(bridge)).toBe(true);
      expect(left.containers.map((c) => c.state.status)).toEqual(['running', 'running']);

      const next = await engine();
      expect((await links()).has(bridge)).toBe(false);
      const recovered = await readState();
      expect(recovered.containers.map((c) => [c.state.status, c.state.sandbox])).toEqual([
        ['exited', undefined],
        ['exited', undefined],
      ]);

      await Promise.all(recovered.containers.map((c) => next.startContainer(c.id)));
      await waitAnswering(await readState());
      expect((await links()).has(bridge)).toBe(true);
    } finally {
      await compiled.cleanup();
    }
  });
});
