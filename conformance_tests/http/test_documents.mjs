// SPDX-License-Identifier: Apache-2.0
// Document resources (issue 4; xAPI Comm 2.2, 2.3, 2.6, 2.7, 3.1) and the Alternate Request
// Syntax (Comm 1.3): round trips with ETag and Last-Modified, preconditions (412), profile PUT
// without headers (409 / 400), POST merge and its refusals, id lists with since, delete one and
// all, parameter errors, scopes (403), the size cap (413), and a lost-update test. After every
// refused request the stored state is checked to be unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startServer, basic } from '../lib/server.mjs';
import { uuid } from '../lib/xapi.mjs';

let s;
before(async () => { s = await startServer({ env: { SCOLAR_MAX_DOCUMENT: '4096' } }); });
after(async () => { assert.equal(await s.stop(), 0); });

const AGENT = { objectType: 'Agent', mbox: 'mailto:doc@example.com' };
const q = (o) => Object.entries(o).map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`).join('&');
const sha1 = (s) => '"' + createHash('sha1').update(s).digest('hex') + '"';
const stateQ = (extra = {}) => q({ activityId: 'http://example.com/doc/act', agent: AGENT, ...extra });

async function get(path) {
  return s.req('GET', path);
}

// The document's exact bytes and ETag, or the status when absent.
async function snapshot(path) {
  const r = await get(path);
  return r.status === 200 ? { status: 200, text: r.text, etag: r.headers.get('etag'), type: r.headers.get('content-type') } : { status: r.status };
}

test('State: PUT, GET with ETag/Last-Modified/content type, HEAD, overwrite without headers', async () => {
  const path = `/xapi/activities/state?${stateQ({ stateId: 'rt1' })}`;
  let r = await s.req('PUT', path, { body: 'plain bytes', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 204, r.text);
  r = await get(path);
  assert.equal(r.status, 200);
  assert.equal(r.text, 'plain bytes');
  assert.equal(r.headers.get('content-type'), 'text/plain');
  assert.equal(r.headers.get('etag'), sha1('plain bytes'));
  const lm = Date.parse(r.headers.get('last-modified'));
  assert.ok(Math.abs(lm - Date.now()) < 5000, 'Last-Modified is now');
  const h = await s.req('HEAD', path);
  assert.equal(h.status, 200);
  assert.equal(h.text, '');
  assert.equal(h.headers.get('etag'), sha1('plain bytes'));
  // Comm 3.1: 1.0.3 lets State be written without concurrency headers
  r = await s.req('PUT', path, { body: { a: 1 } });
  assert.equal(r.status, 204, r.text);
  r = await get(path);
  assert.equal(r.text, '{"a":1}');
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.headers.get('etag'), sha1('{"a":1}'));
  r = await get(`/xapi/activities/state?${stateQ({ stateId: 'absent' })}`);
  assert.equal(r.status, 404);
});

test('If-Match / If-None-Match: 412 and nothing changes; matching ETag writes', async () => {
  const path = `/xapi/activities/state?${stateQ({ stateId: 'cc1' })}`;
  assert.equal((await s.req('PUT', path, { body: { v: 1 } })).status, 204);
  const before = await snapshot(path);
  for (const headers of [{ 'If-Match': '"1111111111111111111111111111111111111111"' }, { 'If-None-Match': '*' }, { 'If-Match': `W/${before.etag}` }]) {
    for (const m of ['PUT', 'POST']) {
      const r = await s.req(m, path, { body: { v: 2 }, headers });
      assert.equal(r.status, 412, `${m} ${JSON.stringify(headers)}: ${r.text}`);
      assert.match(r.json.message, /Comm 3\.1/);
      assert.deepEqual(await snapshot(path), before);
    }
  }
  let r = await s.req('DELETE', path, { headers: { 'If-Match': '"0000000000000000000000000000000000000000"' } });
  assert.equal(r.status, 412);
  assert.deepEqual(await snapshot(path), before);
  r = await s.req('PUT', path, { body: { v: 3 }, headers: { 'If-Match': before.etag } });
  assert.equal(r.status, 204, r.text);
  assert.equal((await get(path)).text, '{"v":3}');
  // the old ETag is now stale
  r = await s.req('PUT', path, { body: { v: 4 }, headers: { 'If-Match': before.etag } });
  assert.equal(r.status, 412);
  assert.equal((await get(path)).text, '{"v":3}');
  // If-Match on an absent document fails; If-None-Match: * creates
  const p2 = `/xapi/activities/state?${stateQ({ stateId: 'cc2' })}`;
  r = await s.req('PUT', p2, { body: { n: 1 }, headers: { 'If-Match': before.etag } });
  assert.equal(r.status, 412);
  assert.equal((await get(p2)).status, 404);
  r = await s.req('PUT', p2, { body: { n: 1 }, headers: { 'If-None-Match': '*' } });
  assert.equal(r.status, 204);
  assert.equal((await get(p2)).text, '{"n":1}');
});

test('profile PUT without If-Match/If-None-Match: 400 when absent, 409 when present', async () => {
  for (const [base, ctx] of [['/xapi/activities/profile', { activityId: 'http://example.com/doc/p' }], ['/xapi/agents/profile', { agent: AGENT }]]) {
    const path = `${base}?${q({ ...ctx, profileId: 'p409' })}`;
    let r = await s.req('PUT', path, { body: { a: 1 } });
    assert.equal(r.status, 400, r.text);
    assert.equal((await get(path)).status, 404, 'not created');
    r = await s.req('PUT', path, { body: { a: 1 }, headers: { 'If-None-Match': '*' } });
    assert.equal(r.status, 204);
    const before = await snapshot(path);
    r = await s.req('PUT', path, { body: { a: 2 } });
    assert.equal(r.status, 409);
    assert.match(r.json.message, /If-Match/);
    assert.deepEqual(await snapshot(path), before);
    r = await s.req('PUT', path, { body: { a: 2 }, headers: { 'If-Match': before.etag } });
    assert.equal(r.status, 204);
    assert.equal((await get(path)).text, '{"a":2}');
  }
});

test('POST merges top-level properties of JSON objects; other cases are 400 and change nothing', async () => {
  const path = `/xapi/activities/profile?${q({ activityId: 'http://example.com/doc/merge', profileId: 'm' })}`;
  let r = await s.req('POST', path, { body: { x: 'foo', y: 'bar', o: { keep: 1 } } });
  assert.equal(r.status, 204, r.text);
  r = await s.req('POST', path, { body: { x: 'bash', z: 'faz', o: { new: 2 } } });
  assert.equal(r.status, 204, r.text);
  assert.deepEqual(JSON.parse((await get(path)).text), { x: 'bash', y: 'bar', z: 'faz', o: { new: 2 } });
  const before = await snapshot(path);
  const bad = [
    ['[1,2]', 'application/json'],
    ['{"a":1', 'application/json'],
    ['{"a":1,"a":2}', 'application/json'],
    ['"str"', 'application/json'],
    ['{"a":1}', 'text/plain'],
    ['{"a":1}', 'application/octet-stream'],
  ];
  for (const [body, type] of bad) {
    r = await s.req('POST', path, { body, headers: { 'Content-Type': type } });
    assert.equal(r.status, 400, `${type} ${body}: ${r.text}`);
    assert.deepEqual(await snapshot(path), before);
  }
  // stored document not JSON → 400
  const p2 = `/xapi/activities/state?${stateQ({ stateId: 'bin' })}`;
  assert.equal((await s.req('PUT', p2, { body: 'raw', headers: { 'Content-Type': 'application/octet-stream' } })).status, 204);
  const b2 = await snapshot(p2);
  r = await s.req('POST', p2, { body: { a: 1 } });
  assert.equal(r.status, 400);
  assert.deepEqual(await snapshot(p2), b2);
  // a non-JSON POST without a current document is stored as is
  const p3 = `/xapi/activities/state?${stateQ({ stateId: 'newbin' })}`;
  r = await s.req('POST', p3, { body: 'abc', headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 204);
  const g = await get(p3);
  assert.equal(g.text, 'abc');
  assert.equal(g.headers.get('content-type'), 'text/csv');
});

test('id lists with since (exclusive) and Last-Modified; registration scoping; DELETE all', async () => {
  const agent = { mbox: 'mailto:list@example.com' };
  const reg = uuid();
  const base = { activityId: 'http://example.com/doc/list', agent };
  for (const id of ['a', 'b']) assert.equal((await s.req('PUT', `/xapi/activities/state?${q({ ...base, stateId: id })}`, { body: { id } })).status, 204);
  assert.equal((await s.req('PUT', `/xapi/activities/state?${q({ ...base, registration: reg, stateId: 'r' })}`, { body: { r: 1 } })).status, 204);
  await new Promise((r) => setTimeout(r, 20));
  const mid = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((await s.req('PUT', `/xapi/activities/state?${q({ ...base, stateId: 'c' })}`, { body: { id: 'c' } })).status, 204);

  let r = await get(`/xapi/activities/state?${q(base)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.sort(), ['a', 'b', 'c']);
  assert.ok(r.headers.get('last-modified'));
  assert.ok(r.headers.get('etag'));
  r = await get(`/xapi/activities/state?${q({ ...base, since: mid })}`);
  assert.deepEqual(r.json, ['c']);
  r = await get(`/xapi/activities/state?${q({ ...base, registration: reg.toUpperCase() })}`);
  assert.deepEqual(r.json, ['r'], 'registration compared case-insensitively');
  r = await get(`/xapi/activities/state?${q({ ...base, since: new Date(Date.now() + 60000).toISOString() })}`);
  assert.deepEqual(r.json, []);

  // DELETE one, then all of the context without registration: the registration's stays
  assert.equal((await s.req('DELETE', `/xapi/activities/state?${q({ ...base, stateId: 'a' })}`)).status, 204);
  assert.deepEqual((await get(`/xapi/activities/state?${q(base)}`)).json.sort(), ['b', 'c']);
  assert.equal((await s.req('DELETE', `/xapi/activities/state?${q(base)}`)).status, 204);
  assert.deepEqual((await get(`/xapi/activities/state?${q(base)}`)).json, []);
  assert.deepEqual((await get(`/xapi/activities/state?${q({ ...base, registration: reg })}`)).json, ['r']);

  // profiles list too
  const pb = { activityId: 'http://example.com/doc/plist' };
  for (const id of ['p1', 'p2']) assert.equal((await s.req('POST', `/xapi/activities/profile?${q({ ...pb, profileId: id })}`, { body: { id } })).status, 204);
  assert.deepEqual((await get(`/xapi/activities/profile?${q(pb)}`)).json.sort(), ['p1', 'p2']);
  assert.equal((await s.req('DELETE', `/xapi/activities/profile?${q({ ...pb, profileId: 'p1' })}`)).status, 204);
  assert.deepEqual((await get(`/xapi/activities/profile?${q(pb)}`)).json, ['p2']);
});

test('bad parameters are 400 and change nothing', async () => {
  const good = { activityId: 'http://example.com/doc/bad', agent: AGENT, stateId: 's' };
  const listPath = `/xapi/activities/state?${q({ activityId: good.activityId, agent: AGENT })}`;
  assert.equal((await s.req('PUT', `/xapi/activities/state?${q(good)}`, { body: { ok: 1 } })).status, 204);
  const before = (await get(listPath)).text;
  const docBefore = await snapshot(`/xapi/activities/state?${q(good)}`);
  const cases = [
    ['PUT', '/xapi/activities/state', { agent: AGENT, stateId: 's' }],
    ['PUT', '/xapi/activities/state', { activityId: good.activityId, stateId: 's' }],
    ['PUT', '/xapi/activities/state', { activityId: good.activityId, agent: AGENT }],
    ['PUT', '/xapi/activities/state', { ...good, agent: '{"mbox":"mailto:x@example.com"' }],
    ['PUT', '/xapi/activities/state', { ...good, agent: { name: 'no ifi' } }],
    ['PUT', '/xapi/activities/state', { ...good, agent: { mbox: 'x@example.com' } }],
    ['PUT', '/xapi/activities/state', { ...good, agent: { objectType: 'Group', mbox: 'mailto:g@example.com' } }],
    ['PUT', '/xapi/activities/state', { ...good, agent: true }],
    ['PUT', '/xapi/activities/state', { ...good, activityId: 'not an iri' }],
    ['PUT', '/xapi/activities/state', { ...good, registration: 'not-a-uuid' }],
    ['PUT', '/xapi/activities/state', { ...good, stateId: '' }],
    ['PUT', '/xapi/activities/state', { ...good, StateId: 'x' }],
    ['PUT', '/xapi/activities/state', { ...good, since: '2020-01-01T00:00:00Z' }],
    ['POST', '/xapi/activities/state', { ...good, extra: '1' }],
    ['DELETE', '/xapi/activities/state', { ...good, registration: 'zz' }],
    ['DELETE', '/xapi/activities/state', { ...good, activityID: 'x' }],
    ['DELETE', '/xapi/activities/state', { activityId: good.activityId, agent: { name: 'x' } }],
    ['GET', '/xapi/activities/state', { activityId: good.activityId, agent: AGENT, since: 'yesterday' }],
    ['DELETE', '/xapi/activities/profile', { activityId: good.activityId }],
    ['PUT', '/xapi/activities/profile', { activityId: good.activityId, agent: AGENT, profileId: 'p' }],
    ['PUT', '/xapi/agents/profile', { agent: AGENT }],
    ['GET', '/xapi/agents/profile', { agent: { mbox: 'mailto:a@example.com', mbox_sha1sum: 'aa' } }],
  ];
  for (const [m, p, params] of cases) {
    const r = await s.req(m, `${p}?${q(params)}`, { body: m === 'PUT' || m === 'POST' ? { bad: 1 } : undefined, headers: { 'If-None-Match': '*' } });
    assert.equal(r.status, 400, `${m} ${p} ${JSON.stringify(params)}: ${r.status} ${r.text}`);
    assert.equal(r.json.status, 400);
    assert.ok(r.json.message.length > 10, r.json.message);
  }
  assert.equal((await get(listPath)).text, before);
  assert.deepEqual(await snapshot(`/xapi/activities/state?${q(good)}`), docBefore);
  // other methods
  assert.equal((await s.req('PATCH', `/xapi/activities/state?${q(good)}`, { body: {} })).status, 405);
});

async function credential(scopes) {
  const r = await s.req('POST', '/api/credentials', { body: { name: `c-${scopes.join('+')}`, scopes } });
  assert.equal(r.status, 201, r.text);
  return basic(r.json.key, r.json.secret);
}

test('scopes: state, profile, all/read (read only); 403 otherwise and nothing changes', async () => {
  const st = `/xapi/activities/state?${stateQ({ stateId: 'scoped' })}`;
  const ap = `/xapi/activities/profile?${q({ activityId: 'http://example.com/doc/scoped', profileId: 'p' })}`;
  const gp = `/xapi/agents/profile?${q({ agent: AGENT, profileId: 'p' })}`;
  const cState = await credential(['state']);
  const cProfile = await credential(['profile']);
  const cRead = await credential(['all/read']);
  const cWrite = await credential(['statements/write']);
  const cDefine = await credential(['define']);
  const w = (path, auth, body) => s.req('PUT', path, { auth, body, headers: { 'If-None-Match': '*' } });

  assert.equal((await w(st, cState, { s: 1 })).status, 204);
  assert.equal((await w(ap, cProfile, { p: 1 })).status, 204);
  assert.equal((await w(gp, cProfile, { g: 1 })).status, 204);
  const snaps = [await snapshot(st), await snapshot(ap), await snapshot(gp)];
  for (const [path, denied] of [[st, [cProfile, cRead, cWrite, cDefine]], [ap, [cState, cRead, cWrite, cDefine]], [gp, [cState, cRead, cWrite, cDefine]]]) {
    for (const auth of denied) {
      for (const m of ['PUT', 'POST', 'DELETE']) {
        const r = await s.req(m, path, { auth, body: m === 'DELETE' ? undefined : { changed: 1 }, headers: { 'If-Match': '*' } });
        assert.equal(r.status, 403, `${m} ${path}`);
      }
    }
  }
  assert.deepEqual([await snapshot(st), await snapshot(ap), await snapshot(gp)], snaps);
  // reads
  for (const [path, ok, no] of [[st, [cState, cRead], [cProfile, cWrite, cDefine]], [ap, [cProfile, cRead], [cState, cWrite]], [gp, [cProfile, cRead], [cState, cWrite]]]) {
    for (const auth of ok) assert.equal((await s.req('GET', path, { auth })).status, 200);
    for (const auth of no) assert.equal((await s.req('GET', path, { auth })).status, 403);
  }
  // no credentials at all
  assert.equal((await s.req('GET', st, { auth: null })).status, 401);
});

test('document size cap (SCOLAR_MAX_DOCUMENT=4096): 413, also for a merge result', async () => {
  const path = `/xapi/activities/state?${stateQ({ stateId: 'big' })}`;
  let r = await s.req('PUT', path, { body: 'x'.repeat(4097), headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 413);
  assert.equal((await get(path)).status, 404);
  r = await s.req('PUT', path, { body: 'x'.repeat(4096), headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 204);
  assert.equal((await get(path)).text.length, 4096);
  const p2 = `/xapi/activities/state?${stateQ({ stateId: 'bigmerge' })}`;
  assert.equal((await s.req('PUT', p2, { body: { a: 'y'.repeat(3000) } })).status, 204);
  const before = await snapshot(p2);
  r = await s.req('POST', p2, { body: { b: 'z'.repeat(3000) } });
  assert.equal(r.status, 413);
  assert.deepEqual(await snapshot(p2), before);
});

// ---- malformed corpus: data/documents_malformed.json (gen_documents_malformed.py) ----------

test('malformed document corpus: exact status for every case, and nothing changes', async () => {
  const corpus = JSON.parse(readFileSync(new URL('./data/documents_malformed.json', import.meta.url), 'utf8'));
  assert.ok(corpus.cases.length >= 100, `corpus has ${corpus.cases.length} cases`);
  const A = 'http://example.com/corpus/act';
  const AG = { objectType: 'Agent', mbox: 'mailto:corpus@example.com' };
  const seeds = {
    '/xapi/activities/state': `/xapi/activities/state?${q({ activityId: A, agent: AG, stateId: 'seed' })}`,
    '/xapi/activities/profile': `/xapi/activities/profile?${q({ activityId: A, profileId: 'seed' })}`,
    '/xapi/agents/profile': `/xapi/agents/profile?${q({ agent: AG, profileId: 'seed' })}`,
  };
  const bin = `/xapi/activities/state?${q({ activityId: A, agent: AG, stateId: 'seedbin' })}`;
  for (const p of Object.values(seeds)) assert.equal((await s.req('PUT', p, { body: { seed: 1 }, headers: { 'If-None-Match': '*' } })).status, 204);
  assert.equal((await s.req('PUT', bin, { body: 'binary', headers: { 'Content-Type': 'application/octet-stream' } })).status, 204);
  const watched = [...Object.values(seeds), bin,
    `/xapi/activities/state?${q({ activityId: A, agent: AG })}`,
    `/xapi/activities/profile?${q({ activityId: A })}`,
    `/xapi/agents/profile?${q({ agent: AG })}`];
  const before = await Promise.all(watched.map(snapshot));
  const etags = Object.fromEntries(Object.entries(seeds).map(([k], i) => [k, before[i].etag.slice(1, -1)]));
  const failures = [];
  for (const c of corpus.cases) {
    const { __dup__: dup, ...params } = c.params;
    let query = q(params);
    if (dup) query += `&${dup}=${encodeURIComponent(params[dup])}`;
    const headers = {};
    for (const [k, v] of Object.entries(c.headers || {})) headers[k] = v.replace('SEED_ETAG', etags[c.path]);
    if (c.contentType) headers['Content-Type'] = c.contentType;
    const r = await s.req(c.method, `${c.path}?${query}`, { body: c.body, headers });
    if (r.status !== c.status) failures.push(`${c.name}: ${r.status} (want ${c.status}) ${r.text}`);
    else if (c.method !== 'HEAD' && r.status >= 400 && !(r.json && r.json.message)) failures.push(`${c.name}: no error message`);
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(await Promise.all(watched.map(snapshot)), before, 'no document changed');
  for (const id of ['absent', 'big']) {
    assert.equal((await get(`/xapi/activities/state?${q({ activityId: A, agent: AG, stateId: id })}`)).status, 404);
    assert.equal((await get(`/xapi/activities/profile?${q({ activityId: A, profileId: id })}`)).status, 404);
  }
});

// ---- Alternate Request Syntax (Comm 1.3) --------------------------------------------------

function form(fields) {
  return Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

async function alt(path, method, fields, { outer = 'POST', headers = {}, query = '' } = {}) {
  const r = await fetch(`${s.base}${path}?method=${method}${query}`, {
    method: outer,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: fields === undefined ? undefined : form(fields),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

test('alternate request syntax: PUT/GET/POST/DELETE state with headers as form fields', async () => {
  const auth = basic('test-admin', 'test-secret-with:colon');
  const params = { activityId: 'http://example.com/doc/alt', agent: JSON.stringify(AGENT), stateId: 'alt1' };
  const path = `/xapi/activities/state?${q({ activityId: params.activityId, agent: AGENT, stateId: 'alt1' })}`;
  let r = await alt('/xapi/activities/state', 'PUT', { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json', content: '{"a":1}' });
  assert.equal(r.status, 204, r.text);
  let g = await get(path);
  assert.equal(g.text, '{"a":1}');
  assert.equal(g.headers.get('content-type'), 'application/json');
  r = await alt('/xapi/activities/state', 'GET', { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3' });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"a":1}');
  assert.equal(r.headers.get('etag'), sha1('{"a":1}'));
  // If-Match as a form field
  r = await alt('/xapi/activities/state', 'POST', { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3', 'If-Match': '"bad"', content: '{"b":2}' });
  assert.equal(r.status, 412);
  r = await alt('/xapi/activities/state', 'POST', { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3', 'If-Match': sha1('{"a":1}'), 'Content-Type': 'application/json', content: '{"b":2}' });
  assert.equal(r.status, 204, r.text);
  assert.deepEqual(JSON.parse((await get(path)).text), { a: 1, b: 2 });
  // text/plain outer type (Storyline) and the content type defaulting to application/json
  r = await alt('/xapi/activities/state', 'POST', { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3', content: '{"c":3}' }, { headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 204, r.text);
  assert.deepEqual(JSON.parse((await get(path)).text), { a: 1, b: 2, c: 3 });
  r = await alt('/xapi/activities/state', 'DELETE', { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3' });
  assert.equal(r.status, 204);
  assert.equal((await get(path)).status, 404);
});

test('alternate request syntax: refusals (400/401) change nothing', async () => {
  const auth = basic('test-admin', 'test-secret-with:colon');
  const params = { activityId: 'http://example.com/doc/alt2', agent: JSON.stringify(AGENT), stateId: 'x' };
  const path = `/xapi/activities/state?${q({ activityId: params.activityId, agent: AGENT, stateId: 'x' })}`;
  assert.equal((await s.req('PUT', path, { body: { keep: 1 } })).status, 204);
  const before = await snapshot(path);
  const ok = { ...params, Authorization: auth, 'X-Experience-API-Version': '1.0.3', content: '{"changed":1}' };
  const cases = [
    [{ ...ok }, { outer: 'PUT' }, 400],
    [{ ...ok }, { query: '&stateId=x' }, 400],
    [{ ...ok, 'X-Experience-API-Version': '2.0.0' }, {}, 400],
    [{ ...ok, 'X-Experience-API-Version': '0.8' }, {}, 400],
    [(({ content, ...rest }) => rest)(ok), {}, 400],
    [{ ...ok, Authorization: basic('test-admin', 'wrong') }, {}, 401],
    [(({ Authorization, ...rest }) => rest)(ok), {}, 401],
    [{ ...ok, bogus: '1' }, {}, 400],
    [{ ...ok }, { headers: { 'Content-Type': 'application/json' } }, 400],
  ];
  for (const [fields, opts, want] of cases) {
    const r = await alt('/xapi/activities/state', 'PUT', fields, opts);
    assert.equal(r.status, want, `${JSON.stringify(opts)} ${Object.keys(fields)}: ${r.text}`);
  }
  for (const m of ['PATCH', 'HEAD', 'put']) {
    const r = await alt('/xapi/activities/state', m, ok);
    assert.equal(r.status, 400, m);
  }
  // a CORS preflight is still answered by the preflight rules
  let pre = await fetch(`${s.base}/xapi/activities/state?method=PUT`, { method: 'OPTIONS', headers: { Origin: 'http://example.org', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.status, 204);
  // duplicate header field
  let r = await fetch(`${s.base}/xapi/activities/state?method=PUT`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form(ok) + '&If-Match=%22a%22&If-Match=%22b%22',
  });
  assert.equal(r.status, 400);
  assert.deepEqual(await snapshot(path), before);
  // never on /api/
  r = await fetch(`${s.base}/api/credentials?method=GET`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form({ Authorization: auth }) });
  assert.equal(r.status, 401, 'the form Authorization is not honoured on /api/');
});

test('alternate request syntax: statements PUT and GET', async () => {
  const auth = basic('test-admin', 'test-secret-with:colon');
  const id = uuid();
  const st = { actor: { mbox: 'mailto:alt@example.com' }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'http://example.com/alt/stmt' } };
  let r = await alt('/xapi/statements', 'PUT', { statementId: id, Authorization: auth, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json', content: JSON.stringify(st) });
  assert.equal(r.status, 204, r.text);
  r = await alt('/xapi/statements', 'GET', { statementId: id, Authorization: auth, 'X-Experience-API-Version': '1.0.3' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, id);
  assert.equal(r.json.object.id, 'http://example.com/alt/stmt');
  assert.deepEqual(r.json.actor, st.actor);
});

test('alternate request syntax: a cross-site form riding on the browser\'s stored credential is refused', async () => {
  const auth = basic('test-admin', 'test-secret-with:colon');
  const st = { actor: { mbox: 'mailto:csrf@example.com' }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'http://example.com/csrf' } };
  const body = form({ 'X-Experience-API-Version': '1.0.3', content: JSON.stringify(st) });
  for (const h of [{ Origin: 'http://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'null' }]) {
    const r = await fetch(`${s.base}/xapi/statements?method=POST`, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth, ...h },
    });
    assert.equal(r.status, 403, JSON.stringify(h));
    assert.match((await r.json()).message, /send Authorization as a form field/);
  }
  // the same from another site with Authorization in the form (what the syntax is for), and
  // from a client that is no browser: accepted
  let r = await fetch(`${s.base}/xapi/statements?method=POST`, {
    method: 'POST', body: form({ Authorization: auth, 'X-Experience-API-Version': '1.0.3', content: JSON.stringify(st) }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' },
  });
  assert.equal(r.status, 200);
  r = await fetch(`${s.base}/xapi/statements?method=POST`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
  });
  assert.equal(r.status, 200);
  // the two accepted ones and none of the refused (queries may trail the writes by a fold)
  const t0 = Date.now();
  let q;
  do {
    q = await s.req('GET', '/xapi/statements?agent=' + encodeURIComponent(JSON.stringify(st.actor)));
  } while (q.json.statements.length < 2 && Date.now() - t0 < 5000);
  await new Promise((res) => setTimeout(res, 200));
  q = await s.req('GET', '/xapi/statements?agent=' + encodeURIComponent(JSON.stringify(st.actor)));
  assert.equal(q.json.statements.length, 2);
});

// ---- lost updates ----------------------------------------------------------------------------

test('lost-update: 8 clients increment one State counter with If-Match for 20 s', { timeout: 120000 }, async (t) => {
  const path = `/xapi/activities/state?${stateQ({ stateId: 'counter' })}`;
  assert.equal((await s.req('PUT', path, { body: { n: 0 } })).status, 204);
  const end = Date.now() + 20000;
  let ok204 = 0, refused = 0, other = 0;
  async function client() {
    while (Date.now() < end) {
      const g = await s.req('GET', path);
      if (g.status !== 200) { other++; continue; }
      const n = JSON.parse(g.text).n;
      const r = await s.req('PUT', path, { body: { n: n + 1 }, headers: { 'If-Match': g.headers.get('etag') } });
      if (r.status === 204) ok204++;
      else if (r.status === 412) refused++;
      else other++;
    }
  }
  await Promise.all(Array.from({ length: 8 }, client));
  const final = JSON.parse((await get(path)).text).n;
  t.diagnostic(`final ${final}, 204 answers ${ok204}, 412 answers ${refused}`);
  assert.equal(other, 0, 'only 204 and 412 answers');
  assert.ok(ok204 > 50, `progress: ${ok204} increments`);
  assert.ok(refused > 0, 'contention happened');
  assert.equal(final, ok204, `final value ${final} = ${ok204} successful increments (${refused} refused)`);
});
