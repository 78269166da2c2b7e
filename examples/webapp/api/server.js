// The API: counts visits in the key-value store; requires the api_token secret.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const port = Number(process.env.API_PORT ?? process.env.PORT ?? 8080);
// Docker's link variables when berth runs services on the host network, else the service name.
const kv = process.env.KV_PORT_7000_TCP_ADDR
  ? `http://${process.env.KV_PORT_7000_TCP_ADDR}:${process.env.KV_PORT_7000_TCP_PORT}`
  : (process.env.KV_URL ?? 'http://127.0.0.1:7000');
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
