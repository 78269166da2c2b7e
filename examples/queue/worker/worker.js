// Takes jobs from the queue until stopped; each replica reports itself by its replica number.
import { queueUrl } from './queue-url.js';

const queue = await queueUrl();
const me = `worker-${process.env.BERTH_REPLICA ?? process.env.HOSTNAME ?? process.pid}`;
const workMs = Number(process.env.WORK_MS ?? 50);
let running = true;
process.on('SIGTERM', () => {
  running = false;
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
console.log(`${me} taking jobs from ${queue}`);
while (running) {
  try {
    const res = await fetch(`${queue}/take`, { method: 'POST' });
    if (res.status === 204) {
      await sleep(100);
      continue;
    }
    const job = await res.json();
    await sleep(workMs);
    await fetch(`${queue}/done/${job.id}`, { method: 'POST', body: me });
    console.log(`${me} finished job ${job.id}`);
  } catch (error) {
    console.error(`${me}: queue unreachable (${error.message}), retrying`);
    await sleep(500);
  }
}
console.log(`${me} stopped`);
