/**
 * How a program runs "inside" a replica: as its user, in its working directory and — with isolated
 * networking — in its sandbox's namespaces. The replica's main process, its healthchecks and `exec`
 * all go through here, so they see the same network, hostname and /etc/hosts.
 */
import { enterSandbox } from './network/sandbox.js';

export interface Confinement {
  cwd: string;
  uid?: number;
  gid?: number;
  /** The holder process of the replica's sandbox (isolated networking); absent on the host network. */
  sandboxPid?: number;
}

export interface ConfinedCommand {
  file: string;
  args: string[];
  /** For spawn(): set only when no sandbox is entered (nsenter must start as root and drops them itself). */
  uid?: number;
  gid?: number;
}

export function confinedCommand(file: string, args: readonly string[], where: Confinement): ConfinedCommand {
  if (where.sandboxPid === undefined) {
    return {
      file,
      args: [...args],
      ...(where.uid === undefined ? {} : { uid: where.uid }),
      ...(where.gid === undefined ? {} : { gid: where.gid }),
    };
  }
  const options: { cwd: string; uid?: number; gid?: number } = { cwd: where.cwd };
  if (where.uid !== undefined) options.uid = where.uid;
  if (where.gid !== undefined) options.gid = where.gid;
  return enterSandbox(where.sandboxPid, options, file, args);
}
