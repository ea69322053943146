// SPDX-License-Identifier: Apache-2.0
// The console's Reports pages (issue 14) in headless Chromium against `scolar serve`: a
// generated set of xAPI statements (30 actors, an activity with two questions, completions,
// pass/fail, scores, a voided statement, a statement with the activity only in context) and
// three SCORM registrations driven through the player endpoints; sign in, open Reports, the
// activity report and the course report (screenshots at 1280 and 360 px into
// $SCOLAR_SCREENSHOTS), check that the numbers shown are the ones this test computes from what
// it sent, click numbers into the statement browser and count the statements there, download
// report tables and the statement export as CSV and parse them, the learner's timeline, markup
// in names shown as text, and no console errors or CSP violations on any page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, importPackage, register } from '../lib/browser.mjs';
import { uuid, voiding, waitConsistent } from '../lib/xapi.mjs';

const SHOTS = process.env.SCOLAR_SCREENSHOTS || join(tmpdir(), 'scolar-console-screenshots');
const ADL = 'http://adlnet.gov/expapi/verbs/';
const INTERACTION = 'http://adlnet.gov/expapi/activities/cmi.interaction';
const ACT = 'http://example.org/rw/safety-course';
const Q1 = 'http://example.org/rw/safety-course/q/exits';
const Q2 = 'http://example.org/rw/safety-course/q/extinguisher';
const HOSTILE = '<img src=x onerror="window.__xss=1">Where are the <b>exits</b>?';

let srv, browser;
const sent = []; // {stmt, voided}
const watched = [];
let course; // the SCORM course id

function actor(i) {
  return { objectType: 'Agent', name: `Worker ${i}`, mbox: `mailto:rw-worker${i}@example.org` };
}
function st(a, verb, object, extra = {}) {
  return { id: uuid(), actor: actor(a), verb: { id: ADL + verb, display: { 'en-US': verb } }, object, ...extra };
}
const course0 = { objectType: 'Activity', id: ACT, definition: { name: { 'en-US': 'Fire safety' } } };

function dataset() {
  const out = [];
  for (let i = 0; i < 30; i++) {
    out.push(st(i, 'attempted', course0));
    out.push(st(i, 'answered', { objectType: 'Activity', id: Q1, definition: { type: INTERACTION, name: { 'en-US': HOSTILE } } },
      { result: { response: i % 3 === 0 ? 'north' : 'south', success: i % 3 === 0 }, context: { contextActivities: { parent: [{ id: ACT }] } } }));
    if (i % 2 === 0) {
      const resp = ['water', 'co2', 'foam'][i % 3];
      out.push(st(i, 'answered', { objectType: 'Activity', id: Q2, definition: { type: INTERACTION, name: { 'en-US': 'Which extinguisher?' } } },
        { result: { response: resp, success: resp === 'co2' }, context: { contextActivities: { parent: [{ id: ACT }] } } }));
    }
    if (i % 3 !== 2) out.push(st(i, 'completed', course0, { result: { completion: true } }));
    if (i % 4 === 0) out.push(st(i, 'passed', course0, { result: { score: { scaled: 0.6 + (i % 5) / 10 }, success: true } }));
    if (i % 4 === 2) out.push(st(i, 'failed', course0, { result: { score: { scaled: (i % 6) / 10 }, success: false } }));
    if (i % 7 === 0) out.push(st(i, 'experienced', { objectType: 'Activity', id: `${ACT}/page-${i}` }, { context: { contextActivities: { grouping: [{ id: ACT }] } } }));
  }
  // a learner who failed and then passed: the latest counts
  out.push(st(2, 'passed', course0, { result: { score: { scaled: 0.95 } } }));
  return out;
}

// The activity report the issue defines, computed from what was sent (sent order = stored order).
function expected() {
  const live = sent.filter((x) => !x.voided).map((x) => x.stmt);
  const about = live.filter((s) => s.object.id === ACT || (s.context?.contextActivities &&
    Object.values(s.context.contextActivities).flat().some((c) => c.id === ACT)));
  const actors = new Set(about.map((s) => s.actor.mbox));
  const completed = new Set(about.filter((s) => s.object.id === ACT && (s.verb.id === ADL + 'completed' || s.result?.completion === true)).map((s) => s.actor.mbox));
  const latest = new Map();
  for (const s of about) if (s.object.id === ACT && (s.verb.id === ADL + 'passed' || s.verb.id === ADL + 'failed')) latest.set(s.actor.mbox, s.verb.id);
  const scores = about.filter((s) => s.object.id === ACT && typeof s.result?.score?.scaled === 'number').map((s) => s.result.score.scaled);
  const histogram = Array(10).fill(0);
  for (const v of scores) histogram[Math.min(9, Math.floor(v * 10 + 1e-9))]++;
  const verbs = new Map();
  for (const s of about) verbs.set(s.verb.id, (verbs.get(s.verb.id) || 0) + 1);
  const q = new Map();
  for (const s of about) {
    if (s.object.definition?.type !== INTERACTION) continue;
    const e = q.get(s.object.id) || { attempts: 0, correct: 0, responses: new Map() };
    e.attempts++;
    if (s.result?.success === true) e.correct++;
    e.responses.set(s.result.response, (e.responses.get(s.result.response) || 0) + 1);
    q.set(s.object.id, e);
  }
  return {
    statements: about.length, actors: actors.size, completed: completed.size,
    passed: [...latest.values()].filter((v) => v === ADL + 'passed').length,
    failed: [...latest.values()].filter((v) => v === ADL + 'failed').length,
    scores: scores.length, histogram, verbs, questions: q,
    passedStatements: about.filter((s) => s.object.id === ACT && s.verb.id === ADL + 'passed').length,
    // the xAPI query (and so the export) also returns a voiding statement whose target matches
    // the filters (StatementRef rule); the report and its number links leave them out
    voidingAbout: sent.filter((x) => x.voided && (x.stmt.object.id === ACT ||
      Object.values(x.stmt.context?.contextActivities || {}).flat().some((c) => c.id === ACT))).length,
  };
}

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

async function playerPost(path, body) {
  const r = await fetch(srv.content + path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  srv = await startServer();
  for (const s of dataset()) sent.push({ stmt: s, voided: false });
  const r = await srv.req('POST', '/xapi/statements', { body: sent.map((x) => x.stmt) });
  assert.equal(r.status, 200, r.text);
  // void worker 8's pass (worker 8 then has neither a pass nor a fail) and a question answer
  for (const pick of [(x) => x.stmt.actor.name === 'Worker 8' && x.stmt.verb.id === ADL + 'passed',
    (x) => x.stmt.actor.name === 'Worker 3' && x.stmt.object.id === Q1]) {
    const t = sent.find(pick);
    t.voided = true;
    const v = await srv.req('POST', '/xapi/statements', { body: voiding(t.stmt.id) });
    assert.equal(v.status, 200, v.text);
  }
  // a SCORM course: 3 registrations, 2 launched, 1 completed and passed
  const imp = await importPackage(srv, 'probe-2004') // a one-SCO package written by the test library;
  course = imp.course;
  const learners = [
    { id: 'rw-1', data: { status: 'completed', success: 'passed', scaled: '0.85', time: 'PT90S', resp: 'a', result: 'correct', lat: 'PT4S' } },
    { id: 'rw-2', data: { status: 'incomplete', time: 'PT30S', resp: 'b', result: 'incorrect', lat: 'PT8S' } },
    { id: 'rw-3' },
  ];
  for (const l of learners) {
    const reg = await register(srv, course, { id: l.id, name: `Course Learner ${l.id}` });
    if (!l.data) continue;
    const L = await playerPost(`/player/${reg.registration}/launch`, { token: reg.token, sco: 'item_1' });
    const d = l.data;
    const changes = {
      'cmi.completion_status': d.status, 'cmi.session_time': d.time, 'cmi.exit': 'normal',
      'cmi.interactions.0.id': 'q-capital', 'cmi.interactions.0.type': 'choice',
      'cmi.interactions.0.correct_responses.0.pattern': 'a', 'cmi.interactions.0.learner_response': d.resp,
      'cmi.interactions.0.result': d.result, 'cmi.interactions.0.latency': d.lat,
    };
    if (d.success) changes['cmi.success_status'] = d.success;
    if (d.scaled) changes['cmi.score.scaled'] = d.scaled;
    const c = await playerPost(`/player/${reg.registration}/commit/${L.session}`, { token: reg.token, seq: 1, final: true, changes });
    assert.equal(c.applied, true);
  }
  await waitConsistent(srv);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
});

async function newPage({ width = 1280 } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  const w = { page, ctx, errors: [] };
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(`${m.text()} @ ${m.location()?.url || ''}`);
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => w.errors.push(`unexpected native dialog: ${d.message()}`));
  watched.push(w);
  return w;
}

async function assertClean(w, where) {
  const csp = await w.page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], `no CSP violations (${where})`);
  assert.deepEqual(w.errors, [], `no console errors (${where})`);
  assert.equal(await w.page.evaluate(() => window.__xss), undefined, 'no markup from the data ran');
}

async function unnamedControls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, summary, [tabindex="0"]')) {
      if (el.type === 'hidden') continue;
      const named = (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) ||
        (el.getAttribute('aria-label') || '').trim() ||
        (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby'))?.textContent.trim()) ||
        (el.tagName !== 'INPUT' && el.tagName !== 'PRE' && el.textContent.trim()) || (el.getAttribute('title') || '').trim();
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

// Screenshots at 1280 and 360 px; at 360 the page must not scroll sideways.
async function shot(page, name) {
  assert.deepEqual(await unnamedControls(page), [], `every control on ${name} has a name`);
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(over <= 1, `${name} at ${width} px scrolls sideways by ${over} px`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function signIn(w) {
  const { page } = w;
  await page.goto(srv.base + '/');
  await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
}

function tile(page, label) {
  return page.locator('.tile', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd > :first-child');
}

// Wait for the statement browser's results, following "More statements" to the end.
async function allStatements(page) {
  const count = page.locator('.stmt-count[data-count]:not([data-stale])');
  await count.waitFor();
  for (let i = 0; i < 50 && (await count.getAttribute('data-complete')) === 'false'; i++) {
    const before = await count.getAttribute('data-count');
    await page.getByRole('button', { name: 'More statements' }).click();
    await page.waitForFunction((b) => document.querySelector('.stmt-count').dataset.count !== b, before);
  }
  return Number(await count.getAttribute('data-count'));
}

async function download(page, locator) {
  const [dl] = await Promise.all([page.waitForEvent('download'), locator.click()]);
  const path = await dl.path();
  return readFileSync(path, 'utf8');
}

test('activity report: the numbers sent, charts with their tables, clicks into the statement browser, CSV downloads', async () => {
  const want = expected();
  const w = await newPage();
  const { page } = w;
  await signIn(w);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Reports', exact: true }).getAttribute('aria-current'), 'page');
  await shot(page, 'reports-home');

  // type the activity IRI (keyboard: Enter submits)
  await page.getByLabel('Activity IRI').fill(ACT);
  await page.getByLabel('Activity IRI').press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Activity report' }).waitFor();
  await tile(page, 'Statements').waitFor();
  const num = async (label) => (await tile(page, label).textContent()).trim();
  assert.equal(await num('Statements'), String(want.statements));
  assert.equal(await num('Actors'), String(want.actors));
  assert.equal(await num('Completed'), String(want.completed));
  assert.equal(await num('Passed'), String(want.passed));
  assert.equal(await num('Failed'), String(want.failed));
  assert.equal(await num('Scores'), String(want.scores));
  assert.equal(want.actors, 30);

  // the score chart is an SVG with a title, and its numbers are in the table behind it
  const scoreFig = page.locator('figure', { has: page.locator('figcaption', { hasText: 'Score distribution' }) });
  assert.equal(await scoreFig.locator('svg title').first().textContent(), 'Score distribution (scaled score)');
  assert.equal(await scoreFig.locator('svg').getAttribute('role'), 'img');
  const binCells = await scoreFig.locator('table tbody td:nth-child(2)').allTextContents();
  assert.deepEqual(binCells.map((t) => Number(t.trim())), want.histogram);
  // every bar also has its value written next to it (readable without colour)
  const barValues = await scoreFig.locator('svg text.chart-value').allTextContents();
  assert.deepEqual(barValues.map(Number), want.histogram);

  // verbs: the table of the verbs chart
  const verbFig = page.locator('figure', { has: page.locator('figcaption', { hasText: 'Statements by verb' }) });
  const verbRows = await verbFig.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th').textContent.trim(), tr.querySelector('td').textContent.trim()]));
  assert.equal(verbRows.length, want.verbs.size);
  for (const [name, n] of verbRows) assert.equal(Number(n), want.verbs.get(ADL + name), `verb ${name}`);

  // questions: the hostile name is text; attempts and response counts
  const q1 = page.locator('article.question', { has: page.locator('.sub', { hasText: Q1 }) });
  assert.equal(await q1.locator('h3').textContent(), HOSTILE);
  assert.equal(await q1.locator('h3 img, h3 b').count(), 0);
  const e1 = want.questions.get(Q1);
  assert.equal((await q1.locator('a.num-link').first().textContent()).trim(), String(e1.attempts));
  const respRows = await q1.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th').textContent.trim(), Number(tr.querySelector('td').textContent.trim())]));
  assert.deepEqual(Object.fromEntries(respRows), Object.fromEntries(e1.responses));
  await shot(page, 'report-activity');

  // a CSV table: the verbs as downloaded
  const verbsCsv = parseCsv(await download(page, page.getByRole('link', { name: 'Download the verbs as CSV' })));
  assert.deepEqual(verbsCsv[0], ['id', 'count']);
  assert.equal(verbsCsv.length, 1 + want.verbs.size);

  // "Passed" with the keyboard: the passed statements (the voided one left out)
  await tile(page, 'Passed').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Statements' }).waitFor();
  assert.match(page.url(), /#\/statements\?.*verb=/);
  assert.equal(await allStatements(page), want.passedStatements);
  for (const pre of await page.locator('pre.stmt-json').allTextContents()) {
    const s = JSON.parse(pre);
    assert.equal(s.verb.id, ADL + 'passed');
    assert.equal(s.object.id, ACT);
  }
  await page.goBack();
  await tile(page, 'Statements').waitFor();

  // click the "Statements" number: exactly as many statements in the browser (paged with More)
  await tile(page, 'Statements').click();
  await page.getByRole('heading', { level: 1, name: 'Statements' }).waitFor();
  assert.equal(await allStatements(page), want.statements);
  assert.equal(await page.locator('li.stmt').count(), want.statements);
  assert.equal(await page.getByLabel('Activity', { exact: true }).inputValue(), ACT);
  assert.equal(await page.getByLabel(/^Related activities/).isChecked(), true);
  await shot(page, 'statements');

  // Export statements (CSV) with the same filters: one row per statement and a header
  const csv = parseCsv(await download(page, page.getByRole('link', { name: /Export statements as CSV/ })));
  assert.equal(csv[0][0], 'id');
  assert.equal(csv[0].at(-1), 'json');
  assert.equal(want.voidingAbout, 2);
  assert.equal(csv.length, 1 + want.statements + want.voidingAbout);
  assert.equal(csv.filter((row) => row[5] === ADL + 'voided').length, want.voidingAbout);
  const jsonl = (await download(page, page.getByRole('link', { name: /Export statements as JSON lines/ }))).trim().split('\n');
  assert.equal(jsonl.length, want.statements + want.voidingAbout);
  // the same query with the voiding statements: the browser shows them when asked
  await page.getByLabel(/^Leave out voiding statements/).uncheck();
  await page.evaluate(() => { document.querySelector('.stmt-count').dataset.stale = '1'; });
  await page.getByRole('button', { name: 'Show statements' }).click();
  await page.waitForURL((u) => !u.hash.includes('voiding='));
  assert.equal(await allStatements(page), want.statements + want.voidingAbout);

  // the filter form: a verb narrows the list; the address keeps the filters
  await page.getByLabel('Verb', { exact: true }).fill(ADL + 'completed');
  await page.evaluate(() => { document.querySelector('.stmt-count').dataset.stale = '1'; });
  await page.getByRole('button', { name: 'Show statements' }).click();
  await page.waitForURL(/verb=http/);
  const n = await allStatements(page);
  assert.equal(n, want.verbs.get(ADL + 'completed'));
  await assertClean(w, 'activity report and statement browser');
  await w.ctx.close();
});

test('activity report at 360 px: the since/until form, a past window is empty', async () => {
  const w = await newPage({ width: 360 });
  const { page } = w;
  await signIn(w);
  await page.goto(`${srv.base}/#/reports/activity?activity=${encodeURIComponent(ACT)}`);
  await tile(page, 'Statements').waitFor();
  await page.getByLabel('Since (UTC day)').fill('2001-01-01');
  await page.getByLabel('Until (UTC day)').fill('2001-01-02');
  await page.getByRole('button', { name: 'Show report' }).click();
  await page.waitForURL(/since=2001-01-01/);
  await page.waitForFunction(() => document.querySelector('.tile dd')?.textContent.trim() === '0');
  assert.equal((await tile(page, 'Statements').textContent()).trim(), '0');
  await page.getByText('No statements in these days.').waitFor();
  // a number on a phone: the statement browser folds its filters so that the results come first
  await page.getByLabel('Since (UTC day)').fill('');
  await page.getByLabel('Until (UTC day)').fill('');
  await page.getByRole('button', { name: 'Show report' }).click();
  await page.waitForURL((u) => !u.hash.includes('since='));
  await page.waitForFunction(() => document.querySelector('.tile dd')?.textContent.trim() !== '0');
  await tile(page, 'Failed').click();
  await page.getByRole('heading', { level: 1, name: 'Statements' }).waitFor();
  await page.locator('.stmt-count[data-count]').waitFor();
  assert.equal(await page.locator('details.filters-box').evaluate((d) => d.open), false);
  assert.ok(await page.locator('li.stmt').first().isVisible());
  await page.screenshot({ path: join(SHOTS, 'statements-phone-360.png'), fullPage: false });
  await assertClean(w, 'activity report at 360 px');
  await w.ctx.close();
});

test('course report: the run-time numbers, the correct pattern marked, a click into its statements, the learner timeline', async () => {
  const w = await newPage();
  const { page } = w;
  await signIn(w);
  await page.goto(`${srv.base}/#/reports`);
  await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
  await page.getByRole('link', { name: 'Probe course', exact: false }).first().click();
  await tile(page, 'Registrations').waitFor();
  assert.match(page.url(), new RegExp(`#/reports/course/${course}$`));
  const num = async (label) => (await tile(page, label).textContent()).trim();
  assert.equal(await num('Registrations'), '3');
  assert.equal(await num('Started'), '2');
  assert.equal(await num('Completed'), '1');
  assert.equal(await num('Passed'), '1');
  assert.equal(await num('Failed'), '0');
  assert.equal(await num('Completion rate'), '33%');
  // time of the started registrations: 30 s and 90 s; median (nearest rank) 30 s, p90 90 s
  assert.equal(await num('Median time'), '30 s');
  assert.equal(await num('P90 time'), '1 min 30 s');
  // the interaction: 2 attempts, 1 correct, the correct response marked in words
  const qrow = page.locator('table.list tbody tr', { has: page.locator('th', { hasText: 'q-capital' }) });
  assert.equal((await qrow.locator('td').first().textContent()).trim(), '2');
  assert.equal((await qrow.locator('td[data-label="Correct pattern"]').textContent()).trim(), 'a');
  const fig = page.locator('figure', { has: page.locator('figcaption', { hasText: 'Responses to “q-capital”' }) });
  const marked = await fig.locator('svg text.chart-value').allTextContents();
  assert.deepEqual(marked.sort(), ['1', '1 ✓ correct']);
  assert.equal(await fig.locator('table tbody tr', { hasText: '✓ correct' }).locator('th').evaluate((th) => th.querySelector('.cell').firstChild.textContent.trim()), 'a');
  await shot(page, 'report-course');

  // the SCOs table as CSV
  const scos = parseCsv(await download(page, page.getByRole('link', { name: 'Download the SCOs as CSV' })));
  assert.equal(scos.length, 2);
  assert.equal(scos[1][0], 'item_1');

  // "Registrations" -> the course's statements, the same as the statement API says
  const iri = await tile(page, 'Registrations').evaluate((a) => new URLSearchParams(a.hash.split('?')[1]).get('activity'));
  const api = await srv.req('GET', `/xapi/statements?activity=${encodeURIComponent(iri)}&related_activities=true&limit=500`);
  assert.ok(api.json.statements.length > 0, `the bridge wrote statements about ${iri}`);
  await tile(page, 'Registrations').click();
  await page.getByRole('heading', { level: 1, name: 'Statements' }).waitFor();
  assert.equal(await allStatements(page), api.json.statements.length);

  // the learner's page: the timeline, newest first
  await page.goto(`${srv.base}/#/learners/rw-1`);
  await page.getByRole('heading', { level: 2, name: 'Timeline' }).waitFor();
  await page.locator('.timeline li.stmt').first().waitFor();
  const times = await page.locator('.timeline li.stmt time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
  assert.ok(times.length > 0);
  await shot(page, 'learner-timeline');
  await assertClean(w, 'course report and learner timeline');
  await w.ctx.close();
});

test('print: the navigation is hidden and the charts\' numbers are shown', async () => {
  const w = await newPage();
  const { page } = w;
  await signIn(w);
  await page.goto(`${srv.base}/#/reports/activity?activity=${encodeURIComponent(ACT)}`);
  await tile(page, 'Statements').waitFor();
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.topbar').isVisible(), false);
  assert.equal(await page.locator('svg.chart').first().isVisible(), true);
  // the numbers behind each chart are printed too (its <details> unfolded)
  assert.equal(await page.locator('figure', { hasText: 'Score distribution' }).locator('table').isVisible(), true);
  assert.equal(await page.locator('.csv').first().isVisible(), false);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.card')).backgroundColor), 'rgb(255, 255, 255)');
  await page.screenshot({ path: join(SHOTS, 'report-activity-print.png'), fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  await assertClean(w, 'print');
  await w.ctx.close();
});
