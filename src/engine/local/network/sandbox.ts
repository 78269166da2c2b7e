/**
 * A replica's sandbox in isolated networking: its own network namespace (one veth pair per attached
 * network, loopback, default route), its own hostname and its own /etc/hosts (a bind mount of a
 * file the engine keeps current), all held by a holder process and configured from outside. The
 * replica's processes enter it with nsenter. Nothing persists: when the holder and the entered
 * processes die, the kernel removes the namespaces, the mount and the veth pairs.
 */

import { ComposeError } from '../../../project/errors.js';
import { processStartTimeMs, isProcessAlive } from '../process-liveness.js';
import { IP, ipBatch, NetworkCommandError, NSENTER, runTool } from './ip-command.js';
import { executable } from './mode.js';
import { Holder } from './sandbox-holder.js';
import type { NetworkEndpoint } from './types.js';

const MOUNT = '/usr/bin/mount';
const HOSTNAME_TOOLS = ['/usr/bin/hostname', '/bin/hostname'];
/** Without `hostname`, the name is written to /proc/sys/kernel/hostname, which is per UTS namespace. */
const TEE = '/usr/bin/tee';

export interface SandboxSpec {
  hostname: string;
  /** Host file bind-mounted over /etc/hosts inside (the caller writes it and rewrites it in place). */
  hostsFile: string;
  /** new: own network namespace with `endpoints`; none: own namespace with loopback only;
   *  join: the network namespace of another sandbox's holder (network_mode service:/container:). */
  network:
    { kind: 'new'; endpoints: NetworkEndpoint[] } | { kind: 'none' } | { kind: 'join'; holderPid: number };
  /** Who the sandbox is for (the container name), in error messages; defaults to the hostname. */
  name?: string;
}

/** What the lead records in state, to clean up after a dead engine. */
export interface SandboxRecord {
  holderPid: number;
  /** The holder's start time (processStartTimeMs), to tell it from a later process with its pid. */
  holderStartTime?: number;
  hostVeths: string[];
}

export class Sandbox {
  private destroying: Promise<void> | undefined;

  private constructor(
    private readonly holder: Holder,
    readonly hostVeths: readonly string[],
    readonly holderStartTime: number | undefined,
  ) {}

  get holderPid(): number {
    return this.holder.pid;
  }

  /**
   * Makes the namespaces and configures them. On any failure everything made so far is removed and
   * a ComposeError says which step failed and what the tool said.
   */
  static async create(spec: SandboxSpec): Promise<Sandbox> {
    const who = spec.name ?? spec.hostname;
    const network = spec.network;
    const hostVeths = network.kind === 'new' ? network.endpoints.map((e) => e.hostVeth) : [];
    const holder = await step(
      who,
      'starting the namespace holder',
      () => Holder.start(network.kind === 'join' ? network : { kind: 'own' }),
      network.kind === 'join'
        ? 'with network_mode service: or container:, the other container must be running first'
        : 'isolated networking needs root and util-linux (setpriv, unshare, nsenter); --networking host avoids it',
    );
    const pid = holder.pid;
    // The network (two ip runs, in order), the hostname and the hosts file are independent.
    const steps = await Promise.allSettled([
      network.kind === 'join'
        ? Promise.resolve()
        : connectEndpoints(who, pid, network.kind === 'new' ? network.endpoints : []),
      step(
        who,
        `setting the hostname "${spec.hostname}"`,
        () => setHostname(pid, spec.hostname),
        'a hostname is at most 64 characters: letters, digits, dots and dashes',
      ),
      step(who, `mounting ${spec.hostsFile} over /etc/hosts`, () =>
        runTool(NSENTER, ['-t', String(pid), '-m', '--', MOUNT, '--bind', spec.hostsFile, '/etc/hosts']),
      ),
    ]);
    const failed = steps.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await holder.kill();
      await deleteLinks(hostVeths).catch(() => undefined);
      throw failed.reason;
    }
    return new Sandbox(holder, hostVeths, processStartTimeMs(pid));
  }

  isAlive(): boolean {
    return this.destroying === undefined && this.holder.isAlive();
  }

  /** Kills the holder, deletes the host veths (missing is fine). Idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await this.holder.kill();
      // Entered processes still alive keep the namespace, and with it the pair, until this.
      await deleteLinks(this.hostVeths);
    })();
    return this.destroying;
  }
}

export function sandboxRecord(s: Sandbox): SandboxRecord {
  const record: SandboxRecord = { holderPid: s.holderPid, hostVeths: [...s.hostVeths] };
  if (s.holderStartTime !== undefined) record.holderStartTime = s.holderStartTime;
  return record;
}

/** After the engine died: kill the holder if it is still that process, delete the veths. */
export async function destroyRecordedSandbox(record: SandboxRecord): Promise<void> {
  const pid = record.holderPid;
  if (Number.isInteger(pid) && pid > 1 && isProcessAlive(pid)) {
    // Without a recorded start time the pid could name anything by now: leave it alone.
    if (record.holderStartTime !== undefined && processStartTimeMs(pid) === record.holderStartTime) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  await deleteLinks(record.hostVeths);
}

/** argv that runs `file args` inside the sandbox's network, mount and UTS namespaces. */
export function enterSandbox(
  holderPid: number,
  options: { cwd: string; uid?: number; gid?: number },
  file: string,
  args: readonly string[],
): { file: string; args: string[] } {
  const enter = ['-t', String(holderPid), '-n', '-m', '-u', `--wd=${options.cwd}`];
  if (options.uid !== undefined) enter.push('-S', String(options.uid));
  if (options.gid !== undefined) enter.push('-G', String(options.gid));
  return { file: NSENTER, args: [...enter, '--', file, ...args] };
}

/** Host ends onto their bridges, then, inside, addresses, links, loopback and the default route. */
async function connectEndpoints(
  who: string,
  pid: number,
  endpoints: readonly NetworkEndpoint[],
): Promise<void> {
  for (const e of endpoints) {
    // These become `ip -batch` lines: a blank in any would split or add a command.
    const fields = [
      e.bridge,
      e.ifname,
      e.hostVeth,
      e.address,
      String(e.prefixLength),
      e.defaultGateway ?? '',
    ];
    if (fields.some((field) => /\s/.test(field))) {
      throw new ComposeError(
        `sandbox of ${who}: invalid endpoint on network ${e.network}: ${fields.join(' ')}`,
      );
    }
  }
  if (endpoints.length > 0) {
    const bridges = [...new Set(endpoints.map((e) => e.bridge))].join(', ');
    await step(
      who,
      `creating veth pairs on ${bridges}`,
      () =>
        ipBatch(
          endpoints.flatMap((e) => [
            `link add ${e.hostVeth} type veth peer name ${e.ifname} address ${macAddressOf(e.address)} netns ${pid}`,
            `link set ${e.hostVeth} master ${e.bridge} up`,
            // The host may still hold this address's entry from the replica's previous run (or be
            // resolving it, with connections queued for a second): tell it the answer at once.
            `neigh replace ${e.address} lladdr ${macAddressOf(e.address)} dev ${e.bridge} nud stale`,
          ]),
        ),
      '`ip -br link` shows what exists; `berth down` then `up` recreates the networks',
    );
  }
  const inside = [
    ...endpoints.map((e) => `addr add ${e.address}/${e.prefixLength} dev ${e.ifname}`),
    ...endpoints.map((e) => `link set ${e.ifname} up`),
    'link set lo up',
    ...endpoints.flatMap((e) => (e.defaultGateway ? [`route add default via ${e.defaultGateway}`] : [])),
  ];
  await step(who, 'configuring its interfaces', () =>
    runTool(NSENTER, ['-t', String(pid), '-n', '--', IP, '-batch', '-'], { input: `${inside.join('\n')}\n` }),
  );
}

/**
 * The replica's MAC address, derived from its IPv4 address as Docker does (02:42 and the four bytes): a
 * replica restarted with the same address keeps its MAC too, so the host's neighbour entry for it stays
 * right instead of sending to the old interface's MAC until it times out (seconds of stalled connects).
 */
export function macAddressOf(ipv4: string): string {
  const bytes = ipv4.split('.').map((part) => Number(part).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}

function setHostname(pid: number, hostname: string): Promise<string> {
  const tool = HOSTNAME_TOOLS.find(executable);
  if (tool) return runTool(NSENTER, ['-t', String(pid), '-u', '--', tool, hostname]);
  if (executable(TEE)) {
    return runTool(NSENTER, ['-t', String(pid), '-u', '--', TEE, '/proc/sys/kernel/hostname'], {
      input: hostname,
    });
  }
  return Promise.reject(new Error(`neither ${HOSTNAME_TOOLS.join(' nor ')} nor ${TEE} exists`));
}

/** Deletes links of the engine's namespace; those already gone are fine. */
async function deleteLinks(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  try {
    await ipBatch(
      names.map((name) => `link del ${name}`),
      { force: true },
    );
  } catch (error) {
    if (!(error instanceof NetworkCommandError)) throw error;
    const real = error.stderr
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^(Cannot find device|Command failed)/.test(line));
    if (real.length > 0) throw error;
  }
}

/** Runs one step of making a sandbox; its failure becomes a ComposeError naming the step. */
async function step<T>(who: string, what: string, run: () => Promise<T>, hint?: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ComposeError) throw error;
    throw new ComposeError(`sandbox of ${who}: ${what} failed: ${toolSaid(error)}`, { hint, cause: error });
  }
}

/** What a tool said, without the lines that only repeat that it failed. */
function toolSaid(error: unknown): string {
  if (!(error instanceof NetworkCommandError)) return error instanceof Error ? error.message : String(error);
  const lines = error.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^(Command failed -:\d+|dmesg\(1\) may have more)/.test(line));
  return lines.length > 0 ? lines.join('; ') : error.message;
}
