#!/usr/bin/env node
// bench/proxy load generator, used when wrk is not installed: `node load.mjs HOST PORT CONNECTIONS
// SECONDS` keeps CONNECTIONS keep-alive HTTP/1.1 connections busy, one request in flight on each,
// for SECONDS, and prints {requests, seconds, rps, p50Ms, p99Ms} as JSON. One Node.js thread: on a
// small machine it can be the bottleneck, which is why the bench prefers wrk.
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const [host, port, connections, seconds] = process.argv.slice(2);
const REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1');
const latencies = [];
let stopping = false;
let open = 0;
const t0 = performance.now();

/** One connection: sends a request, waits for the whole response (Content-Length framing), repeats. */
function client() {
  open++;
  let buffer = Buffer.alloc(0);
  let sentAt = 0;
  const socket = connect({ host, port: Number(port), noDelay: true }, send);
  function send() {
    if (stopping) {
      socket.end();
      return;
    }
    sentAt = performance.now();
    socket.write(REQUEST);
  }
  socket.on('data', (data) => {
    buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data]);
    for (;;) {
      const head = buffer.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(buffer.toString('latin1', 0, head))?.[1] ?? 0);
      const total = head + 4 + length;
      if (buffer.length < total) return;
      buffer = buffer.subarray(total);
      latencies.push(performance.now() - sentAt);
      send();
    }
  });
  socket.on('error', (error) => {
    console.error(`load: ${error.message}`);
    process.exit(1);
  });
  socket.on('close', () => {
    if (--open === 0) report();
  });
}

function report() {
  const elapsed = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const result = {
    requests: sorted.length,
    seconds: elapsed,
    rps: sorted.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

for (let i = 0; i < Number(connections); i++) client();
setTimeout(
  () => {
    stopping = true;
  },
  Number(seconds) * 1000,
);
