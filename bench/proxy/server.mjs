#!/usr/bin/env node
// bench/proxy server: the program measured, run as a plain child (part 1) or as a berth replica
// (part 2). An HTTP server answering "ok" on PORT, and, when BULK_PORT is set, a TCP server that
// streams as many bytes as the client asks for (one decimal line). Prints the bound ports as one JSON
// line; with READY_DIR set, writes the HTTP port to READY_DIR/$HOSTNAME so a healthcheck can find it.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import path from 'node:path';

const CHUNK = Buffer.alloc(1024 * 1024, 0x61);
const HOST = process.env.HOST ?? '0.0.0.0';

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server.address().port));
  });

/** Writes `remaining` bytes with back-pressure, then ends the connection. */
function stream(socket, remaining) {
  while (remaining > 0) {
    const chunk = remaining >= CHUNK.length ? CHUNK : CHUNK.subarray(0, remaining);
    remaining -= chunk.length;
    if (!socket.write(chunk)) {
      socket.once('drain', () => stream(socket, remaining));
      return;
    }
  }
  socket.end();
}

// Answers once the whole request is in, so that a request written in two parts is timed whole.
const http = createHttpServer((req, res) => {
  req.on('end', () => res.end('ok'));
  req.resume();
});
http.keepAliveTimeout = 60_000;
const ports = { http: await listen(http, Number(process.env.PORT ?? 0)) };

if (process.env.BULK_PORT !== undefined) {
  const bulk = createTcpServer((socket) => {
    let line = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', function onData(data) {
      line += data.toString('latin1');
      const end = line.indexOf('\n');
      if (end < 0) return;
      socket.off('data', onData);
      stream(socket, Number(line.slice(0, end)));
    });
  });
  ports.bulk = await listen(bulk, Number(process.env.BULK_PORT));
}

if (process.env.READY_DIR !== undefined) {
  writeFileSync(
    path.join(process.env.READY_DIR, process.env.HOSTNAME ?? String(process.pid)),
    String(ports.http),
  );
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
