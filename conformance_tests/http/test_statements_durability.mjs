// SPDX-License-Identifier: Apache-2.0
// Durability and concurrency (issue 3):
//  - kill -9 in the middle of concurrent ingest, 20 times: no acknowledged statement lost, no
//    half-written batch, and the id table and the indexes (folded in epochs of 50 statements
//    here, so kills land across many epoch boundaries) agree with the statements;
//  - 16 clients posting and querying for 30 s: every acknowledged statement present once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tempDir } from '../lib/server.mjs';
import { agent, statement, uuid, fetchAll, waitConsistent } from '../lib/xapi.mjs';

const CYCLES = Number(process.env.SCOLAR_TEST_KILL_CYCLES || 20);
const CONC_SECONDS = Number(process.env.SCOLAR_TEST_CONC_SECONDS || 30);
const EPOCHS = { SCOLAR_FOLD_EPOCH: '50' };

function makeBatch(tag) {
  const n = 1 + Math.floor(Math.random() * 20);
  const ids = [];
  const body = [];
  for (let i = 0; i < n; i++) {
    const id = uuid();
    ids.push(id);
    body.push(statement({ id, actor: agent(`w${tag}`), object: `http://example.com/kill/${tag}` }));
  }
  return { ids, body };
}

test(`kill -9 during concurrent ingest, ${CYCLES} cycles: acknowledged statements survive, batches are atomic`, async () => {
  const dataDir = tempDir();
  const acked = new Set();
  const sent = []; // every batch sent, acked or not
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const s = await startServer({ dataDir, env: EPOCHS });
      let stop = false;
      const writer = async (w) => {
        while (!stop) {
          const b = makeBatch(`${cycle}-${w}`);
          sent.push(b);
          try {
            const r = await fetch(`${s.base}/xapi/statements`, {
              method: 'POST',
              headers: { Authorization: 'Basic ' + Buffer.from('test-admin:test-secret-with:colon').toString('base64'),
                'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' },
              body: JSON.stringify(b.body),
            });
            if (r.status === 200) {
              const ids = await r.json();
              assert.deepEqual(ids, b.ids);
              for (const id of ids) acked.add(id);
            } else {
              await r.arrayBuffer();
            }
          } catch { /* connection cut by the kill: indeterminate */ }
        }
      };
      const before = acked.size;
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      // kill in the middle of ingest: once this cycle has had acknowledgements, after a
      // random further delay (sanitizer builds start slowly, so a fixed delay could hit
      // before the first commit)
      for (let i = 0; i < 400 && acked.size === before; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 500));
      s.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await s.stop();
    }
    const s = await startServer({ dataDir, env: EPOCHS });
    try {
      await waitConsistent(s);
      const present = new Map();
      const all = await fetchAll(s, 'ascending=true');
      for (const st of all) present.set(st.id, (present.get(st.id) || 0) + 1);
      const lost = [...acked].filter((id) => !present.has(id));
      assert.equal(lost.length, 0, `${lost.length} acknowledged statements lost of ${acked.size}`);
      for (const [id, n] of present) assert.equal(n, 1, `statement ${id} present ${n} times`);
      let half = 0;
      for (const b of sent) {
        const k = b.ids.filter((id) => present.has(id)).length;
        if (k !== 0 && k !== b.ids.length) half++;
      }
      assert.equal(half, 0, 'no half-written batch');
      assert.ok(acked.size > 0, 'some statements were acknowledged');
      // The indexes: a query by each writer's agent (walks the agent term epoch by epoch)
      // returns exactly the stored statements of that agent.
      const byAgent = new Map();
      for (const st of all) {
        const k = st.actor.mbox;
        if (!byAgent.has(k)) byAgent.set(k, []);
        byAgent.get(k).push(st.id);
      }
      for (const [mbox, ids] of byAgent) {
        const got = await fetchAll(s, `agent=${encodeURIComponent(JSON.stringify({ mbox }))}&ascending=true`);
        assert.deepEqual(got.map((x) => x.id), ids, `query by agent ${mbox}`);
      }
      // The id table: GET ?statementId= for a sample of the acknowledged statements.
      const sample = [...acked].sort(() => Math.random() - 0.5).slice(0, 300);
      for (const id of sample) {
        const r = await s.req('GET', `/xapi/statements?statementId=${id}`);
        assert.equal(r.status, 200, `statementId ${id}`);
        assert.equal(r.json.id, id);
      }
      const chk = await s.req('GET', '/healthz');
      assert.equal(chk.status, 200);
    } finally {
      await s.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test(`16 clients posting and querying for ${CONC_SECONDS} s: every acknowledged statement present exactly once`, async () => {
  const s = await startServer();
  try {
    const acked = [];
    const deadline = Date.now() + CONC_SECONDS * 1000;
    let queries = 0, errors = 0;
    const poster = async (w) => {
      while (Date.now() < deadline) {
        const b = makeBatch(`c${w}`);
        const r = await s.req('POST', '/xapi/statements', { body: b.body.length === 1 ? b.body[0] : b.body });
        if (r.status === 200) acked.push(...r.json);
        else errors++;
      }
    };
    const querier = async (w) => {
      while (Date.now() < deadline) {
        const a = encodeURIComponent(JSON.stringify({ mbox: `mailto:wc${w}@example.com` }));
        const r = await s.req('GET', `/xapi/statements?agent=${a}&limit=50`);
        if (r.status !== 200) errors++;
        queries++;
      }
    };
    await Promise.all([...Array.from({ length: 12 }, (_, w) => poster(w)), ...Array.from({ length: 4 }, (_, w) => querier(w))]);
    assert.equal(errors, 0, 'no request failed');
    assert.ok(queries > 0);
    await waitConsistent(s);
    const all = await fetchAll(s, 'ascending=true');
    const counts = new Map();
    for (const st of all) counts.set(st.id, (counts.get(st.id) || 0) + 1);
    for (const id of acked) assert.equal(counts.get(id), 1, `acknowledged ${id} present once`);
    assert.equal(all.length, acked.length, 'nothing unacknowledged stored');
    // stored is strictly increasing in ascending order
    for (let i = 1; i < all.length; i++) assert.ok(all[i].stored >= all[i - 1].stored);
  } finally {
    await s.stop();
  }
});
