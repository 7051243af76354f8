// The stream commands through Node.js client libraries, for test/integration/test_node_streams.py:
// XADD, XRANGE, XLEN, XGROUP CREATE MKSTREAM, XREADGROUP, XACK, XPENDING (summary and range),
// XCLAIM, XAUTOCLAIM, XINFO GROUPS / CONSUMERS, XREAD, and an XREAD BLOCK woken by an XADD
// from another connection, each through the library's own method and reply parsing. Prints one
// JSON object of the replies (no clock readings in it); ends on its own.
//   node streams.js ioredis|redis PORT
'use strict';

const [lib, portArg] = process.argv.slice(2);
const port = Number(portArg);

function withDeadline(promise, what, ms = 10000) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadline: ${what} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function runIoredis() {
  const Redis = require('ioredis');
  const opts = { host: '127.0.0.1', port, maxRetriesPerRequest: 1 };
  const c = new Redis(opts);
  const other = new Redis(opts);
  const out = {};
  try {
    out.xadd = [await c.xadd('io:s', '1-1', 'f', 'a'), await c.xadd('io:s', '2-1', 'f', 'b'),
      await c.xadd('io:s', '3-1', 'f', 'c', 'g', 'd')];
    out.xrange = await c.xrange('io:s', '-', '+');
    out.xlen = await c.xlen('io:s');
    out.create = await c.xgroup('CREATE', 'io:s', 'grp', '0', 'MKSTREAM');
    out.busy = await c.xgroup('CREATE', 'io:s', 'grp', '0').catch((e) => e.message);
    out.readgroup = await c.xreadgroup('GROUP', 'grp', 'w1', 'COUNT', 2, 'STREAMS', 'io:s', '>');
    out.readgroup2 = await c.xreadgroup('GROUP', 'grp', 'w2', 'STREAMS', 'io:s', '>');
    out.ack = await c.xack('io:s', 'grp', '1-1');
    out.pending = await c.xpending('io:s', 'grp');
    out.pending_range = (await c.xpending('io:s', 'grp', '-', '+', 10))
      .map(([id, consumer, , count]) => [id, consumer, count]);
    out.claim = await c.xclaim('io:s', 'grp', 'w3', 0, '2-1');
    out.autoclaim = await c.xautoclaim('io:s', 'grp', 'w3', 0, '0', 'COUNT', 5, 'JUSTID');
    out.groups = await c.xinfo('GROUPS', 'io:s');
    out.consumers = (await c.xinfo('CONSUMERS', 'io:s', 'grp')).map((row) => row.slice(0, 4));
    out.xread = await c.xread('COUNT', 1, 'STREAMS', 'io:s', '0');
    const blocked = c.xread('BLOCK', 0, 'STREAMS', 'io:s', '$');
    await new Promise((r) => setTimeout(r, 100));
    await other.xadd('io:s', '9-1', 'late', 'x');
    out.woken = await withDeadline(blocked, 'blocked XREAD');
  } finally {
    c.disconnect();
    other.disconnect();
  }
  return out;
}

async function runNodeRedis() {
  const { createClient } = require('redis');
  const c = createClient({ url: `redis://127.0.0.1:${port}` });
  c.on('error', () => {});
  await withDeadline(c.connect(), 'connect');
  const other = c.duplicate();
  other.on('error', () => {});
  await withDeadline(other.connect(), 'connect');
  const plain = (x) => JSON.parse(JSON.stringify(x));
  const out = {};
  try {
    out.xadd = [await c.xAdd('nr:s', '1-1', { f: 'a' }), await c.xAdd('nr:s', '2-1', { f: 'b' }),
      await c.xAdd('nr:s', '3-1', { f: 'c', g: 'd' })];
    out.xrange = plain(await c.xRange('nr:s', '-', '+'));
    out.xlen = await c.xLen('nr:s');
    out.create = await c.xGroupCreate('nr:s', 'grp', '0', { MKSTREAM: true });
    out.busy = await c.xGroupCreate('nr:s', 'grp', '0').catch((e) => e.message);
    out.readgroup = plain(await c.xReadGroup('grp', 'w1', { key: 'nr:s', id: '>' }, { COUNT: 2 }));
    out.readgroup2 = plain(await c.xReadGroup('grp', 'w2', { key: 'nr:s', id: '>' }));
    out.ack = await c.xAck('nr:s', 'grp', '1-1');
    out.pending = plain(await c.xPending('nr:s', 'grp'));
    out.pending_range = (await c.xPendingRange('nr:s', 'grp', '-', '+', 10))
      .map((p) => [p.id, p.consumer, p.deliveriesCounter]);
    out.claim = plain(await c.xClaim('nr:s', 'grp', 'w3', 0, '2-1'));
    out.autoclaim = plain(await c.xAutoClaimJustId('nr:s', 'grp', 'w3', 0, '0', { COUNT: 5 }));
    out.groups = plain(await c.xInfoGroups('nr:s'));
    out.consumers = (await c.xInfoConsumers('nr:s', 'grp')).map((x) => [x.name, x.pending]);
    out.xread = plain(await c.xRead({ key: 'nr:s', id: '0' }, { COUNT: 1 }));
    const blocked = c.xRead({ key: 'nr:s', id: '$' }, { BLOCK: 0 });
    await new Promise((r) => setTimeout(r, 100));
    await other.xAdd('nr:s', '9-1', { late: 'x' });
    out.woken = plain(await withDeadline(blocked, 'blocked XREAD'));
  } finally {
    await other.quit().catch(() => {});
    await c.quit().catch(() => {});
  }
  return out;
}

(async () => {
  const modes = { ioredis: runIoredis, redis: runNodeRedis };
  if (!modes[lib] || !port) {
    process.stderr.write('usage: node streams.js ioredis|redis PORT\n');
    process.exit(2);
  }
  try {
    process.stdout.write(JSON.stringify(await modes[lib]()) + '\n');
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${lib}: ${e.stack || e}\n`);
    process.exit(1);
  }
})();
