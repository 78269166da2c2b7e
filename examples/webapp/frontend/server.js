// The frontend: renders a page with the API's visit counter.
import { createServer } from 'node:http';
import { lookup } from 'node:dns/promises';

const port = Number(process.env.PORT ?? 3000);
const api = await serviceUrl(process.env.API_URL ?? 'http://api:8080', 'API_PORT_8080_TCP');

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

// The service by name, as in any compose file. When berth runs services on the host network, names do
// not resolve; Docker's link variables say where the service is then.
async function serviceUrl(url, link) {
  const resolves = await lookup(new URL(url).hostname).then(
    () => true,
    () => false,
  );
  const addr = process.env[`${link}_ADDR`];
  const port = process.env[`${link}_PORT`];
  return resolves || !addr || !port ? url : `http://${addr}:${port}`;
}
