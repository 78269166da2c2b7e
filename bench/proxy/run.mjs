#!/usr/bin/env node
// bench/proxy: berth's published-port proxy against the same server reached directly, in the same
// run — HTTP req/s and p50/p99 latency under keep-alive load, and MB/s of one bulk stream (goal: the
// proxy at least 0.8 of direct req/s). Part 1: a plain child server and a PortProxy in this process.
// Part 2 (Linux, root): the server as a berth replica in isolated mode (its address against its
// published port), and the time to start 50 replicas in isolated mode against host mode. Prints
// best / median of BENCH_RUNS runs. Run `npm run build` first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { compare, loadGenerator, table } from './measure.mjs';
import { cleanupReplicas, replicaParts } from './replicas.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BULK_BYTES = Number(process.env.BENCH_BULK_MIB ?? 1024) * 1024 * 1024;
const PARTS = new Set((process.env.BENCH_PARTS ?? 'proxy,replica,start').split(','));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const here = path.dirname(fileURLToPath(import.meta.url));

if (!existsSync(path.join(root, 'dist', 'engine', 'local', 'port-proxy.js'))) {
  console.error('bench/proxy: dist/ is missing; run "npm run build" first');
  process.exit(1);
}
const { PortProxy } = await import(path.join(root, 'dist', 'engine', 'local', 'port-proxy.js'));

const children = new Set();
const proxies = new Set();
const progress = () => process.stderr.write('.');

/** The server as a plain child process on loopback; resolves with its ports once it listens. */
function startServer() {
  const child = spawn(process.execPath, [path.join(here, 'server.mjs')], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', BULK_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out));
    });
  });
}

async function proxyPart() {
  const ports = await startServer();
  const forward = async (port) => {
    const proxy = await PortProxy.listen({
      protocol: 'tcp',
      hostIp: '127.0.0.1',
      hostPort: 0,
      backends: [{ port, hosts: ['127.0.0.1'] }],
    });
    proxies.add(proxy);
    return proxy.port;
  };
  const direct = { host: '127.0.0.1', ...ports };
  const proxy = { host: '127.0.0.1', http: await forward(ports.http), bulk: await forward(ports.bulk) };
  process.stderr.write('part 1: plain server on loopback, PortProxy in this process ');
  const proxyCpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const result = await compare({ runs: RUNS, direct, proxy, bulkBytes: BULK_BYTES, progress, proxyCpuMs });
  process.stderr.write('\n');
  return table(
    'part 1: a Node.js HTTP server on 127.0.0.1, direct vs through PortProxy (127.0.0.1 -> 127.0.0.1)',
    result,
  );
}

async function cleanup() {
  for (const proxy of proxies) await proxy.close();
  for (const child of children) child.kill('SIGKILL');
  await cleanupReplicas();
}

async function main() {
  console.log(
    `berth bench/proxy: ${RUNS} runs each; ${loadGenerator()}; bulk ${BULK_BYTES / 2 ** 20} MiB on one connection`,
  );
  if (PARTS.has('proxy')) console.log(`\n${await proxyPart()}`);
  for (const text of await replicaParts({ runs: RUNS, bulkBytes: BULK_BYTES, parts: PARTS, progress })) {
    console.log(`\n${text}`);
  }
}

process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  await main();
} catch (error) {
  console.error(`\nbench/proxy failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
