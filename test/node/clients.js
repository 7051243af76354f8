// Drives a server on 127.0.0.1:PORT with a real Node.js client library and prints one JSON
// object of what it saw, for test/integration/test_node_clients.py and test_bullmq.py to check.
//   node clients.js ioredis PORT   basic commands, MULTI/EXEC, WATCH, pub/sub, EVALSHA (ioredis)
//   node clients.js redis PORT     the same with node-redis (npm `redis`)
//   node clients.js redis3 PORT    node-redis speaking RESP3 (HELLO 3; pushes for pub/sub)
//   node clients.js bullmq PORT    BullMQ Queue.add + Worker; reports the commands that failed
// Every mode ends on its own: a step that hangs is cut by a deadline and reported, and the
// process exits when it has printed.
'use strict';

const crypto = require('crypto');

const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg);
const STEP_MS = 10000;

function withDeadline(promise, what, ms = STEP_MS) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadline: ${what} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Resolves with the first `count` messages `subscribe(onMessage)` delivers.
function collect(count, subscribe) {
  return new Promise((resolve) => {
    const got = [];
    subscribe((entry) => {
      got.push(entry);
      if (got.length === count) resolve(got);
    });
  });
}

const SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('INCR', KEYS[2]), ARGV[1]}";

async function runIoredis() {
  const Redis = require('ioredis');
  const opts = { host: '127.0.0.1', port, maxRetriesPerRequest: 1, enableOfflineQueue: true };
  const c = new Redis(opts);
  const sub = new Redis(opts);
  const out = {};
  try {
    out.set = await c.set('io:s', 'v1');
    out.get = await c.get('io:s');
    out.incrby = await c.incrby('io:n', 5);
    await c.hset('io:h', { f1: 'a', f2: 'b' });
    out.hgetall = await c.hgetall('io:h');
    await c.rpush('io:l', 'x', 'y', 'z');
    out.lrange = await c.lrange('io:l', 0, -1);
    out.zadd = await c.zadd('io:z', 2, 'b', 1, 'a');
    out.zrange = await c.zrange('io:z', 0, -1, 'WITHSCORES');
    out.wrongtype = await c.lpush('io:s', 'x').catch((e) => e.message);

    out.multi = await c.multi().set('io:m', '1').incr('io:m').get('io:m').exec();
    out.multi_error = await c.multi().set('io:m2', '1').lpush('io:m2', 'x').get('io:m2').exec()
      .then((r) => r.map(([err, v]) => (err ? `error: ${err.message}` : v)));
    out.queue_error = await c.multi().set('io:m3', '1').call('NOSUCHCMD').exec()
      .catch((e) => e.message.split('.')[0]);

    // WATCH from a second connection's write: EXEC answers null.
    const w = new Redis(opts);
    await w.watch('io:watched');
    await c.set('io:watched', 'changed');
    out.watch_aborted = await w.multi().set('io:watched', 'mine').exec();
    out.watched_value = await c.get('io:watched');
    w.disconnect();

    // Pub/sub: one channel and one pattern on a subscriber connection.
    const messages = collect(3, (push) => {
      sub.on('message', (ch, msg) => push(['message', ch, msg]));
      sub.on('pmessage', (pat, ch, msg) => push(['pmessage', pat, ch, msg]));
    });
    out.subscribe = await sub.subscribe('io:ch');
    out.psubscribe = await sub.psubscribe('io:news.*');
    out.publish = [
      await c.publish('io:ch', 'hello'),
      await c.publish('io:news.sport', 'goal'),
      await c.publish('io:ch', 'bye'),
    ];
    out.messages = await withDeadline(messages, 'pub/sub messages');

    // Scripts: defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT.
    c.defineCommand('setAndCount', { numberOfKeys: 2, lua: SCRIPT });
    await c.script('FLUSH');
    out.script_first = await c.setAndCount('io:k', 'io:cnt', 'one');
    out.script_again = await c.setAndCount('io:k', 'io:cnt', 'two');
    const sha = crypto.createHash('sha1').update(SCRIPT).digest('hex');
    out.script_load_sha = (await c.script('LOAD', SCRIPT)) === sha;
    out.evalsha = await c.evalsha(sha, 2, 'io:k', 'io:cnt', 'three');
    out.evalsha_missing = await c.evalsha('0'.repeat(40), 0).catch((e) => e.message);
    out.script_key = await c.get('io:k');
  } finally {
    c.disconnect();
    sub.disconnect();
  }
  return out;
}

async function runNodeRedis(resp = 2) {
  const { createClient, defineScript } = require('redis');
  const url = `redis://127.0.0.1:${port}`;
  const c = createClient({
    url,
    RESP: resp,
    scripts: {
      setAndCount: defineScript({
        NUMBER_OF_KEYS: 2,
        SCRIPT,
        parseCommand(parser, k1, k2, value) {
          parser.pushKeys([k1, k2]);
          parser.push(value);
        },
        transformReply: (reply) => reply,
      }),
    },
  });
  c.on('error', () => {});
  await withDeadline(c.connect(), 'connect');
  const sub = c.duplicate();
  sub.on('error', () => {});
  await withDeadline(sub.connect(), 'connect subscriber');
  const out = {};
  try {
    out.set = await c.set('nr:s', 'v1');
    out.get = await c.get('nr:s');
    out.incrby = await c.incrBy('nr:n', 5);
    await c.hSet('nr:h', { f1: 'a', f2: 'b' });
    out.hgetall = { ...(await c.hGetAll('nr:h')) };
    await c.rPush('nr:l', ['x', 'y', 'z']);
    out.lrange = await c.lRange('nr:l', 0, -1);
    out.wrongtype = await c.lPush('nr:s', 'x').catch((e) => e.message);

    out.multi = await c.multi().set('nr:m', '1').incr('nr:m').get('nr:m').exec();
    out.multi_error = await c.multi().set('nr:m2', '1').lPush('nr:m2', 'x').get('nr:m2').exec()
      .then((r) => r.map((v) => (v instanceof Error ? `error: ${v.message}` : v)))
      .catch((e) => `exec error: ${e.message}`);

    // WATCH from another connection's write: the transaction is aborted.
    const w = c.duplicate();
    w.on('error', () => {});
    await w.connect();
    await w.watch('nr:watched');
    await c.set('nr:watched', 'changed');
    out.watch_aborted = await w.multi().set('nr:watched', 'mine').exec()
      .then((r) => ({ replies: r }), (e) => ({ error: e.constructor.name }));
    out.watched_value = await c.get('nr:watched');
    await w.quit();

    const messages = collect(3, (push) => {
      out.subscribed = Promise.all([
        sub.subscribe('nr:ch', (msg, ch) => push(['message', ch, msg])),
        sub.pSubscribe('nr:news.*', (msg, ch) => push(['pmessage', 'nr:news.*', ch, msg])),
      ]);
    });
    await withDeadline(out.subscribed, 'subscribe');
    delete out.subscribed;
    out.publish = [
      await c.publish('nr:ch', 'hello'),
      await c.publish('nr:news.sport', 'goal'),
      await c.publish('nr:ch', 'bye'),
    ];
    out.messages = await withDeadline(messages, 'pub/sub messages');

    await c.scriptFlush();
    out.script_first = await c.setAndCount('nr:k', 'nr:cnt', 'one');
    out.script_again = await c.setAndCount('nr:k', 'nr:cnt', 'two');
    const sha = await c.scriptLoad(SCRIPT);
    out.script_load_sha = sha === crypto.createHash('sha1').update(SCRIPT).digest('hex');
    out.evalsha = await c.evalSha(sha, { keys: ['nr:k', 'nr:cnt'], arguments: ['three'] });
    out.evalsha_missing = await c.evalSha('0'.repeat(40)).catch((e) => e.message);
    out.script_key = await c.get('nr:k');

    if (resp === 3) {
      // RESP3: one connection subscribes, keeps running commands and gets its own message.
      let subscribed;
      const own = collect(1, (push) => { subscribed = c.subscribe('nr:same', (msg) => push(msg)); });
      await withDeadline(subscribed, 'subscribe on the command connection');
      out.get_while_subscribed = await c.get('nr:s');
      out.publish_while_subscribed = await c.publish('nr:same', 'self');
      out.own_messages = await withDeadline(own, 'own message');
      await c.unsubscribe('nr:same');
    }
  } finally {
    await sub.quit().catch(() => {});
    await c.quit().catch(() => {});
  }
  return out;
}

// BullMQ's queue logic is Lua scripts; an error names the script by SHA1 and the line it
// stopped at. The line of the script BullMQ sent names the command the server refused.
function bullmqScriptsBySha() {
  const scripts = require('bullmq/dist/cjs/scripts');
  const bySha = new Map();
  for (const s of Object.values(scripts)) {
    bySha.set(crypto.createHash('sha1').update(s.content).digest('hex'), s);
  }
  return bySha;
}

function failedCommand(message, bySha) {
  let m = /unknown command '([^']+)'/i.exec(message);
  if (m) return { command: m[1].toUpperCase(), where: 'client' };
  m = /Unknown Redis command called from script script: ([0-9a-f]{40}), on @user_script:(\d+)/
    .exec(message);
  if (m) {
    const script = bySha.get(m[1]);
    const line = script ? script.content.split('\n')[Number(m[2]) - 1] : '';
    const cmd = /(?:rcall|redis\.p?call)\(\s*["']([A-Za-z]+)["']/.exec(line || '');
    return { command: cmd ? cmd[1].toUpperCase() : `?${m[1]}:${m[2]}`,
      where: script ? script.name : 'unknown script' };
  }
  return null;
}

async function runBullmq() {
  const { Queue, Worker } = require('bullmq');
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const bySha = bullmqScriptsBySha();
  const out = { added: [], add_errors: [], completed: {}, failed: [], missing: {}, other_errors: [] };
  const note = (message) => {
    const f = failedCommand(message, bySha);
    if (f) {
      out.missing[f.command] = out.missing[f.command] || [];
      if (!out.missing[f.command].includes(f.where)) out.missing[f.command].push(f.where);
    } else if (!out.other_errors.includes(message)) {
      out.other_errors.push(message);
    }
  };

  // Every command name in BullMQ's scripts: what a server must have for its Lua side.
  out.script_commands = [...new Set([...bySha.values()].flatMap(
    (s) => [...s.content.matchAll(/(?:rcall|redis\.p?call)\(\s*["']([A-Za-z]+)["']/g)].map((m) => m[1].toUpperCase())))].sort();

  const queue = new Queue('kvq', { connection });
  queue.on('error', (e) => note(e.message));
  const jobs = 3;
  let worker;
  const allDone = new Promise((resolve) => {
    worker = new Worker('kvq', async (job) => {
      if (job.data.fail) throw new Error('job asked to fail');
      return job.data.x * 2;
    }, { connection, drainDelay: 1, autorun: true });
    worker.on('error', (e) => note(e.message));
    worker.on('completed', (job, value) => {
      out.completed[job.name] = value;
      if (Object.keys(out.completed).length + out.failed.length === jobs) resolve();
    });
    worker.on('failed', (job, err) => {
      out.failed.push([job.name, err.message]);
      if (Object.keys(out.completed).length + out.failed.length === jobs) resolve();
    });
  });
  for (const [name, data] of [['a', { x: 1 }], ['b', { x: 20 }], ['c', { fail: true }]]) {
    try {
      const job = await withDeadline(queue.add(name, data, { attempts: 1 }), `add ${name}`);
      out.added.push(name + ':' + job.id);
    } catch (e) {
      out.add_errors.push(name);
      note(e.message);
    }
  }
  if (out.add_errors.length === 0) {
    await withDeadline(allDone, 'jobs').catch((e) => out.other_errors.push(e.message));
    out.counts = await withDeadline(queue.getJobCounts('completed', 'failed', 'wait'), 'counts')
      .catch((e) => { note(e.message); return null; });
  } else {
    // Let the worker run its fetch loop for a moment so its failures are recorded too.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await withDeadline(worker.close(true), 'worker close').catch((e) => out.other_errors.push(e.message));
  await withDeadline(queue.close(), 'queue close').catch((e) => out.other_errors.push(e.message));
  for (const k of Object.keys(out.missing)) out.missing[k].sort();
  return out;
}

const modes = {
  ioredis: runIoredis,
  redis: () => runNodeRedis(2),
  redis3: () => runNodeRedis(3),
  bullmq: runBullmq,
};

(async () => {
  if (!modes[mode] || !port) {
    process.stderr.write('usage: node clients.js ioredis|redis|redis3|bullmq PORT\n');
    process.exit(2);
  }
  let code = 0;
  try {
    process.stdout.write(JSON.stringify(await modes[mode]()) + '\n');
  } catch (e) {
    process.stderr.write(`${mode}: ${e.stack || e}\n`);
    code = 1;
  }
  process.exit(code);
})();
