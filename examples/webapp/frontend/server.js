// The frontend: renders a page with the API's visit counter.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
// Docker's link variables when berth runs services on the host network, else the service name.
const api = process.env.API_PORT_8080_TCP_ADDR
  ? `http://${process.env.API_PORT_8080_TCP_ADDR}:${process.env.API_PORT_8080_TCP_PORT}`
  : (process.env.API_URL ?? 'http://127.0.0.1:8080');

const server = createServer(async (req, res) => {
  if (req.url === '/health') return res.end('ok');
  try {
    const data = await (await fetch(`${api}/visits`)).json();
    res.setHeader('content-type', 'text/html');
    res.end(`<h1>webapp</h1><p>visits: ${data.visits}</p><p>schema: ${data.schema}</p>\n`);
  } catch (error) {
    res.writeHead(502).end(`api unavailable: ${error}\n`);
  }
});
server.listen(port, () => console.log(`frontend listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
