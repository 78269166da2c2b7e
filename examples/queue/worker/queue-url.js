// Where the queue listens: Docker's link variables when berth runs services on the host network,
// else the service name, as in any compose file.
export function queueUrl() {
  const addr = process.env.QUEUE_PORT_7100_TCP_ADDR;
  const port = process.env.QUEUE_PORT_7100_TCP_PORT;
  if (addr && port) return `http://${addr}:${port}`;
  return process.env.QUEUE_URL ?? 'http://127.0.0.1:7100';
}
