// SPDX-License-Identifier: Apache-2.0
// The run-time's HTTP surface without a browser: registrations (201, launch URL on the content
// origin, pinned course version), tokens (another registration's, revoked, missing), commits
// (invalid value, unknown element, read-only element, oversize body, stale or duplicate seq,
// session ended) rejected or ignored with the right status and nothing changed; content
// origin headers (CSP frame-ancestors, nosniff, MIME table, attachments, path checks).
// Needs no corpus (issue 18): the packages are the one-SCO probes of lib/browser.mjs
// (probe-2004, probe-12) and media-2004, the probe with files of each MIME type beside it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { startServer, tempDir, cli, freePort, ON_PG } from '../lib/server.mjs';
import { importPackages, register, report, waitStatements, verbs } from '../lib/browser.mjs';

let srv, courses, dataDir;

before(async () => {
  dataDir = tempDir();
  courses = importPackages(dataDir, ['probe-2004', 'probe-12', 'media-2004']);
  srv = await startServer({ dataDir });
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const C = (p) => srv.content + p;

async function post(path, body, headers = { 'Content-Type': 'text/plain;charset=UTF-8' }) {
  const r = await fetch(C(path), { method: 'POST', body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), headers });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text, headers: r.headers };
}

async function launch(reg, token, sco) {
  const r = await post(`/player/${reg.registration}/launch`, { token, sco });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('registration: 201 with a launch URL on the content origin; bad input named', async () => {
  const r = await srv.req('POST', '/api/registrations', {
    body: { course: courses['probe-2004'], learner: { id: 'h1', name: 'H One' } },
  });
  assert.equal(r.status, 201);
  assert.match(r.json.registration, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(r.json.launch_url, `${srv.content}/player/${r.json.registration}?token=${r.json.token}`);
  assert.equal(r.json.course_version, 1);
  for (const [body, status, re] of [
    [{ course: 'nope', learner: { id: 'x' } }, 404, /no course nope/],
    [{ course: courses['probe-2004'], learner: { id: 'has space' } }, 400, /learner\.id/],
    [{ course: courses['probe-2004'] }, 400, /learner\.id/],
    [{ learner: { id: 'x' } }, 400, /course/],
    [{ course: courses['probe-2004'], learner: { id: 'x' }, mode: 'preview' }, 400, /^mode: .*normal, browse or review/],
    [{ course: courses['probe-2004'], learner: { id: 'x' }, credit: 'yes' }, 400, /^credit: /],
    [{ course: courses['probe-2004'], learner: { id: 'x' }, strict: 'yes' }, 400, /^strict must be true or false/],
  ]) {
    const b = await srv.req('POST', '/api/registrations', { body });
    assert.equal(b.status, status, JSON.stringify(body));
    assert.match(b.json.message, re);
  }
  assert.equal((await srv.req('POST', '/api/registrations', { body: { course: 'x', learner: { id: 'y' } }, auth: null })).status, 401);
  const rv = await srv.req('POST', '/api/registrations', {
    body: { course: courses['probe-2004'], learner: { id: 'rv' }, mode: 'review', credit: 'no-credit' },
  });
  assert.equal(rv.status, 201);
  const lv = await post(`/player/${rv.json.registration}/launch`, { token: rv.json.token, sco: 'item_1' });
  assert.equal(lv.json.initial['cmi.mode'], 'review');
  assert.equal(lv.json.initial['cmi.credit'], 'no-credit');
  // validation: lenient by default, spec-exact with "strict": true (docs/registrations.md)
  assert.equal(rv.json.strict, false);
  assert.equal(lv.json.strict, false);
  const sr = await srv.req('POST', '/api/registrations', {
    body: { course: courses['probe-2004'], learner: { id: 'st' }, strict: true },
  });
  assert.equal(sr.status, 201);
  assert.equal(sr.json.strict, true);
  const sl = await post(`/player/${sr.json.registration}/launch`, { token: sr.json.token, sco: 'item_1' });
  assert.equal(sl.json.strict, true);
  // RTE 4th 4.1.1.6 long_identifier_type: "urn:" needs NID:NSS; the lenient registration takes it
  const bad = { 'cmi.interactions.0.id': 'urn:x' };
  const c1 = await post(`/player/${sr.json.registration}/commit/${sl.json.session}`, { token: sr.json.token, seq: 1, final: false, changes: bad });
  assert.equal(c1.status, 400, c1.text);
  assert.deepEqual([c1.json.element, c1.json.scorm_error], ['cmi.interactions.0.id', 406]);
  const c2 = await post(`/player/${rv.json.registration}/commit/${lv.json.session}`, { token: rv.json.token, seq: 1, final: false, changes: bad });
  assert.equal(c2.status, 200, c2.text);
  assert.equal((await srv.req('GET', '/api/registrations/00000000-0000-4000-8000-000000000000')).status, 404);
});

test('tokens: only their own registration; revoked and missing tokens refused', async () => {
  const a = await register(srv, courses['probe-2004'], { id: 'ta', name: 'A' });
  const b = await register(srv, courses['probe-2004'], { id: 'tb', name: 'B' });
  assert.equal((await fetch(C(`/player/${a.registration}?token=${a.token}`))).status, 200);
  assert.equal((await fetch(C(`/player/${a.registration}?token=${b.token}`))).status, 403);
  assert.equal((await fetch(C(`/player/${a.registration}`))).status, 401);
  assert.equal((await fetch(C(`/player/${a.registration}/state?token=${b.token}`))).status, 403);
  assert.equal((await post(`/player/${a.registration}/launch`, { token: b.token, sco: 'item_1' })).status, 403);
  const la = await launch(a, a.token, 'item_1');
  // a commit for A's session with B's token changes nothing
  const bad = await post(`/player/${a.registration}/commit/${la.session}`, { token: b.token, seq: 1, changes: { 'cmi.location': 'evil' } });
  assert.equal(bad.status, 403);
  // B's token cannot reach A's session through B's registration either
  assert.equal((await post(`/player/${b.registration}/commit/${la.session}`, { token: b.token, seq: 1, changes: { 'cmi.location': 'evil' } })).status, 404);
  assert.equal((await report(srv, a.registration)).scos[0].cmi['cmi.location'], undefined);
  // revoke: every token of A stops working; a new one works
  assert.equal((await srv.req('DELETE', `/api/registrations/${a.registration}/token`)).status, 204);
  assert.equal((await fetch(C(`/player/${a.registration}?token=${a.token}`))).status, 401);
  assert.equal((await post(`/player/${a.registration}/commit/${la.session}`, { token: a.token, seq: 1, changes: {} })).status, 401);
  const fresh = await srv.req('POST', `/api/registrations/${a.registration}/token`);
  assert.equal(fresh.status, 201);
  assert.equal((await fetch(fresh.json.launch_url)).status, 200);
  assert.equal((await fetch(C(`/player/${b.registration}?token=${b.token}`))).status, 200, 'B unaffected');
});

test('commits: invalid values, unknown and read-only elements, oversize, stale seq change nothing', async () => {
  const r = await register(srv, courses['probe-2004'], { id: 'c1', name: 'C' });
  const L = await launch(r, r.token, 'item_1');
  assert.equal(L.initial['cmi.entry'], 'ab-initio');
  assert.equal(L.initial['cmi.learner_id'], 'c1');
  const url = `/player/${r.registration}/commit/${L.session}`;
  let c = await post(url, { token: r.token, seq: 1, changes: { 'cmi.location': 'p1', 'cmi.suspend_data': 'abc' } });
  assert.equal(c.status, 200);
  assert.deepEqual(c.json, { applied: true, seq: 1, final: false });
  for (const [changes, element, code] of [
    [{ 'cmi.location': 'p2', 'cmi.score.scaled': '1.5' }, 'cmi.score.scaled', 407],
    [{ 'cmi.location': 'p2', 'cmi.completion_status': 'done' }, 'cmi.completion_status', 406],
    [{ 'cmi.location': 'p2', 'cmi.no_such_thing': 'x' }, 'cmi.no_such_thing', 401],
    [{ 'cmi.location': 'p2', 'cmi.learner_id': 'someone-else' }, 'cmi.learner_id', 404],
    [{ 'cmi.location': 'p2', 'cmi.interactions._count': '3' }, 'cmi.interactions._count', 404],
    [{ 'cmi.location': 'p2', 'cmi.interactions.1.id': 'q' }, 'cmi.interactions.1.id', 351],
    [{ 'cmi.location': 'p2', 'cmi.interactions.0.type': 'choice' }, 'cmi.interactions.0.type', 408],
    [{ 'cmi.location': 'p2', 'cmi.session_time': '12 minutes' }, 'cmi.session_time', 406],
  ]) {
    c = await post(url, { token: r.token, seq: 2, changes });
    assert.equal(c.status, 400, JSON.stringify(changes));
    assert.equal(c.json.element, element);
    assert.equal(c.json.scorm_error, code, `${element}: ${c.json.message}`);
  }
  c = await post(url, { token: r.token, seq: 2, changes: { 'cmi.location': 5 } });
  assert.equal(c.status, 400, 'values are strings');
  c = await post(url, '{"token": "' + r.token + '", "seq": 2, "changes": {"cmi.location": "p2"}', undefined);
  assert.equal(c.status, 400, 'malformed JSON');
  c = await post(url, { token: r.token, seq: 2, changes: { 'cmi.suspend_data': 'z'.repeat(5 << 20) } });
  assert.equal(c.status, 413, 'oversize body');
  // the strict JSON scan of the statement API (issue 15): \u0000 would truncate the value when
  // stored, invalid UTF-8 would make the learner's statements unreadable, duplicate keys are
  // ambiguous
  c = await post(url, '{"token": "' + r.token + '", "seq": 2, "changes": {"cmi.location": "p2\\u0000hidden"}}');
  assert.equal(c.status, 400, '\\u0000 refused');
  assert.match(c.json.message, /^body: \$\.changes\["cmi\.location"\]|^body: \$/);
  assert.match(c.json.message, /u0000/);
  c = await post(url, Buffer.concat([Buffer.from('{"token": "' + r.token + '", "seq": 2, "changes": {"cmi.location": "p'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]));
  assert.equal(c.status, 400, 'invalid UTF-8 refused');
  c = await post(url, '{"token": "' + r.token + '", "seq": 2, "seq": 3, "changes": {"cmi.location": "p2"}}');
  assert.equal(c.status, 400, 'duplicate keys refused');
  // none of it was stored
  let rep = await report(srv, r.registration);
  assert.equal(rep.scos[0].cmi['cmi.location'], 'p1');
  assert.equal(rep.scos[0].cmi['cmi.suspend_data'], 'abc');
  // a duplicate and a late (stale) seq are answered but ignored
  c = await post(url, { token: r.token, seq: 1, changes: { 'cmi.location': 'stale' } });
  assert.equal(c.status, 200);
  assert.deepEqual(c.json, { applied: false, seq: 1, final: false });
  c = await post(url, { token: r.token, seq: 3, changes: { 'cmi.location': 'p3', 'cmi.session_time': 'PT10S' } });
  assert.equal(c.json.applied, true);
  c = await post(url, { token: r.token, seq: 2, changes: { 'cmi.location': 'late' } });
  assert.equal(c.json.applied, false);
  c = await post(url, { token: r.token, seq: 4, final: true, changes: { 'cmi.exit': 'suspend', 'cmi.session_time': 'PT12.5S' } });
  assert.deepEqual(c.json, { applied: true, seq: 4, final: true });
  // after Terminate: a beacon arriving late is refused, nothing changes
  c = await post(url, { token: r.token, seq: 5, changes: { 'cmi.location': 'after' } });
  assert.equal(c.status, 409);
  rep = await report(srv, r.registration);
  assert.equal(rep.scos[0].cmi['cmi.location'], 'p3');
  assert.equal(rep.scos[0].entry, 'resume');
  assert.equal(rep.scos[0].total_time_cs, 1250, 'the last session_time of the session, added once');
  assert.equal(rep.scos[0].total_time, 'PT12.50S');
  // resume: the data comes back, total_time accumulates over sessions of the attempt
  const L2 = await launch(r, r.token, 'item_1');
  assert.equal(L2.initial['cmi.entry'], 'resume');
  assert.equal(L2.initial['cmi.location'], 'p3');
  assert.equal(L2.initial['cmi.total_time'], 'PT12.50S');
  const url2 = `/player/${r.registration}/commit/${L2.session}`;
  c = await post(url2, { token: r.token, seq: 1, final: true, changes: { 'cmi.exit': 'normal', 'cmi.session_time': 'PT1M' } });
  assert.equal(c.json.applied, true);
  rep = await report(srv, r.registration);
  assert.equal(rep.scos[0].time_spent_cs, 7250);
  assert.equal(rep.scos[0].attempt, 2, 'a normal exit ends the attempt');
  const L3 = await launch(r, r.token, 'item_1');
  assert.equal(L3.initial['cmi.entry'], 'ab-initio');
  assert.equal(L3.initial['cmi.location'], undefined, 'a new attempt starts fresh');
  assert.equal(L3.initial['cmi.total_time'], 'PT0H0M0S');
  // the third session's SCO has not initialised: no statement for it yet
  let st = await waitStatements(srv, r.registration, (l) => l.length >= 4);
  assert.deepEqual(verbs(st), ['initialized', 'suspended', 'resumed', 'terminated']);
  const ini = await post(`/player/${r.registration}/initialized/${L3.session}`, { token: r.token });
  assert.equal(ini.status, 204);
  assert.equal((await post(`/player/${r.registration}/initialized/${L3.session}`, { token: r.token })).status, 204);
  st = await waitStatements(srv, r.registration, (l) => l.length >= 5);
  assert.deepEqual(verbs(st), ['initialized', 'suspended', 'resumed', 'terminated', 'initialized']);
  assert.equal((await post(`/player/${r.registration}/initialized/${L3.session}`, { token: 'nope' })).status, 401);
});

// issue 15: a commit sent before a navigation request is applied before it, even when it
// arrives later (the beacon of an unloading SCO overtaken by the player's exitAll): the request
// carries the session and the last commit seq the player sent, and waits for that commit.
test('ordering: a final commit arriving after the exitAll that followed it is applied (cmi.exit kept)', async () => {
  const C04 = courses['probe-2004'];
  async function setup(learner) {
    const reg = (await srv.req('POST', '/api/registrations', { body: { course: C04, learner: { id: learner } } })).json;
    // the probe declares no flow (CAM's default controlMode flow="false"): the learner chooses
    const nav = await post(`/player/${reg.registration}/nav`, { token: reg.token, request: 'choice', target: 'item_1' });
    assert.equal(nav.status, 200, nav.text);
    assert.equal(nav.json.deliver, 'item_1', 'the only activity is delivered');
    const L = await launch(reg, reg.token, 'item_1');
    const url = `/player/${reg.registration}/commit/${L.session}`;
    const c1 = await post(url, { token: reg.token, seq: 1, final: false, changes: { 'cmi.location': 'p1' } });
    assert.deepEqual(c1.json, { applied: true, seq: 1, final: false });
    return { reg, L, url };
  }
  const late = { 'cmi.completion_status': 'completed', 'cmi.exit': 'suspend', 'cmi.session_time': 'PT7S', 'cmi.location': 'p2' };

  // the request names commit 2, which arrives 400 ms after it
  const a = await setup('order-1');
  const t0 = Date.now();
  const navP = post(`/player/${a.reg.registration}/nav`,
    { token: a.reg.token, request: 'exitAll', session: a.L.session, commit_seq: 2 });
  await new Promise((r) => setTimeout(r, 400));
  const c2 = await post(a.url, { token: a.reg.token, seq: 2, final: true, changes: late });
  const nav = await navP;
  assert.equal(c2.status, 200, c2.text);
  assert.deepEqual(c2.json, { applied: true, seq: 2, final: true }, 'the late commit is applied');
  assert.equal(nav.status, 200, nav.text);
  assert.equal(nav.json.ended, true, 'exitAll ended the course attempt after it');
  assert.ok(Date.now() - t0 >= 400, 'the request waited for the commit');
  const st = await waitStatements(srv, a.reg.registration, (l) => verbs(l).includes('suspended'));
  assert.deepEqual(verbs(st), ['initialized', 'completed', 'suspended'],
    'cmi.exit "suspend" of the late commit was kept (a suspended statement, with its completion)');
  const rep = await report(srv, a.reg.registration);
  assert.equal(rep.scos[0].cmi['cmi.location'], 'p2', 'its data is the attempt\'s');
  assert.equal(rep.scos[0].cmi['cmi.completion_status'], 'completed');
  assert.equal(rep.scos[0].time_spent_cs, 700, 'its session_time counted');

  // without the ordering fields (an older player) the late commit finds the session ended
  const b = await setup('order-2');
  const navB = await post(`/player/${b.reg.registration}/nav`, { token: b.reg.token, request: 'exitAll' });
  assert.equal(navB.json.ended, true);
  const c2b = await post(b.url, { token: b.reg.token, seq: 2, final: true, changes: late });
  assert.equal(c2b.status, 409, 'refused: the session ended before it arrived');

  // a commit that never comes holds the request at most 3 s; bad ordering fields are 400
  const c = await setup('order-3');
  const t1 = Date.now();
  const navC = await post(`/player/${c.reg.registration}/nav`,
    { token: c.reg.token, request: 'exitAll', session: c.L.session, commit_seq: 5 });
  assert.equal(navC.status, 200);
  assert.equal(navC.json.ended, true);
  const waited = Date.now() - t1;
  assert.ok(waited >= 2900 && waited < 6000, `waited ${waited} ms`);
  for (const body of [{ session: c.L.session }, { commit_seq: 1 }, { session: c.L.session, commit_seq: 'x' },
    { session: c.L.session, commit_seq: 1.5 }]) {
    const r = await post(`/player/${c.reg.registration}/nav`, { token: c.reg.token, request: 'status', ...body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.message, /session and commit_seq/);
  }
});

test('1.2 at LMSFinish: mastery-free status completed; lesson_status rules; time as CMITimespan', async () => {
  const r = await register(srv, courses['probe-12'], { id: 'r12', name: 'R' });
  const L = await launch(r, r.token, (await (await fetch(C(`/player/${r.registration}/state?token=${r.token}`))).json()).resume);
  assert.equal(L.scorm_version, 'scorm12');
  assert.equal(L.initial['cmi.core.entry'], 'ab-initio');
  assert.equal(L.initial['cmi.core.total_time'], '0000:00:00.00');
  const url = `/player/${r.registration}/commit/${L.session}`;
  let c = await post(url, { token: r.token, seq: 1, changes: { 'cmi.core.lesson_status': 'not attempted' } });
  assert.equal(c.status, 400);
  assert.equal(c.json.scorm_error, 406, 'the SCO may not set not attempted');
  c = await post(url, { token: r.token, seq: 1, changes: { 'cmi.core.score.raw': '55', 'cmi.core.session_time': '0001:02:03.5' } });
  assert.equal(c.json.applied, true);
  c = await post(url, { token: r.token, seq: 2, final: true, changes: { 'cmi.core.exit': '' } });
  assert.equal(c.json.applied, true);
  const rep = await report(srv, r.registration);
  const s = rep.scos[0];
  assert.equal(s.cmi['cmi.core.lesson_status'], 'completed', 'LMSFinish without a status: completed');
  assert.equal(s.time_spent_cs, (3600 + 120 + 3) * 100 + 50);
  assert.equal(rep.total_time, '0001:02:03.50');
  assert.deepEqual(rep.score, { scaled: 0.55 });
});

test('content origin: CSP frame-ancestors, nosniff, MIME table, attachments, path checks', async () => {
  const course = courses['media-2004'];
  // where the files live (scorm/scorm_content.h): DATA/content/<course>/ on LMDB, rows of the
  // database on PostgreSQL (SCOLAR_TEST_BACKEND=pg), the node's folder holding none of them
  assert.equal(existsSync(join(dataDir, 'content', course)), !ON_PG);
  let r = await fetch(C(`/content/${course}/1/shared/launchpage.html`));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('content-security-policy'), `frame-ancestors 'self' ${srv.base}`);
  assert.equal(r.headers.get('access-control-allow-credentials'), null);
  r = await fetch(C(`/content/${course}/1/shared/scormfunctions.js`));
  assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`));
  assert.equal(r.headers.get('content-type'), 'image/jpeg');
  // byte ranges (media seeking)
  const whole = Buffer.from(await (await fetch(C(`/content/${course}/1/shared/background.jpg`))).arrayBuffer());
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { Range: 'bytes=10-19' } });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), `bytes 10-19/${whole.length}`);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole.subarray(10, 20));
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { Range: 'bytes=-5' } });
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole.subarray(whole.length - 5));
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { Range: `bytes=${whole.length}-` } });
  assert.equal(r.status, 416);
  assert.equal(r.headers.get('content-range'), `bytes */${whole.length}`);
  // a strong ETag (RFC 9110 8.8.3): If-None-Match answers 304, If-Range with another tag the
  // whole file (13.1.5), with ours the range
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`));
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[^"]+"$/);
  await r.arrayBuffer();
  r = await fetch(C(`/content/${course}/1/shared/launchpage.html`));
  assert.notEqual(r.headers.get('etag'), etag, 'another file, another tag');
  await r.arrayBuffer();
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { 'If-None-Match': `"x", ${etag}` } });
  assert.equal(r.status, 304);
  assert.equal(r.headers.get('etag'), etag);
  assert.equal((await r.arrayBuffer()).byteLength, 0);
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { 'If-None-Match': '"other"' } });
  assert.equal(r.status, 200);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole);
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { Range: 'bytes=10-19', 'If-Range': '"other"' } });
  assert.equal(r.status, 200);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole);
  r = await fetch(C(`/content/${course}/1/shared/background.jpg`), { headers: { Range: 'bytes=10-19', 'If-Range': etag } });
  assert.equal(r.status, 206);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole.subarray(10, 20));
  r = await fetch(C(`/content/${course}/1/imsss_v1p0.xsd`));
  assert.equal(r.headers.get('content-type'), 'application/xml');
  r = await fetch(C(`/content/${course}/1/XMLSchema.dtd`));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/octet-stream');
  assert.equal(r.headers.get('content-disposition'), 'attachment');
  for (const p of [`/content/${course}/1/../../../store.mdb`, `/content/${course}/1/%2e%2e/%2e%2e/store.mdb`,
    `/content/${course}/1/shared/..%2f..%2fimsmanifest.xml`, `/content/${course}/0/imsmanifest.xml`,
    `/content/${course}/1/`, `/content/..%2f..%2f/1/x`]) {
    r = await fetch(C(p));
    assert.equal(r.status, 404, p);
  }
  // the API origin does not serve package files or the player
  assert.equal((await fetch(`${srv.base}/content/${course}/1/shared/launchpage.html`)).status, 404);
  r = await fetch(C('/runtime/scorm-api.js'));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await fetch(C('/runtime/datamodel.json'))).status, 200);
  assert.equal((await fetch(C('/runtime/../lrs/main.c'))).status, 404);
});

test('scolar registration create and token: the CLI prints launch URLs that work once served', async () => {
  const dir = tempDir();
  try {
    const ids = importPackages(dir, ['probe-12']);
    const course = ids['probe-12'];
    const env = { SCOLAR_CONTENT_URL: 'https://content.example.net' };
    let r = cli(['registration', 'create', '--data', dir, '--course', 'nope', '--learner-id', 'x'], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no course nope/);
    r = cli(['registration', 'create', '--data', dir, '--course', course, '--learner-id', 'x', '--mode', 'fast'], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mode: mode must be normal, browse or review/);
    r = cli(['registration', 'create', '--data', dir], { env });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /needs --course and --learner-id/);
    r = cli(['registration', 'create', '--data', dir, '--course', course, '--learner-id', 'cli-1',
      '--learner-name', 'Cli Learner'], { env });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.launch_url, `https://content.example.net/player/${out.registration}?token=${out.token}`);
    assert.equal(out.course, course);
    assert.equal(out.strict, false);
    r = cli(['registration', 'create', '--data', dir, '--course', course, '--learner-id', 'cli-2', '--strict'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).strict, true, '--strict: spec-exact validation');
    // `registration token`: a new launch link for the same registration
    r = cli(['registration', 'token', '--data', dir, '--registration', '0b0b0b0b-0000-4000-8000-000000000000'], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot issue a token for registration 0b0b0b0b-0000-4000-8000-000000000000: no such registration/);
    r = cli(['registration', 'token', '--data', dir], { env });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /registration token needs --registration/);
    r = cli(['registration', 'token', '--data', dir, '--registration', out.registration, '--course', course], { env });
    assert.equal(r.status, 2, 'token takes no create options');
    r = cli(['registration', 'token', '--data', dir, '--registration', out.registration], { env });
    assert.equal(r.status, 0, r.stderr);
    const tok = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(tok).sort(), ['expires', 'launch_url', 'registration', 'token']);
    assert.equal(tok.registration, out.registration);
    assert.notEqual(tok.token, out.token, 'a new token');
    assert.equal(tok.launch_url, `https://content.example.net/player/${out.registration}?token=${tok.token}`);
    const days = (Date.parse(tok.expires) - Date.now()) / 86400000;
    assert.ok(days > 6.9 && days <= 7, `expires in 7 days (${tok.expires})`);
    const srv2 = await startServer({ dataDir: dir });
    try {
      assert.equal((await fetch(`${srv2.content}/player/${out.registration}?token=${out.token}`)).status, 200);
      assert.equal((await fetch(`${srv2.content}/player/${out.registration}?token=${tok.token}`)).status, 200,
        'the new token works, and the first one still does');
      assert.equal((await fetch(`${srv2.content}/player/${out.registration}?token=${tok.token}x`)).status, 401);
      const rep = await srv2.req('GET', `/api/registrations/${out.registration}`);
      assert.deepEqual(rep.json.learner, { id: 'cli-1', name: 'Cli Learner' });
    } finally {
      await srv2.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokens expire (SCOLAR_TOKEN_TTL)', async () => {
  const dir = tempDir();
  try {
    const ids = importPackages(dir, ['probe-12']);
    const srv2 = await startServer({ dataDir: dir, env: { SCOLAR_TOKEN_TTL: '3' } });
    try {
      const r = await register(srv2, ids['probe-12'], { id: 'ttl', name: 'T' });
      assert.equal((await fetch(r.launch_url)).status, 200);
      await new Promise((res) => setTimeout(res, 3500));
      const x = await fetch(r.launch_url);
      assert.equal(x.status, 401);
      assert.match((await x.json()).message, /expired/);
      const fresh = await srv2.req('POST', `/api/registrations/${r.registration}/token`);
      assert.equal((await fetch(fresh.json.launch_url)).status, 200, 'a new token works');
    } finally {
      await srv2.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The content origin starts after the API origin answers /healthz; civetweb answers a request
// accepted before the handler is set with its own 404 (the flake "GET /player → 404 right after
// start"). A request sent the moment the content port accepts must be answered by scolar.
test('right after start, the content origin answers with scolar\'s routes (never civetweb\'s 404)', async () => {
  for (let k = 0; k < 3; k++) {
    const dir = tempDir();
    const cport = await freePort();
    const first = new Promise((resolve) => {
      const t0 = Date.now();
      const tryOnce = () => {
        const s = net.connect(cport, '127.0.0.1', () => s.write(`GET /player/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}?token=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        let buf = '';
        s.on('data', (d) => { buf += d; });
        s.on('error', () => {});
        s.on('close', () => (buf ? resolve(buf) : Date.now() - t0 < 20000 ? setTimeout(tryOnce, 2) : resolve('')));
      };
      tryOnce();
    });
    const srv2 = await startServer({ dataDir: dir, args: ['--content-listen', `127.0.0.1:${cport}`] });
    try {
      const head = (await first).split('\r\n')[0];
      assert.equal(head, 'HTTP/1.1 401 Unauthorized', 'the first answer of the content origin');
    } finally {
      await srv2.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
