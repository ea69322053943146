// SPDX-License-Identifier: Apache-2.0
// /xapi/statements (issue 3): writes, immutability, batches, voiding, queries, paging,
// parameters, headers, and the malformed-statement corpus (nothing changes on a 400).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, basic } from '../lib/server.mjs';
import { agent, statement, voiding, uuid, fetchAll, waitConsistent, VERB_ATTEMPTED, VERB_COMPLETED } from '../lib/xapi.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { assert.equal(await s.stop(), 0); });

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

test('POST one statement, GET it back with stored, authority, version, timestamp', async () => {
  const st = statement({ actor: agent('post1') });
  const r = await s.req('POST', '/xapi/statements', { body: st });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.length, 1);
  const id = r.json[0];
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.match(r.headers.get('x-experience-api-consistent-through'), ISO);
  assert.equal(r.headers.get('x-experience-api-version'), '1.0.3');

  const g = await s.req('GET', `/xapi/statements?statementId=${id}`);
  assert.equal(g.status, 200);
  assert.equal(g.json.id, id);
  assert.match(g.json.stored, ISO);
  assert.equal(g.json.timestamp, g.json.stored, 'missing timestamp = stored');
  assert.equal(g.json.version, '1.0.0');
  assert.equal(g.json.authority.objectType, 'Agent');
  assert.equal(g.json.authority.account.name, 'test-admin');
  assert.deepEqual(g.json.actor, st.actor);
  assert.deepEqual(g.json.verb, st.verb);
  assert.ok(g.headers.get('last-modified'), 'Last-Modified on a single GET');
  assert.equal(new Date(g.headers.get('last-modified')).getTime(), Math.floor(new Date(g.json.stored).getTime() / 1000) * 1000);
  assert.match(g.headers.get('x-experience-api-consistent-through'), ISO);

  const h = await s.req('HEAD', `/xapi/statements?statementId=${id}`);
  assert.equal(h.status, 200);
  assert.equal(h.text, '', 'HEAD has no body');
});

test('submitted authority and stored are overwritten', async () => {
  const st = statement({ actor: agent('auth1'), extra: { authority: agent('mallory'), stored: '2001-01-01T00:00:00Z' } });
  const r = await s.req('POST', '/xapi/statements', { body: st });
  assert.equal(r.status, 200, r.text);
  const g = await s.req('GET', `/xapi/statements?statementId=${r.json[0]}`);
  assert.equal(g.json.authority.account.name, 'test-admin');
  assert.notEqual(g.json.stored, '2001-01-01T00:00:00Z');
});

test('PUT: 204, same content again 204, different content 409 and nothing changes', async () => {
  const id = uuid();
  const st = statement({ actor: agent('put1') });
  let r = await s.req('PUT', `/xapi/statements?statementId=${id}`, { body: st });
  assert.equal(r.status, 204, r.text);
  const first = (await s.req('GET', `/xapi/statements?statementId=${id}`)).json;
  r = await s.req('PUT', `/xapi/statements?statementId=${id}`, { body: { ...st, id } });
  assert.equal(r.status, 204, 'identical re-send is a no-op');
  r = await s.req('PUT', `/xapi/statements?statementId=${id}`, { body: statement({ actor: agent('put2') }) });
  assert.equal(r.status, 409);
  const again = (await s.req('GET', `/xapi/statements?statementId=${id}`)).json;
  assert.deepEqual(again, first, 'stored statement unchanged (stored, authority too)');
  // POST of the same id and content → 200 with the id
  r = await s.req('POST', '/xapi/statements', { body: { ...st, id } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, [id]);
});

test('PUT errors: missing or bad statementId, id mismatch, array body, extra params', async () => {
  const st = statement();
  assert.equal((await s.req('PUT', '/xapi/statements', { body: st })).status, 400);
  assert.equal((await s.req('PUT', '/xapi/statements?statementId=nope', { body: st })).status, 400);
  assert.equal((await s.req('PUT', `/xapi/statements?statementId=${uuid()}`, { body: { ...st, id: uuid() } })).status, 400);
  assert.equal((await s.req('PUT', `/xapi/statements?statementId=${uuid()}`, { body: [st] })).status, 400);
  assert.equal((await s.req('PUT', `/xapi/statements?statementId=${uuid()}&verb=x`, { body: st })).status, 400);
  assert.equal((await s.req('POST', '/xapi/statements?statementId=x', { body: st })).status, 400);
});

test('batch: ids in order, duplicate ids 400, one invalid statement stores nothing', async () => {
  const reg = uuid();
  const ids = [uuid(), uuid(), uuid()];
  const batch = ids.map((id, i) => statement({ id, actor: agent(`batch${i}`), registration: reg }));
  batch.push(statement({ actor: agent('batch-noid'), registration: reg }));
  let r = await s.req('POST', '/xapi/statements', { body: batch });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.length, 4);
  assert.deepEqual(r.json.slice(0, 3), ids);
  assert.equal((await fetchAll(s, `registration=${reg}`)).length, 4);

  const reg2 = uuid();
  const dupId = uuid();
  r = await s.req('POST', '/xapi/statements', { body: [statement({ id: dupId, registration: reg2 }), statement({ id: dupId, registration: reg2 })] });
  assert.equal(r.status, 400);
  const bad = [statement({ registration: reg2 }), { ...statement({ registration: reg2 }), verb: { id: 'not an iri' } }];
  r = await s.req('POST', '/xapi/statements', { body: bad });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /\$\[1\]\.verb\.id/, 'the message names the JSON path');
  const conflictId = ids[0];
  r = await s.req('POST', '/xapi/statements', { body: [statement({ registration: reg2 }), statement({ id: conflictId, actor: agent('other') })] });
  assert.equal(r.status, 409);
  assert.equal((await fetchAll(s, `registration=${reg2}`)).length, 0, 'nothing of the failed batches stored');
});

test('voiding (Data 2.3.2, Comm 2.1.4)', async () => {
  const reg = uuid();
  const target = uuid();
  let r = await s.req('PUT', `/xapi/statements?statementId=${target}`, { body: statement({ registration: reg, actor: agent('voidme') }) });
  assert.equal(r.status, 204);
  const v = { ...voiding(target), context: { registration: reg } };
  r = await s.req('POST', '/xapi/statements', { body: v });
  assert.equal(r.status, 200, r.text);
  const voidingId = r.json[0];
  assert.equal((await s.req('GET', `/xapi/statements?statementId=${target}`)).status, 404);
  const vg = await s.req('GET', `/xapi/statements?voidedStatementId=${target}`);
  assert.equal(vg.status, 200);
  assert.equal(vg.json.id, target);
  assert.equal((await s.req('GET', `/xapi/statements?voidedStatementId=${voidingId}`)).status, 404);
  const listed = await fetchAll(s, `registration=${reg}`);
  assert.deepEqual(listed.map((x) => x.id), [voidingId], 'voided left out, the voiding statement returned');
  // a voiding statement cannot be voided
  r = await s.req('POST', '/xapi/statements', { body: voiding(voidingId) });
  assert.equal(r.status, 400);
  // void before target arrives
  const late = uuid();
  r = await s.req('POST', '/xapi/statements', { body: voiding(late) });
  assert.equal(r.status, 200);
  r = await s.req('PUT', `/xapi/statements?statementId=${late}`, { body: statement() });
  assert.equal(r.status, 204);
  assert.equal((await s.req('GET', `/xapi/statements?statementId=${late}`)).status, 404);
  assert.equal((await s.req('GET', `/xapi/statements?voidedStatementId=${late}`)).status, 200);
});

test('queries: agent, verb, activity, related_*, since/until, ascending, limit and more, format', async () => {
  const who = agent(`q-${uuid().slice(0, 8)}`);
  const act = `http://example.com/q/${uuid()}`;
  const other = `http://example.com/q/${uuid()}`;
  const made = [];
  for (let i = 0; i < 7; i++) {
    const st = statement({ actor: who, verb: i % 2 ? VERB_ATTEMPTED : VERB_COMPLETED, object: i < 5 ? act : other,
      extra: i === 6 ? { context: { contextActivities: { parent: [{ id: act }] } } } : {} });
    const r = await s.req('POST', '/xapi/statements', { body: st });
    assert.equal(r.status, 200);
    made.push(r.json[0]);
  }
  const a = encodeURIComponent(JSON.stringify({ mbox: who.mbox }));
  let got = await fetchAll(s, `agent=${a}`);
  assert.deepEqual(got.map((x) => x.id), [...made].reverse(), 'newest stored first');
  got = await fetchAll(s, `agent=${a}&ascending=true`);
  assert.deepEqual(got.map((x) => x.id), made);
  got = await fetchAll(s, `agent=${a}&verb=${encodeURIComponent(VERB_ATTEMPTED)}`);
  assert.deepEqual(got.map((x) => x.id), [made[5], made[3], made[1]]);
  got = await fetchAll(s, `activity=${encodeURIComponent(act)}`);
  assert.equal(got.length, 5);
  got = await fetchAll(s, `activity=${encodeURIComponent(act)}&related_activities=true`);
  assert.equal(got.length, 6, 'context parent counts with related_activities');
  // paging with limit=2 and the more link
  let r = await s.req('GET', `/xapi/statements?agent=${a}&limit=2`);
  assert.equal(r.json.statements.length, 2);
  assert.match(r.json.more, /^\/xapi\/statements\?/, 'more is a relative IRL');
  got = await fetchAll(s, `agent=${a}&limit=2`);
  assert.deepEqual(got.map((x) => x.id), [...made].reverse(), 'paging gives all, no gaps or duplicates');
  // since / until on stored
  const mid = (await s.req('GET', `/xapi/statements?statementId=${made[3]}`)).json.stored;
  got = await fetchAll(s, `agent=${a}&since=${encodeURIComponent(mid)}&ascending=true`);
  assert.deepEqual(got.map((x) => x.id), made.slice(4), 'since is exclusive');
  got = await fetchAll(s, `agent=${a}&until=${encodeURIComponent(mid)}&ascending=true`);
  assert.deepEqual(got.map((x) => x.id), made.slice(0, 4), 'until is inclusive');
  // format=ids
  r = await s.req('GET', `/xapi/statements?statementId=${made[0]}&format=ids`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.actor, { objectType: 'Agent', mbox: who.mbox });
  assert.deepEqual(r.json.verb, { id: VERB_COMPLETED });
  // no match → empty list
  await waitConsistent(s);
  r = await s.req('GET', `/xapi/statements?verb=${encodeURIComponent('http://example.com/never')}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { statements: [], more: '' });
  // a tampered more cursor
  r = await s.req('GET', `/xapi/statements?agent=${a}&limit=2`);
  const tampered = r.json.more.replace(/more=(.)/, (m, c) => `more=${c === 'A' ? 'B' : 'A'}`);
  assert.equal((await s.req('GET', tampered)).status, 400);
});

test('parameters: unknown, mis-cased, combined and malformed values are 400', async () => {
  const id = uuid();
  for (const q of ['Verb=http://x.y/z', 'foo=1', 'statementid=' + id, `statementId=${id}&voidedStatementId=${id}`,
    `statementId=${id}&verb=http://a.b/c`, 'limit=-1', 'limit=abc', 'ascending=yes', 'since=yesterday',
    'agent=notjson', `agent=${encodeURIComponent('{"name":"no ifi"}')}`, 'verb=notaniri', 'registration=123',
    'format=full', 'related_agents=1', 'until=2020-01-01T00:00:00-00:00']) {
    const r = await s.req('GET', `/xapi/statements?${q}`);
    assert.equal(r.status, 400, `400 for ${q}`);
    assert.ok(r.headers.get('x-experience-api-consistent-through'), 'consistent-through on errors');
  }
  assert.equal((await s.req('GET', `/xapi/statements?statementId=${uuid()}`)).status, 404);
});

test('content types and bodies: 400 for wrong type, malformed JSON; 413 past the cap', async () => {
  let r = await s.req('POST', '/xapi/statements', { body: JSON.stringify(statement()), headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 400);
  r = await s.req('POST', '/xapi/statements', { body: '{"actor":', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await s.req('POST', '/xapi/statements', { body: '{"a":1,"a":2}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await s.req('POST', '/xapi/statements', { body: '[]', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await s.req('POST', '/xapi/statements', { body: 'x'.repeat(17 * 1024 * 1024), headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 413);
});

test('scopes: a statements/write credential cannot read; a read credential cannot write', async () => {
  const mk = async (scopes) => (await s.req('POST', '/api/credentials', { body: { name: 'scoped', scopes } })).json;
  const w = await mk(['statements/write']);
  const rd = await mk(['statements/read']);
  let r = await s.req('POST', '/xapi/statements', { body: statement(), auth: basic(w.key, w.secret) });
  assert.equal(r.status, 200);
  const g = await s.req('GET', `/xapi/statements?statementId=${r.json[0]}`, { auth: basic(rd.key, rd.secret) });
  assert.equal(g.status, 200);
  assert.equal(g.json.authority.account.name, w.key, 'authority is the writing credential');
  assert.equal((await s.req('GET', '/xapi/statements', { auth: basic(w.key, w.secret) })).status, 403);
  assert.equal((await s.req('POST', '/xapi/statements', { body: statement(), auth: basic(rd.key, rd.secret) })).status, 403);
});

test('malformed statement corpus: every file is 400 and the store is unchanged', async () => {
  const dir = new URL('../../statements/tests/data/invalid/', import.meta.url).pathname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 300, `corpus has ${files.length} files`);
  const before = (await fetchAll(s, 'ascending=true')).map((x) => x.id);
  const failures = [];
  for (const f of files) {
    const body = readFileSync(join(dir, f));
    const r = await s.req('POST', '/xapi/statements', { body, headers: { 'Content-Type': 'application/json' } });
    if (r.status !== 400) failures.push(`${f}: ${r.status} ${r.text?.slice(0, 200)}`);
    else if (!r.json || typeof r.json.message !== 'string' || !r.json.message.includes('$')) failures.push(`${f}: 400 without a JSON path: ${r.text}`);
  }
  assert.deepEqual(failures, []);
  const afterIds = (await fetchAll(s, 'ascending=true')).map((x) => x.id);
  assert.deepEqual(afterIds, before, 'no statement stored by the corpus');
});

test('statements/read/mine: only what this credential wrote, single and query', async () => {
  const mk = async (scopes) => (await s.req('POST', '/api/credentials', { body: { name: 'mine', scopes } })).json;
  const me = await mk(['statements/write', 'statements/read/mine']);
  const other = await mk(['statements/write']);
  const reg = uuid();
  const mineIds = [];
  for (let i = 0; i < 3; i++) {
    const r = await s.req('POST', '/xapi/statements', { body: statement({ registration: reg }), auth: basic(me.key, me.secret) });
    assert.equal(r.status, 200);
    mineIds.push(r.json[0]);
  }
  const theirs = (await s.req('POST', '/xapi/statements', { body: statement({ registration: reg }), auth: basic(other.key, other.secret) })).json[0];
  const auth = basic(me.key, me.secret);
  await waitConsistent(s);
  assert.equal((await s.req('GET', `/xapi/statements?statementId=${mineIds[0]}`, { auth })).status, 200);
  assert.equal((await s.req('GET', `/xapi/statements?statementId=${theirs}`, { auth })).status, 404);
  let r = await s.req('GET', '/xapi/statements?ascending=true', { auth });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.statements.map((x) => x.id), mineIds);
  r = await s.req('GET', `/xapi/statements?registration=${reg}&ascending=true`, { auth });
  assert.deepEqual(r.json.statements.map((x) => x.id), mineIds, 'filters combine with read/mine');
  r = await s.req('GET', `/xapi/statements?registration=${reg}`);
  assert.equal(r.json.statements.length, 4, 'an all-reading credential sees all four');
});
