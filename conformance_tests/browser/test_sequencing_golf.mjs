// SPDX-License-Identifier: Apache-2.0
// The golf sequencing samples end to end in headless Chromium, walked as a learner would
// (read the content SCOs page by page, answer the quizzes, press Next / Suspend / Exit or pick
// from the table of contents). Each expectation comes from the package's imsmanifest.xml
// (imsss rules quoted where they are asserted); the course result is read back through the
// nav answer's toc and GET /api/registrations/ID (course-level completion / success / score from
// the engine's rollup of the root activity, plus its "sequencing" object).
// ForcedSequential and PostTestRollup are in test_sequencing.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tempDir } from '../lib/server.mjs';
import {
  launchBrowser, importPackages, register, report, openPlayer, scoFrame, answerGolfTest,
  golfReadAll as readAll, golfQuizFrame as quizFrame, scoCommit,
} from '../lib/browser.mjs';

const PKG = {
  prepost: 'golf-2004v3-SequencingPreOrPostTestRollup',
  random: 'golf-2004v3-SequencingRandomTest',
  remed: 'golf-2004v3-SequencingSimpleRemediation',
  fourth: 'golf-2004v4-SequencingPostTestRollup4thEd',
};
// the SCO each item launches (resource href query or the item's parameters, CAM 4th 3.4.1.10)
const CONTENT = { playing_item: 'playing', etuqiette_item: 'etiquette', handicapping_item: 'handicapping', havingfun_item: 'havingfun' };
const TESTS = ['test_1', 'test_2', 'test_3', 'test_4'];
const param = (id) => `content=${CONTENT[id] || (TESTS.includes(id) ? `assessment${id.slice(5)}` : 'assessment')}`;

const JQUERY_STANDIN = `window.jQuery = window.$ = function (sel) {
  var el = document.querySelector(sel);
  return { dialog: function () { return this; },
    val: function (v) { if (v === undefined) return el ? el.value : ''; if (el) el.value = v; return this; } };
};`;

let srv, browser, courses, dataDir, remediation, exited;

before(async () => {
  dataDir = tempDir();
  courses = importPackages(dataDir, Object.values(PKG));
  srv = await startServer({ dataDir });
  browser = await launchBrowser();
  // the 4th edition sample loads jQuery and jQuery UI from ajax.googleapis.com for its notes
  // dialog (adl.data); the tests run offline, so that host gets a minimal stand-in ($(sel)
  // with .dialog() and .val()); the notes dialog itself is not exercised
  await browser.ctx.route('https://ajax.googleapis.com/**', (route) => route.fulfill({
    status: 200, contentType: 'text/javascript',
    body: route.request().url().includes('jqueryui') ? '' : JQUERY_STANDIN,
  }));
});

after(async () => {
  await remediation?.page.close().catch(() => {});
  await exited?.page.close().catch(() => {});
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const toc = (page) => page.evaluate(() => ScolarPlayer.nav.toc);
const entry = async (page, id) => (await toc(page)).find((t) => t.item === id);
const shown = (page, id) => page.$$eval(`#toc-list li[data-id="${id}"]`, (l) => l.length === 1);
const clickable = (page, id) => page.$$eval(`#toc-list li[data-id="${id}"] a`, (l) => l.length === 1);
const root = async (page) => { const r = (await toc(page))[0]; return [r.completion, r.success]; };

// Wait until the player runs item `id` (its SCO called Initialize) and return the SCO frame,
// checking that the launched page is that item's SCO.
async function delivered(page, id) {
  await page.waitForFunction((x) => ScolarPlayer.current === x && ScolarPlayer.api && ScolarPlayer.api !== window.prevApi &&
    ScolarPlayer.api._runtime.state === 1, id, { timeout: 15000 });
  return scoFrame(page, param(id));
}

// The item the player runs next (any of `ids`), once its SCO initialised.
async function deliveredOneOf(page, ids) {
  await page.waitForFunction((l) => l.includes(ScolarPlayer.current) && ScolarPlayer.api && ScolarPlayer.api !== window.prevApi &&
    ScolarPlayer.api._runtime.state === 1, ids, { timeout: 15000 });
  const id = await page.evaluate(() => ScolarPlayer.current);
  await scoFrame(page, param(id));
  return id;
}

// Press a player control (or a table entry); the next delivery is a new SCO session.
async function press(page, selector) {
  await page.evaluate(() => { window.prevApi = ScolarPlayer.api; });
  await page.click(selector);
}

// Answer the first `nCorrect` questions of the golf quiz correctly, the others wrongly, and
// submit; returns the scaled score the quiz records (round(correct * 100 / total) / 100).
async function answerQuiz(sco, nCorrect) {
  const total = await answerGolfTest(await quizFrame(sco), Math.max(0, nCorrect));
  const k = Math.min(Math.max(0, nCorrect), total);
  const scaled = Math.round((k * 100) / total) / 100;
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.score.scaled')), String(scaled));
  return { scaled, total };
}

// Read a content SCO to its end, then Next (once the engine says continue is valid).
async function readAndNext(page, id) {
  const sco = await delivered(page, id);
  await readAll(sco);
  await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
  await press(page, '#next');
}

async function endedMessage(page, re) {
  await page.waitForSelector('#message:not([hidden])', { timeout: 15000 });
  assert.match(await page.textContent('#message'), re);
  assert.equal(await page.evaluate(() => ScolarPlayer.nav.ended), true);
}

test('PreOrPostTestRollup: a passed pre-test satisfies the course; Exit ends the attempt', async () => {
  const r = await register(srv, courses[PKG.prepost], { id: 'pp-pass', name: 'Pre Passer' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  // root and dummy_item flow="true": start flows to the first leaf, the pre test
  let sco = await delivered(page, 'pretest_item');
  // dummy_item and content_wrapper have isvisible="false"
  for (const id of ['dummy_item', 'content_wrapper']) {
    assert.equal((await entry(page, id)).hidden, true, `${id} hidden`);
    assert.equal(await shown(page, id), false);
  }
  // posttest_item preConditionRule: content_completed "not satisfied" or "not
  // objectiveStatusKnown" -> disabled
  assert.equal((await entry(page, 'posttest_item')).disabled, true);
  assert.equal(await clickable(page, 'posttest_item'), false);
  assert.equal(await clickable(page, 'playing_item'), true, 'content_wrapper choice="true"');
  assert.deepEqual(await root(page), ['unknown', 'unknown']);
  const q = await answerQuiz(sco, 99);
  assert.equal(q.scaled, 1);
  await press(page, '#next');
  // nothing skips the content after a passed pre test: flow delivers playing_item
  sco = await delivered(page, 'playing_item');
  // pretest_item mapInfo writeSatisfiedStatus -> global assessment_satisfied; dummy_item reads
  // it (readSatisfiedStatus, readNormalizedMeasure); root rollupRule any satisfied -> completed
  assert.deepEqual(await root(page), ['completed', 'passed']);
  // both tests: preConditionRule assessment_satisfied satisfied -> disabled
  assert.equal((await entry(page, 'pretest_item')).disabled, true);
  assert.equal((await entry(page, 'posttest_item')).disabled, true);
  // Exit: exitAll ends the attempt on the course (SN 4th 4.4.1)
  assert.equal(await page.isVisible('#suspend'), true);
  await press(page, '#exit');
  await endedMessage(page, /course has ended/);
  assert.equal(await page.isDisabled('#suspend'), true);
  assert.equal(await page.isDisabled('#exit'), true);
  const rep = await report(srv, r.registration);
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.success, 'passed');
  assert.equal(rep.score.scaled, 1, 'root measure: dummy_item reads the pre test normalized measure');
  assert.equal(rep.sequencing.ended, true);
  assert.equal(rep.sequencing.current, null);
  assert.equal(rep.sequencing.suspended, null);
  assert.deepEqual([rep.sequencing.toc[0].completion, rep.sequencing.toc[0].success], ['completed', 'passed']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('PreOrPostTestRollup: a failed pre-test sends the learner through the content to the post test', async () => {
  const r = await register(srv, courses[PKG.prepost], { id: 'pp-fail', name: 'Pre Failer' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  const sco = await delivered(page, 'pretest_item');
  assert.equal((await answerQuiz(sco, 0)).scaled, 0);
  await press(page, '#next');
  await delivered(page, 'playing_item');
  // pretest_item limitConditions attemptLimit="1" + preConditionRule attemptLimitExceeded ->
  // disabled: the pre test cannot be taken again
  assert.equal((await entry(page, 'pretest_item')).disabled, true);
  assert.equal(await clickable(page, 'pretest_item'), false);
  // dummy_item reads the failed assessment_satisfied global: the course is failed so far
  assert.equal((await root(page))[1], 'failed');
  await readAndNext(page, 'playing_item');
  await readAndNext(page, 'etuqiette_item');
  await readAndNext(page, 'handicapping_item');
  // before havingfun_item is done the post test is still disabled and continue is not valid
  // (flow would reach only the disabled posttest_item)
  let s = await delivered(page, 'havingfun_item');
  assert.equal((await entry(page, 'posttest_item')).disabled, true);
  assert.equal(await page.isDisabled('#next'), true);
  await readAll(s);
  // content_wrapper rollupRule all completed -> satisfied, written to content_completed: the
  // post test's disabled rule no longer fires
  await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
  assert.equal((await entry(page, 'posttest_item')).disabled, false);
  await press(page, '#next');
  s = await delivered(page, 'posttest_item');
  // 1 of the questions right: failed, the post test stays available
  const failed = await answerQuiz(s, 1);
  assert.ok(failed.scaled < 0.7);
  // retake from the table of contents (posttest_item is not disabled: not satisfied)
  await press(page, '#toc-list li[data-id="posttest_item"] a');
  s = await delivered(page, 'posttest_item');
  assert.equal((await answerQuiz(s, 99)).scaled, 1);
  await press(page, '#next');
  // continue past the last activity ends the session (SB.2.7 / SB.2.1 end of course)
  await endedMessage(page, /course has ended/);
  assert.deepEqual(await root(page), ['completed', 'passed']);
  assert.equal((await entry(page, 'posttest_item')).disabled, true, 'assessment_satisfied satisfied -> disabled');
  const rep = await report(srv, r.registration);
  assert.deepEqual([rep.completion, rep.success, rep.score.scaled], ['completed', 'passed', 1]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('RandomTest: post test after the content, a random hidden test per attempt, retry, exitAll', async () => {
  const r = await register(srv, courses[PKG.random], { id: 'rt-1', name: 'Random' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  await delivered(page, 'playing_item');
  // the tests have isvisible="false" (one "Post Test" entry for the learner); posttest_item
  // preConditionRule content_completed not satisfied / not known -> disabled
  for (const id of TESTS) assert.equal(await shown(page, id), false, `${id} hidden`);
  assert.equal(await shown(page, 'posttest_item'), true);
  assert.equal((await entry(page, 'posttest_item')).disabled, true);
  assert.equal(await page.isVisible('#suspend'), true, 'content items do not hide suspendAll');
  for (const id of Object.keys(CONTENT)) await readAndNext(page, id);
  // posttest_item flow="true", randomizationControls reorderChildren onEachNewAttempt: one of
  // the four tests comes first
  const first = await deliveredOneOf(page, TESTS);
  // the tests' adlnav:hideLMSUI suspendAll hides Suspend
  assert.equal(await page.isVisible('#suspend'), false);
  assert.equal(await page.isVisible('#exit'), true);
  let sco = await scoFrame(page, param(first));
  const low = await answerQuiz(sco, 0);
  await press(page, '#next');
  // the test's postConditionRule always -> exitParent; posttest_item "not satisfied and not
  // attemptLimitExceeded" -> retry: a new attempt, reordered, delivers a test again
  const second = await deliveredOneOf(page, TESTS);
  assert.ok(TESTS.includes(second));
  assert.equal(low.scaled, 0);
  sco = await scoFrame(page, param(second));
  const high = await answerQuiz(sco, 99);
  await press(page, '#next');
  // passed: posttest_item postConditionRule objectiveStatusKnown -> exitAll
  await endedMessage(page, /course has ended/);
  // root rollupRule any (satisfied or attemptLimitExceeded) -> completed; satisfaction from the
  // posttest_item rollup (any satisfied -> satisfied); score: the course_score global (the
  // most recent test's normalized measure) read by posttest_item, the only child with weight
  const rep = await report(srv, r.registration);
  assert.deepEqual([rep.completion, rep.success, rep.score.scaled], ['completed', 'passed', high.scaled]);
  assert.equal(rep.sequencing.toc.find((t) => t.item === 'posttest_item').disabled, true,
    'posttest_item satisfied -> disabled');
  assert.deepEqual(errors, []);
  await page.close();
});

test('RandomTest: two failed attempts exceed the attempt limit and end the course failed', async () => {
  const r = await register(srv, courses[PKG.random], { id: 'rt-2', name: 'Random Failer' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  for (const id of Object.keys(CONTENT)) await readAndNext(page, id);
  const seen = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = await deliveredOneOf(page, TESTS);
    seen.push(id);
    const sco = await scoFrame(page, param(id));
    assert.equal((await answerQuiz(sco, 1)).scaled < 0.7, true);
    await press(page, '#next');
  }
  // posttest_item limitConditions attemptLimit="2": the second failure -> exitAll
  await endedMessage(page, /course has ended/);
  const rep = await report(srv, r.registration);
  // root: attemptLimitExceeded -> completed; posttest_item any not satisfied -> notSatisfied
  assert.deepEqual([rep.completion, rep.success], ['completed', 'failed']);
  assert.ok(rep.score.scaled < 0.7);
  assert.equal(rep.sequencing.toc.find((t) => t.item === 'posttest_item').disabled, true, 'attemptLimitExceeded -> disabled');
  assert.deepEqual(errors, []);
  await page.close();
});

// randomizationControls randomizationTiming="onEachNewAttempt" reorderChildren="true" (SR.2):
// over 16 learners the first test of the first and of the retried attempt must vary (a fair
// shuffle gives fewer than 3 distinct tests out of 4 with probability ~1e-4). Through the
// admin navigation route (the same engine the player drives), all learners at once. The engine
// seeds each registration from the kernel CSPRNG mixed with its id and keeps the full generator
// state in the saved state, so every request (a reload) continues the same shuffle.
test('RandomTest: the order of the tests differs between learners and attempts', async () => {
  const done = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed' };
  const failed = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed', 'cmi.score.scaled': '0' };
  const runs = await Promise.all(Array.from({ length: 16 }, async (_, k) => {
    const r = await register(srv, courses[PKG.random], { id: `rnd-${k}`, name: `Random ${k}` });
    const nav = async (body) => (await srv.req('POST', `/api/registrations/${r.registration}/navigation`, { body })).json;
    // each delivered SCO commits its data (the server derives the tracking), then continue
    let a = await nav({ request: 'launch' });
    assert.equal(a.deliver, 'playing_item');
    for (let i = 0; i < 4; i++) a = await nav({ request: 'continue', ...(await scoCommit(r.launch_url, a.deliver, done)) });
    const b = await nav({ request: 'continue', ...(await scoCommit(r.launch_url, a.deliver, failed)) });
    assert.ok(TESTS.includes(a.deliver) && TESTS.includes(b.deliver), `${a.deliver} ${b.deliver}`);
    return [a.deliver, b.deliver];
  }));
  const distinct = (k) => new Set(runs.map((x) => x[k])).size;
  assert.ok(distinct(0) >= 3 && distinct(1) >= 3, `first tests: ${runs.map((x) => x.join('>')).join(' ')}`);
});

test('SimpleRemediation: failed quizzes send the learner back to their content only', async () => {
  const r = await register(srv, courses[PKG.remed], { id: 'sr-1', name: 'Remedial' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  await delivered(page, 'playing_item');
  // controlMode choice="false" everywhere: no entry of the table can be chosen; flow only
  for (const id of [...Object.keys(CONTENT), ...TESTS]) {
    assert.equal((await entry(page, id)).disabled, true, `${id} not selectable (choice="false")`);
    assert.equal(await clickable(page, id), false);
  }
  for (const id of Object.keys(CONTENT)) await readAndNext(page, id);
  // quizzes in order: playing passed, etiquette failed, handicapping passed, having fun failed
  const plan = [['test_1', 99], ['test_2', 0], ['test_3', 99], ['test_4', 0]];
  for (const [id, k] of plan) {
    const sco = await delivered(page, id);
    await answerQuiz(sco, k);
    await press(page, '#next');
  }
  // test_4 postConditionRule always -> exitParent; content_wrapper not satisfied -> retry.
  // content_seq_rules / test_seq_rules preConditionRule satisfied -> skip: the passed
  // objectives (playing, handicapping: globals written by test_1 and test_3, read by the
  // content items and the quizzes) are skipped; the learner gets only what they failed
  await readAndNext(page, 'etuqiette_item');
  await readAndNext(page, 'havingfun_item');
  let sco = await delivered(page, 'test_2');
  assert.equal((await answerQuiz(sco, 99)).scaled, 1);
  await press(page, '#next');
  sco = await delivered(page, 'test_4');
  assert.equal((await answerQuiz(sco, 99)).scaled, 1);
  remediation = { page, errors, reg: r.registration };
});

// test_1 / test_3 were skipped in the wrapper's retried attempt; content_wrapper's
// useCurrentAttemptObjectiveInfo (default true) hides only a child's local data from earlier
// attempts, while the skipped quizzes read their passed status from the global objectives
// (mapInfo readSatisfiedStatus), which count in the wrapper's rollup.
test('SimpleRemediation: all quizzes passed after remediation end the course', async () => {
  assert.ok(remediation, 'the remediation walk ran');
  const { page, errors, reg } = remediation;
  await press(page, '#next');
  await page.waitForFunction(() => ScolarPlayer.nav.ended ||
    (ScolarPlayer.api && ScolarPlayer.api !== window.prevApi && ScolarPlayer.api._runtime.state === 1), null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => ScolarPlayer.nav.ended ? null : ScolarPlayer.current), null, 'nothing delivered after the last quiz');
  // every quiz satisfied: content_wrapper (default rollup: all contributing children
  // satisfied; the content items have rollupObjectiveSatisfied="false") is satisfied ->
  // postConditionRule satisfied -> exitAll
  await endedMessage(page, /course has ended/);
  const rep = await report(srv, reg);
  assert.deepEqual([rep.completion, rep.success], ['completed', 'passed']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('PostTestRollup4thEd: completion-based prerequisites, hidden quiz, progress weights', async () => {
  const r = await register(srv, courses[PKG.fourth], { id: 'p4-1', name: 'Fourth' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  let sco = await delivered(page, 'playing_item');
  // etiquette/handicapping/havingfun preConditionRule previous_sco_completed (adlseq:mapInfo
  // readCompletionStatus of the previous SCO's global) not completed -> disabled
  for (const id of ['etuqiette_item', 'handicapping_item', 'havingfun_item']) {
    assert.equal((await entry(page, id)).disabled, true, `${id} disabled`);
  }
  // assessment_item preConditionRule (not completed previous, not attempted) -> hiddenFromChoice
  assert.equal((await entry(page, 'assessment_item')).hidden, true);
  assert.equal(await shown(page, 'assessment_item'), false);
  assert.equal(await page.isDisabled('#next'), true, 'continue would only reach a disabled activity');
  await readAll(sco);
  // playing_item writes its completion to the global (writeCompletionStatus): etiquette opens
  await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
  assert.equal((await entry(page, 'etuqiette_item')).disabled, false);
  assert.equal((await entry(page, 'handicapping_item')).disabled, true);
  await press(page, '#next');
  await readAndNext(page, 'etuqiette_item');
  await readAndNext(page, 'handicapping_item');
  await readAndNext(page, 'havingfun_item');
  sco = await delivered(page, 'assessment_item');
  assert.equal((await entry(page, 'assessment_item')).hidden, false, 'attempted: no longer hidden');
  // content_seq_rules rollupObjectiveSatisfied/rollupProgressCompletion="false",
  // objectiveMeasureWeight="0": only the quiz rolls up. The quiz sets itself incomplete at
  // launch and commits: the course is incomplete, its success not known yet
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].completion === 'incomplete', null, { timeout: 15000 });
  assert.deepEqual(await root(page), ['incomplete', 'unknown']);
  const low = await answerQuiz(sco, 1);
  // retake through the table of contents: a new attempt on the quiz
  await press(page, '#toc-list li[data-id="assessment_item"] a');
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].success === 'failed', null, { timeout: 15000 });
  assert.ok(low.scaled < 0.7);
  sco = await delivered(page, 'assessment_item');
  const high = await answerQuiz(sco, 99);
  await press(page, '#next');
  await endedMessage(page, /course has ended/);
  assert.deepEqual(await root(page), ['completed', 'passed']);
  const rep = await report(srv, r.registration);
  assert.deepEqual([rep.completion, rep.success, rep.score.scaled], ['completed', 'passed', high.scaled]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Suspend keeps the attempt and reopening resumes it; Exit ends it and reopening starts over', async () => {
  const r = await register(srv, courses[PKG.random], { id: 'sx-1', name: 'Leaver' });
  let { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  let sco = await delivered(page, 'playing_item');
  await readAll(sco);
  await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
  await press(page, '#next');
  sco = await delivered(page, 'etuqiette_item');
  assert.deepEqual([await page.isVisible('#suspend'), await page.isVisible('#exit')], [true, true]);
  assert.deepEqual([await page.isDisabled('#suspend'), await page.isDisabled('#exit')], [false, false]);
  await sco.click('#butNext'); // the learner is on page 2 of 3
  // Suspend: suspendAll (SN 4th 4.4.1, TB.2.3): the session ends, the attempt stays open with
  // etuqiette_item suspended
  await press(page, '#suspend');
  await page.waitForSelector('#message:not([hidden])', { timeout: 15000 });
  assert.match(await page.textContent('#message'), /progress is saved/);
  assert.doesNotMatch(await page.textContent('#message'), /course has ended/);
  let rep = await report(srv, r.registration);
  assert.deepEqual([rep.sequencing.suspended, rep.sequencing.current, rep.sequencing.ended, rep.sequencing.attempts],
    ['etuqiette_item', null, true, 1]);
  assert.deepEqual([rep.completion, rep.success], ['incomplete', 'unknown']);
  assert.equal(rep.score, undefined, 'no measure rolled up yet');
  assert.deepEqual(errors, []);
  await page.close();
  // reopening: resumeAll delivers the suspended activity, the SCO resumes its data
  ({ page, errors } = await openPlayer(browser.ctx, r.launch_url));
  sco = await delivered(page, 'etuqiette_item');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.entry')), 'resume');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.location')), '1');
  assert.equal((await entry(page, 'playing_item')).completion, 'completed');
  // Exit: exitAll ends the attempt on the course (SN 4th 4.4.1, TB.2.3 exitAll)
  await press(page, '#exit');
  await endedMessage(page, /course has ended/);
  rep = await report(srv, r.registration);
  assert.deepEqual([rep.sequencing.suspended, rep.sequencing.current, rep.sequencing.ended], [null, null, true]);
  assert.deepEqual(errors, []);
  await page.close();
  // reopening after exitAll: nothing is suspended, so launch is start (not resumeAll): the
  // first activity is delivered, not the one the learner left
  ({ page, errors } = await openPlayer(browser.ctx, r.launch_url));
  sco = await delivered(page, 'playing_item');
  rep = await report(srv, r.registration);
  assert.deepEqual([rep.sequencing.current, rep.sequencing.ended], ['playing_item', false]);
  exited = { sco, rep, page };
  assert.deepEqual(errors, []);
});

// exitAll ends the attempt on the course and every SCO attempt in it, the suspended ones too
// (SN 4th TB.2.3; only suspendAll keeps them, RTE 4th 4.2.8): the golf SCOs set cmi.exit
// "suspend" at every unload, yet the SCO delivered after reopening starts a new learner attempt
// (scorm_rt_course_exited).
test('Exit then reopening: a new attempt on the SCO (cmi.entry ab-initio)', async () => {
  assert.ok(exited, 'the exit walk ran');
  assert.equal(await exited.sco.evaluate(() => ScormProcessGetValue('cmi.entry')), 'ab-initio');
  const rep = await report(srv, exited.rep.registration);
  const sco = rep.scos.find((x) => x.id === 'playing_item');
  assert.ok(sco, 'playing_item in the report');
  assert.deepEqual([sco.attempt, sco.attempts], [2, 2], 'playing_item: its first attempt ended with the course attempt');
});

// exitAll ends the course attempt even when SCOs had set cmi.exit "suspend": nothing stays
// suspended (seq_term.c exit_all), so start begins a new attempt on the root (DB.2).
test('Exit then reopening: a new attempt on the course', async () => {
  assert.ok(exited, 'the exit walk ran');
  assert.equal(exited.rep.sequencing.attempts, 2, 'root attempt count');
});
