// One-shot job: records the schema version in the key-value store, then exits 0.
// Docker's link variables when berth runs services on the host network, else the service name.
const kv = process.env.KV_PORT_7000_TCP_ADDR
  ? `http://${process.env.KV_PORT_7000_TCP_ADDR}:${process.env.KV_PORT_7000_TCP_PORT}`
  : (process.env.KV_URL ?? 'http://127.0.0.1:7000');
const res = await fetch(`${kv}/kv/schema_version`, { method: 'PUT', body: '3' });
if (!res.ok) {
  console.error(`migration failed: ${res.status}`);
  process.exit(1);
}
console.log('migrated schema to version 3');
