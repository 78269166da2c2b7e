/**
 * Which networking the in-process engine uses, and why: `isolated` (a bridge per network, a network
 * namespace per replica) where the host allows it, `host` elsewhere. `--networking` or
 * BERTH_NETWORKING force either; forcing `isolated` where it cannot work is an error that says what
 * is missing.
 */
import { accessSync, constants, readFileSync } from 'node:fs';

import { ComposeError } from '../../../project/errors.js';
import { IP, NSENTER } from './ip-command.js';
import type { ProjectState } from '../types.js';
import type { NetworkingMode } from './types.js';

export const UNSHARE = '/usr/bin/unshare';
export const SETPRIV = '/usr/bin/setpriv';
export const SLEEP = '/usr/bin/sleep';

export interface NetworkingChoice {
  mode: NetworkingMode;
  /** One line for `berth version`: why this mode. */
  reason: string;
  /** Whether the mode was asked for (flag or BERTH_NETWORKING) rather than detected. */
  forced: boolean;
}

export interface IsolationSupport {
  ok: boolean;
  /** What is missing, or what makes it possible. */
  reason: string;
}

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** Whether `file` exists and this process may run it. */
export function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The effective capability set of this process, from /proc (undefined off Linux). */
function effectiveCapabilities(): bigint | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    return line ? BigInt(`0x${line[1]!}`) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this process can create network namespaces, bridges and veth pairs, and what it lacks if not. */
export function detectIsolationSupport(): IsolationSupport {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  }
  const caps = effectiveCapabilities();
  const has = (bit: number): boolean => caps !== undefined && (caps & (1n << BigInt(bit))) !== 0n;
  if (!has(CAP_NET_ADMIN) || !has(CAP_SYS_ADMIN)) {
    return {
      ok: false,
      reason:
        'creating network namespaces needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); berth runs as an unprivileged user',
    };
  }
  const tools: [string, string][] = [
    [IP, 'iproute2'],
    [NSENTER, 'util-linux'],
    [UNSHARE, 'util-linux'],
    [SETPRIV, 'util-linux'],
    [SLEEP, 'coreutils'],
  ];
  const missing = tools.filter(([file]) => !executable(file));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    return {
      ok: false,
      reason: `${missing.map(([file]) => file).join(', ')} not found (apt-get install ${packages})`,
    };
  }
  return { ok: true, reason: 'Linux, with the privileges to create network namespaces' };
}

function parseMode(value: string, source: string): NetworkingMode {
  const mode = value.trim().toLowerCase();
  if (mode === 'isolated' || mode === 'host') return mode;
  throw new ComposeError(`${source}: unknown networking mode "${value}"`, {
    hint: 'use "isolated" (a network namespace per replica) or "host" (the host network)',
  });
}

/**
 * The mode to use: the flag, else BERTH_NETWORKING, else `isolated` when supported and `host`
 * otherwise. An explicit `isolated` the host cannot support is refused with the reason.
 */
export function chooseNetworking(
  options: { flag?: string; env?: Record<string, string | undefined>; support?: IsolationSupport } = {},
): NetworkingChoice {
  const env = options.env ?? process.env;
  const asked =
    options.flag !== undefined
      ? parseMode(options.flag, '--networking')
      : env.BERTH_NETWORKING
        ? parseMode(env.BERTH_NETWORKING, 'BERTH_NETWORKING')
        : undefined;
  if (asked === 'host') {
    return { mode: 'host', reason: 'asked for (--networking or BERTH_NETWORKING)', forced: true };
  }
  const support = options.support ?? detectIsolationSupport();
  if (asked === 'isolated') {
    if (!support.ok) {
      throw new ComposeError(`isolated networking is not available: ${support.reason}`, {
        hint: 'run berth as root on Linux, or use --networking host',
      });
    }
    return { mode: 'isolated', reason: 'asked for (--networking or BERTH_NETWORKING)', forced: true };
  }
  return support.ok
    ? { mode: 'isolated', reason: support.reason, forced: false }
    : { mode: 'host', reason: support.reason, forced: false };
}

/** The engine options for the networking of this environment (BERTH_NETWORKING, else what the host allows). */
export function networkingOptions(env: Record<string, string | undefined>): {
  networking: NetworkingMode;
  networkingForced: boolean;
} {
  const choice = chooseNetworking({ env });
  return { networking: choice.mode, networkingForced: choice.forced };
}

/**
 * The networking a project's engine uses: the project keeps the mode its containers and networks were
 * created with; a mode that was forced and differs from it is refused (only `down` can change it).
 */
export function settleNetworking(
  recorded: Pick<ProjectState, 'project' | 'networking' | 'containers' | 'networks'>,
  wanted: { networking: NetworkingMode; networkingForced: boolean },
): NetworkingMode {
  const mode = recorded.networking ?? 'host';
  if (recorded.containers.length === 0 && recorded.networks.length === 0) return wanted.networking;
  if (mode !== wanted.networking && wanted.networkingForced) {
    throw new ComposeError(
      `project "${recorded.project}" was created with ${mode} networking, not ${wanted.networking} networking`,
      {
        hint: `run "berth down" first to recreate it with ${wanted.networking} networking, or use --networking ${mode}`,
      },
    );
  }
  return mode;
}
