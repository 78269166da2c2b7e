#!/usr/bin/env node
// bench/proxy bulk client: `node bulk-client.mjs HOST PORT BYTES` asks the server for BYTES over one
// connection, reads them all and prints {bytes, seconds} as JSON (a separate process, so that the
// proxy measured does not share its event loop with the reader).
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const [host, port, bytes] = process.argv.slice(2);
const wanted = Number(bytes);
let received = 0;
const t0 = performance.now();
const socket = connect({ host, port: Number(port) }, () => socket.write(`${wanted}\n`));
socket.on('data', (data) => {
  received += data.length;
});
socket.on('end', () => {
  const seconds = (performance.now() - t0) / 1000;
  if (received !== wanted) {
    console.error(`bulk: received ${received} of ${wanted} bytes`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ bytes: received, seconds })}\n`);
});
socket.on('error', (error) => {
  console.error(`bulk: ${error.message}`);
  process.exit(1);
});
