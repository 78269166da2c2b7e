#!/usr/bin/env node
// bench/proxy split-write client: `node split-client.mjs HOST PORT COUNT` sends COUNT POST requests
// one after another on one keep-alive connection, each written in two parts (head, then the body
// 1 ms later, as many clients send a body), and prints {p50Ms, p99Ms} of the whole exchange. A proxy
// that leaves Nagle's algorithm on holds the second part until the server's delayed ACK (~40 ms).
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const [host, port, count] = process.argv.slice(2);
const BODY = 'x'.repeat(16);
const HEAD = `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${BODY.length}\r\n\r\n`;
const latencies = [];
let sentAt = 0;
let received = '';

const socket = connect({ host, port: Number(port), noDelay: true }, send);
function send() {
  sentAt = performance.now();
  socket.write(HEAD);
  setTimeout(() => socket.write(BODY), 1);
}
socket.on('data', (data) => {
  received += data.toString('latin1');
  // The server answers "ok" with a Content-Length: one response ends with the body "ok".
  if (!received.endsWith('\r\n\r\nok')) return;
  received = '';
  latencies.push(performance.now() - sentAt);
  if (latencies.length < Number(count)) {
    send();
    return;
  }
  socket.end();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  process.stdout.write(`${JSON.stringify({ p50Ms: at(0.5), p99Ms: at(0.99) })}\n`);
});
socket.on('error', (error) => {
  console.error(`split: ${error.message}`);
  process.exit(1);
});
