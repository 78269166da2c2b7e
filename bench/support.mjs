// What the benchmarks share: free ports for their services, and their tables.
import { createServer } from 'node:net';

/** Free TCP ports on 127.0.0.1, all held until every one is found (none handed out twice), then released. */
export function freePorts(n) {
  const servers = [];
  return new Promise((resolve, reject) => {
    const next = () => {
      if (servers.length === n) {
        const ports = servers.map((s) => s.address().port);
        let open = servers.length;
        for (const s of servers) s.close(() => --open === 0 && resolve(ports));
        return;
      }
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        servers.push(server);
        next();
      });
    };
    next();
  });
}

/** A table as lines of text: the header, then the rows, each column padded to its widest cell. */
export function tableLines(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}
