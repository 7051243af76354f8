// One measurement of scripts/bench-bullmq.sh: BullMQ jobs per second against the server on
// 127.0.0.1:PORT. A Worker (concurrency CONCURRENCY) starts on an empty queue; then one producer
// adds JOBS jobs one after another (each add awaited, as an application adds them) while the
// worker runs them; the rate is JOBS over the time from the first add to the last completion.
// Checked: every job ran exactly once with its own data and completed exactly once with its
// return value, none failed, and the queue's counts are JOBS completed and nothing else.
// Prints one JSON object: {jobs, concurrency, seconds, jobs_per_second, errors}; exits 1 when a
// check failed or the run did not finish within its deadline.
//   NODE_PATH=test/node/node_modules node scripts/lib/bench-bullmq.js PORT [JOBS [CONCURRENCY]]
'use strict';

const { Queue, Worker } = require('bullmq');

const port = Number(process.argv[2]);
const jobs = Number(process.argv[3] || 5000);
const concurrency = Number(process.argv[4] || 8);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const DEADLINE_MS = 600000;

(async () => {
  const errors = [];
  const note = (e) => { if (errors.length < 20) errors.push(String(e && e.message || e)); };
  const ran = new Uint32Array(jobs);
  const completed = new Uint32Array(jobs);
  let completions = 0;
  let t1 = 0;
  let finish;
  const allDone = new Promise((resolve) => { finish = resolve; });

  const queue = new Queue('bench', { connection });
  queue.on('error', note);
  await queue.obliterate({ force: true });
  const worker = new Worker('bench', async (job) => {
    const i = job.data.i;
    if (job.name !== `j${i}`) throw new Error(`job ${job.name} carries i=${i}`);
    ran[i] += 1;
    return i * 2;
  }, { connection, concurrency });
  worker.on('error', note);
  worker.on('failed', (job, err) => note(`job ${job && job.name} failed: ${err.message}`));
  worker.on('completed', (job, value) => {
    const i = job.data.i;
    completed[i] += 1;
    if (value !== i * 2) note(`job ${job.name} returned ${value}`);
    completions += 1;
    if (completions === jobs) {
      t1 = process.hrtime.bigint();
      finish();
    }
  });
  await worker.waitUntilReady();

  const deadline = setTimeout(() => {
    note(`deadline: ${completions} of ${jobs} completed`);
    finish();
  }, DEADLINE_MS);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < jobs; i++) {
    await queue.add(`j${i}`, { i });
  }
  await allDone;
  clearTimeout(deadline);
  const seconds = t1 ? Number(t1 - t0) / 1e9 : 0;

  for (let i = 0; i < jobs; i++) {
    if (ran[i] !== 1) note(`job j${i} ran ${ran[i]} times`);
    if (completed[i] !== 1) note(`job j${i} completed ${completed[i]} times`);
  }
  await worker.close();
  const counts = await queue.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed');
  const want = { completed: jobs, failed: 0, wait: 0, active: 0, delayed: 0 };
  if (Object.keys(want).some((k) => counts[k] !== want[k])) {
    note(`job counts ${JSON.stringify(counts)}`);
  }
  await queue.close();
  const out = { jobs, concurrency, seconds, jobs_per_second: seconds ? jobs / seconds : 0, errors };
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(errors.length ? 1 : 0);
})().catch((e) => {
  process.stdout.write(JSON.stringify({ errors: [String(e && e.stack || e)] }) + '\n');
  process.exit(1);
});
