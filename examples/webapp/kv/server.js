// A tiny persistent key-value store: GET/PUT /kv/<key>, data kept as one JSON file per key.
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import path from 'node:path';

const port = Number(process.env.KV_PORT ?? process.env.PORT ?? 7000);
const dataDir = process.env.KV_DATA ?? path.resolve('data');
mkdirSync(dataDir, { recursive: true });

const fileFor = (key) => path.join(dataDir, `${encodeURIComponent(key)}.json`);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') return res.end('ok');
  const match = /^\/kv\/(.+)$/.exec(url.pathname);
  if (!match) return res.writeHead(404).end('not found');
  const file = fileFor(decodeURIComponent(match[1]));
  if (req.method === 'GET') {
    if (!existsSync(file)) return res.writeHead(404).end('no such key');
    return res.end(readFileSync(file));
  }
  if (req.method === 'PUT') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      writeFileSync(`${file}.tmp`, Buffer.concat(chunks));
      renameSync(`${file}.tmp`, file);
      res.writeHead(204).end();
    });
    return;
  }
  res.writeHead(405).end();
});
server.listen(port, () => console.log(`kv listening on ${port}, data in ${dataDir}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
