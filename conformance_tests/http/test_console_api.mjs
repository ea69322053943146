// SPDX-License-Identifier: Apache-2.0
// The console's admin API (issue 13): the embedded pages (CSP, gzip, ETag/304, favicon on both
// origins), the course id rule (an upload never joins another course), server-side paging and
// search of courses, registrations and learners with exact totals, the counters and summaries
// a commit keeps, preview registrations that record nothing, delete refused while
// registrations exist, reset and delete of a registration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startServer, cli, tempDir, SHARED } from '../lib/server.mjs';
import { waitConsistent } from '../lib/xapi.mjs';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const work = tempDir('scolar-console-');

// A shared package zipped, its manifest identifier replaced when `ident` is given.
function pkg(name, ident, tag = ident || name) {
  const dir = join(work, `src-${tag}-${name}`);
  cpSync(join(SHARED, 'scorm-packages', name), dir, { recursive: true });
  if (ident) {
    const m = join(dir, 'imsmanifest.xml');
    const xml = readFileSync(m, 'utf8');
    const out = xml.replace(/(<manifest\b[^>]*?\bidentifier=")[^"]*(")/, `$1${ident}$2`);
    assert.notEqual(out, xml, 'manifest identifier replaced');
    writeFileSync(m, out);
  }
  const zip = join(work, `${tag}-${name}.zip`);
  execFileSync('zip', ['-qr', zip, '.'], { cwd: dir });
  return readFileSync(zip);
}

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); rmSync(work, { recursive: true, force: true }); });

const upload = (zip, query = '') =>
  s.req('POST', `/api/courses${query}`, { body: zip, headers: { 'Content-Type': 'application/zip' } });

async function raw(url, headers = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

test('console pages: index at /, files under /web/, CSP and framing headers, gzip, ETag/304', async () => {
  const r = await raw(`${s.base}/`, { 'Accept-Encoding': 'identity' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(r.headers.get('content-security-policy'), CSP);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.equal(r.headers.get('content-encoding'), null);
  assert.match(r.body.toString(), /<!doctype html>/i);
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);

  const w = await raw(`${s.base}/web/index.html`, { 'Accept-Encoding': 'identity' });
  assert.equal(w.status, 200);
  assert.deepEqual(w.body, r.body, '/web/index.html is the same file');

  const gz = await fetch(`${s.base}/`, { headers: { 'Accept-Encoding': 'gzip' } });
  // fetch decodes gzip itself; check the header and the size on the wire with a raw request
  assert.equal(gz.headers.get('content-encoding'), 'gzip');
  assert.deepEqual(Buffer.from(await gz.arrayBuffer()), r.body, 'gzip decodes to the same bytes');
  const wire = execFileSync('curl', ['-s', '-H', 'Accept-Encoding: gzip', `${s.base}/`]);
  assert.deepEqual(gunzipSync(wire), r.body);
  assert.ok(wire.length < r.body.length, 'smaller compressed');
  const q0 = await raw(`${s.base}/`, { 'Accept-Encoding': 'gzip;q=0' });
  assert.equal(q0.headers.get('content-encoding'), null, 'gzip;q=0 is a refusal');

  const nm = await raw(`${s.base}/`, { 'If-None-Match': etag });
  assert.equal(nm.status, 304);
  assert.equal(nm.body.length, 0);
  assert.equal(nm.headers.get('etag'), etag);
  assert.equal((await raw(`${s.base}/`, { 'If-None-Match': '"other"' })).status, 200);

  // index.html loads its files from /web/<version>/: immutable there; index.html, plain
  // /web/ paths and another version's paths are revalidated
  const ver = /"\/web\/(v-[0-9a-f]{12})\/app\.js"/.exec(r.body.toString())[1];
  assert.ok(ver, 'index.html names a versioned app.js');
  const app = await raw(`${s.base}/web/${ver}/app.js`, { 'Accept-Encoding': 'identity' });
  assert.equal(app.status, 200);
  assert.equal(app.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(app.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const plain = await raw(`${s.base}/web/app.js`, { 'Accept-Encoding': 'identity' });
  assert.deepEqual(plain.body, app.body);
  assert.equal(plain.headers.get('cache-control'), 'no-cache');
  const old = await raw(`${s.base}/web/v-000000000000/app.js`);
  assert.equal(old.status, 200, 'a page open across an upgrade still loads');
  assert.equal(old.headers.get('cache-control'), 'no-cache');
  assert.equal((await raw(`${s.base}/web/${ver}/index.html`)).headers.get('cache-control'), 'no-cache');
  assert.equal((await raw(`${s.base}/web/${ver}/nope.js`)).status, 404);

  for (const p of ['/web/nope.js', '/web/../lrs/lrs.h', '/web/', '/index.htm']) {
    const n = await raw(`${s.base}${p}`);
    assert.equal(n.status, 404, p);
  }
  // never on the content origin (course content must not share the console's origin)
  assert.equal((await raw(`${s.content}/`)).status, 404);
  assert.equal((await raw(`${s.content}/web/index.html`)).status, 404);
});

test('favicon on both origins', async () => {
  for (const base of [s.base, s.content]) {
    const f = await raw(`${base}/favicon.ico`);
    assert.equal(f.status, 200, base);
    assert.equal(f.headers.get('content-type'), 'image/svg+xml');
    assert.match(f.body.toString(), /^<svg /);
  }
});

test('an upload never joins another course: shared identifiers, ?course=, long identifiers', async () => {
  const before = (await s.req('GET', '/api/courses')).json.total;
  const a = await upload(pkg('golf-12-RuntimeBasicCalls', 'Course_ID1'));
  assert.equal(a.status, 201, a.text);
  assert.equal(a.json.course, 'Course_ID1');
  const b = await upload(pkg('golf-12-RuntimeMinimumCalls', 'Course_ID1'));
  assert.equal(b.status, 201, b.text);
  assert.equal(b.json.course, 'Course_ID1-2', 'a different package with the same identifier is a new course');
  assert.equal(b.json.course_version, 1);
  const c = await upload(pkg('golf-12-RuntimeBasicCalls', 'Course_ID1'));
  assert.equal(c.json.course, 'Course_ID1-3', 'even the same package again');
  let r = await s.req('GET', '/api/courses/Course_ID1');
  assert.equal(r.json.title, 'Golf Explained - Run-time Basic Calls');
  r = await s.req('GET', '/api/courses/Course_ID1-2');
  assert.equal(r.json.title, 'Golf Explained - Minimum Run-time Calls');

  // ?course=ID: a new version of ID
  const v2 = await upload(pkg('golf-12-RuntimeMinimumCalls', 'Course_ID1'), '?course=Course_ID1');
  assert.equal(v2.status, 201, v2.text);
  assert.equal(v2.json.course, 'Course_ID1');
  assert.equal(v2.json.course_version, 2);
  r = await s.req('GET', '/api/courses/Course_ID1');
  assert.deepEqual(r.json.versions.map((v) => [v.version, v.title, v.scos]),
    [[1, 'Golf Explained - Run-time Basic Calls', 1], [2, 'Golf Explained - Minimum Run-time Calls', v2.json.scos]]);
  assert.equal(v2.json.scos, b.json.scos);
  assert.equal(r.json.title, 'Golf Explained - Minimum Run-time Calls', 'the current version decides the title');
  assert.equal(r.json.registrations, 0);
  // ?course= of a course that does not exist: 404, nothing stored
  const n = await upload(pkg('golf-12-RuntimeBasicCalls'), '?course=no-such-course');
  assert.equal(n.status, 404);
  assert.match(n.json.message, /no course no-such-course/);
  // ?id=: exactly that id, 409 when taken
  const e = await upload(pkg('golf-12-RuntimeBasicCalls'), '?id=Course_ID1-2');
  assert.equal(e.status, 409);
  assert.equal((await s.req('GET', '/api/courses')).json.total, before + 3);

  // 200-character identifiers sharing their first 64: distinct ids within SCORM_MAX_COURSE_ID
  const long1 = 'x'.repeat(64) + 'a'.repeat(136), long2 = 'x'.repeat(64) + 'b'.repeat(136);
  const l1 = await upload(pkg('golf-12-RuntimeBasicCalls', long1, 'long1'));
  const l2 = await upload(pkg('golf-12-RuntimeBasicCalls', long2, 'long2'));
  assert.equal(l1.status, 201, l1.text);
  assert.equal(l2.status, 201, l2.text);
  assert.equal(l1.json.course, 'x'.repeat(64));
  assert.equal(l2.json.course, 'x'.repeat(62) + '-2');
  assert.equal(l2.json.course_version, 1);
  for (const id of [l1.json.course, l2.json.course]) assert.equal((await s.req('GET', `/api/courses/${id}`)).status, 200);

  // delete the extras again (no registrations: 204)
  for (const id of ['Course_ID1-3', l1.json.course, l2.json.course]) assert.equal((await s.req('DELETE', `/api/courses/${id}`)).status, 204);
});

test('scolar import without --course: a new course each time', () => {
  const dir = tempDir();
  try {
    const zip = join(work, 'cli.zip');
    writeFileSync(zip, pkg('golf-12-RuntimeBasicCalls', 'adapt_manifest', 'cli'));
    const one = cli(['import', '--data', dir, zip]);
    const two = cli(['import', '--data', dir, zip]);
    assert.equal(one.status, 0, one.stderr);
    assert.equal(two.status, 0, two.stderr);
    assert.equal(JSON.parse(one.stdout).course, 'adapt_manifest');
    assert.equal(JSON.parse(two.stdout).course, 'adapt_manifest-2');
    assert.equal(JSON.parse(two.stdout).course_version, 1);
    const three = cli(['import', '--data', dir, '--course', 'adapt_manifest', zip]);
    assert.equal(JSON.parse(three.stdout).course_version, 2, '--course names the course: a new version');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('courses: paged and searched on the server, exact totals; bad paging is 400', async () => {
  for (const t of ['alpha', 'beta', 'gamma']) {
    const r = await upload(pkg('golf-12-RuntimeBasicCalls', `page-${t}`), '');
    assert.equal(r.status, 201);
  }
  const all = await s.req('GET', '/api/courses?limit=500');
  const total = all.json.total;
  assert.equal(all.json.items.length, total);
  assert.deepEqual(all.json.items.map((c) => c.id), all.json.items.map((c) => c.id).sort(), 'by id');
  const p1 = await s.req('GET', '/api/courses?limit=2');
  assert.equal(p1.json.items.length, 2);
  assert.equal(p1.json.total, total);
  assert.equal(p1.json.limit, 2);
  const p2 = await s.req('GET', `/api/courses?limit=2&offset=${total - 1}`);
  assert.equal(p2.json.items.length, 1);
  assert.equal(p2.json.offset, total - 1);
  assert.equal(p2.json.items[0].id, all.json.items[total - 1].id);
  const q = await s.req('GET', '/api/courses?q=PAGE-');
  assert.deepEqual(q.json.items.map((c) => c.id), ['page-alpha', 'page-beta', 'page-gamma']);
  assert.equal(q.json.total, 3);
  const q2 = await s.req('GET', '/api/courses?q=page-&offset=1&limit=1');
  assert.deepEqual(q2.json.items.map((c) => c.id), ['page-beta']);
  assert.equal(q2.json.total, 3);
  const byTitle = await s.req('GET', '/api/courses?q=minimum%20run-time');
  assert.deepEqual(byTitle.json.items.map((c) => c.id), ['Course_ID1', 'Course_ID1-2'], 'Course_ID1 v2 has that title');
  const item = q.json.items[0];
  assert.deepEqual(Object.keys(item).sort(), ['completed', 'completion_rate', 'created', 'edition', 'id', 'kind', 'registrations',
    'scorm_version', 'scos', 'title', 'updated', 'version'].sort());
  assert.equal(item.edition, '1.2');
  assert.equal(item.kind, 'scorm12');
  assert.ok(all.json.items.every((c) => c.kind === (c.scorm_version === 'scorm12' ? 'scorm12' : 'scorm2004')), 'kind of each SCORM course');
  assert.equal(item.scos, 1);
  assert.equal(item.version, 1);
  assert.equal(item.registrations, 0);
  assert.equal(item.completion_rate, null);
  for (const bad of ['limit=501', 'limit=-1', 'offset=x', 'limit=']) {
    assert.equal((await s.req('GET', `/api/courses?${bad}`)).status, 400, bad);
  }
});

// ---- registrations, learners, counters -----------------------------------------------------

async function register(course, id, name) {
  const r = await s.req('POST', '/api/registrations', { body: { course, learner: { id, name } } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const C = (p) => s.content + p;
async function player(path, body) {
  const r = await fetch(C(path), { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

// Launch the first SCO and commit a finished, scored session.
async function complete(reg, status = 'completed', raw = '80') {
  const st = await fetch(C(`/player/${reg.registration}/state?token=${reg.token}`)).then((r) => r.json());
  const sco = st.items.find((i) => i.launchable).id;
  const L = await player(`/player/${reg.registration}/launch`, { token: reg.token, sco });
  await player(`/player/${reg.registration}/commit/${L.session}`, {
    token: reg.token, seq: 1, final: true,
    changes: { 'cmi.core.lesson_status': status, 'cmi.core.score.raw': raw, 'cmi.core.session_time': '0000:01:30.00' },
  });
}

async function stmtCount(reg) {
  await waitConsistent(s);
  const r = await s.req('GET', `/xapi/statements?registration=${reg}&limit=500`);
  assert.equal(r.status, 200);
  return r.json.statements.length;
}

test('registrations and learners: paged newest first, searched, counted; a completion moves the counters', async () => {
  const course = 'page-alpha';
  const regs = [];
  for (let i = 1; i <= 5; i++) regs.push(await register(course, `learner-${i}`, i === 3 ? '<b>Bold</b> Three' : `Learner ${i}`));
  regs.push(await register('page-beta', 'learner-1', 'Learner One'));

  let r = await s.req('GET', `/api/courses/${course}/registrations?limit=2`);
  assert.equal(r.status, 200);
  assert.equal(r.json.total, 5);
  assert.deepEqual(r.json.items.map((x) => x.learner.id), ['learner-5', 'learner-4'], 'newest first');
  const it = r.json.items[0];
  assert.deepEqual(Object.keys(it).sort(), ['completion', 'course', 'course_title', 'course_version', 'created',
    'last_access', 'learner', 'registration', 'score', 'success', 'total_time'].sort());
  assert.equal(it.registration, regs[4].registration);
  assert.equal(it.completion, 'not attempted');
  assert.equal(it.score, null);
  assert.equal(it.last_access, null);
  r = await s.req('GET', `/api/courses/${course}/registrations?limit=2&offset=4`);
  assert.deepEqual(r.json.items.map((x) => x.learner.id), ['learner-1']);
  assert.equal(r.json.total, 5);
  r = await s.req('GET', `/api/courses/${course}/registrations?q=bold`);
  assert.deepEqual(r.json.items.map((x) => x.learner.name), ['<b>Bold</b> Three'], 'names are data, returned as given');
  assert.equal(r.json.total, 1);
  assert.equal((await s.req('GET', '/api/courses/no-such/registrations')).status, 404);

  r = await s.req('GET', '/api/learners?q=learner-');
  assert.equal(r.json.total, 5);
  assert.deepEqual(r.json.items.map((l) => [l.id, l.registrations]),
    [['learner-1', 2], ['learner-2', 1], ['learner-3', 1], ['learner-4', 1], ['learner-5', 1]]);
  assert.equal(r.json.items[0].name, 'Learner One', 'the latest name given');
  r = await s.req('GET', '/api/learners?q=THREE');
  assert.deepEqual(r.json.items.map((l) => l.id), ['learner-3']);
  r = await s.req('GET', '/api/learners?limit=1&offset=1&q=learner-');
  assert.deepEqual(r.json.items.map((l) => l.id), ['learner-2']);
  assert.equal(r.json.total, 5);
  r = await s.req('GET', '/api/learners/learner-1');
  assert.equal(r.status, 200);
  assert.equal(r.json.id, 'learner-1');
  assert.deepEqual(r.json.registrations.map((x) => x.course), ['page-beta', 'page-alpha']);
  assert.equal(r.json.total, 2);
  assert.equal((await s.req('GET', '/api/learners/nobody')).status, 404);

  let c = (await s.req('GET', `/api/courses?q=${course}`)).json.items[0];
  assert.deepEqual([c.registrations, c.completed, c.completion_rate], [5, 0, 0]);

  await complete(regs[1]); // learner-2 completes with 80
  await complete(regs[2], 'incomplete', '40');
  c = (await s.req('GET', `/api/courses?q=${course}`)).json.items[0];
  assert.deepEqual([c.registrations, c.completed, c.completion_rate], [5, 1, 0.2]);
  r = await s.req('GET', `/api/courses/${course}/registrations?q=learner-2`);
  const done = r.json.items[0];
  assert.equal(done.completion, 'completed');
  assert.equal(done.success, 'unknown');
  assert.equal(done.score, 0.8);
  assert.equal(done.total_time, 'PT1M30S');
  assert.ok(Date.parse(done.last_access) > Date.now() - 60000, done.last_access);
  r = await s.req('GET', `/api/courses/${course}/registrations?q=learner-3`);
  assert.equal(r.json.items[0].completion, 'incomplete');
  c = (await s.req('GET', `/api/courses/${course}`)).json;
  assert.deepEqual([c.registrations, c.completed], [5, 1]);

  // delete refused while registrations exist; nothing changed
  let d = await s.req('DELETE', `/api/courses/${course}`);
  assert.equal(d.status, 409);
  assert.match(d.json.message, /delete its 5 registrations first/);
  assert.equal((await s.req('GET', `/api/courses/${course}`)).status, 200);

  // reset: run-time data gone, registration and statements kept, counters follow
  const before = await stmtCount(regs[1].registration);
  assert.ok(before > 0, 'the completion made statements');
  d = await s.req('POST', `/api/registrations/${regs[1].registration}/reset`);
  assert.equal(d.status, 200, d.text);
  r = await s.req('GET', `/api/registrations/${regs[1].registration}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.completion, 'not attempted');
  assert.equal(r.json.scos[0].cmi['cmi.core.lesson_status'], undefined, 'run-time data cleared');
  r = await s.req('GET', `/api/courses/${course}/registrations?q=learner-2`);
  assert.equal(r.json.items[0].completion, 'not attempted');
  c = (await s.req('GET', `/api/courses?q=${course}`)).json.items[0];
  assert.deepEqual([c.registrations, c.completed], [5, 0]);
  assert.equal(await stmtCount(regs[1].registration), before, 'statements kept');
  assert.equal((await s.req('POST', `/api/registrations/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/reset`)).status, 404);

  // delete a registration: gone from every list and counter
  d = await s.req('DELETE', `/api/registrations/${regs[0].registration}`);
  assert.equal(d.status, 204);
  assert.equal((await s.req('GET', `/api/registrations/${regs[0].registration}`)).status, 404);
  assert.equal((await s.req('DELETE', `/api/registrations/${regs[0].registration}`)).status, 404);
  r = await s.req('GET', `/api/courses/${course}/registrations`);
  assert.equal(r.json.total, 4);
  assert.equal(r.json.items.length, 4);
  r = await s.req('GET', '/api/learners/learner-1');
  assert.deepEqual(r.json.registrations.map((x) => x.course), ['page-beta']);
  const launch = await fetch(C(`/player/${regs[0].registration}?token=${regs[0].token}`));
  assert.notEqual(launch.status, 200, 'its launch link is dead');
  await launch.arrayBuffer();

  // the last registrations go: the course can be deleted
  for (const x of regs.slice(1, 5)) assert.equal((await s.req('DELETE', `/api/registrations/${x.registration}`)).status, 204);
  r = await s.req('GET', '/api/learners?q=learner-');
  assert.deepEqual(r.json.items.map((l) => l.id), ['learner-1'], 'learners without registrations are gone');
  assert.equal((await s.req('DELETE', `/api/courses/${course}`)).status, 204);
});

test('preview: a launch that records nothing (no statements, not listed, not counted)', async () => {
  const course = 'page-gamma';
  const before = (await s.req('GET', `/api/courses/${course}`)).json;
  const learnersBefore = (await s.req('GET', '/api/learners')).json.total;
  const p = await s.req('POST', `/api/courses/${course}/preview`);
  assert.equal(p.status, 201, p.text);
  assert.equal(p.json.launch_url, `${s.content}/player/${p.json.registration}?token=${p.json.token}`);
  const page = await fetch(p.json.launch_url);
  assert.equal(page.status, 200, 'the player opens');
  await page.arrayBuffer();
  await complete(p.json);
  const rep = await s.req('GET', `/api/registrations/${p.json.registration}`);
  assert.equal(rep.json.completion, 'completed', 'the run-time works as usual');
  assert.equal(await stmtCount(p.json.registration), 0, 'no statements');
  const after = (await s.req('GET', `/api/courses/${course}`)).json;
  assert.deepEqual([after.registrations, after.completed], [before.registrations, before.completed]);
  assert.equal((await s.req('GET', `/api/courses/${course}/registrations`)).json.total, before.registrations);
  assert.equal((await s.req('GET', '/api/learners')).json.total, learnersBefore);
  assert.equal((await s.req('GET', '/api/learners/preview')).status, 404);
  // the same flow with a real registration does make statements (the check above can fail)
  const real = await register(course, 'real-1', 'Real One');
  await complete(real);
  assert.ok(await stmtCount(real.registration) > 0);
  assert.equal((await s.req('POST', '/api/courses/no-such/preview')).status, 404);
  assert.equal((await s.req('DELETE', `/api/courses/${course}`)).status, 409);
});

test('registrations keep being made while the store grows (a full map is grown and the write tried again)', async () => {
  const t = await startServer({ env: { SCOLAR_DB_INITIAL_MAP: '1048576' } });
  try {
    const zip = pkg('golf-12-RuntimeBasicCalls', 'grow', 'grow');
    const c = await t.req('POST', '/api/courses', { body: zip, headers: { 'Content-Type': 'application/zip' } });
    assert.equal(c.status, 201, c.text);
    const n = 400;
    for (let i = 0; i < n; i += 20) {
      const batch = [];
      for (let j = i; j < i + 20; j++) {
        batch.push(t.req('POST', '/api/registrations', { body: { course: 'grow', learner: { id: `g-${j}`, name: 'x'.repeat(200) } } }));
      }
      for (const r of await Promise.all(batch)) assert.equal(r.status, 201, r.text);
    }
    const list = await t.req('GET', '/api/courses/grow/registrations?limit=1');
    assert.equal(list.json.total, n);
    assert.equal((await t.req('GET', '/api/learners')).json.total, n);
  } finally {
    await t.stop();
  }
});
