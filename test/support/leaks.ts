/**
 * A snapshot of everything a berth project can leave behind on the host — processes, the supervisor's
 * descriptors, listening sockets, network namespaces, interfaces, firewall rules, mounts, files in the
 * state folder and host-wide claims — and the difference between two snapshots: what leaked.
 *
 * Other suites run on the same machine at the same time, so host-wide things are scoped to one project
 * (its marker, state folder, owner tag and the interface names its state recorded); without a scope
 * for interfaces, every berth interface counts. Node built-ins only: bench/load.mjs transpiles and
 * imports this file as it is.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LeakScope {
  /** Text found in the command line or environment of every process of the project (its state folder). */
  marker: string;
  /** The project's BERTH_STATE_DIR. */
  stateDir: string;
  /** The supervisor whose descriptors and memory are read. */
  supervisorPid?: number;
  /** The project's owner tag (`berth:<hex>`): bridges, firewall rules and claims marked with it count. */
  owner?: string;
  /** Interface names the project's state recorded (bridges, host veths); their rules and claims count too. */
  interfaces?: Iterable<string>;
  /** Published ports of the project: a listener on one of them counts whoever holds it. */
  ports?: Iterable<number>;
}

export interface SupervisorFigures {
  pid: number;
  /** Open file descriptors (/proc/<pid>/fd). */
  fds: number;
  /** Resident set size (VmRSS), KiB. */
  rssKiB: number;
}

export interface Snapshot {
  /** `<pid> <command line>` of the project's processes (berth's, the holders', the services'). */
  processes: string[];
  supervisor: SupervisorFigures | undefined;
  /** `tcp|udp <address>:<port>` bound by the project's processes or on its published ports. */
  listening: string[];
  /** Named network namespaces (`ip netns list`, /run/netns, /var/run/netns). */
  netns: string[];
  /** berth's interfaces (bth-*, bve-*) within the scope. */
  interfaces: string[];
  /** iptables rules carrying berth's comment within the scope. */
  firewall: string[];
  /** Mount points under the state folder. */
  mounts: string[];
  /** Files and folders (trailing /) under the state folder, relative to it. */
  files: string[];
  /** Host-wide subnet and address claims (/run/berth, or the temporary folder's) within the scope. */
  claims: string[];
}

type ListKey = Exclude<keyof Snapshot, 'supervisor'>;
const LIST_KEYS: ListKey[] = [
  'processes',
  'listening',
  'netns',
  'interfaces',
  'firewall',
  'mounts',
  'files',
  'claims',
];

const BERTH_INTERFACE = /^(bth|bve)-/;
const IP_TOOLS = ['/usr/sbin/ip', '/sbin/ip'];
const IPTABLES_TOOLS = ['/usr/sbin/iptables', '/sbin/iptables'];
const CLAIM_ROOTS = ['/run/berth', path.join(tmpdir(), 'berth-subnets'), path.join(tmpdir(), 'berth')];

export function snapshot(scope: LeakScope): Snapshot {
  const processes = projectProcesses(scope.marker);
  const names = scope.interfaces === undefined ? undefined : new Set(scope.interfaces);
  return {
    processes: processes.map((p) => `${p.pid} ${p.command}`).sort(),
    supervisor: scope.supervisorPid === undefined ? undefined : supervisorFigures(scope.supervisorPid),
    listening: listeningSockets(
      new Set(processes.flatMap((p) => socketInodes(p.pid))),
      new Set(scope.ports ?? []),
    ),
    netns: namedNetns(),
    interfaces: berthInterfaces(scope.owner, names),
    firewall: firewallRules(scope.owner, names),
    mounts: mountsUnder(scope.stateDir),
    files: filesUnder(scope.stateDir),
    claims: claims(scope.owner, names),
  };
}

/** What `after` holds that `before` did not, one line each (`interfaces: bve-0123456789a`). */
export function diff(before: Snapshot, after: Snapshot): string[] {
  const leaks: string[] = [];
  for (const key of LIST_KEYS) {
    const had = new Set(before[key]);
    for (const entry of after[key]) if (!had.has(entry)) leaks.push(`${key}: ${entry}`);
  }
  return leaks;
}

/** Bridges and host veths a project's state.json records now (collect them while the project is up). */
export function recordedInterfaces(stateDir: string, project: string): string[] {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(path.join(stateDir, 'projects', project, 'state.json'), 'utf8'));
  } catch {
    return [];
  }
  const record = state as {
    networks?: { realized?: { bridge?: string } }[];
    containers?: { state?: { sandbox?: { hostVeths?: string[] } } }[];
  };
  return [
    ...(record.networks ?? []).flatMap((n) => (n.realized?.bridge ? [n.realized.bridge] : [])),
    ...(record.containers ?? []).flatMap((c) => c.state?.sandbox?.hostVeths ?? []),
  ];
}

/** The first pid in the project's supervisor.pid, if it exists. */
export function supervisorPidOf(stateDir: string, project: string): number | undefined {
  try {
    const text = readFileSync(path.join(stateDir, 'projects', project, 'supervisor.pid'), 'utf8');
    const pid = Number.parseInt(text.split(/\s/)[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function supervisorFigures(pid: number): SupervisorFigures | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (rss === undefined) return undefined; // a zombie: it has exited
    return { pid, fds: readdirSync(`/proc/${pid}/fd`).length, rssKiB: Number(rss) };
  } catch {
    return undefined;
  }
}

// ---- processes ---------------------------------------------------------------------------------

interface ProcessInfo {
  pid: number;
  command: string;
}

/** Processes (other than this one) whose command line or environment contains the marker. */
function projectProcesses(marker: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = readOrEmpty(`/proc/${entry}/cmdline`);
    if (cmdline === '') continue; // kernel threads, zombies
    if (cmdline.includes(marker) || readOrEmpty(`/proc/${entry}/environ`).includes(marker)) {
      found.push({ pid: Number(entry), command: cmdline.replace(/\0+$/, '').replace(/\0/g, ' ') });
    }
  }
  return found;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return ''; // gone meanwhile, or not ours to read
  }
}

// ---- sockets -----------------------------------------------------------------------------------

function socketInodes(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`));
      if (match) inodes.push(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** TCP listeners and bound UDP sockets of this network namespace owned by `inodes` or on `ports`. */
function listeningSockets(inodes: Set<string>, ports: Set<number>): string[] {
  const out = new Set<string>();
  for (const [file, proto, state] of [
    ['tcp', 'tcp', '0A'],
    ['tcp6', 'tcp', '0A'],
    ['udp', 'udp', '07'],
    ['udp6', 'udp', '07'],
  ] as const) {
    for (const line of readOrEmpty(`/proc/net/${file}`).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== state) continue;
      const [hexAddress, hexPort] = fields[1]!.split(':');
      const port = Number.parseInt(hexPort ?? '', 16);
      if (!inodes.has(fields[9]!) && !ports.has(port)) continue;
      out.add(`${proto} ${decodeAddress(hexAddress ?? '')}:${port}`);
    }
  }
  return [...out].sort();
}

/** /proc/net's hex address (host byte order per 32-bit word) as text. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const bytes = Buffer.from(hex, 'hex').reverse();
    return [...bytes].join('.');
  }
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = Buffer.concat(words.map((w) => Buffer.from(w, 'hex').reverse()));
  const groups = bytes.toString('hex').match(/.{4}/g) ?? [];
  return `[${groups.map((g) => g.replace(/^0{1,3}/, '')).join(':')}]`;
}

// ---- network -----------------------------------------------------------------------------------

function tool(candidates: string[]): string | undefined {
  return candidates.find((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

function run(file: string | undefined, args: string[]): string {
  if (file === undefined) return '';
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function namedNetns(): string[] {
  const names = new Set<string>();
  for (const line of run(tool(IP_TOOLS), ['netns', 'list']).split('\n')) {
    const name = line.trim().split(/\s/)[0];
    if (name) names.add(name);
  }
  for (const dir of ['/run/netns', '/var/run/netns']) {
    try {
      for (const name of readdirSync(dir)) names.add(name);
    } catch {
      // no named namespace was ever made
    }
  }
  return [...names].sort();
}

/** bth-/bve- links; with a scope, only the named ones and the bridges whose alias is the owner's. */
function berthInterfaces(owner: string | undefined, names: Set<string> | undefined): string[] {
  const out: string[] = [];
  for (const line of run(tool(IP_TOOLS), ['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (!name || !BERTH_INTERFACE.test(name)) continue;
    const alias = /\balias (\S+)/.exec(line)?.[1];
    const scoped = names !== undefined || owner !== undefined;
    const ours =
      names?.has(name) === true || (owner !== undefined && alias?.startsWith(`${owner}:`) === true);
    if (!scoped || ours) out.push(name);
  }
  return out.sort();
}

/** FORWARD rules with berth's comment; with a scope, only those of the named bridges. */
function firewallRules(owner: string | undefined, names: Set<string> | undefined): string[] {
  const rules = run(tool(IPTABLES_TOOLS), ['-w', '-S', 'FORWARD'])
    .split('\n')
    .filter((line) => line.includes('berth bridge'));
  if (names === undefined && owner === undefined) return rules.sort();
  return rules.filter((line) => [...(names ?? [])].some((name) => line.includes(` ${name} `))).sort();
}

function claims(owner: string | undefined, names: Set<string> | undefined): string[] {
  const out: string[] = [];
  for (const root of CLAIM_ROOTS) {
    for (const file of walk(root)) {
      if (file.endsWith('/') || path.basename(file) === 'lock') continue;
      const full = path.join(root, file);
      const scoped = owner !== undefined || names !== undefined;
      const ours =
        (owner !== undefined && readOrEmpty(full).includes(owner)) ||
        [...(names ?? [])].some((name) => full.includes(name));
      if (!scoped || ours) out.push(full);
    }
  }
  return out.sort();
}

// ---- the state folder --------------------------------------------------------------------------

function mountsUnder(dir: string): string[] {
  const root = path.resolve(dir);
  return readOrEmpty('/proc/self/mountinfo')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort();
}

function filesUnder(dir: string): string[] {
  return walk(path.resolve(dir)).sort();
}

/** Paths under `root`, relative, folders with a trailing `/`; nothing when it does not exist. */
function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (relative: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        out.push(`${child}/`);
        visit(child);
      } else {
        out.push(child);
      }
    }
  };
  visit('');
  return out;
}
