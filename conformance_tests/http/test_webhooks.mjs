// SPDX-License-Identifier: Apache-2.0
// Webhooks (issue 17): refusals of the admin API, course.imported from an upload through the
// API, registration.completed and registration.passed from a SCORM commit, each a JSON POST
// signed with HMAC-SHA256 of the body; a receiver that fails first gets the event again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from '../lib/server.mjs';
import { zipPackage } from '../lib/browser.mjs';
import { writeCmi5Course } from '../lib/cmi5.mjs';
import { randomUUID } from 'node:crypto';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SECRET = 'a-webhook-secret-of-some-length';
const COURSE = 'probe-2004';

async function until(what, fn, ms = 30000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function receiver() {
  const r = { events: [], fail: 0, requests: 0 };
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      r.requests++;
      if (r.fail > 0) { r.fail--; res.writeHead(503); res.end('later'); return; }
      r.events.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${srv.address().port}/hook`;
  r.close = () => new Promise((ok) => { srv.closeAllConnections(); srv.close(ok); });
  return r;
}

// the one-SCO SCORM 2004 package (item_1) the test library writes: no corpus needed
function zipOf(pkg) {
  return readFileSync(zipPackage(pkg, tempDir('scolar-hook-')));
}

async function content(s, path, body) {
  const r = await fetch(s.content + path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  return { status: r.status, json: await r.json().catch(() => undefined) };
}

test('webhooks: refusals, course.imported and registration events, signed, retried', async () => {
  const rc = await receiver();
  const s = await startServer();
  try {
    const bad = [
      [{ url: rc.url, secret: SECRET }, /events: a non-empty array/],
      [{ url: rc.url, events: ['course.deleted'], secret: SECRET }, /events: unknown event/],
      [{ url: rc.url, events: ['course.imported'], secret: 'short' }, /secret: a string of 16/],
      [{ url: 'file:///etc/passwd', events: ['course.imported'], secret: SECRET }, /url: scheme file refused/],
      [{ url: `${s.content}/hook`, events: ['course.imported'], secret: SECRET }, /url: the content origin/],
    ];
    for (const [body, re] of bad) {
      const r = await s.req('POST', '/api/webhooks', { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.message, re);
    }
    assert.equal((await s.req('GET', '/api/webhooks')).json.webhooks.length, 0);

    const w = await s.req('POST', '/api/webhooks', {
      body: { url: rc.url, secret: SECRET, retry_initial_ms: 50,
        events: ['course.imported', 'registration.completed', 'registration.passed'] },
    });
    assert.equal(w.status, 201, w.text);
    assert.ok(!w.text.includes(SECRET), 'the secret is never in an answer');
    const id = w.json.id;
    assert.equal((await s.req('GET', '/api/forwarders')).json.forwarders.length, 0, 'webhooks are not forwarders');

    rc.fail = 2; // the first delivery fails twice: retried
    const up = await s.req('POST', '/api/courses', { body: zipOf(COURSE), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(up.status, 201, up.text);
    const course = up.json.course;
    const imported = await until('course.imported', () => rc.events.find((e) => e.json.event === 'course.imported'));
    assert.equal(imported.json.course, course);
    assert.equal(imported.json.version, 1);
    assert.equal(imported.headers['x-scolar-event'], 'course.imported');
    const sig = 'sha256=' + createHmac('sha256', SECRET).update(imported.body).digest('hex');
    assert.equal(imported.headers['x-scolar-signature'], sig, 'HMAC-SHA256 of the body');
    assert.ok(rc.requests >= 3);

    const reg = await s.req('POST', '/api/registrations', { body: { course, learner: { id: 'hook-1', name: 'Hook' } } });
    assert.equal(reg.status, 201, reg.text);
    const { registration, token } = reg.json;
    const l = await content(s, `/player/${registration}/launch`, { token, sco: 'item_1' });
    assert.equal(l.status, 200);
    const c1 = await content(s, `/player/${registration}/commit/${l.json.session}`,
      { token, seq: 1, final: false, changes: { 'cmi.location': 'p1' } });
    assert.equal(c1.status, 200);
    await sleep(300);
    assert.equal(rc.events.filter((e) => e.json.event.startsWith('registration.')).length, 0,
      'nothing before the registration completes');
    const c2 = await content(s, `/player/${registration}/commit/${l.json.session}`, {
      token, seq: 2, final: true,
      changes: { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed',
        'cmi.score.scaled': '0.9', 'cmi.exit': 'normal', 'cmi.session_time': 'PT10S' },
    });
    assert.equal(c2.status, 200);
    const done = await until('registration events', () => {
      const ev = rc.events.filter((e) => e.json.registration === registration);
      return ev.length >= 2 ? ev : null;
    });
    assert.deepEqual(done.map((e) => e.json.event).sort(), ['registration.completed', 'registration.passed']);
    for (const e of done) {
      assert.equal(e.json.course, course);
      assert.equal(e.json.learner.id, 'hook-1');
      assert.equal(e.json.completion, 'completed');
      assert.equal(e.json.success, 'passed');
      assert.equal(e.headers['x-scolar-signature'], 'sha256=' + createHmac('sha256', SECRET).update(e.body).digest('hex'));
    }
    const st = await until('status settled', async () => {
      const g = await s.req('GET', `/api/webhooks/${id}`);
      return g.json.status.queued === 0 && g.json.status.sent === 3 ? g.json.status : null;
    });
    assert.equal(st.failed, 0);
    assert.equal(st.last_error.status, 503);
    assert.equal(st.last_error.answer, 'later');
    assert.equal((await s.req('DELETE', `/api/webhooks/${id}`)).status, 204);
    assert.equal((await s.req('GET', `/api/webhooks/${id}`)).status, 404);
  } finally {
    await s.stop();
    await rc.close();
  }
});

// cmi5 registrations (scorm_events.c scorm__outcome_events): the same events from the change of
// the moveOn outcome, in the transaction of the statement, waiver or registration that changes it.
test('webhooks: registration events of cmi5 registrations (AU statements and waivers)', async () => {
  const V = 'http://adlnet.gov/expapi/verbs/';
  const MOVEON = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
  const CAT = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
  const MASTERY = 'https://w3id.org/xapi/cmi5/context/extensions/masteryscore';
  const rc = await receiver();
  const s = await startServer();
  const work = tempDir('scolar-hook-cmi5-');
  const zip = async (kind) => {
    const dir = writeCmi5Course(join(work, kind), kind);
    execFileSync('zip', ['-qr', join(work, `${kind}.zip`), '.'], { cwd: dir });
    const r = await s.req('POST', '/api/courses', { body: readFileSync(join(work, `${kind}.zip`)), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const learner = (name) => ({ objectType: 'Agent', account: { homePage: 'https://example.com/people', name } });
  // launch AU 0, fetch its token, read LaunchData and the preferences (11.0.0.0-3), initialized
  const startAU = async (course, name) => {
    const reg = await s.req('POST', '/api/registrations', { body: { course, actor: learner(name) } });
    assert.equal(reg.status, 201, reg.text);
    const l = await s.req('POST', `/api/registrations/${reg.json.registration}/launch`, { body: { au: 0 } });
    assert.equal(l.status, 201, l.text);
    const p = Object.fromEntries(new URL(l.json.launch_url).searchParams);
    const auth = `Basic ${(await (await fetch(p.fetch, { method: 'POST' })).json())['auth-token']}`;
    const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: p.activityId, agent: p.actor, registration: p.registration });
    const ld = (await s.req('GET', `/xapi/activities/state?${q}`, { auth })).json;
    await s.req('GET', `/xapi/agents/profile?${new URLSearchParams({ profileId: 'cmi5LearnerPreferences', agent: p.actor })}`, { auth });
    const send = async (verb, { result, cats = [], ext = {} } = {}) => {
      const ctx = JSON.parse(JSON.stringify(ld.contextTemplate));
      ctx.registration = p.registration;
      ctx.contextActivities.category = [{ id: CAT }, ...cats.map((id) => ({ id }))];
      Object.assign(ctx.extensions, ext);
      const st = { id: randomUUID(), timestamp: new Date().toISOString(), actor: JSON.parse(p.actor), verb: { id: verb }, object: { id: p.activityId }, context: ctx, ...(result ? { result } : {}) };
      const r = await s.req('PUT', `/xapi/statements?statementId=${st.id}`, { body: st, auth });
      assert.equal(r.status, 204, `${verb}: ${r.text}`);
    };
    await send(`${V}initialized`);
    return { registration: reg.json.registration, send };
  };
  const eventsOf = (reg) => rc.events.filter((e) => e.json.registration === reg);
  try {
    const w = await s.req('POST', '/api/webhooks', {
      body: { url: rc.url, secret: SECRET, retry_initial_ms: 50,
        events: ['registration.completed', 'registration.passed', 'registration.failed'] },
    });
    assert.equal(w.status, 201, w.text);
    const mastery = await zip('mastery');
    const single = await zip('single');

    // passed with the mastery score: the AU and the course are satisfied in the same batch
    const a = await startAU(mastery.id, 'hook-ann');
    await a.send(`${V}passed`, { result: { success: true, duration: 'PT2S', score: { scaled: 0.9 } }, cats: [MOVEON], ext: { [MASTERY]: 0.3 } });
    const ea = await until('cmi5 passed+completed', () => (eventsOf(a.registration).length >= 2 ? eventsOf(a.registration) : null));
    assert.deepEqual(ea.map((e) => e.json.event).sort(), ['registration.completed', 'registration.passed']);
    for (const e of ea) {
      assert.equal(e.json.course, mastery.id);
      assert.deepEqual([e.json.learner.id, e.json.completion, e.json.success], ['hook-ann', 'completed', 'passed']);
      assert.equal(e.headers['x-scolar-signature'], 'sha256=' + createHmac('sha256', SECRET).update(e.body).digest('hex'));
    }
    // the terminated statement changes no outcome: no second event
    await a.send(`${V}terminated`, { result: { duration: 'PT3S' } });

    // failed: an event of its own, the course is not satisfied (moveOn CompletedOrPassed)
    const b = await startAU(single.id, 'hook-bob');
    await b.send(`${V}failed`, { result: { success: false, duration: 'PT2S' }, cats: [MOVEON] });
    const eb = await until('cmi5 failed', () => (eventsOf(b.registration).length ? eventsOf(b.registration) : null));
    assert.deepEqual(eb.map((e) => [e.json.event, e.json.completion, e.json.success]), [['registration.failed', 'incomplete', 'failed']]);

    // a waiver that satisfies the course: completed, success unknown
    const reg = await s.req('POST', '/api/registrations', { body: { course: single.id, actor: learner('hook-cy') } });
    assert.equal(reg.status, 201, reg.text);
    const wv = await s.req('POST', `/api/registrations/${reg.json.registration}/waive`, { body: { au: 0, reason: 'Tested Out' } });
    assert.equal(wv.status, 200, wv.text);
    const ec = await until('cmi5 waived completed', () => (eventsOf(reg.json.registration).length ? eventsOf(reg.json.registration) : null));
    assert.deepEqual(ec.map((e) => [e.json.event, e.json.learner.id, e.json.completion, e.json.success]),
      [['registration.completed', 'hook-cy', 'completed', 'unknown']]);

    await until('queue drained', async () => (await s.req('GET', `/api/webhooks/${w.json.id}`)).json.status.queued === 0);
    await sleep(300);
    assert.equal(rc.events.length, 4, `exactly four events: ${rc.events.map((e) => e.json.event)}`);
  } finally {
    await s.stop();
    await rc.close();
  }
});
