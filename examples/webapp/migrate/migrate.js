// One-shot job: records the schema version in the key-value store, then exits 0.
import { lookup } from 'node:dns/promises';

const kv = await serviceUrl(process.env.KV_URL ?? 'http://kv:7000', 'KV_PORT_7000_TCP');
const res = await fetch(`${kv}/kv/schema_version`, { method: 'PUT', body: '3' });
if (!res.ok) {
  console.error(`migration failed: ${res.status}`);
  process.exit(1);
}
console.log('migrated schema to version 3');

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
