// SPDX-License-Identifier: Apache-2.0
// Read-your-writes (issue 12): a statement is in every query that starts after its
// acknowledgement, by agent, verb, activity, registration, related agents and activities, and
// by id, at any load, and X-Experience-API-Consistent-Through is never before its stored time. Other
// clients ingest batches the whole time, so the writer never idles (with the deferred index
// and nothing else, queries then miss the newest statements until the next fold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { agent, statement, uuid } from '../lib/xapi.mjs';

const PROBERS = 4;
const ROUNDS = Number(process.env.RYW_ROUNDS || 40);
const LOADERS = 6;
// RYW_ONLY_103=1: every prober speaks 1.0.3 (to run this test against a 1.0.3-only build)
const V2 = process.env.RYW_ONLY_103 ? '1.0.3' : '2.0.0';

async function load(srv, stop, counter) {
  while (!stop.done) {
    const batch = [];
    for (let i = 0; i < 50; i++)
      batch.push(statement({ actor: agent(`load-${i % 7}`), verb: 'http://example.com/verbs/load', object: `http://example.com/load/${i % 13}` }));
    const r = await srv.req('POST', '/xapi/statements', { body: batch });
    if (r.status !== 200) throw new Error(`load POST ${r.status} ${r.text}`);
    counter.n += batch.length;
  }
}

const enc = encodeURIComponent;

async function probe(srv, p, misses, version) {
  for (let round = 0; round < ROUNDS; round++) {
    const tag = uuid();
    const who = agent(`probe-${tag}`);
    const verb = `http://example.com/verbs/probe-${tag}`;
    const act = `http://example.com/probe/${tag}`;
    const parent = `http://example.com/probe-parent/${tag}`;
    const reg = uuid();
    const s = statement({ actor: who, verb, object: act, registration: reg });
    s.context.contextActivities = { parent: [{ id: parent }] };
    const r = await srv.req('POST', '/xapi/statements', { body: s, version });
    assert.equal(r.status, 200, r.text);
    const id = r.json[0];
    // its stored time: Consistent-Through must not be before it in any later answer
    const got = await srv.req('GET', `/xapi/statements?statementId=${id}`, { version });
    assert.equal(got.status, 200, got.text);
    const storedMs = Date.parse(got.json.stored);
    const queries = [
      `agent=${enc(JSON.stringify(who))}`,
      `verb=${enc(verb)}`,
      `activity=${enc(act)}`,
      `registration=${reg}`,
      `agent=${enc(JSON.stringify(who))}&verb=${enc(verb)}`,
      `activity=${enc(parent)}&related_activities=true`,
      `agent=${enc(JSON.stringify(who))}&related_agents=true&ascending=true`,
      'limit=5',
    ];
    for (const q of queries) {
      const g = await srv.req('GET', `/xapi/statements?${q}`, { version });
      assert.equal(g.status, 200, g.text);
      const ct = Date.parse(g.headers.get('x-experience-api-consistent-through'));
      if (!(ct >= storedMs)) misses.push(`consistent-through ${g.headers.get('x-experience-api-consistent-through')} before stored ${got.json.stored}`);
      // limit=5 without filters: the newest five; other probers' and loaders' statements may
      // be newer, so only the filtered queries must hold exactly this statement.
      if (q === 'limit=5') continue;
      const ids = g.json.statements.map((x) => x.id);
      if (ids.length !== 1 || ids[0] !== id) misses.push(`prober ${p} round ${round}: ${q} → ${JSON.stringify(ids)}, want [${id}]`);
    }
  }
}

test('every acknowledged statement is in every query that starts after the ack, under load', async () => {
  const s = await startServer();
  const stop = { done: false };
  const counter = { n: 0 };
  const misses = [];
  try {
    const loaders = Array.from({ length: LOADERS }, () => load(s, stop, counter));
    // let the load reach its pace before the first probe
    await new Promise((res) => setTimeout(res, 300));
    const probers = Array.from({ length: PROBERS }, (_, p) => probe(s, p, misses, p % 2 ? V2 : '1.0.3'));
    try {
      await Promise.all(probers);
    } finally {
      stop.done = true;
      await Promise.all(loaders);
    }
    assert.ok(counter.n > 1000, `the load ran (${counter.n} statements)`);
    assert.deepEqual(misses.slice(0, 5), [], `${misses.length} misses in ${PROBERS * ROUNDS * 7} filtered queries and ${PROBERS * ROUNDS * 8} Consistent-Through checks`);
  } finally {
    await s.stop();
  }
});
