// bench/proxy measurements, each from a separate process so that the proxy measured (in this process
// for part 1) has its event loop to itself: HTTP load with wrk when installed (else load.mjs), one
// bulk stream (bulk-client.mjs), and the statistics printed.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { tableLines } from '../support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SPLIT_REQUESTS = Number(process.env.BENCH_SPLIT_REQUESTS ?? 200);

function findWrk() {
  if (process.env.BENCH_LOADGEN === 'node') return undefined;
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const wrk = findWrk();

/** Which load generator is used, for the printed header. */
export function loadGenerator() {
  const why =
    process.env.BENCH_LOADGEN === 'node' ? 'BENCH_LOADGEN=node' : 'wrk not found: apt-get install wrk';
  return wrk
    ? `wrk (${wrk}), 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run`
    : `load.mjs (Node.js, one thread: it can be the bottleneck; ${why}), ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run`;
}

/** Runs a program without blocking this event loop; resolves with its stdout, rejects on failure. */
export function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${path.basename(file)} ${args.join(' ')} failed (${code ?? signal}): ${err.trim()}`),
        );
    });
  });
}

const UNITS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (text) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk: cannot read the latency "${text}"`);
  return Number(m[1]) * UNITS[m[2]];
};

function parseWrk(out) {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1]);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1];
  if (!Number.isFinite(rps) || !p50 || !p99) throw new Error(`wrk: unexpected output:\n${out}`);
  const errors = /^\s+Socket errors:.*$|^\s+Non-2xx.*$/m.exec(out);
  if (errors) throw new Error(`wrk: ${errors[0].trim()}`);
  const requests = Number(/^\s+(\d+) requests in/m.exec(out)?.[1]);
  return { requests, rps, p50Ms: toMs(p50), p99Ms: toMs(p99) };
}

/** Requests per second and p50/p99 latency (ms) of GET / on host:port. */
export async function httpLoad(host, port, seconds = SECONDS) {
  if (wrk) {
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    const out = await run(wrk, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url]);
    return parseWrk(out);
  }
  const out = await run(process.execPath, [
    path.join(here, 'load.mjs'),
    host,
    String(port),
    String(CONNECTIONS),
    String(seconds),
  ]);
  return JSON.parse(out);
}

/** MB/s (10^6 bytes) of one connection reading `bytes` from the bulk server at host:port. */
export async function bulk(host, port, bytes) {
  const out = await run(process.execPath, [
    path.join(here, 'bulk-client.mjs'),
    host,
    String(port),
    String(bytes),
  ]);
  const { seconds } = JSON.parse(out);
  return bytes / seconds / 1e6;
}

export const best = (xs, higherIsBetter = true) => (higherIsBetter ? Math.max(...xs) : Math.min(...xs));
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** p50/p99 ms of requests written in two parts (split-client.mjs), one connection, one at a time. */
export async function splitWrites(host, port, count = SPLIT_REQUESTS) {
  const out = await run(process.execPath, [
    path.join(here, 'split-client.mjs'),
    host,
    String(port),
    String(count),
  ]);
  return JSON.parse(out);
}

/**
 * Direct against proxied, RUNS times each, alternating which goes first so that drift on a noisy
 * machine falls on both. Returns the rows to print.
 */
export async function compare({ runs, direct, proxy, bulkBytes, progress, proxyCpuMs }) {
  // CPU the proxy's process spends per request and per MB: steadier than throughput on a busy machine.
  const cpu = { perRequestUs: [], perMbMs: [] };
  const charged = async (measure, count, into, scale) => {
    const before = proxyCpuMs?.();
    const result = await measure();
    const after = proxyCpuMs?.();
    if (before !== undefined && after !== undefined) into.push(((after - before) * scale) / count(result));
    return result;
  };
  const http = { direct: [], proxy: [] };
  const mbps = { direct: [], proxy: [] };
  // Warm-up: JIT, connection pools, page cache.
  await httpLoad(direct.host, direct.http, 1);
  await httpLoad(proxy.host, proxy.http, 1);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ['direct', 'proxy'] : ['proxy', 'direct'];
    for (const which of order) {
      const target = which === 'direct' ? direct : proxy;
      const measure = () => httpLoad(target.host, target.http);
      const requests = (r) => r.requests;
      http[which].push(
        which === 'proxy' ? await charged(measure, requests, cpu.perRequestUs, 1000) : await measure(),
      );
      progress();
    }
  }
  const split = { direct: [], proxy: [] };
  for (let i = 0; i < runs; i++) {
    for (const which of i % 2 === 0 ? ['direct', 'proxy'] : ['proxy', 'direct']) {
      const target = which === 'direct' ? direct : proxy;
      split[which].push(await splitWrites(target.host, target.http));
      progress();
    }
  }
  if (direct.bulk !== undefined && proxy.bulk !== undefined && bulkBytes > 0) {
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['direct', 'proxy'] : ['proxy', 'direct'];
      for (const which of order) {
        const target = which === 'direct' ? direct : proxy;
        const measure = () => bulk(target.host, target.bulk, bulkBytes);
        const mb = () => bulkBytes / 1e6;
        mbps[which].push(which === 'proxy' ? await charged(measure, mb, cpu.perMbMs, 1) : await measure());
        progress();
      }
    }
  }
  return { http, split, mbps, cpu };
}

const f0 = (x) => x.toFixed(0);
const f2 = (x) => x.toFixed(2);
const f3 = (x) => x.toFixed(3);

/** The table of one comparison: best / median of each figure, and proxy/direct ratios. */
export function table(title, { http, split, mbps, cpu }) {
  const pick = (xs, key) => xs.map((r) => r[key]);
  const rows = [];
  const row = (name, d, p, higherIsBetter, fmt) => {
    const cells = [d, p].map((xs) => `${fmt(best(xs, higherIsBetter))} / ${fmt(median(xs))}`);
    rows.push([
      name,
      ...cells,
      `${f2(best(p, higherIsBetter) / best(d, higherIsBetter))} / ${f2(median(p) / median(d))}`,
    ]);
  };
  row('HTTP req/s', pick(http.direct, 'rps'), pick(http.proxy, 'rps'), true, f0);
  row('HTTP p50 latency ms', pick(http.direct, 'p50Ms'), pick(http.proxy, 'p50Ms'), false, f3);
  row('HTTP p99 latency ms', pick(http.direct, 'p99Ms'), pick(http.proxy, 'p99Ms'), false, f3);
  row('split-write request p50 ms', pick(split.direct, 'p50Ms'), pick(split.proxy, 'p50Ms'), false, f3);
  row('split-write request p99 ms', pick(split.direct, 'p99Ms'), pick(split.proxy, 'p99Ms'), false, f3);
  if (mbps.direct.length > 0) row('bulk, 1 connection, MB/s', mbps.direct, mbps.proxy, true, f0);
  const header = ['', 'direct (best / median)', 'proxy (best / median)', 'proxy/direct (best / median)'];
  const reqRatio = median(pick(http.proxy, 'rps')) / median(pick(http.direct, 'rps'));
  const verdict = `goal: proxy >= 0.80 of direct req/s: median ratio ${f2(reqRatio)} ${reqRatio >= 0.8 ? 'met' : 'NOT met'}`;
  const cost = [];
  if (cpu.perRequestUs.length > 0) cost.push(`${f2(median(cpu.perRequestUs))} µs per request`);
  if (cpu.perMbMs.length > 0) cost.push(`${f2(median(cpu.perMbMs))} ms per MB of bulk`);
  const costLine = cost.length > 0 ? [`proxy process CPU (user + system, median): ${cost.join(', ')}`] : [];
  return [title, ...tableLines(header, rows), ...costLine, verdict].join('\n');
}
