/**
 * Keeps a host firewall from cutting berth's bridges apart. Where br_netfilter is loaded, frames
 * bridged between two replicas go through iptables' FORWARD chain, and a FORWARD policy of DROP (which
 * dockerd sets) drops them; the bridge's own `nf_call_iptables` cannot opt out while the host-wide
 * switch is on. Like Docker for its own bridges, berth admits traffic that enters and leaves the same
 * berth bridge — and nothing else: traffic between networks or to the outside stays as the host has it.
 * The rule lives as long as its bridge.
 */
import { NetworkCommandError, runTool } from './ip-command.js';
import { executable } from './mode.js';

const IPTABLES_CANDIDATES = ['/usr/sbin/iptables', '/sbin/iptables'];

function iptables(): string | undefined {
  return IPTABLES_CANDIDATES.find((file) => executable(file));
}

function ruleOf(bridge: string): string[] {
  return [
    'FORWARD',
    '-i',
    bridge,
    '-o',
    bridge,
    '-m',
    'comment',
    '--comment',
    `berth bridge ${bridge}`,
    '-j',
    'ACCEPT',
  ];
}

/** Adds the bridge's ACCEPT rule unless present; without iptables there is no such firewall to pass. */
export async function admitBridgedTraffic(bridge: string): Promise<void> {
  const file = iptables();
  if (file === undefined) return;
  try {
    await runTool(file, ['-w', '-C', ...ruleOf(bridge)]);
    return;
  } catch (error) {
    if (!(error instanceof NetworkCommandError)) throw error;
  }
  await runTool(file, ['-w', '-I', ...ruleOf(bridge)]);
}

/** Removes the bridge's rule (every copy); one that is absent is fine. */
export async function forgetBridgedTraffic(bridge: string): Promise<void> {
  const file = iptables();
  if (file === undefined) return;
  for (let copies = 0; copies < 8; copies++) {
    try {
      await runTool(file, ['-w', '-D', ...ruleOf(bridge)]);
    } catch (error) {
      if (error instanceof NetworkCommandError) return;
      throw error;
    }
  }
}
