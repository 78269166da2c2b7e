// The API: counts visits in the key-value store; requires the api_token secret.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';

const port = Number(process.env.API_PORT ?? process.env.PORT ?? 8080);
const kv = await serviceUrl(process.env.KV_URL ?? 'http://kv:7000', 'KV_PORT_7000_TCP');
const token = readFileSync(process.env.API_TOKEN_FILE ?? '/run/secrets/api_token', 'utf8').trim();

async function visits() {
  const current = await fetch(`${kv}/kv/visits`);
  const count = current.ok ? Number(await current.text()) + 1 : 1;
  await fetch(`${kv}/kv/visits`, { method: 'PUT', body: String(count) });
  const schema = await fetch(`${kv}/kv/schema_version`);
  return { visits: count, schema: schema.ok ? Number(await schema.text()) : null, token: token.length > 0 };
}

const server = createServer(async (req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/visits') {
    try {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(await visits()));
    } catch (error) {
      return res.writeHead(502).end(String(error));
    }
  }
  res.writeHead(404).end('not found');
});
server.listen(port, () => console.log(`api listening on ${port}`));
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
