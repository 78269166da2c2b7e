/**
 * The harness of the isolated-networking CLI suites (isolated-*.test.ts): a project with a random
 * name and its own state folder, driven through the real CLI with BERTH_NETWORKING=isolated; the
 * programs its services and `exec` run; and what the host shows of the bridges, veth pairs and
 * namespace holders berth made. Every project is taken down after the test of the file that
 * imports this module, and whatever berth left is removed by force and fails the test.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { afterEach, expect } from 'vitest';

import { listOwnedBridges, ownerTag } from '../../src/engine/local/network/bridge.js';
import { IP } from '../../src/engine/local/network/ip-command.js';
import { killQuietly, processesMatching } from '../support/processes.js';
import { type BerthRun, runBerth, tempProject } from './helpers.js';

export const NODE = process.execPath;
export const TEST_TIMEOUT_MS = 60_000;

// ---- programs the services and `exec` run ------------------------------------------------------

/** An HTTP server answering its hostname (or `reply`) on every request. */
export function server(port: number, options: { host?: string; reply?: string } = {}): string {
  const reply = options.reply === undefined ? `require('os').hostname()` : JSON.stringify(options.reply);
  const host = options.host === undefined ? '' : `, ${JSON.stringify(options.host)}`;
  return `require('http').createServer((q, s) => s.end(${reply})).listen(${port}${host})`;
}

export const idle = 'setInterval(() => {}, 1000)';

/** Prints the outcome and exits at once, with no keep-alive socket or timer left to wait for. */
const done = `const done = (line) => { console.log(line); process.exit(0); }`;

/** Prints `OK <body>` or `FAIL <code>` for one GET, bounded by a short timeout. */
export function get(url: string): string {
  return `${done}; fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).then(
    (t) => done('OK ' + t),
    (e) => done('FAIL ' + (e.cause?.code ?? e.name)))`;
}

/** Prints `OK` when a TCP connection opens, else `FAIL <code or timeout>` (bounded). */
export function connect(host: string, port: number): string {
  return `${done}; const s = require('net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
    s.setTimeout(2000, () => done('FAIL timeout'));
    s.on('connect', () => done('OK'));
    s.on('error', (e) => done('FAIL ' + e.code));`;
}

/** Prints `OK <address>` or `FAIL <code>` for a name looked up the way programs do (getaddrinfo). */
export function lookup(name: string): string {
  return `${done}; require('dns').lookup(${JSON.stringify(name)}, { family: 4 }, (e, a) => done(e ? 'FAIL ' + e.code : 'OK ' + a))`;
}

/** Prints the identity of the network namespace the program runs in (`net:[4026...]`). */
export const showNetns = `console.log(require('fs').readlinkSync('/proc/self/ns/net'))`;

// ---- the project -------------------------------------------------------------------------------

/** A service: `node -e <script>` (idle by default) plus any other compose keys. */
export interface ServiceSpec {
  script?: string;
  [key: string]: unknown;
}

/** What berth made for a project, as its state recorded it. */
export interface Made {
  bridges: string[];
  veths: string[];
  holders: number[];
}

/** The part of the engine's state.json these suites read. */
export interface RecordedState {
  networks: {
    name: string;
    realized?: { bridge: string; subnet: string; gateway?: string };
    external?: boolean;
  }[];
  containers: {
    id: string;
    name: string;
    service: string;
    number: number;
    network?: { endpoints: { network: string; address: string }[] };
    state: { sandbox?: { holderPid: number; hostVeths: string[] } };
  }[];
}

export interface IsolatedProject {
  name: string;
  dir: string;
  /** The project's own BERTH_STATE_DIR. */
  state: string;
  berth(args: string[], timeoutMs?: number): Promise<BerthRun>;
  /** `up -d` (plus `args`); fails the test with berth's stderr when it fails. */
  up(args?: string[]): Promise<void>;
  /** `exec -T <service> node -e <script>`, its stdout trimmed; fails the test when exec fails. */
  exec(service: string, script: string): Promise<string>;
  /** Retries `exec` (bounded) until it prints something starting with OK; returns that output. */
  execUntilOk(service: string, script: string): Promise<string>;
  recorded(): RecordedState;
  /** Reads the state and remembers what berth made, for the clean-up checks. */
  snapshot(): Made;
  /** Everything seen so far (and every bridge marked as this project's) that still exists. */
  leftovers(): Promise<Made>;
  /** The first line of supervisor.pid. */
  supervisorPid(): number;
}

// Modules are evaluated once per test file (vitest isolates files), so this hook belongs to the
// file that imports this module and runs after each of its tests.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A project in a temporary folder with its own state folder, taken down after the test. Each service
 * runs `node -e <script>` with a marker argument, so that processes left behind can be found.
 */
export async function isolatedProject(
  services: Record<string, ServiceSpec>,
  topLevel: Record<string, unknown> = {},
): Promise<IsolatedProject> {
  const suffix = randomBytes(4).toString('hex');
  const name = `iso${suffix}`;
  const marker = `berth-iso-${suffix}`;
  const compose = {
    services: Object.fromEntries(
      Object.entries(services).map(([service, { script, ...rest }]) => [
        service,
        { image: 'node', command: [NODE, '-e', script ?? idle, marker], ...rest },
      ]),
    ),
    ...topLevel,
  };
  // JSON is YAML: no quoting to get wrong in the scripts.
  const temp = await tempProject({ 'compose.yaml': JSON.stringify(compose, null, 2) });
  const state = await mkdtemp(path.join(tmpdir(), 'berth-iso-state-'));
  const env = { BERTH_STATE_DIR: state, BERTH_NETWORKING: 'isolated' };
  const projectDir = path.join(state, 'projects', name);
  const seen: Made = { bridges: [], veths: [], holders: [] };

  const berth = (args: string[], timeoutMs = 30_000): Promise<BerthRun> =>
    runBerth(['-p', name, ...args], { cwd: temp.dir, env, timeoutMs });
  const exec = async (service: string, script: string): Promise<string> => {
    const run = await berth(['exec', '-T', service, NODE, '-e', script]);
    expect(run.exitCode, `exec in ${service}: ${run.stderr}`).toBe(0);
    return run.stdout.trim();
  };
  const recorded = (): RecordedState => {
    const file = path.join(projectDir, 'state.json');
    return existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as RecordedState)
      : { networks: [], containers: [] };
  };
  const project: IsolatedProject = {
    name,
    dir: temp.dir,
    state,
    berth,
    async up(args = []) {
      const run = await berth(['up', '-d', ...args], 45_000);
      expect(run.exitCode, `up failed:\n${run.stderr}`).toBe(0);
      project.snapshot();
    },
    exec,
    async execUntilOk(service, script) {
      let last = '';
      await poll(async () => {
        last = await exec(service, script);
        return last.startsWith('OK');
      }, `${service} to print OK`).catch((error: unknown) => {
        throw new Error(`${String(error)} (last: ${last})`);
      });
      return last;
    },
    recorded,
    snapshot() {
      const now = recorded();
      const made: Made = {
        bridges: now.networks.flatMap((n) => (n.realized && !n.external ? [n.realized.bridge] : [])),
        veths: now.containers.flatMap((c) => c.state.sandbox?.hostVeths ?? []),
        holders: now.containers.flatMap((c) => (c.state.sandbox ? [c.state.sandbox.holderPid] : [])),
      };
      for (const bridge of made.bridges) if (!seen.bridges.includes(bridge)) seen.bridges.push(bridge);
      for (const veth of made.veths) if (!seen.veths.includes(veth)) seen.veths.push(veth);
      for (const pid of made.holders) if (!seen.holders.includes(pid)) seen.holders.push(pid);
      return made;
    },
    async leftovers() {
      const links = new Set(await linkNames());
      const owned = (await listOwnedBridges(`${ownerTag(state, name)}:`)).map((b) => b.name);
      return {
        bridges: [...new Set([...seen.bridges.filter((b) => links.has(b)), ...owned])],
        veths: seen.veths.filter((v) => links.has(v)),
        holders: seen.holders.filter(isHolder),
      };
    },
    supervisorPid() {
      return Number(readFileSync(path.join(projectDir, 'supervisor.pid'), 'utf8').split(/\s/)[0]);
    },
  };

  cleanups.push(async () => {
    try {
      project.snapshot();
      await berth(['down', '-v', '-t', '1'], 45_000).catch(() => undefined);
      const processes = (): number[] => [...processesMatching(marker), ...processesMatching(state)];
      const clean = async (): Promise<boolean> => {
        const left = await project.leftovers();
        return count(left) + processes().length === 0;
      };
      const ok = await poll(clean, 'the clean-up', 10_000).then(
        () => true,
        () => false,
      );
      if (!ok) {
        // Remove by force what berth left, then fail: nothing may stay behind.
        const left = await project.leftovers();
        const pids = processes();
        for (const pid of [...pids, ...left.holders]) killQuietly(pid);
        for (const link of [...left.veths, ...left.bridges]) {
          await execa(IP, ['link', 'del', 'dev', link], { reject: false });
        }
        expect({ ...left, processes: pids }, `left behind by project ${name}`).toEqual({
          bridges: [],
          veths: [],
          holders: [],
          processes: [],
        });
      }
    } finally {
      await rm(state, { recursive: true, force: true });
      await temp.cleanup();
    }
  });
  return project;
}

export function count(made: Made): number {
  return made.bridges.length + made.veths.length + made.holders.length;
}

// ---- what the host shows -----------------------------------------------------------------------

/** Names of the host's network interfaces. */
export async function linkNames(): Promise<string[]> {
  const out = await execa(IP, ['-j', 'link', 'show']);
  return (JSON.parse(out.stdout) as { ifname: string }[]).map((l) => l.ifname);
}

/** `ip netns list` (berth makes no named namespaces). */
export async function netnsList(): Promise<string> {
  return (await execa(IP, ['netns', 'list'], { reject: false })).stdout;
}

/** Whether a live `sleep infinity` (a sandbox holder) has this pid. */
export function isHolder(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('infinity');
  } catch {
    return false;
  }
}

/** Polls until `check` holds (bounded): for conditions, never as a timing assertion. */
export async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One GET from the host on a fresh connection (no keep-alive), so each request meets the balancer. */
export function hostGet(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

// ---- the recorded state ------------------------------------------------------------------------

export function containerOf(
  p: IsolatedProject,
  service: string,
  number = 1,
): RecordedState['containers'][number] {
  const found = p.recorded().containers.find((c) => c.service === service && c.number === number);
  if (!found) throw new Error(`no container ${service}-${number} recorded`);
  return found;
}

/** The short container id: a replica's hostname unless `hostname:` says otherwise. */
export function shortId(p: IsolatedProject, service: string, number = 1): string {
  return containerOf(p, service, number).id.slice(0, 12);
}

/** A replica's address on the project's network `networkKey`. */
export function addressOf(p: IsolatedProject, service: string, networkKey: string): string {
  const network = `${p.name}_${networkKey}`;
  const endpoint = containerOf(p, service).network?.endpoints.find((e) => e.network === network);
  if (!endpoint) throw new Error(`${service} has no address on ${network}`);
  return endpoint.address;
}

/** The gateway (on the host) of the project's network `networkKey`; undefined for an internal one. */
export function gatewayOf(p: IsolatedProject, networkKey: string): string | undefined {
  return p.recorded().networks.find((n) => n.name === `${p.name}_${networkKey}`)?.realized?.gateway;
}
