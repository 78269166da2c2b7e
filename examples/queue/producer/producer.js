// Enqueues JOBS jobs, then exits 0.
import { queueUrl } from './queue-url.js';

const queue = await queueUrl();
const jobs = Number(process.env.JOBS ?? 30);
for (let i = 1; i <= jobs; i++) {
  const res = await fetch(`${queue}/jobs`, { method: 'POST', body: `job ${i}` });
  if (!res.ok) {
    console.error(`enqueue failed: ${res.status}`);
    process.exit(1);
  }
}
console.log(`enqueued ${jobs} jobs`);
