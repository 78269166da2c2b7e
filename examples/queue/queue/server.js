// An in-memory job queue: POST /jobs enqueues, POST /take hands out the next job (204 when empty),
// POST /done/<id> records who finished it, GET /stats shows the counts per worker.
import { createServer } from 'node:http';

const port = Number(process.env.QUEUE_PORT ?? process.env.PORT ?? 7100);
const pending = [];
const done = new Map();
let nextId = 1;

const body = (req) =>
  new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') return res.end('ok');
  if (req.method === 'POST' && url.pathname === '/jobs') {
    const job = { id: nextId++, payload: await body(req) };
    pending.push(job);
    return res.writeHead(201).end(JSON.stringify(job));
  }
  if (req.method === 'POST' && url.pathname === '/take') {
    const job = pending.shift();
    return job ? res.end(JSON.stringify(job)) : res.writeHead(204).end();
  }
  const finished = /^\/done\/(\d+)$/.exec(url.pathname);
  if (req.method === 'POST' && finished) {
    done.set(Number(finished[1]), await body(req));
    return res.writeHead(204).end();
  }
  if (url.pathname === '/stats') {
    const perWorker = {};
    for (const worker of done.values()) perWorker[worker] = (perWorker[worker] ?? 0) + 1;
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify({ pending: pending.length, done: done.size, perWorker }));
  }
  res.writeHead(404).end('not found');
});
server.listen(port, () => console.log(`queue listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
