// SPDX-License-Identifier: Apache-2.0
// GET /api/statements (lrs/route_statements_console.c): the xAPI statement query for the
// console's session. Same answers as GET /xapi/statements for the same filters, paged with
// `more`; voiding=false leaves out voiding statements; bad and unknown parameters are 400;
// read-only; admin scope (a session cookie or an admin key), nothing else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { agent, statement, voiding, waitConsistent, uuid } from '../lib/xapi.mjs';

const ACT = 'http://example.org/sc/act';
const PASSED = 'http://adlnet.gov/expapi/verbs/passed';
let srv;
const ids = [];

before(async () => {
  srv = await startServer();
  const body = [];
  for (let i = 0; i < 25; i++) {
    const id = uuid();
    ids.push(id);
    body.push(statement({ id, actor: agent(`sc${i % 5}`), verb: i % 2 ? PASSED : 'http://adlnet.gov/expapi/verbs/attempted', object: ACT }));
  }
  assert.equal((await srv.req('POST', '/xapi/statements', { body })).status, 200);
  // void one passed statement: the xAPI query returns its voiding statement for verb=passed
  assert.equal((await srv.req('POST', '/xapi/statements', { body: voiding(ids[1]) })).status, 200);
  await waitConsistent(srv);
});

after(async () => { assert.equal(await srv.stop(), 0); });

async function all(prefix, query) {
  const out = [];
  let more = null;
  for (let i = 0; i < 100; i++) {
    const r = await srv.req('GET', `${prefix}?${query}${more ? `&more=${encodeURIComponent(more)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.statements);
    more = r.json.more;
    if (!more) break;
    if (prefix === '/xapi/statements') more = new URL(more, srv.base).searchParams.get('more');
  }
  return out;
}

test('the same statements as GET /xapi/statements, paged with more', async () => {
  const q = `verb=${encodeURIComponent(PASSED)}&activity=${encodeURIComponent(ACT)}&limit=4`;
  const mine = await all('/api/statements', q);
  const xapi = await all('/xapi/statements', q);
  assert.deepEqual(mine.map((s) => s.id), xapi.map((s) => s.id));
  assert.equal(mine.length, 11 + 1, 'the 11 passed statements not voided and the voiding statement of the 12th');
  const agentQ = `agent=${encodeURIComponent(JSON.stringify({ mbox: 'mailto:sc0@example.com' }))}`;
  assert.deepEqual((await all('/api/statements', agentQ)).map((s) => s.id), (await all('/xapi/statements', agentQ)).map((s) => s.id));
});

test('voiding=false leaves out voiding statements', async () => {
  const q = `verb=${encodeURIComponent(PASSED)}&activity=${encodeURIComponent(ACT)}&limit=5&voiding=false`;
  const got = await all('/api/statements', q);
  assert.equal(got.length, 11);
  assert.ok(got.every((s) => s.verb.id === PASSED));
});

test('bad input: 400 naming the parameter; read-only; admin only', async () => {
  for (const [q, re] of [['verb=notaniri', /verb/], ['agent=%7B', /agent/], ['since=yesterday', /since/],
    ['limit=-1', /limit/], ['voiding=maybe', /voiding/], ['format=exact', /format/], ['verb=x&verb=y', /twice/],
    ['more=garbage', /more|cursor/]]) {
    const r = await srv.req('GET', `/api/statements?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.json.message, re, q);
  }
  assert.equal((await srv.req('POST', '/api/statements', { body: [] })).status, 405);
  assert.equal((await srv.req('GET', '/api/statements', { auth: null })).status, 401);
  // a key without the admin scope is refused
  const c = await srv.req('POST', '/api/credentials', { body: { name: 'reader', scopes: ['statements/read'] } });
  assert.equal(c.status, 201, c.text);
  const reader = 'Basic ' + Buffer.from(`${c.json.key}:${c.json.secret}`).toString('base64');
  assert.equal((await srv.req('GET', '/api/statements', { auth: reader })).status, 403);
  // the console's session cookie reads it
  const s = await fetch(`${srv.base}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key: ADMIN_KEY, secret: ADMIN_SECRET }) });
  assert.equal(s.status, 200);
  const cookie = s.headers.get('set-cookie').split(';')[0];
  const r = await fetch(`${srv.base}/api/statements?limit=3`, { headers: { Cookie: cookie } });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).statements.length, 3);
});
