/**
 * A second dockerd of the test's own, to stop, kill and restart without harming the main one that
 * other suites use: its own data root, exec root (and so its own managed containerd), pid file and
 * unix socket under one temporary folder, and a network namespace of its own holding its default bridge
 * and every interface it makes: dockerd 20.10 deletes `docker0` when started with `--bridge=none`, and
 * when restarted on a data root whose default bridge is another one, and that `docker0` is the main
 * daemon's. No iptables rules, no NAT, no sysctls,
 * no /etc/docker/daemon.json, and user networks from a /16 that no one else on the machine uses.
 * It holds a copy of the local test image. `destroy()` removes every container, network and volume,
 * stops the daemon and its containerd, unmounts what is left and removes the folder.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Dockerode from 'dockerode';
import { describe } from 'vitest';

import { dockerSupport, TEST_IMAGE } from './docker.js';

export interface SecondDockerd {
  /** `unix:///tmp/berth-dockerd-XXXX/docker.sock`: DOCKER_HOST for berth. */
  host: string;
  /** Dockerode on this daemon (no pinned API version: it survives restarts). */
  docker: Dockerode;
  /** The daemon's pid while it runs. */
  pid: () => number | undefined;
  /** Starts it again with the same data root; resolves once it answers. */
  start: () => Promise<void>;
  /** Sends `signal` and waits for the daemon to exit (SIGKILL leaves its containerd running, as in life). */
  stop: (signal?: 'SIGTERM' | 'SIGKILL') => Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) it: its socket accepts connections that are never answered. */
  freeze: (frozen: boolean) => void;
  /** Containers, user networks and volumes the daemon holds (a clean daemon has none). */
  leftovers: () => Promise<{ containers: string[]; networks: string[]; volumes: string[] }>;
  /** The end of the daemon's own log, for failure messages. */
  logTail: () => string;
  destroy: () => Promise<void>;
}

function detect(): { ok: boolean; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a second dockerd needs root' };
  try {
    execFileSync('dockerd', ['--version'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'dockerd is not installed' };
  }
  if (!dockerSupport.ok) return dockerSupport;
  return { ok: true, reason: '' };
}

export const secondDockerdSupport = detect();

const runs = secondDockerdSupport.ok || process.env.CI === 'true';

/** `describe` for a suite that needs a dockerd of its own; skipped with a printed reason outside CI. */
export function describeSecondDockerd(name: string, body: () => void): void {
  if (!runs) process.stderr.write(`skipping ${name}: ${secondDockerdSupport.reason}\n`);
  (runs ? describe : describe.skip)(name, body);
}

/** Built-in networks every daemon has; anything else is someone's. */
const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none']);

/** Starts a second dockerd and loads the test image from the main one. */
export async function startSecondDockerd(): Promise<SecondDockerd> {
  const root = await mkdtemp(path.join(tmpdir(), 'berth-dockerd-'));
  const socket = path.join(root, 'docker.sock');
  const logFile = path.join(root, 'dockerd.log');
  const execRoot = path.join(root, 'exec');
  const pool = await claimAddressPool(root);
  const bridge = ownNetworkNamespace(pool.subnet);
  await mkdir(execRoot);
  await writeFile(path.join(root, 'daemon.json'), '{}\n');
  const args = [
    `--config-file=${path.join(root, 'daemon.json')}`,
    `--data-root=${path.join(root, 'data')}`,
    `--exec-root=${execRoot}`,
    `--pidfile=${path.join(root, 'docker.pid')}`,
    `--host=unix://${socket}`,
    `--bridge=${bridge.name}`,
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    `--default-address-pool=base=${pool.subnet},size=24`,
    '--log-level=warn',
  ];
  const docker = new Dockerode({ socketPath: socket });
  let child: { process: ChildProcess; exited: Promise<void> } | undefined;

  const start = async (): Promise<void> => {
    if (child !== undefined) throw new Error('the second dockerd is already running');
    forgetDeadContainerd(execRoot);
    const log = openSync(logFile, 'a');
    let exited = false;
    try {
      // nsenter execs dockerd itself (the child's pid is the daemon's, for signals), and unlike
      // `ip netns exec` leaves /sys as it is: dockerd needs the host's cgroup mounts under it.
      const started = spawn('nsenter', [`--net=/run/netns/${bridge.netns}`, 'dockerd', ...args], {
        stdio: ['ignore', log, log],
      });
      child = {
        process: started,
        exited: new Promise((resolve) => started.once('exit', () => resolve())),
      };
      void child.exited.then(() => (exited = true));
    } finally {
      closeSync(log);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) {
        child = undefined;
        throw new Error(`the second dockerd exited at start:\n${tail(logFile)}`);
      }
      if (
        await docker.ping().then(
          () => true,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`the second dockerd did not answer:\n${tail(logFile)}`);
      await sleep(100);
    }
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const running = child;
    if (running === undefined) return;
    running.process.kill(signal);
    // dockerd's own shutdown waits up to 15 s for containers; past that it is stuck.
    const killer = setTimeout(() => running.process.kill('SIGKILL'), 45_000);
    await running.exited;
    clearTimeout(killer);
    child = undefined;
  };

  const freeze = (frozen: boolean): void => {
    const pid = child?.process.pid;
    if (pid !== undefined) process.kill(pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  };

  const leftovers = async (): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> => {
    const containers = await docker.listContainers({ all: true });
    const networks = await docker.listNetworks();
    const { Volumes } = await docker.listVolumes();
    return {
      containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort(),
      networks: networks
        .map((n) => n.Name)
        .filter((n) => !BUILTIN_NETWORKS.has(n))
        .sort(),
      volumes: (Volumes ?? []).map((v) => v.Name).sort(),
    };
  };

  const destroy = async (): Promise<void> => {
    try {
      freeze(false);
      if (child === undefined && existsSync(path.join(execRoot, 'containerd'))) {
        // Stopped by the test: start it once more so that what it holds is removed through its API.
        await start().catch(() => undefined);
      }
      if (child !== undefined) {
        await removeEverything(docker).catch(() => undefined);
        await stop('SIGTERM');
      }
    } finally {
      killContainerd(execRoot);
      unmountUnder(root);
      await rm(root, { recursive: true, force: true });
      bridge.remove();
      await pool.release();
    }
  };

  const daemon: SecondDockerd = {
    host: `unix://${socket}`,
    docker,
    pid: () => child?.process.pid,
    start,
    stop,
    freeze,
    leftovers,
    logTail: () => tail(logFile),
    destroy,
  };
  try {
    await start();
    await loadTestImage(docker);
  } catch (error) {
    await destroy();
    throw error;
  }
  return daemon;
}

/** The test image, copied from the main daemon (nothing can be pulled). */
async function loadTestImage(docker: Dockerode): Promise<void> {
  const main = new Dockerode();
  const image = await main.getImage(TEST_IMAGE).get();
  const response = await docker.loadImage(image, { quiet: true });
  await new Promise<void>((resolve, reject) => {
    response.on('error', reject);
    response.on('end', resolve);
    response.resume();
  });
  await docker.getImage(TEST_IMAGE).inspect();
}

async function removeEverything(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  for (const network of await docker.listNetworks()) {
    if (!BUILTIN_NETWORKS.has(network.Name)) await docker.getNetwork(network.Id).remove();
  }
  const { Volumes } = await docker.listVolumes();
  for (const volume of Volumes ?? []) await docker.getVolume(volume.Name).remove({ force: true });
}

/** The daemon's containerd (and shims) outlive a SIGKILLed dockerd: found by their folder, ended by pid. */
function killContainerd(execRoot: string): void {
  const pidFile = path.join(execRoot, 'containerd', 'containerd.pid');
  const pids = new Set<number>();
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) pids.add(pid);
  }
  try {
    const found = execFileSync('pgrep', ['-f', execRoot], { encoding: 'utf8' });
    for (const line of found.split('\n')) if (line !== '') pids.add(Number(line));
  } catch {
    // pgrep exits 1 when nothing matches
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * A SIGKILLed dockerd takes its managed containerd with it, and this machine's PID 1 reaps orphans
 * slowly: a new dockerd that finds the pid file of that zombie waits for it forever. A real init
 * would have reaped it; forgetting its pid file is the same.
 */
function forgetDeadContainerd(execRoot: string): void {
  const pidFile = path.join(execRoot, 'containerd', 'containerd.pid');
  if (!existsSync(pidFile)) return;
  const pid = readFileSync(pidFile, 'utf8').trim();
  let state = '';
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
  } catch {
    // gone
  }
  if (state === '' || state === 'Z') rmSync(pidFile, { force: true });
}

/** Mounts a killed daemon left under its folder (overlays, netns files, shm), deepest first. */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * A /16 of 10.212.0.0-10.251.0.0 (clear of berth's own 10.200.0.0/13 and swarm's first pools) that no
 * route uses and no other second dockerd has claimed: two daemons on one subnet would break each other.
 */
/**
 * A network namespace for the daemon, with its default bridge made here on the last /24 of its pool (its
 * user networks are taken from the start of the pool); deleting the namespace removes every interface in it.
 */
function ownNetworkNamespace(subnet: string): { name: string; netns: string; remove: () => void } {
  const octet = subnet.split('.')[1];
  const name = `bthd${octet}`;
  const netns = `berth-dockerd-${octet}`;
  const remove = (): void => {
    try {
      execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
    } catch {
      // not there
    }
  };
  // A run that was killed may have left it (the pool's claim was then taken over).
  remove();
  execFileSync('ip', ['netns', 'add', netns]);
  const inside = (...args: string[]): void => {
    execFileSync('ip', ['-n', netns, ...args]);
  };
  inside('link', 'set', 'lo', 'up');
  inside('link', 'add', name, 'type', 'bridge');
  inside('addr', 'add', `10.${octet}.255.1/24`, 'dev', name);
  inside('link', 'set', name, 'up');
  return { name, netns, remove };
}

async function claimAddressPool(owner: string): Promise<{ subnet: string; release: () => Promise<void> }> {
  const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
  const claims = path.join(tmpdir(), 'berth-dockerd-pools');
  for (let octet = 212; octet <= 251; octet++) {
    if (routes.includes(`10.${octet}.`)) continue;
    const claim = path.join(claims, String(octet));
    try {
      // Made again each time: the last daemon to go removes it.
      await mkdir(claims, { recursive: true });
      await mkdir(claim);
    } catch {
      // Claimed: reclaim it only when its owner's folder is gone (a run that was killed).
      const holder = await readFile(path.join(claim, 'owner'), 'utf8').catch(() => '');
      if (holder === '' || existsSync(holder)) continue;
    }
    await writeFile(path.join(claim, 'owner'), owner);
    return {
      subnet: `10.${octet}.0.0/16`,
      release: async () => {
        await rm(claim, { recursive: true, force: true });
        // The claims folder goes with the last claim (another daemon's claim keeps it).
        await rmdir(claims).catch(() => undefined);
      },
    };
  }
  throw new Error('no free /16 in 10.212.0.0-10.251.0.0 for a second dockerd');
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
