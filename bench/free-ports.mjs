// Free TCP ports on 127.0.0.1 for a benchmark's services, all held until every one is found (so that
// none is handed out twice), then released.
import { createServer } from 'node:net';

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
