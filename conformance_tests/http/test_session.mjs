// SPDX-License-Identifier: Apache-2.0
// Console sign-in (issue 13) and the admin API guards (issue 15): sessions by cookie with a
// CSRF token and an idle expiry, the Origin and Content-Type rules on /api, console users
// (CLI and API). Every refused request is checked to have changed nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, tempDir, basic, ADMIN_KEY, ADMIN_SECRET, ADMIN_AUTH } from '../lib/server.mjs';
import { rmSync } from 'node:fs';

// fetch against the API origin with an optional session (cookie + csrf)
async function call(s, method, path, { body, headers = {}, sess, csrf = true, type } = {}) {
  const h = { ...headers };
  if (sess) {
    h.Cookie = sess.cookie;
    if (csrf && sess.csrf) h['X-CSRF-Token'] = sess.csrf;
  }
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) payload = JSON.stringify(body);
  if (body !== undefined) h['Content-Type'] = type || 'application/json';
  const r = await fetch(s.base + path, { method, headers: h, body: payload });
  const text = await r.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

async function signIn(s, body) {
  const r = await call(s, 'POST', '/api/session', { body });
  if (r.status !== 200) return { r };
  const set = r.headers.getSetCookie();
  assert.equal(set.length, 1);
  const cookie = set[0].split(';')[0];
  return { r, set: set[0], cookie, csrf: r.json.csrf };
}

async function credCount(s) {
  const r = await s.req('GET', '/api/credentials');
  assert.equal(r.status, 200);
  return JSON.stringify(r.json);
}

let s;
// the sign-in failure limit has its own test; here many failures come from one address
before(async () => { s = await startServer({ env: { SCOLAR_SIGNIN_FAILS: '1000' } }); });
after(async () => { await s.stop(); });

test('sign in with an admin credential: 200, cookie flags, the session answers GET /api/session', async () => {
  const a = await signIn(s, { key: ADMIN_KEY, secret: ADMIN_SECRET });
  assert.equal(a.r.status, 200, a.r.text);
  assert.equal(a.r.json.who.kind, 'credential');
  assert.equal(a.r.json.who.key, ADMIN_KEY);
  assert.match(a.r.json.csrf, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(Date.parse(a.r.json.expires) > Date.now() + 29 * 60 * 1000, 'idle expiry 30 min');
  assert.match(a.set, /^scolar_session=[A-Za-z0-9_-]{43}; /);
  const flags = a.set.split(';').slice(1).map((x) => x.trim());
  assert.deepEqual(flags.sort(), ['HttpOnly', 'Path=/', 'SameSite=Strict'], 'no Secure over http');
  assert.equal(a.r.headers.get('cache-control'), 'no-store');

  let r = await call(s, 'GET', '/api/session', { sess: a, csrf: false });
  assert.equal(r.status, 200);
  assert.equal(r.json.csrf, a.csrf);
  assert.equal(r.json.who.kind, 'credential');
  r = await call(s, 'GET', '/api/session');
  assert.equal(r.status, 401);
  r = await call(s, 'GET', '/api/credentials', { sess: a, csrf: false });
  assert.equal(r.status, 200, 'the cookie stands for the credential on admin routes');
  assert.ok(Array.isArray(r.json));
  r = await call(s, 'GET', '/xapi/statements', { sess: a, csrf: false, headers: { 'X-Experience-API-Version': '1.0.3' } });
  assert.equal(r.status, 401, 'the cookie does not open /xapi');
});

test('wrong secret and unknown key: the same 401 and the same cost, nothing set', async () => {
  const bad = await call(s, 'POST', '/api/session', { body: { key: ADMIN_KEY, secret: 'wrong' } });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.message, 'key or secret is wrong');
  assert.equal(bad.headers.getSetCookie().length, 0);
  const unknown = await call(s, 'POST', '/api/session', { body: { key: 'no-such-key', secret: 'wrong' } });
  assert.equal(unknown.status, 401);
  assert.equal(unknown.json.message, 'key or secret is wrong');
  // timing: an unknown key runs the same PBKDF2 (20,000 iterations) as a known one
  const time = async (key) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) await call(s, 'POST', '/api/session', { body: { key, secret: 'wrong' + i } });
    return Number(process.hrtime.bigint() - t0) / 5e6;
  };
  const known = await time(ADMIN_KEY), unk = await time('no-such-key');
  assert.ok(unk > known / 3, `unknown key ${unk.toFixed(1)} ms vs known ${known.toFixed(1)} ms`);
  let r = await call(s, 'POST', '/api/session', { body: { key: ADMIN_KEY } });
  assert.equal(r.status, 400);
  r = await call(s, 'POST', '/api/session', { body: '{"key":"a","key":"b","secret":"x"}' });
  assert.equal(r.status, 400, 'strict JSON: duplicate keys refused');
});

test('a credential without the admin scope cannot sign in', async () => {
  const r0 = await s.req('POST', '/api/credentials', { body: { name: 'reader', scopes: ['all/read'] } });
  assert.equal(r0.status, 201, r0.text);
  const r = await call(s, 'POST', '/api/session', { body: { key: r0.json.key, secret: r0.json.secret } });
  assert.equal(r.status, 403);
  assert.match(r.json.message, /admin scope/);
  assert.equal(r.headers.getSetCookie().length, 0);
});

test('CSRF: a state change by cookie without X-CSRF-Token is 403 and changes nothing', async () => {
  const a = await signIn(s, { key: ADMIN_KEY, secret: ADMIN_SECRET });
  const before = await credCount(s);
  let r = await call(s, 'POST', '/api/credentials', { sess: a, csrf: false, body: { name: 'x', scopes: ['all'] } });
  assert.equal(r.status, 403);
  assert.match(r.json.message, /X-CSRF-Token/);
  r = await call(s, 'POST', '/api/credentials', { sess: { ...a, csrf: a.csrf.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, body: { name: 'x', scopes: ['all'] } });
  assert.equal(r.status, 403, 'a wrong token too');
  assert.equal(await credCount(s), before, 'nothing created');
  r = await call(s, 'POST', '/api/credentials', { sess: a, body: { name: 'made-by-console', scopes: ['statements/write'] } });
  assert.equal(r.status, 201, r.text);
  assert.match(await credCount(s), /made-by-console/);
});

test('Origin: another origin is refused on /api for cookie and Basic alike; /xapi keeps CORS', async () => {
  const a = await signIn(s, { key: ADMIN_KEY, secret: ADMIN_SECRET });
  const before = await credCount(s);
  for (const origin of ['http://evil.example', 'null', s.content, s.base + '.evil.example']) {
    let r = await call(s, 'POST', '/api/credentials', { sess: a, headers: { Origin: origin }, body: { name: 'forged', scopes: ['all'] } });
    assert.equal(r.status, 403, origin);
    assert.equal(r.json.message.startsWith('cross-origin requests are refused on /api'), true, r.text);
    r = await call(s, 'GET', '/api/credentials', { headers: { Origin: origin, Authorization: ADMIN_AUTH } });
    assert.equal(r.status, 403, `Basic + ${origin}`);
    r = await call(s, 'POST', '/api/session', { headers: { Origin: origin }, body: { key: ADMIN_KEY, secret: ADMIN_SECRET } });
    assert.equal(r.status, 403, `sign-in from ${origin}`);
    assert.equal(r.headers.getSetCookie().length, 0);
  }
  assert.equal(await credCount(s), before, 'nothing created');
  let r = await call(s, 'POST', '/api/credentials', { sess: a, headers: { Origin: s.base }, body: { name: 'same-origin', scopes: ['state'] } });
  assert.equal(r.status, 201, 'the API origin itself is allowed');
  r = await call(s, 'GET', '/xapi/about', { headers: { Origin: 'http://evil.example' } });
  assert.equal(r.status, 200, '/xapi is for cross-origin clients');
});

test('declared body types: text/plain and form bodies are 415 on /api, nothing changed', async () => {
  const before = await credCount(s);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
    const r = await call(s, 'POST', '/api/credentials', { headers: { Authorization: ADMIN_AUTH }, type, body: JSON.stringify({ name: 'plain', scopes: ['all'] }) });
    assert.equal(r.status, 415, type);
    assert.match(r.json.message, /application\/json/);
  }
  const a = await signIn(s, { key: ADMIN_KEY, secret: ADMIN_SECRET });
  let r = await call(s, 'POST', '/api/session', { type: 'text/plain', body: JSON.stringify({ key: ADMIN_KEY, secret: ADMIN_SECRET }) });
  assert.equal(r.status, 415, 'sign-in too');
  r = await call(s, 'POST', '/api/courses', { sess: a, type: 'text/plain', body: 'PK' });
  assert.equal(r.status, 415);
  assert.match(r.json.message, /application\/zip/);
  assert.equal(await credCount(s), before);
  r = await call(s, 'POST', '/api/credentials', { headers: { Authorization: ADMIN_AUTH }, type: 'application/json; charset=utf-8', body: JSON.stringify({ name: 'typed', scopes: ['state'] }) });
  assert.equal(r.status, 201, 'parameters after the media type are fine');
});

test('sign-out: 204, the cookie cleared, the session gone server-side', async () => {
  const a = await signIn(s, { key: ADMIN_KEY, secret: ADMIN_SECRET });
  let r = await call(s, 'DELETE', '/api/session', { sess: a, csrf: false });
  assert.equal(r.status, 403, 'sign-out needs the CSRF token');
  r = await call(s, 'DELETE', '/api/session', { sess: a });
  assert.equal(r.status, 204);
  assert.match(r.headers.getSetCookie()[0], /^scolar_session=; .*Max-Age=0/);
  r = await call(s, 'GET', '/api/credentials', { sess: a, csrf: false });
  assert.equal(r.status, 401);
  assert.match(r.json.message, /sign in again/);
  r = await call(s, 'GET', '/api/session', { sess: a });
  assert.equal(r.status, 401);
});

test('revoking the credential ends its sessions', async () => {
  const c = await s.req('POST', '/api/credentials', { body: { name: 'temp-admin', scopes: ['admin'] } });
  const a = await signIn(s, { key: c.json.key, secret: c.json.secret });
  assert.equal(a.r.status, 200);
  assert.equal((await call(s, 'GET', '/api/courses', { sess: a })).status, 200);
  assert.equal((await s.req('DELETE', `/api/credentials/${c.json.key}`)).status, 204);
  assert.equal((await call(s, 'GET', '/api/courses', { sess: a })).status, 401);
});

test('sessions survive a restart; idle expiry (SCOLAR_SESSION_IDLE=2)', async () => {
  const dataDir = tempDir('scolar-session-');
  try {
    let t = await startServer({ dataDir });
    let a = await signIn(t, { key: ADMIN_KEY, secret: ADMIN_SECRET });
    assert.equal(a.r.status, 200);
    await t.stop();
    t = await startServer({ dataDir });
    assert.equal((await call(t, 'GET', '/api/session', { sess: a })).status, 200, 'after a restart');
    await t.stop();
    t = await startServer({ dataDir, env: { SCOLAR_SESSION_IDLE: '2' } });
    a = await signIn(t, { key: ADMIN_KEY, secret: ADMIN_SECRET });
    assert.ok(Date.parse(a.r.json.expires) - Date.now() < 3000, a.r.json.expires);
    // activity keeps it alive past the idle time
    for (let i = 0; i < 4; i++) {
      await new Promise((res) => setTimeout(res, 700));
      assert.equal((await call(t, 'GET', '/api/courses', { sess: a })).status, 200, `at ${(i + 1) * 0.7} s`);
    }
    await new Promise((res) => setTimeout(res, 2300));
    const r = await call(t, 'GET', '/api/courses', { sess: a });
    assert.equal(r.status, 401, 'idle past 2 s');
    assert.match(r.json.message, /expired/);
    assert.equal((await call(t, 'GET', '/api/session', { sess: a })).status, 401);
    await t.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('console users: CLI create/list/delete, sign in by name and password, /api/users', async () => {
  const dataDir = tempDir('scolar-users-');
  try {
    let r = cli(['user', 'create', 'alice', '--password-stdin', '--data', dataDir], { input: 'correct horse battery\n' });
    assert.equal(r.status, 0, r.stderr);
    r = cli(['user', 'create', 'bob', '--password-stdin', '--data', dataDir], { input: 'short\n' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /10 to 1024 characters/);
    r = cli(['user', 'create', 'alice', '--password-stdin', '--data', dataDir], { input: 'another long one\n' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exists/);
    r = cli(['user', 'create', 'bad name', '--password-stdin', '--data', dataDir], { input: 'long enough pw\n' });
    assert.equal(r.status, 1);
    r = cli(['user', 'list', '--data', dataDir]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split('\t')[0]), ['alice']);
    r = cli(['user', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--password-stdin/);

    const t = await startServer({ dataDir });
    try {
      let bad = await call(t, 'POST', '/api/session', { body: { user: 'alice', password: 'wrong password' } });
      assert.equal(bad.status, 401);
      bad = await call(t, 'POST', '/api/session', { body: { user: 'nobody', password: 'wrong password' } });
      assert.equal(bad.status, 401);
      const a = await signIn(t, { user: 'alice', password: 'correct horse battery' });
      assert.equal(a.r.status, 200, a.r.text);
      assert.deepEqual(a.r.json.who.kind, 'user');
      assert.deepEqual(a.r.json.who.name, 'alice');

      let u = await call(t, 'GET', '/api/users', { sess: a });
      assert.equal(u.status, 200);
      assert.deepEqual(u.json.items.map((x) => x.name), ['alice']);
      assert.equal(u.json.total, 1);
      assert.equal(JSON.stringify(u.json).includes('hash'), false, 'no hashes listed');
      u = await call(t, 'POST', '/api/users', { sess: a, body: { name: 'carol', password: 'short' } });
      assert.equal(u.status, 400);
      u = await call(t, 'POST', '/api/users', { sess: a, csrf: false, body: { name: 'carol', password: 'long enough password' } });
      assert.equal(u.status, 403);
      u = await call(t, 'POST', '/api/users', { sess: a, body: { name: 'carol', password: 'long enough password' } });
      assert.equal(u.status, 201, u.text);
      u = await call(t, 'POST', '/api/users', { sess: a, body: { name: 'carol', password: 'long enough password' } });
      assert.equal(u.status, 409);
      const c = await signIn(t, { user: 'carol', password: 'long enough password' });
      assert.equal(c.r.status, 200);
      assert.equal((await call(t, 'GET', '/api/courses', { sess: c })).status, 200);
      u = await call(t, 'DELETE', '/api/users/carol', { sess: a });
      assert.equal(u.status, 204);
      assert.equal((await call(t, 'GET', '/api/courses', { sess: c })).status, 401, 'a deleted user is signed out');
      u = await call(t, 'DELETE', '/api/users/carol', { sess: a });
      assert.equal(u.status, 404);
      u = await call(t, 'GET', '/api/users', { headers: { Authorization: ADMIN_AUTH } });
      assert.deepEqual(u.json.items.map((x) => x.name), ['alice']);
    } finally {
      await t.stop();
    }
    r = cli(['user', 'delete', 'alice', '--data', dataDir]);
    assert.equal(r.status, 0, r.stderr);
    r = cli(['user', 'delete', 'alice', '--data', dataDir]);
    assert.equal(r.status, 1);
    r = cli(['user', 'list', '--data', dataDir]);
    assert.equal(r.stdout.trim(), '');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// A successful sign-in takes back the failures of its own address against its own key (a
// user's typos), and nothing else (lrs_session.c signin_succeeded; docs/api.md): not those of
// another address against that key, not those of its address against other keys. The client
// address comes from X-Forwarded-For of a trusted proxy (docs/reverse-proxy.md).
test('a successful sign-in forgives its own address\'s failures for its key, never another source\'s', async () => {
  const env = { SCOLAR_SIGNIN_FAILS: '3', SCOLAR_TRUSTED_PROXY: '127.0.0.1' };
  const from = (t, addr, key, secret) => call(t, 'POST', '/api/session',
    { body: { key, secret }, headers: { 'X-Forwarded-For': addr } });
  const X = '203.0.113.10', Y = '198.51.100.20', Z = '192.0.2.30';
  let t = await startServer({ env });
  try {
    // Z has a credential of its own (here the admin key) and guesses other keys: signing in
    // with its own does not give its address a new budget
    assert.equal((await from(t, Z, 'guess-1', 'x')).status, 401);
    assert.equal((await from(t, Z, 'guess-2', 'x')).status, 401);
    assert.equal((await from(t, Z, ADMIN_KEY, ADMIN_SECRET)).status, 200, 'Z signs in with its own');
    assert.equal((await from(t, Z, 'guess-3', 'x')).status, 401, "Z's third failure");
    let r = await from(t, Z, 'guess-4', 'x');
    assert.equal(r.status, 429, "Z's address is at its limit: its own sign-in took back nothing");
    assert.equal(r.json.message.replace(/\d+ s$/, 'N s'), 'too many failed sign-ins: try again in N s');
    // X mistypes the admin secret twice, then signs in: those two are taken back, from the
    // key's count and from X's, so three more failures pass before the limit
    assert.equal((await from(t, X, ADMIN_KEY, 'typo-1')).status, 401);
    assert.equal((await from(t, X, ADMIN_KEY, 'typo-2')).status, 401);
    assert.equal((await from(t, X, ADMIN_KEY, ADMIN_SECRET)).status, 200, 'X signs in');
    for (let i = 1; i <= 3; i++)
      assert.equal((await from(t, X, ADMIN_KEY, `typo-again-${i}`)).status, 401, `failure ${i} after the sign-in`);
    r = await from(t, X, ADMIN_KEY, ADMIN_SECRET);
    assert.equal(r.status, 429, 'three new failures reach the limit');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  } finally {
    await t.stop();
  }
  t = await startServer({ env });
  try {
    // Y guesses at the admin key; its owner signing in from X meanwhile clears nothing of it
    assert.equal((await from(t, Y, ADMIN_KEY, 'guess-1')).status, 401);
    assert.equal((await from(t, Y, ADMIN_KEY, 'guess-2')).status, 401);
    assert.equal((await from(t, X, ADMIN_KEY, ADMIN_SECRET)).status, 200, "the key's owner signs in from X");
    assert.equal((await from(t, Y, ADMIN_KEY, 'guess-3')).status, 401, "Y's third guess");
    const r = await from(t, X, ADMIN_KEY, ADMIN_SECRET);
    assert.equal(r.status, 429, "Y's three guesses hold the key at its limit, for X too");
    assert.equal(r.headers.getSetCookie().length, 0);
  } finally {
    await t.stop();
  }
});

test('failed sign-ins are limited per address and name: 429 with Retry-After, then nothing passes', async () => {
  const t = await startServer({ env: { SCOLAR_SIGNIN_FAILS: '3' } });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await call(t, 'POST', '/api/session', { body: { key: ADMIN_KEY, secret: `wrong-${i}` } });
      assert.equal(r.status, 401, `attempt ${i + 1}`);
    }
    let r = await call(t, 'POST', '/api/session', { body: { key: ADMIN_KEY, secret: 'wrong-again' } });
    assert.equal(r.status, 429);
    assert.match(r.json.message, /too many failed sign-ins/);
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait > 0 && wait <= 301, `Retry-After ${wait}`);
    r = await call(t, 'POST', '/api/session', { body: { key: ADMIN_KEY, secret: ADMIN_SECRET } });
    assert.equal(r.status, 429, 'not even the right secret until the window ends');
    assert.equal(r.headers.getSetCookie().length, 0);
    r = await call(t, 'GET', '/api/credentials', { headers: { Authorization: basic(ADMIN_KEY, ADMIN_SECRET) } });
    assert.equal(r.status, 200, 'Basic authentication of API clients is not affected');
  } finally {
    await t.stop();
  }
});
