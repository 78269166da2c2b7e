/**
 * The text of a replica's /etc/hosts in isolated mode (bind-mounted in its own mount namespace; the
 * host's file is never touched): Docker's loopback header, then what `nameTable` says resolves.
 * Callers keep it current by rewriting the file in place whenever the text differs (compare strings).
 */
import { nameTable, type NameTableEntry } from './name-table.js';

export type { HostsLine, NamedEndpoint, NameTableEntry } from './name-table.js';

/** The lines Docker writes first in every container's /etc/hosts. */
const HEADER = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** The text of `self`'s /etc/hosts: `address<TAB>name name ...` lines, ending with a newline. */
export function renderHostsFile(self: NameTableEntry, all: readonly NameTableEntry[]): string {
  const lines = nameTable(self, all).map((line) => `${line.address}\t${line.names.join(' ')}`);
  return `${[...HEADER, ...lines].join('\n')}\n`;
}
