// SPDX-License-Identifier: Apache-2.0
// The player driven by the SCORM 2004 sequencing engine (POST /player/<reg>/nav, scorm/seq.h):
// golf-2004v3-SequencingForcedSequential: start delivers the first SCO; the later items are
// disabled in the table of contents (preConditionRule "disabled" on the previous SCO's global
// objective) until the previous one is satisfied; Next is enabled only when the engine says
// continue is valid; completing each SCO and pressing Next advances; the quiz rolls the course
// up to completed / passed and Next after it ends the course. golf-2004v3-SequencingPostTestRollup end to end: previous and
// choice backwards, Suspend (suspendAll) and reopening resumes the same SCO, the post test alone
// decides the course's status and score. POST /player/<reg>/nav: token checked, bad requests
// refused with the rule, {"sequencing": false} for courses without sequencing, and the same
// state as the admin navigation route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tempDir } from '../lib/server.mjs';
import {
  launchBrowser, importPackages, register, report, openPlayer, scoFrame, answerGolfTest,
  golfReadAll as readAll, golfQuizFrame as quizFrame, scoCommit,
} from '../lib/browser.mjs';

let srv, browser, courses, dataDir;

const CONTENT = ['playing_item', 'etuqiette_item', 'handicapping_item', 'havingfun_item'];
const ALL = [...CONTENT, 'assessment_item'];

before(async () => {
  dataDir = tempDir();
  courses = importPackages(dataDir, ['golf-2004v3-SequencingForcedSequential', 'golf-2004v3-SequencingPostTestRollup',
    'golf-2004v3-RuntimeMinimumCalls', 'golf-12-RuntimeBasicCalls']);
  srv = await startServer({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const toc = (page) => page.evaluate(() => ScolarPlayer.nav.toc.map((t) => ({ item: t.item, disabled: t.disabled, completion: t.completion, success: t.success })));
const entry = async (page, id) => (await toc(page)).find((t) => t.item === id);
const clickable = (page, id) => page.$$eval(`#toc-list li[data-id="${id}"] a`, (l) => l.length === 1);
const running = (page, id) => page.waitForFunction((x) => ScolarPlayer.current === x && ScolarPlayer.api && ScolarPlayer.api._runtime.state === 1, id);

test('ForcedSequential: start, disabled items until the previous is satisfied, continue, rollup', async () => {
  const r = await register(srv, courses['golf-2004v3-SequencingForcedSequential'], { id: 'fs-1', name: 'Forrest' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  await running(page, 'playing_item');
  assert.equal(await page.evaluate(() => ScolarPlayer.sequencing), true);
  for (const id of ALL.slice(1)) {
    assert.equal((await entry(page, id)).disabled, true, `${id} disabled at start`);
    assert.equal(await clickable(page, id), false, `${id} not clickable`);
  }
  assert.equal(await page.isDisabled('#next'), true, 'continue is not valid before the first SCO is satisfied');
  assert.equal(await page.isDisabled('#prev'), true, 'nothing before the first SCO');
  for (let i = 0; i < CONTENT.length; i++) {
    const sco = await scoFrame(page, 'shared/launchpage.html');
    assert.equal(await sco.evaluate(() => ScormProcessGetValue('adl.nav.request_valid.continue')), 'false');
    await readAll(sco);
    // the SCO's autosave commit reaches the engine: the next item becomes available
    await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
    const e = await entry(page, CONTENT[i]);
    assert.deepEqual([e.completion, e.success], ['completed', 'passed']);
    assert.equal((await entry(page, ALL[i + 1])).disabled, false, `${ALL[i + 1]} enabled`);
    assert.equal(await clickable(page, ALL[i + 1]), true);
    if (i + 2 < ALL.length) assert.equal((await entry(page, ALL[i + 2])).disabled, true, `${ALL[i + 2]} still disabled`);
    await page.click('#next');
    await running(page, ALL[i + 1]);
    await page.waitForFunction(() => !document.getElementById('prev').disabled, null, { timeout: 5000 }); // previous is valid after the first SCO
  }
  const sco = await scoFrame(page, 'shared/launchpage.html');
  const quiz = await quizFrame(sco);
  await answerGolfTest(quiz, true);
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].success === 'passed', null, { timeout: 15000 });
  const root = (await toc(page))[0];
  assert.deepEqual([root.completion, root.success], ['completed', 'passed'], 'course rollup');
  // continue after the last SCO ends the sequencing session (SN 4th SB.2.7)
  await page.click('#next');
  await page.waitForSelector('#message:not([hidden])');
  assert.match(await page.textContent('#message'), /course has ended/);
  assert.equal(await page.evaluate(() => ScolarPlayer.nav.ended), true);
  assert.equal(await page.isDisabled('#next'), true);
  assert.equal(await page.isDisabled('#prev'), true);
  const rep = await report(srv, r.registration);
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.success, 'passed');
  assert.equal(rep.scos.filter((s) => s.sessions > 0).length, ALL.length, 'every SCO was delivered');
  assert.deepEqual(errors, []);
  await page.close();
});

test('PostTestRollup: previous / choice back, suspendAll and resume, the post test decides', async () => {
  const r = await register(srv, courses['golf-2004v3-SequencingPostTestRollup'], { id: 'pt-1', name: 'Posey' });
  let { page } = await openPlayer(browser.ctx, r.launch_url);
  await running(page, 'playing_item');
  let sco = await scoFrame(page, 'shared/launchpage.html');
  await readAll(sco);
  await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
  await page.click('#next');
  await running(page, 'etuqiette_item');
  // previous goes back; the content SCO does not decide the course (rollup from the post test only)
  await page.click('#prev');
  await running(page, 'playing_item');
  assert.equal((await toc(page))[0].success, 'unknown');
  await page.click('#toc-list li[data-id="etuqiette_item"] a');
  await running(page, 'etuqiette_item');
  // Suspend = suspendAll; reopening resumes the suspended SCO (resumeAll)
  await page.click('#suspend');
  await page.waitForSelector('#message:not([hidden])');
  assert.match(await page.textContent('#message'), /progress is saved/);
  await page.close();
  ({ page } = await openPlayer(browser.ctx, r.launch_url));
  await running(page, 'etuqiette_item');
  sco = await scoFrame(page, 'shared/launchpage.html');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.entry')), 'resume');
  for (const id of ['etuqiette_item', 'handicapping_item', 'havingfun_item']) {
    sco = await scoFrame(page, 'shared/launchpage.html');
    await readAll(sco);
    await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
    await page.click('#next');
    await page.waitForFunction((x) => ScolarPlayer.current !== x, id);
  }
  await running(page, 'assessment_item');
  sco = await scoFrame(page, 'shared/launchpage.html');
  await answerGolfTest(await quizFrame(sco), false);
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].success === 'failed', null, { timeout: 15000 });
  // retake through the table of contents: a new attempt on the post test
  await page.click('#toc-list li[data-id="assessment_item"] a');
  await running(page, 'assessment_item');
  sco = await scoFrame(page, 'shared/launchpage.html');
  await answerGolfTest(await quizFrame(sco), true);
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].success === 'passed', null, { timeout: 15000 });
  assert.equal((await toc(page))[0].completion, 'completed');
  await page.close();
});

test('POST /player/<reg>/nav: token, bad input, courses without sequencing, shared state', async () => {
  const nav = async (launchUrl, body) => {
    const u = new URL(launchUrl);
    const res = await fetch(`${u.origin}${u.pathname}/nav`, { method: 'POST', body: JSON.stringify({ token: u.searchParams.get('token'), ...body }) });
    return { status: res.status, json: await res.json() };
  };
  const r = await register(srv, courses['golf-2004v3-SequencingForcedSequential'], { id: 'nav-1', name: 'Nav' });
  let a = await nav(r.launch_url, { token: 'not-the-token', request: 'launch' });
  assert.equal(a.status, 401);
  a = await nav(r.launch_url, { request: 'sideways' });
  assert.equal(a.status, 400);
  assert.match(a.json.message, /'sideways' is not a navigation request \(SN 4th 4\.4\.1/);
  a = await nav(r.launch_url, { request: 'choice' });
  assert.equal(a.status, 400);
  assert.match(a.json.message, /target: a string item identifier is required for choice/);
  // the SCO's data goes in its commits, never in a navigation request (issue 15)
  a = await nav(r.launch_url, { request: 'report', cmi: { completion_status: 'completed' } });
  assert.equal(a.status, 400);
  assert.match(a.json.message, /^cmi: not accepted: the SCO's run-time data goes in its commits/);
  a = await nav(r.launch_url, { request: 'launch' });
  assert.equal(a.status, 200);
  assert.equal(a.json.sequencing, true);
  assert.equal(a.json.deliver, 'playing_item');
  assert.deepEqual(a.json.valid, { continue: false, previous: false });
  // the admin route sees the same registration state: a choice of a disabled item is refused
  const adm = await srv.req('POST', `/api/registrations/${r.registration}/navigation`, { body: { request: 'choice', target: 'handicapping_item' } });
  assert.equal(adm.status, 200);
  assert.equal(adm.json.deliver, null);
  assert.ok(adm.json.exception, 'an SN exception code');
  assert.equal(adm.json.current, 'playing_item');
  // the first SCO satisfied (its commit derives the tracking; report only): continue becomes
  // valid, etiquette is enabled
  const ord = await scoCommit(r.launch_url, 'playing_item', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed' }, { final: false });
  a = await nav(r.launch_url, { request: 'report', ...ord });
  assert.equal(a.json.deliver, null);
  assert.deepEqual(a.json.valid, { continue: true, previous: false });
  assert.equal(a.json.toc.find((t) => t.item === 'etuqiette_item').disabled, false);
  assert.equal(a.json.toc.find((t) => t.item === 'handicapping_item').disabled, true);
  // SCORM 1.2: the player keeps its tree order
  let o = await register(srv, courses['golf-12-RuntimeBasicCalls'], { id: 'nav-2', name: 'Flat' });
  a = await nav(o.launch_url, { request: 'launch' });
  assert.equal(a.status, 200);
  assert.deepEqual(a.json, { sequencing: false });
  // SCORM 2004 without imsss: the engine with the SN default control modes (SN 4th 3.2: choice
  // true, flow false): start cannot flow (SB.2.2-1), continue / previous are not valid, every
  // SCO can be chosen
  o = await register(srv, courses['golf-2004v3-RuntimeMinimumCalls'], { id: 'nav-2', name: 'Flat' });
  a = await nav(o.launch_url, { request: 'launch' });
  assert.equal(a.status, 200);
  assert.deepEqual([a.json.sequencing, a.json.deliver, a.json.exception, a.json.current], [true, null, 'SB.2.2-1', null]);
  assert.deepEqual(a.json.valid, { continue: false, previous: false });
  const leaves = a.json.toc.filter((t) => t.leaf);
  assert.ok(leaves.length > 10 && leaves.every((t) => !t.disabled && !t.hidden), 'every SCO can be chosen');
  a = await nav(o.launch_url, { request: 'choice', target: leaves[1].item });
  assert.equal(a.json.deliver, leaves[1].item);
  a = await nav(o.launch_url, { request: 'continue' });
  assert.deepEqual([a.json.deliver, a.json.exception], [null, 'NB.2.1-4']); // NB.2.1: continue needs flow on the parent
  // a SCO that terminates with cmi.exit "time-out" (or "logout"): exitAll (RTE 4th 4.2.8), even
  // with only a report
  const to = await scoCommit(o.launch_url, leaves[1].item, { 'cmi.completion_status': 'incomplete', 'cmi.exit': 'time-out', 'cmi.session_time': 'PT5S' });
  a = await nav(o.launch_url, { request: 'report', ...to });
  assert.equal(a.status, 200);
  assert.deepEqual([a.json.ended, a.json.current, a.json.deliver], [true, null, null]);
});

test('navigation: registrations of different learners in parallel, one registration serialised', async () => {
  const course = courses['golf-2004v3-SequencingForcedSequential'];
  const done = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed', 'cmi.score.scaled': '0.9' };
  const nav = (reg, body) => srv.req('POST', `/api/registrations/${reg}/navigation`, { body });
  // a learner's walk, one request after the other as a player sends them: each delivered SCO
  // commits its data (the tracking follows it), then continue
  const walk = async (r) => {
    let a = await nav(r.registration, { request: 'launch' });
    const seen = [a.json.deliver];
    for (let i = 0; i < ALL.length; i++) {
      const ord = await scoCommit(r.launch_url, a.json.deliver, done);
      a = await nav(r.registration, { request: 'continue', ...ord });
      assert.equal(a.status, 200);
      seen.push(a.json.ended ? 'ended' : a.json.deliver);
    }
    return seen;
  };
  const regs = [];
  for (let i = 0; i < 4; i++) regs.push(await register(srv, course, { id: `par-${i}`, name: `Parallel ${i}` }));
  const burst = await register(srv, course, { id: 'burst', name: 'Burst' });
  assert.equal((await nav(burst.registration, { request: 'launch' })).json.deliver, 'playing_item');
  await scoCommit(burst.launch_url, 'playing_item', done); // continue becomes valid once
  // four learners walk at the same time while one registration gets 8 concurrent continues
  const [walks, answers] = await Promise.all([
    Promise.all(regs.map(walk)),
    Promise.all(Array.from({ length: 8 }, () => nav(burst.registration, { request: 'continue' }))),
  ]);
  for (const w of walks) assert.deepEqual(w, [...ALL, 'ended']);
  for (const { registration: reg } of regs) {
    const rep = await report(srv, reg);
    assert.deepEqual([rep.completion, rep.success, rep.sequencing.ended], ['completed', 'passed', true]);
  }
  // serialised on one registration: the first continue delivered etiquette; the seven after it
  // saw that state (etiquette not satisfied: handicapping is disabled) and were refused, so
  // nothing was delivered twice (no lost update)
  assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
  assert.deepEqual(answers.map((a) => a.json.deliver).filter(Boolean), ['etuqiette_item']);
  const refused = answers.filter((a) => a.json.exception);
  assert.equal(refused.length, 7);
  for (const a of refused) assert.equal(a.json.current, 'etuqiette_item');
});
