import type { Port } from '../project/types.js';
import type { ChangeLog } from './change-log.js';
import { unsupportedReason } from './prune-for-version.js';
import { stackSupports } from './stack-versions.js';

/**
 * Published ports in the long syntax Swarm normalizes them to (short `published:target/protocol` strings
 * before version 3.2, which has no long syntax). Swarm publishes on every address of every node and one
 * port per target, so a host address and a published range are rewritten, and reported.
 */
export function swarmPorts(name: string, ports: readonly Port[], version: string, log: ChangeLog): unknown[] {
  const longSyntax = stackSupports(version, ['services', '*', 'ports', 'target']);
  const out: unknown[] = [];
  ports.forEach((port, index) => {
    const path = ['services', name, 'ports', index];
    if (port.host_ip !== undefined && port.host_ip !== '') {
      log.dropped(
        [...path, 'host_ip'],
        `Swarm publishes on every address of the node, not only ${port.host_ip}; restrict access with a firewall`,
      );
    }
    for (const key of ['name', 'app_protocol'] as const) {
      if (port[key] !== undefined) log.dropped([...path, key], unsupportedReason([...path, key], version));
    }
    const published = publishedPort(port.published, [...path, 'published'], log);
    if (longSyntax) {
      const entry: Record<string, unknown> = { mode: port.mode, target: port.target };
      if (published !== undefined) entry.published = published;
      entry.protocol = port.protocol;
      out.push(entry);
      return;
    }
    if (port.mode === 'host') {
      log.dropped(path, `publishing in mode host ${unsupportedReason([...path, 'mode'], version)}`);
      return;
    }
    const target = `${port.target}/${port.protocol}`;
    out.push(published === undefined ? target : `${published}:${target}`);
  });
  return out;
}

function publishedPort(
  published: string | undefined,
  path: (string | number)[],
  log: ChangeLog,
): number | undefined {
  if (published === undefined || published === '') return undefined;
  const range = /^(\d+)-(\d+)$/.exec(published);
  if (range === null) return Number(published);
  const first = Number(range[1]);
  if (range[1] !== range[2]) {
    log.rewritten(path, `Swarm publishes one port per target, not a range: ${published} became ${first}`);
  }
  return first;
}
