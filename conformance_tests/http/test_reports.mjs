// SPDX-License-Identifier: Apache-2.0
// Reports and export (issue 14, docs/reports.md): golden activity reports over a generated data
// set whose numbers this test computes itself from the statements it sent (40 actors, 3
// activities, questions, scores, pass/fail sequences, voided statements, statements with the
// activity only in context); unknown activity; malformed parameters; report tables as CSV; the
// export as JSONL and CSV (row counts, columns, filters, chunked encoding); `scolar export`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli, tempDir, ADMIN_KEY, ADMIN_SECRET, ON_PG, PG_URL, newPgStore, psql } from '../lib/server.mjs';
import { voiding, uuid, waitConsistent } from '../lib/xapi.mjs';
import { importPackage, register } from '../lib/browser.mjs';

const ADL = 'http://adlnet.gov/expapi/verbs/';
const INTERACTION = 'http://adlnet.gov/expapi/activities/cmi.interaction';
const ACTS = ['http://example.org/rep/course-a', 'http://example.org/rep/course-b', 'http://example.org/rep/course-c'];
const QS = ['http://example.org/rep/q/1', 'http://example.org/rep/q/2', 'http://example.org/rep/q/3'];
const VERBS = ['experienced', 'attempted', 'completed', 'passed', 'failed'];

let srv;
const sent = []; // {stmt, voided}
let otherVoiding = 0; // voiding statements sent by tests outside `sent` (the Group test)

// A small deterministic generator (xorshift), so a failure can be replayed.
let seed = 0x2545f491;
function rnd(n) {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
}

function actor(i) {
  return { objectType: 'Agent', name: `Learner ${i}`, mbox: `mailto:rep-learner${i}@example.org` };
}

function gen() {
  const a = rnd(40);
  const s = { id: uuid(), actor: actor(a) };
  if (rnd(4) === 0) {
    const q = rnd(QS.length);
    const parent = ACTS[rnd(ACTS.length)];
    const resp = ['a', 'b', 'c[,]d'][rnd(3)];
    s.verb = { id: ADL + 'answered', display: { 'en-US': 'answered' } };
    s.object = { objectType: 'Activity', id: QS[q], definition: { type: INTERACTION, name: { 'en-US': `Question ${q + 1}` } } };
    s.result = { response: resp, success: resp === 'a' };
    s.context = { contextActivities: { parent: [{ id: parent }] } };
  } else {
    const act = ACTS[rnd(ACTS.length)];
    const v = VERBS[rnd(VERBS.length)];
    s.verb = { id: ADL + v, display: { 'en-US': v } };
    s.object = { objectType: 'Activity', id: act, definition: { name: { 'en-US': 'Course' } } };
    const result = {};
    if (rnd(2)) result.score = { scaled: rnd(101) / 100, raw: rnd(100) };
    if (rnd(5) === 0) result.completion = true;
    if (Object.keys(result).length) s.result = result;
    if (rnd(6) === 0) s.context = { contextActivities: { grouping: [{ id: ACTS[(ACTS.indexOf(act) + 1) % ACTS.length] }] } };
  }
  return s;
}

// The report the issue defines, computed from what was sent (statement order = stored order).
function expected(act) {
  const live = sent.filter((x) => !x.voided).map((x) => x.stmt);
  const about = live.filter((s) => s.object.id === act || (s.context?.contextActivities &&
    Object.values(s.context.contextActivities).flat().some((c) => c.id === act)));
  const actors = new Set(about.map((s) => s.actor.mbox));
  const completed = new Set(about.filter((s) => s.object.id === act && (s.verb.id === ADL + 'completed' || s.result?.completion === true)).map((s) => s.actor.mbox));
  const latest = new Map();
  for (const s of about) if (s.object.id === act && (s.verb.id === ADL + 'passed' || s.verb.id === ADL + 'failed')) latest.set(s.actor.mbox, s.verb.id);
  const scores = about.filter((s) => s.object.id === act && typeof s.result?.score?.scaled === 'number').map((s) => s.result.score.scaled);
  const histogram = Array(10).fill(0);
  for (const v of scores) histogram[Math.min(9, Math.floor(v * 10 + 1e-9))]++;
  const verbs = new Map();
  for (const s of about) verbs.set(s.verb.id, (verbs.get(s.verb.id) || 0) + 1);
  const questions = new Map();
  for (const s of about) {
    if (s.object.definition?.type !== INTERACTION || s.object.id === act) continue;
    const q = questions.get(s.object.id) || { id: s.object.id, name: s.object.definition.name['en-US'], attempts: 0, correct: 0, responses: new Map() };
    q.attempts++;
    if (s.result?.success === true) q.correct++;
    if (s.result?.response !== undefined) q.responses.set(s.result.response, (q.responses.get(s.result.response) || 0) + 1);
    questions.set(s.object.id, q);
  }
  return {
    statements: about.length,
    actors: actors.size,
    completed: completed.size,
    passed: [...latest.values()].filter((v) => v === ADL + 'passed').length,
    failed: [...latest.values()].filter((v) => v === ADL + 'failed').length,
    score: {
      count: scores.length,
      mean: scores.length ? scores.reduce((x, y) => x + y, 0) / scores.length : null,
      min: scores.length ? Math.min(...scores) : null,
      max: scores.length ? Math.max(...scores) : null,
      histogram,
    },
    verbs: new Map(verbs),
    questions,
  };
}

function assertReport(got, want, label) {
  for (const k of ['statements', 'actors', 'completed', 'passed', 'failed']) assert.equal(got[k], want[k], `${label}: ${k}`);
  assert.equal(got.score.count, want.score.count, `${label}: score.count`);
  assert.deepEqual(got.score.histogram, want.score.histogram, `${label}: histogram`);
  if (want.score.count) {
    assert.ok(Math.abs(got.score.mean - want.score.mean) < 1e-9, `${label}: mean ${got.score.mean} vs ${want.score.mean}`);
    assert.equal(got.score.min, want.score.min, `${label}: min`);
    assert.equal(got.score.max, want.score.max, `${label}: max`);
  } else {
    assert.equal(got.score.mean, null);
  }
  assert.equal(got.verbs.length, want.verbs.size, `${label}: verbs`);
  for (let i = 0; i < got.verbs.length; i++) {
    assert.equal(got.verbs[i].count, want.verbs.get(got.verbs[i].id), `${label}: verb ${got.verbs[i].id}`);
    if (i) assert.ok(got.verbs[i - 1].count >= got.verbs[i].count, `${label}: verbs most frequent first`);
  }
  assert.equal(got.questions.length, want.questions.size, `${label}: questions`);
  for (const q of got.questions) {
    const w = want.questions.get(q.id);
    assert.ok(w, `${label}: unexpected question ${q.id}`);
    assert.equal(q.name, w.name);
    assert.equal(q.attempts, w.attempts, `${label}: ${q.id} attempts`);
    assert.equal(q.correct, w.correct, `${label}: ${q.id} correct`);
    assert.deepEqual(Object.fromEntries(q.responses.map((r) => [r.response, r.count])), Object.fromEntries(w.responses), `${label}: ${q.id} responses`);
  }
  // by_day: the UTC days of `stored`; the test may run across midnight, so sum them
  assert.equal(got.by_day.reduce((x, d) => x + d.statements, 0), want.statements, `${label}: by_day sum`);
  for (const d of got.by_day) assert.match(d.day, /^\d{4}-\d\d-\d\d$/);
  if (got.by_day.length === 1) assert.equal(got.by_day[0].actors, want.actors);
}

async function report(act, extra = '') {
  await waitConsistent(srv);
  const r = await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent(act)}${extra}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

before(async () => {
  srv = await startServer({ keepData: true }); // the last test runs scolar check on its data
  for (let i = 0; i < 600; i++) sent.push({ stmt: gen(), voided: false });
  // pass/fail sequences for a few actors on course-a: the latest wins
  for (const [a, seq] of [[1, ['failed', 'passed']], [2, ['passed', 'failed']], [3, ['failed', 'failed', 'passed']]]) {
    for (const v of seq) sent.push({ stmt: { id: uuid(), actor: actor(a), verb: { id: ADL + v }, object: { id: ACTS[0] } }, voided: false });
  }
  // the activity only in context, by an actor who never touched it otherwise
  sent.push({ stmt: { id: uuid(), actor: actor(99), verb: { id: ADL + 'experienced' }, object: { id: 'http://example.org/rep/page' }, context: { contextActivities: { category: [{ id: ACTS[0] }] } } }, voided: false });
  for (let i = 0; i < sent.length; i += 100) {
    const r = await srv.req('POST', '/xapi/statements', { body: sent.slice(i, i + 100).map((x) => x.stmt) });
    assert.equal(r.status, 200, r.text);
  }
});

after(async () => {
  assert.equal(await srv.stop(), 0);
  rmSync(srv.dataDir, { recursive: true, force: true });
});

test('activity report: golden numbers for three activities', async () => {
  for (const act of ACTS) assertReport(await report(act), expected(act), act);
  const a = await report(ACTS[0]);
  assert.equal(a.activity, ACTS[0]);
  assert.equal(a.since, null);
  assert.match(a.consistent_through, /^\d{4}-\d\d-\d\dT/);
  assert.ok(a.questions.length > 0 && a.passed > 0 && a.failed > 0 && a.completed > 0, 'the data set exercises every member');
});

test('activity report after voiding: the voided statements are taken out', async () => {
  // void the latest pass of actor 3 (falls back to an earlier fail), a scored statement, a question
  const last3 = sent.findLastIndex((x) => x.stmt.actor.mbox === actor(3).mbox && x.stmt.verb.id === ADL + 'passed' && x.stmt.object.id === ACTS[0]);
  const scored = sent.findIndex((x) => x.stmt.result?.score && x.stmt.object.id === ACTS[0]);
  const question = sent.findIndex((x) => x.stmt.object.definition?.type === INTERACTION);
  for (const i of [last3, scored, question]) {
    sent[i].voided = true;
    const r = await srv.req('POST', '/xapi/statements', { body: voiding(sent[i].stmt.id) });
    assert.equal(r.status, 200, r.text);
  }
  for (const act of ACTS) assertReport(await report(act), expected(act), `${act} after voiding`);
});

test('an anonymous Group is one actor, whatever the order of its members; voiding one of its statements keeps it', async () => {
  const act = 'http://example.org/rep/group-activity';
  const m = [{ mbox: 'mailto:g1@example.org' }, { account: { homePage: 'http://example.org', name: 'g2' } }];
  const group = (members, name) => ({ objectType: 'Group', ...(name ? { name } : {}), member: members.map((x) => ({ objectType: 'Agent', ...x })) });
  const ids = [];
  for (const g of [group(m), group([...m].reverse(), 'Team'), group(m)]) {
    const st = { id: uuid(), actor: g, verb: { id: ADL + 'experienced' }, object: { id: act } };
    const r = await srv.req('POST', '/xapi/statements', { body: st });
    assert.equal(r.status, 200, r.text);
    ids.push(st.id);
  }
  let rep = await report(act);
  assert.deepEqual([rep.statements, rep.actors], [3, 1], 'one Group: its members, not their order or its name');
  assert.equal((await srv.req('POST', '/xapi/statements', { body: voiding(ids[0]) })).status, 200);
  otherVoiding++;
  rep = await report(act);
  assert.deepEqual([rep.statements, rep.actors], [2, 1], 'the Group still has two statements');
  for (const id of ids.slice(1)) {
    assert.equal((await srv.req('POST', '/xapi/statements', { body: voiding(id) })).status, 200);
    otherVoiding++;
  }
  rep = await report(act);
  assert.deepEqual([rep.statements, rep.actors], [0, 0], 'every statement voided: no actor');
});

test('since/until: whole UTC days; a past window is empty; the window covering today equals all', async () => {
  const now = new Date();
  const y = new Date(now.getTime() - 86400000).toISOString();
  const t = new Date(now.getTime() + 86400000).toISOString();
  const all = await report(ACTS[1]);
  const win = await report(ACTS[1], `&since=${encodeURIComponent(y)}&until=${encodeURIComponent(t)}`);
  for (const k of ['statements', 'actors', 'completed', 'passed', 'failed']) assert.equal(win[k], all[k], k);
  assert.deepEqual(win.verbs, all.verbs);
  assert.deepEqual(win.score, all.score);
  assert.match(win.since, /T00:00:00Z$/);
  const past = await report(ACTS[1], '&since=2001-01-01T00:00:00Z&until=2001-01-02T00:00:00Z');
  assert.equal(past.statements, 0);
  assert.deepEqual(past.by_day, []);
});

test('unknown activity: 200 with zeros; bad parameters: 400 naming them', async () => {
  const z = await report('http://example.org/rep/nothing-here');
  assert.deepEqual([z.statements, z.actors, z.completed, z.passed, z.failed, z.score.count], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([z.verbs, z.questions, z.by_day, z.score.histogram], [[], [], [], Array(10).fill(0)]);
  for (const [q, re] of [
    ['', /activity/],
    ['activity=not%20an%20iri', /activity/],
    [`activity=${encodeURIComponent(ACTS[0])}&since=yesterday`, /since/],
    [`activity=${encodeURIComponent(ACTS[0])}&until=2020-13-45`, /until/],
    [`activity=${encodeURIComponent(ACTS[0])}&frobnicate=1`, /frobnicate/],
    [`activity=${encodeURIComponent(ACTS[0])}&format=xml`, /format/],
    [`activity=${encodeURIComponent(ACTS[0])}&format=csv&table=nope`, /table/],
  ]) {
    const r = await srv.req('GET', `/api/reports/activity?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.json.message, re, q);
  }
  assert.equal((await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent(ACTS[0])}`, { auth: null })).status, 401);
});

function parseCsv(text) {
  const rows = [];
  let row = [], field = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    field += c; i++;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

test('report tables as CSV match the JSON report', async () => {
  const a = await report(ACTS[0]);
  const get = async (table) => {
    const r = await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent(ACTS[0])}&format=csv&table=${table}`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    return parseCsv(r.text);
  };
  const verbs = await get('verbs');
  assert.deepEqual(verbs[0], ['id', 'count']);
  assert.deepEqual(verbs.slice(1).map(([id, n]) => [id, Number(n)]), a.verbs.map((v) => [v.id, v.count]));
  const sum = await get('summary');
  assert.equal(Number(sum[1][sum[0].indexOf('statements')]), a.statements);
  assert.equal(Number(sum[1][sum[0].indexOf('passed')]), a.passed);
  const q = await get('questions');
  assert.deepEqual(q[0], ['id', 'name', 'attempts', 'correct']);
  assert.equal(q.length - 1, a.questions.length);
  const resp = await get('responses');
  assert.deepEqual(resp[0], ['question', 'response', 'count']);
  assert.equal(resp.length - 1, a.questions.reduce((x, y) => x + y.responses.length, 0));
  assert.ok(resp.some((r) => r[1] === 'c[,]d'), 'a response with a comma survives quoting');
  const days = await get('by_day');
  assert.deepEqual(days[0], ['day', 'statements', 'actors']);
  const score = await get('score');
  assert.deepEqual(score.slice(1).map((r) => Number(r[2])), a.score.histogram);
});

const CSV_COLUMNS = ['id', 'timestamp', 'stored', 'actor_name', 'actor_ifi', 'verb_id', 'verb_display', 'object_id',
  'object_type', 'object_name', 'registration', 'score_raw', 'score_scaled', 'success', 'completion', 'duration', 'json'];

test('export: JSONL and CSV, chunked, every statement, filters, bad filters', async () => {
  await waitConsistent(srv);
  const live = sent.filter((x) => !x.voided).length + 3 + otherVoiding; // + the voiding statements
  let r = await srv.req('GET', '/api/export/statements?format=jsonl');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('transfer-encoding'), 'chunked');
  assert.equal(r.headers.get('content-length'), null);
  const lines = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(lines.length, live);
  assert.equal(new Set(lines.map((s) => s.id)).size, live);
  const voidedIds = new Set(sent.filter((x) => x.voided).map((x) => x.stmt.id));
  assert.ok(!lines.some((s) => voidedIds.has(s.id)), 'voided statements are not exported');

  r = await srv.req('GET', '/api/export/statements?format=csv');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('transfer-encoding'), 'chunked');
  const rows = parseCsv(r.text);
  assert.deepEqual(rows[0], CSV_COLUMNS);
  assert.equal(rows.length - 1, live);
  for (const row of rows.slice(1)) {
    assert.equal(row.length, CSV_COLUMNS.length);
    const s = JSON.parse(row[16]);
    assert.equal(row[0], s.id);
    assert.equal(row[2], s.stored);
    assert.equal(row[5], s.verb.id);
    if (s.object.objectType !== 'StatementRef') {
      assert.equal(row[7], s.object.id);
      assert.equal(row[4], `mbox:${s.actor.mbox}`);
      assert.equal(row[3], s.actor.name);
    }
    if (s.result?.score?.scaled !== undefined) assert.equal(Number(row[12]), s.result.score.scaled);
    if (s.result?.success !== undefined) assert.equal(row[13], String(s.result.success));
  }

  // filters: the same as GET /xapi/statements
  // a voiding statement matches the filters its target matches (StatementRef rule, Comm 2.1.3)
  const matching = (pred) => sent.filter((x) => !x.voided && pred(x.stmt)).length + sent.filter((x) => x.voided && pred(x.stmt)).length;
  const want = matching((s) => s.verb.id === ADL + 'passed');
  r = await srv.req('GET', `/api/export/statements?format=jsonl&verb=${encodeURIComponent(ADL + 'passed')}`);
  assert.equal(r.text.split('\n').filter(Boolean).length, want);
  const wantAct = matching((s) => s.object.id === ACTS[2] || JSON.stringify(s.context || {}).includes(`"${ACTS[2]}"`));
  r = await srv.req('GET', `/api/export/statements?format=csv&activity=${encodeURIComponent(ACTS[2])}&related_activities=true`);
  assert.equal(parseCsv(r.text).length - 1, wantAct);
  r = await srv.req('GET', `/api/export/statements?agent=${encodeURIComponent(JSON.stringify({ mbox: actor(5).mbox }))}&limit=3&ascending=true`);
  const five = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(five.length, Math.min(3, sent.filter((x) => !x.voided && x.stmt.actor.mbox === actor(5).mbox).length));
  assert.ok(five.every((s) => s.actor.mbox === actor(5).mbox));
  assert.ok(five.length < 2 || five[0].stored < five[1].stored, 'ascending');
  for (const [q, re] of [['format=xml', /format/], ['since=soon', /since/], ['verb=not%20an%20iri', /verb/],
    ['agent=%7B%7D', /agent/], ['limit=-1', /limit/], ['bogus=1', /bogus/], ['ascending=maybe', /ascending/]]) {
    const b = await srv.req('GET', `/api/export/statements?${q}`);
    assert.equal(b.status, 400, q);
    assert.match(b.json.message, re, q);
  }
});

test('scolar export: JSONL and CSV files from a stopped server\'s data directory', async () => {
  const dataDir = tempDir();
  const s2 = await startServer({ dataDir, keepData: true });
  const stmts = Array.from({ length: 1234 }, (_, i) => ({ actor: actor(i % 7), verb: { id: ADL + 'experienced' }, object: { id: `http://example.org/rep/cli/${i % 3}` } }));
  for (let i = 0; i < stmts.length; i += 500) assert.equal((await s2.req('POST', '/xapi/statements', { body: stmts.slice(i, i + 500) })).status, 200);
  assert.equal(await s2.stop(), 0);
  try {
    const out = join(dataDir, 'out.jsonl');
    let r = cli(['export', '--data', dataDir, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8').split('\n').filter(Boolean).length, 1234);
    assert.match(r.stderr, /1234 statements/);
    r = cli(['export', '--data', dataDir, '--format', 'csv', '--activity', 'http://example.org/rep/cli/1']);
    assert.equal(r.status, 0, r.stderr);
    const rows = parseCsv(r.stdout);
    assert.deepEqual(rows[0], CSV_COLUMNS);
    assert.equal(rows.length - 1, stmts.filter((s) => s.object.id.endsWith('/1')).length);
    r = cli(['export', '--data', dataDir, '--format', 'xml']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /format/);
    r = cli(['export', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /usage: scolar export/);
    // no store there: a finding, not an empty store exported (lrs/cmd_store_open.c)
    const none = join(dataDir, 'no-store');
    if (ON_PG) {
      const empty = newPgStore();
      r = cli(['export', '--data', none, '--store', empty]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^scolar: --store postgresql:\/\/\S+: no scolar store in this database \(no table scolar_schema\)\n$/);
      assert.equal(psql(empty, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), '0', 'no table was made');
    } else {
      r = cli(['export', '--data', none]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^scolar: no store in .*no-store \(.*no-store\/store\.mdb: No such file or directory\)\n$/);
    }
    assert.equal(r.stdout, '');
    assert.ok(!readdirSync(dataDir).includes('no-store'), 'no folder was made');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---- course report (SCORM run-time data) and the learner timeline -------------------------

async function playerPost(path, body) {
  const r = await fetch(srv.content + path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

test('course report: registrations driven through the player endpoints', async () => {
  const imp = await importPackage(srv, 'probe-2004') // a one-SCO package written by the test library;
  const course = imp.course;
  const learners = [
    { id: 'cr1', data: { status: 'completed', success: 'passed', scaled: '0.9', time: 'PT60S', resp: 'a', result: 'correct', lat: 'PT5S', obj: ['passed', '0.9'] } },
    { id: 'cr2', data: { status: 'completed', success: 'failed', scaled: '0.4', time: 'PT2M', resp: 'b', result: 'incorrect', lat: 'PT15S', obj: ['failed', '0.4'] } },
    { id: 'cr3', data: { status: 'incomplete', time: 'PT30S', resp: 'b', result: 'incorrect', lat: 'PT10S' } },
    { id: 'cr4' }, // registered, never launched
  ];
  for (const l of learners) {
    const reg = await register(srv, course, { id: l.id, name: `Course Learner ${l.id}` });
    if (!l.data) continue;
    const L = await playerPost(`/player/${reg.registration}/launch`, { token: reg.token, sco: 'item_1' });
    const d = l.data;
    const changes = {
      'cmi.completion_status': d.status,
      'cmi.session_time': d.time,
      'cmi.exit': 'normal',
      'cmi.interactions.0.id': 'q-capital',
      'cmi.interactions.0.type': 'choice',
      'cmi.interactions.0.correct_responses.0.pattern': 'a',
      'cmi.interactions.0.learner_response': d.resp,
      'cmi.interactions.0.result': d.result,
      'cmi.interactions.0.latency': d.lat,
    };
    if (d.success) changes['cmi.success_status'] = d.success;
    if (d.scaled) changes['cmi.score.scaled'] = d.scaled;
    if (d.obj) Object.assign(changes, { 'cmi.objectives.0.id': 'obj-1', 'cmi.objectives.0.success_status': d.obj[0], 'cmi.objectives.0.score.scaled': d.obj[1] });
    const c = await playerPost(`/player/${reg.registration}/commit/${L.session}`, { token: reg.token, seq: 1, final: true, changes });
    assert.equal(c.applied, true);
  }
  const r = await srv.req('GET', `/api/reports/course?course=${encodeURIComponent(course)}`);
  assert.equal(r.status, 200, r.text);
  const c = r.json;
  // what the test sent: 4 registrations, 3 started, 2 completed, 1 passed, 1 failed
  assert.deepEqual([c.registrations, c.started, c.completed, c.passed, c.failed], [4, 3, 2, 1, 1]);
  assert.equal(c.completion_rate, 0.5);
  assert.equal(c.score.count, 2);
  assert.ok(Math.abs(c.score.mean - 0.65) < 1e-9);
  assert.deepEqual([c.score.min, c.score.max], [0.4, 0.9]);
  assert.deepEqual(c.score.histogram, [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  // time spent of the started registrations: 30, 60, 120 s (nearest rank)
  assert.deepEqual([c.time.median_s, c.time.p90_s], [60, 120]);
  // the activities the bridge's statements are about (the console links numbers to them)
  assert.equal(c.activity, `${srv.base}/courses/${encodeURIComponent(course)}`);
  assert.equal(c.scos[0].activity, `${srv.base}/courses/${encodeURIComponent(course)}/item_1`);
  const st = await srv.req('GET', `/xapi/statements?activity=${encodeURIComponent(c.activity)}&related_activities=true&limit=1`);
  assert.equal(st.status, 200);
  assert.equal(st.json.statements.length, 1, 'the bridge wrote statements about the course IRI the report names');
  assert.equal(c.scos.length, 1);
  assert.deepEqual([c.scos[0].id, c.scos[0].registrations, c.scos[0].started, c.scos[0].completed], ['item_1', 4, 3, 2]);
  const obj = c.objectives.find((o) => o.id === 'obj-1');
  assert.deepEqual([obj.registrations, obj.passed, obj.failed], [2, 1, 1]);
  assert.ok(Math.abs(obj.mean_score - 0.65) < 1e-9);
  const q = c.interactions.find((i) => i.id === 'q-capital');
  assert.equal(q.attempts, 3);
  assert.equal(q.correct, 1);
  assert.ok(Math.abs(q.difficulty - 2 / 3) < 1e-9);
  assert.ok(Math.abs(q.mean_latency_s - 10) < 1e-9);
  assert.equal(q.correct_pattern, 'a');
  assert.deepEqual(q.responses.map((x) => [x.response, x.count, x.correct]).sort(), [['a', 1, true], ['b', 2, false]]);
  // CSV tables
  const csv = await srv.req('GET', `/api/reports/course?course=${encodeURIComponent(course)}&format=csv&table=responses`);
  assert.equal(csv.status, 200);
  assert.deepEqual(parseCsv(csv.text)[0], ['question', 'response', 'count', 'correct']);
  assert.equal(parseCsv(csv.text).length, 3);
  const scos = parseCsv((await srv.req('GET', `/api/reports/course?course=${encodeURIComponent(course)}&format=csv&table=scos`)).text);
  assert.equal(scos[1][0], 'item_1');
  // a reset takes the registration's data out of the report, keeping it registered
  const cr1 = (await srv.req('GET', `/api/courses/${encodeURIComponent(course)}/registrations?q=cr1`)).json.items[0];
  assert.equal((await srv.req('POST', `/api/registrations/${cr1.registration}/reset`, { body: {} })).status, 200);
  const afterReset = (await srv.req('GET', `/api/reports/course?course=${encodeURIComponent(course)}`)).json;
  assert.deepEqual([afterReset.registrations, afterReset.started, afterReset.completed, afterReset.passed, afterReset.failed], [4, 2, 1, 0, 1]);
  assert.deepEqual([afterReset.score.count, afterReset.score.min, afterReset.score.max], [1, 0.4, 0.4]);
  assert.deepEqual([afterReset.time.median_s, afterReset.time.p90_s], [30, 120]);
  assert.equal(afterReset.interactions.find((i) => i.id === 'q-capital').attempts, 2);
  // bad input
  assert.equal((await srv.req('GET', '/api/reports/course?course=no-such-course')).status, 404);
  const m = await srv.req('GET', '/api/reports/course');
  assert.equal(m.status, 400);
  assert.match(m.json.message, /course/);
  assert.match((await srv.req('GET', `/api/reports/course?course=${course}&table=x&format=csv`)).json.message, /table/);

  // the learner timeline: the bridge's statements of cr1, newest first, paged
  await waitConsistent(srv);
  const t = await srv.req('GET', '/api/reports/learner?learner=cr1&limit=2');
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.learner, 'cr1');
  assert.ok(t.json.statements.length === 2 && t.json.more, 'two statements and a more cursor');
  assert.ok(t.json.statements.every((s) => s.actor.account.name === 'cr1'));
  assert.ok(t.json.statements[0].stored >= t.json.statements[1].stored, 'newest first');
  const t2 = await srv.req('GET', `/api/reports/learner?learner=cr1&limit=2&more=${encodeURIComponent(t.json.more)}`);
  assert.equal(t2.status, 200, t2.text);
  assert.ok(!t2.json.statements.some((s) => t.json.statements.some((x) => x.id === s.id)), 'the next page has other statements');
  const all = await srv.req('GET', '/api/reports/learner?learner=cr1');
  assert.ok(all.json.statements.length >= 3 && all.json.statements.length === new Set(all.json.statements.map((s) => s.id)).size);
  const x = await srv.req('GET', `/api/reports/learner?agent=${encodeURIComponent(JSON.stringify({ mbox: actor(7).mbox }))}&limit=500`);
  assert.equal(x.status, 200);
  assert.equal(x.json.statements.length, sent.filter((s) => !s.voided && s.stmt.actor.mbox === actor(7).mbox).length);
  for (const [q, re] of [['', /learner/], ['learner=a&agent=%7B%7D', /learner/], ['learner=cr1&more=garbage', /more/], ['learner=cr1&limit=x', /limit/], ['learner=cr1&x=1', /'x'/]]) {
    const b = await srv.req('GET', `/api/reports/learner?${q}`);
    assert.equal(b.status, 400, q);
    assert.match(b.json.message, re, q);
  }
});

test('export: a client that stops reading holds no read transaction; the store goes on', async () => {
  const { request } = await import('node:http');
  const { spawnSync } = await import('node:child_process');
  const pad = 'x'.repeat(2000);
  const big = Array.from({ length: 6000 }, (_, i) => ({ actor: actor(i % 40), verb: { id: ADL + 'experienced' },
    object: { id: 'http://example.org/rep/stall' }, context: { extensions: { 'http://example.org/pad': pad } } }));
  for (let i = 0; i < big.length; i += 1000) assert.equal((await srv.req('POST', '/xapi/statements', { body: big.slice(i, i + 1000) })).status, 200);
  await waitConsistent(srv);
  const auth = 'Basic ' + Buffer.from(`${ADMIN_KEY}:${ADMIN_SECRET}`).toString('base64');
  let got = 0;
  const res = await new Promise((resolve, reject) => {
    const rq = request(`${srv.base}/api/export/statements?format=jsonl&activity=${encodeURIComponent('http://example.org/rep/stall')}`, { headers: { Authorization: auth } }, resolve);
    rq.on('error', reject);
    rq.end();
  });
  assert.equal(res.statusCode, 200);
  res.on('data', (d) => { got += d.length; });
  await new Promise((r) => res.once('data', r));
  res.pause(); // stop reading: the server blocks in a send once the socket buffers are full
  await new Promise((r) => setTimeout(r, 1500));
  const readers = spawnSync('mdb_stat', ['-n', '-r', join(srv.dataDir, 'store.mdb')], { encoding: 'utf8' });
  if (readers.status === 0) assert.match(readers.stdout, /no active readers/, readers.stdout);
  // the store serves writes and reports meanwhile
  const w = await srv.req('POST', '/xapi/statements', { body: { actor: actor(1), verb: { id: ADL + 'experienced' }, object: { id: ACTS[0] } } });
  assert.equal(w.status, 200);
  assert.equal((await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent(ACTS[0])}`)).status, 200);
  const body = [];
  res.removeAllListeners('data');
  res.on('data', (d) => body.push(d));
  res.resume();
  await new Promise((r) => res.on('end', r));
  assert.ok(got + Buffer.concat(body).length > 6000 * 2000, 'the whole export arrives after the pause');
});

// Last: the course reports are kept by the run-time's writes; `scolar check` (on the stopped
// server's data) compares each with the one computed from every registration's records.
test('scolar check: the kept course reports match the registrations\' data', async () => {
  await srv.stop();
  const chk = cli(['check', '--data', srv.dataDir]);
  assert.equal(chk.status, 0, chk.stderr);
  assert.match(chk.stdout, /course reports: kept tallies match the registrations' data/);
  // the activity reports against tallies built again from the statements on a copy
  const m = chk.stdout.match(/activity reports: (\d+) activities, kept tallies match the statements/);
  assert.ok(m && Number(m[1]) >= ACTS.length + 2, chk.stdout);
  assert.ok(!readdirSync(srv.dataDir).some((f) => f.startsWith('check-')), 'the copy is removed');
  // a copy built with other day boundaries disagrees: the check can fail, and names where
  const off = cli(['check', '--data', srv.dataDir], { env: { SCOLAR_REPORT_DAY_US: '600000' } });
  assert.equal(off.status, 1, off.stdout);
  assert.match(off.stderr, /activity \S+: the kept report differs from one built again at \$\.by_day/);
  assert.match(off.stderr, /activity reports: \d+ of \d+ differ from the statements/);
  // a folder without a store is a finding, not a new empty store that checks fine: check and
  // reindex create nothing, on both backends (lrs/cmd_store_open.c)
  const none = join(tempDir(), 'nothing-here');
  if (ON_PG) { // PostgreSQL: a database that does not exist, named in one line
    const url = PG_URL.replace(/\/[^/?]*\?/, '/nothing_here?');
    const miss = cli(['check', '--data', none, '--store', url]);
    assert.equal(miss.status, 1);
    assert.match(miss.stderr, /^scolar: --store postgresql:\/\/.*\/nothing_here\?.*: cannot connect to PostgreSQL: .*database "nothing_here" does not exist/);
    // an empty database is what a folder without store.mdb is: a finding, and no table made
    const empty = newPgStore();
    for (const cmd of ['check', 'reindex']) {
      const r = cli([cmd, '--data', none, '--store', empty]);
      assert.equal(r.status, 1, `${cmd}: ${r.stdout}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^scolar: --store postgresql:\/\/\S+: no scolar store in this database \(no table scolar_schema\)\n$/, cmd);
    }
    const cp = cli(['copy-store', '--from', empty, '--to', join(none, '..', 'copy')]);
    assert.equal(cp.status, 1);
    assert.match(cp.stderr, /^scolar: --from postgresql:\/\/\S+: no scolar store in this database/);
    assert.equal(psql(empty, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), '0', 'no table was made');
    assert.ok(!readdirSync(join(none, '..')).includes('nothing-here'), 'no --data folder was made');
    // a store that exists, with a --data folder that does not: checked and reindexed on a
    // temporary node folder, removed after; the --data folder is not made
    const tmp = tempDir();
    for (const cmd of ['check', 'reindex']) {
      const r = cli([cmd, '--data', none, '--store', srv.store], { env: { TMPDIR: tmp } });
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.match(r.stdout, cmd === 'check' ? /: ok \(format 2\)$/m : /^reindexed \d+ statements/m);
    }
    assert.ok(!readdirSync(join(none, '..')).includes('nothing-here'), 'no --data folder was made');
    assert.deepEqual(readdirSync(tmp), [], 'the temporary node folders are removed');
    return;
  }
  for (const cmd of ['check', 'reindex']) {
    const miss = cli([cmd, '--data', none]);
    assert.equal(miss.status, 1);
    assert.match(miss.stderr, /^scolar: no store in .*nothing-here \(.*nothing-here\/store\.mdb: No such file or directory\)\n$/, cmd);
    assert.ok(!readdirSync(join(none, '..')).includes('nothing-here'), 'nothing was created');
  }
});
