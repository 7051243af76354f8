// BullMQ end to end against a server on 127.0.0.1:PORT, for test/integration/test_bullmq.py:
// a worker at concurrency 4 runs jobs that complete and fail, a QueueEvents listener (XREAD
// BLOCK on the events stream) receives completed, failed and progress, delayed jobs, retries
// with backoff, priorities, getJobCounts / clean / obliterate, a FlowProducer parent that
// sees its children's values, a job scheduler, a rate-limited worker. Prints one JSON object
// of what it saw; every step is cut by a deadline, and the whole run ends on its own.
//   node bullmq_e2e.js PORT
'use strict';

const { Queue, Worker, QueueEvents, FlowProducer } = require('bullmq');

const port = Number(process.argv[2]);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const STEP_MS = 20000;

function withDeadline(promise, what, ms = STEP_MS) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadline: ${what} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Resolves once check() holds, polling every few milliseconds.
function until(check) {
  return new Promise((resolve) => {
    const tick = () => (check() ? resolve() : setTimeout(tick, 10));
    tick();
  });
}

const out = { errors: [] };
const closers = [];
const note = (e) => { if (!out.errors.includes(e.message)) out.errors.push(e.message); };
function track(x) { x.on('error', note); closers.push(x); return x; }

async function basics() {
  const queue = track(new Queue('e2e', { connection }));
  const events = track(new QueueEvents('e2e', { connection }));
  await withDeadline(events.waitUntilReady(), 'events ready');
  const seen = { completed: {}, failed: {}, progress: {} };
  events.on('completed', ({ jobId, returnvalue }) => { seen.completed[jobId] = returnvalue; });
  events.on('failed', ({ jobId, failedReason }) => { seen.failed[jobId] = failedReason; });
  events.on('progress', ({ jobId, data }) => { seen.progress[jobId] = data; });
  const runs = {};
  let running = 0;
  let maxRunning = 0;
  const worker = track(new Worker('e2e', async (job) => {
    runs[job.name] = (runs[job.name] || 0) + 1;
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    try {
      await new Promise((r) => setTimeout(r, 20));
      if (job.name === 'progress') await job.updateProgress(50);
      if (job.name.startsWith('fail')) throw new Error(`failed ${job.name}`);
      if (job.name === 'retry' && job.attemptsMade < 2) throw new Error('not yet');
      return job.data.x * 2;
    } finally {
      running -= 1;
    }
  }, { connection, concurrency: 4, drainDelay: 1 }));
  const ids = {};
  for (let i = 0; i < 20; i++) ids[`n${i}`] = (await queue.add(`n${i}`, { x: i })).id;
  for (let i = 0; i < 3; i++) ids[`fail${i}`] = (await queue.add(`fail${i}`, { x: 0 })).id;
  ids.progress = (await queue.add('progress', { x: 5 })).id;
  ids.retry = (await queue.add('retry', { x: 7 }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } })).id;
  const delayed = await queue.add('delayed', { x: 9 }, { delay: 300 });
  ids.delayed = delayed.id;
  const total = Object.keys(ids).length;
  await withDeadline(until(() => Object.keys(seen.completed).length + Object.keys(seen.failed).length >= total),
    'events for every job');
  const delayedJob = await queue.getJob(ids.delayed);
  out.basics = {
    runs,
    concurrent: maxRunning > 1,
    completed: Object.fromEntries(Object.entries(ids).filter(([, id]) => id in seen.completed)
      .map(([name, id]) => [name, Number(seen.completed[id])])),
    failed: Object.fromEntries(Object.entries(ids).filter(([, id]) => id in seen.failed)
      .map(([name, id]) => [name, seen.failed[id]])),
    progress: seen.progress[ids.progress],
    delayed_waited: delayedJob.processedOn - delayedJob.timestamp >= 300,
    counts: await queue.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed'),
  };
  out.basics.cleaned = (await queue.clean(0, 1000, 'completed')).length;
  out.basics.after_clean = await queue.getJobCounts('completed', 'failed');
  await worker.close();
  await queue.obliterate({ force: true });
}

async function priorities() {
  const queue = track(new Queue('prio', { connection }));
  for (const [name, priority] of [['low', 10], ['high', 1], ['mid', 5], ['plain', 0]]) {
    await queue.add(name, {}, priority ? { priority } : {});
  }
  const order = [];
  const worker = track(new Worker('prio', async (job) => { order.push(job.name); },
    { connection, concurrency: 1, drainDelay: 1 }));
  await withDeadline(until(() => order.length === 4), 'priority jobs');
  await worker.close();
  out.priorities = order;
}

async function flows() {
  const flow = track(new FlowProducer({ connection }));
  const results = {};
  const worker = track(new Worker('flow', async (job) => {
    if (job.name === 'parent') {
      results.parent = Object.values(await job.getChildrenValues()).sort((a, b) => a - b);
      return 'done';
    }
    return job.data.v;
  }, { connection, concurrency: 2, drainDelay: 1 }));
  await flow.add({ name: 'parent', queueName: 'flow', children: [
    { name: 'child', queueName: 'flow', data: { v: 3 } },
    { name: 'child', queueName: 'flow', data: { v: 4 } },
  ] });
  await withDeadline(until(() => results.parent), 'flow parent');
  await worker.close();
  out.flow = results.parent;
}

async function schedulers() {
  const queue = track(new Queue('sched', { connection }));
  let ticks = 0;
  const worker = track(new Worker('sched', async () => { ticks += 1; },
    { connection, drainDelay: 1 }));
  await queue.upsertJobScheduler('every-100', { every: 100 }, { name: 'tick', data: {} });
  await withDeadline(until(() => ticks >= 3), 'scheduled ticks');
  await queue.removeJobScheduler('every-100');
  await worker.close();
  out.scheduler_ticks = ticks >= 3;
  out.schedulers_left = (await queue.getJobSchedulers()).length;
}

async function rateLimit() {
  const queue = track(new Queue('rl', { connection }));
  const processed = [];
  const worker = track(new Worker('rl', async (job) => { processed.push(job.name); },
    { connection, concurrency: 4, limiter: { max: 2, duration: 400 }, drainDelay: 1 }));
  for (let i = 0; i < 6; i++) await queue.add(`r${i}`, {});
  await withDeadline(until(() => processed.length === 6), 'rate-limited jobs');
  await worker.close();
  const jobs = await queue.getJobs(['completed']);
  const times = jobs.map((j) => j.processedOn).sort((a, b) => a - b);
  // Two per window of 400 ms: six jobs span at least two windows.
  out.rate_limited = { all: processed.length, span_ok: times[5] - times[0] >= 800 };
}

(async () => {
  let code = 0;
  try {
    for (const [name, step] of [['basics', basics], ['priorities', priorities], ['flows', flows],
      ['schedulers', schedulers], ['rate_limit', rateLimit]]) {
      await step().catch((e) => { out.errors.push(`${name}: ${e.message}`); });
    }
  } catch (e) {
    out.errors.push(e.message);
  }
  for (const c of closers.reverse()) {
    await withDeadline(c.close(), 'close', 5000).catch((e) => note(e));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(code);
})();
