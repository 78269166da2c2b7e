/**
 * The holder of a replica's sandbox: a `sleep infinity` that owns the replica's new network, mount
 * and UTS namespaces, so that they exist before the replica's first process and are configured from
 * outside. It dies with the engine (parent-death signal) and the kernel then frees its namespaces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';

import { NSENTER } from './ip-command.js';
import { SETPRIV, SLEEP, UNSHARE } from './mode.js';

/** own: fresh network namespace; join: the network namespace of another holder. */
export type HolderNetwork = { kind: 'own' } | { kind: 'join'; holderPid: number };

/** How long a new holder may take to be in its own namespaces: the kernel can stall new network
 * namespaces for seconds while it tears down many old ones. */
const READY_TIMEOUT_MS = 10_000;
const EXIT_WAIT_MS = 2_000;

export class Holder {
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private hasExited = false;
  private readonly exited: Promise<void>;

  private constructor(
    readonly pid: number,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  /**
   * Starts a holder and waits until it sits in its own namespaces. Rejects (holder killed) when it
   * exits first or takes too long; the message carries what the tools said on stderr.
   */
  static async start(network: HolderNetwork): Promise<Holder> {
    const args = ['--pdeathsig', 'SIGKILL', '--'];
    if (network.kind === 'join') args.push(NSENTER, `--net=/proc/${network.holderPid}/ns/net`, '--');
    args.push(UNSHARE, ...(network.kind === 'own' ? ['--net'] : []), '--mount', '--uts');
    args.push('--propagation', 'slave', '--', SLEEP, 'infinity');
    // Its own process group, so that a Ctrl-C at the terminal reaches the engine, not the holder.
    // stderr is read only until it is ready, to report why it failed.
    const child = spawn(SETPRIV, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.unref();
    let said = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (said += text));
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot start ${SETPRIV}: ${error.message}`);
    }
    const holder = new Holder(child.pid, child);
    try {
      await holder.waitReady(network, () => said.trim());
    } catch (error) {
      await holder.kill();
      throw error;
    } finally {
      child.stderr?.destroy();
    }
    return holder;
  }

  isAlive(): boolean {
    return !this.hasExited;
  }

  /** SIGKILL, then wait (bounded) until it is reaped. Idempotent. */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone; the exit event follows
    }
    await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS).unref())]);
  }

  private async waitReady(network: HolderNetwork, stderr: () => string): Promise<void> {
    const self = await namespaces('self');
    const joined = network.kind === 'join' ? await namespaces(String(network.holderPid)) : undefined;
    if (network.kind === 'join' && !joined?.net) {
      throw new Error(`the sandbox to share the network of (holder pid ${network.holderPid}) is gone`);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
      if (this.hasExited) {
        const how = this.exitSignal ?? `exit code ${String(this.exitCode)}`;
        throw new Error(stderr() || `the namespace holder ended (${how})`);
      }
      if (await this.inOwnNamespaces(self, joined)) return;
      if (Date.now() > deadline) {
        throw new Error(`the namespace holder was not in its own namespaces after ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /**
   * Safety before anything is configured: the holder has exec'd `sleep` (so unshare has also made
   * its mounts slaves) and its mount and UTS namespaces — and network, unless joined — are not
   * ours. A bind mount over /etc/hosts in the engine's own mount namespace would replace the host's.
   */
  private async inOwnNamespaces(self: Namespaces, joined: Namespaces | undefined): Promise<boolean> {
    const pid = String(this.pid);
    const [comm, mine] = await Promise.all([
      readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ''),
      namespaces(pid),
    ]);
    if (comm.trim() !== basename(SLEEP).slice(0, 15)) return false;
    if (!mine.mnt || !mine.uts || !mine.net) return false;
    if (mine.mnt === self.mnt || mine.uts === self.uts) return false;
    return joined ? mine.net === joined.net : mine.net !== self.net;
  }
}

interface Namespaces {
  net: string;
  mnt: string;
  uts: string;
}

/** The namespace identities (`net:[4026531840]`) of a process; empty strings when it is gone. */
async function namespaces(pid: string): Promise<Namespaces> {
  const link = (kind: string): Promise<string> => readlink(`/proc/${pid}/ns/${kind}`).catch(() => '');
  const [net, mnt, uts] = await Promise.all([link('net'), link('mnt'), link('uts')]);
  return { net, mnt, uts };
}
