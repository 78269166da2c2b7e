// Where the queue listens: its service name, as in any compose file (QUEUE_URL). When berth runs
// services on the host network, names do not resolve; Docker's link variables say where it is then.
import { lookup } from 'node:dns/promises';

export async function queueUrl() {
  const url = process.env.QUEUE_URL ?? 'http://queue:7100';
  const resolves = await lookup(new URL(url).hostname).then(
    () => true,
    () => false,
  );
  const addr = process.env.QUEUE_PORT_7100_TCP_ADDR;
  const port = process.env.QUEUE_PORT_7100_TCP_PORT;
  return resolves || !addr || !port ? url : `http://${addr}:${port}`;
}
