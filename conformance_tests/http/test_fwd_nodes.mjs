// SPDX-License-Identifier: Apache-2.0
// Forwarding with two scolar nodes on one PostgreSQL database (issues 17 and 19, lrs/fwd_nodes.c):
// one node at a time sends for a forwarder (a lease in the database), and definitions changed
// through one node hold on the other within a second or two. A receiver of our own counts the
// deliveries of every statement id, so a row sent by both nodes shows as a duplicate.
//  - a forwarder created through A: statements written through A and B arrive once each;
//    pause through B stops A's sending, resume through A sends the rest once; delete through B
//    stops it on A;
//  - kill -9 of the node holding the lease: the other delivers the rest within the lease time
//    (FWD_LEASE_TTL_MS 10 s + FWD_SYNC_MS 1 s), nothing lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNodes } from '../lib/server.mjs';

const ACTOR = { objectType: 'Agent', mbox: 'mailto:fwdnodes@example.org' };
const VERB = { id: 'http://adlnet.gov/expapi/verbs/experienced' };
const stmt = (id) => ({ id, actor: ACTOR, verb: VERB, object: { id: 'http://ex.org/fwdnodes' } });

async function until(what, fn, ms = 30000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

// Records how often each statement id was delivered.
async function receiver() {
  const r = { count: new Map(), requests: 0 };
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      r.requests++;
      let batch;
      try { batch = JSON.parse(body); } catch { batch = null; }
      if (!Array.isArray(batch)) { res.writeHead(400); res.end('not an array'); return; }
      for (const s of batch) r.count.set(s.id, (r.count.get(s.id) || 0) + 1);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(batch.map((s) => s.id)));
    });
  });
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${srv.address().port}/xapi/`;
  r.has = (ids) => ids.every((id) => r.count.has(id));
  r.close = () => new Promise((ok) => { srv.closeAllConnections(); srv.close(ok); });
  return r;
}

async function write(node, n) {
  const ids = Array.from({ length: n }, () => randomUUID());
  const p = await node.req('POST', '/xapi/statements', { body: ids.map(stmt) });
  assert.equal(p.status, 200, p.text);
  return ids;
}

function exactlyOnce(rcv, ids, what) {
  const dup = ids.filter((id) => rcv.count.get(id) !== 1);
  assert.deepEqual(dup.map((id) => [id, rcv.count.get(id)]), [], `${what}: each id delivered exactly once`);
}

async function status(node, id) {
  const r = await node.req('GET', `/api/forwarders/${id}`);
  return r.status === 200 ? r.json : null;
}

test('a forwarder created through A: writes through A and B arrive once; pause, resume and delete hold on both', async () => {
  const rcv = await receiver();
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    const c = await a.req('POST', '/api/forwarders', { body: { url: rcv.url, retry_initial_ms: 50 } });
    assert.equal(c.status, 201, c.text);
    const id = c.json.id;
    await until('B to know the forwarder A created', () => status(b, id), 5000);

    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(...await write(i % 2 ? b : a, 10));
    await until('all 200 statements at the target', () => rcv.has(ids), 30000);
    await sleep(1500); // a second sender would have sent them again by now
    exactlyOnce(rcv, ids, 'written through A and B');
    assert.equal(rcv.count.size, 200, 'nothing else delivered');
    const held = [(await status(a, id)).status.lease_held, (await status(b, id)).status.lease_held];
    assert.equal(held.filter(Boolean).length, 1, `one node holds the lease: ${held}`);
    for (const [n, name] of [[a, 'A'], [b, 'B']]) {
      const st = (await status(n, id)).status; // counters of the shared outbox, on either node
      assert.deepEqual([st.sent, st.queued, st.failed], [200, 0, 0], `${name}'s status: ${JSON.stringify(st)}`);
    }

    // pause through B: A stops too (whichever sends)
    assert.equal((await b.req('POST', `/api/forwarders/${id}/pause`)).json.paused, true);
    await until('A to see the pause', async () => (await status(a, id))?.status.state === 'paused', 5000);
    const held2 = [...await write(a, 10), ...await write(b, 10)];
    await sleep(3000);
    assert.deepEqual(held2.filter((x) => rcv.count.has(x)), [], 'nothing sent while paused through B');
    assert.equal((await status(a, id)).status.queued, 20, 'the rows wait');

    // resume through A: the rest arrives once
    assert.equal((await a.req('POST', `/api/forwarders/${id}/resume`)).json.paused, false);
    await until('the rows written while paused', () => rcv.has(held2), 20000);
    await sleep(1500);
    exactlyOnce(rcv, [...ids, ...held2], 'after the resume');

    // delete through B: A stops and forgets it
    assert.equal((await b.req('DELETE', `/api/forwarders/${id}`)).status, 204);
    await until('A to drop the deleted forwarder', async () => (await a.req('GET', `/api/forwarders/${id}`)).status === 404, 5000);
    const after = [...await write(a, 5), ...await write(b, 5)];
    await sleep(2000);
    assert.deepEqual(after.filter((x) => rcv.count.has(x)), [], 'nothing sent for a deleted forwarder');
  } finally {
    await stop();
    await rcv.close();
  }
});

test('a forwarder created through A gets the statements written through B right after, before B syncs', async () => {
  // The filter is stored with the forwarder, and every node's writer reads the filters'
  // version in its own transaction (statements/stmt_outbox_spec.c): no wait for B's definition
  // sync (lrs/fwd_nodes.c, every second) before B queues rows for it.
  const rcv = await receiver();
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    const act = `http://ex.org/fwdnodes/${randomUUID()}`;
    const mine = (id) => ({ id, actor: ACTOR, verb: VERB, object: { id: act } });
    const c = await a.req('POST', '/api/forwarders', {
      body: { url: rcv.url, retry_initial_ms: 50, filter: { activity: act } },
    });
    assert.equal(c.status, 201, c.text);
    const id = c.json.id;
    // at once, no sleep: B has not synced yet (its status still says 404 right after)
    const ids = [], others = [];
    for (let i = 0; i < 10; i++) {
      const batch = Array.from({ length: 5 }, () => randomUUID());
      const other = randomUUID();
      const p = await b.req('POST', '/xapi/statements', { body: [...batch.map(mine), stmt(other)] });
      assert.equal(p.status, 200, p.text);
      ids.push(...batch);
      others.push(other);
    }
    await until('every statement written through B at the target', () => rcv.has(ids), 30000);
    await sleep(1500);
    exactlyOnce(rcv, ids, 'written through B right after the creation through A');
    assert.deepEqual(others.filter((x) => rcv.count.has(x)), [], 'the filter holds on B: other activities are not sent');
    for (const n of [a, b]) {
      const st = (await status(n, id)).status;
      assert.deepEqual([st.sent, st.queued], [50, 0], JSON.stringify(st));
    }
    // deleted through A, written through B at once: no row is queued for it any more
    assert.equal((await a.req('DELETE', `/api/forwarders/${id}`)).status, 204);
    const after = Array.from({ length: 5 }, () => randomUUID());
    assert.equal((await b.req('POST', '/xapi/statements', { body: after.map(mine) })).status, 200);
    await sleep(2500);
    assert.deepEqual(after.filter((x) => rcv.count.has(x)), [], 'nothing sent for the deleted forwarder');
  } finally {
    await stop();
    await rcv.close();
  }
});

test('kill -9 of the node holding the lease: the other delivers the rest within the lease time', async () => {
  const rcv = await receiver();
  const { nodes, stop } = await startNodes(2);
  try {
    const [a, b] = nodes;
    const c = await a.req('POST', '/api/forwarders', { body: { url: rcv.url, retry_initial_ms: 50 } });
    assert.equal(c.status, 201, c.text);
    const id = c.json.id;
    await until('B to know the forwarder', () => status(b, id), 5000);
    const first = [...await write(a, 20), ...await write(b, 20)];
    await until('the first statements', () => rcv.has(first), 30000);
    const holder = await until('a lease holder', async () => {
      for (const n of nodes) if ((await status(n, id))?.status.lease_held) return n;
      return null;
    }, 15000);
    const other = holder === a ? b : a;
    assert.equal((await status(other, id)).status.lease_held, false, 'one holder only');

    // writes through the survivor straight before and after the kill
    const before = await write(other, 30);
    const t0 = Date.now();
    assert.equal(await holder.stop('SIGKILL'), 'SIGKILL');
    const rest = [...before];
    for (let i = 0; i < 5; i++) rest.push(...await write(other, 20));
    await until('the rest, from the surviving node', () => rcv.has(rest), 10000 + 1000 + 9000);
    const took = Date.now() - t0;
    assert.ok(took < 10000 + 1000 + 9000, `delivered ${took} ms after the kill`);
    assert.equal((await status(other, id)).status.lease_held, true, 'the survivor holds the lease');
    // rows the killed node delivered but had not deleted may come again (at-least-once);
    // the ones written after the kill come once
    await sleep(1500);
    exactlyOnce(rcv, rest.slice(30), 'written after the kill');
    assert.equal((await status(other, id)).status.queued, 0, 'nothing left queued');
    console.log(`takeover: all delivered ${took} ms after kill -9; duplicates of earlier rows: ` +
      `${[...first, ...before].filter((x) => rcv.count.get(x) > 1).length}`);
  } finally {
    await stop('SIGKILL');
    await rcv.close();
  }
});
