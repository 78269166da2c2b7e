import { readdir, readFile } from 'node:fs/promises';

/**
 * The processes of one process group (a replica's tree), read from /proc, for `berth top`: the same
 * columns docker compose prints (UID PID PPID CMD), without needing `ps` on the host.
 */
export async function listProcessGroup(pgid: number): Promise<{ titles: string[]; processes: string[][] }> {
  const titles = ['UID', 'PID', 'PPID', 'CMD'];
  const processes: string[][] = [];
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    // Fields after the command (which may hold spaces and parentheses) start after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = fields[1];
    const group = Number(fields[2]);
    if (group !== pgid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '';
    processes.push([uid, entry, ppid ?? '', cmdline.split('\0').filter(Boolean).join(' ')]);
  }
  processes.sort((a, b) => Number(a[1]) - Number(b[1]));
  return { titles, processes };
}
