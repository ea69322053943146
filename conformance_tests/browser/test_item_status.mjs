// SPDX-License-Identifier: Apache-2.0
// One status per item (issue 15): an item's completion and success are the same in the
// registration report's scos[] (GET /api/registrations/ID), in the sequencing table of
// contents of that report (sequencing.toc), in the player's own table of contents
// (ScolarPlayer.nav.toc, from POST /player/<reg>/nav) and in the player's state
// (GET /player/<reg>/state items[]): scorm/seq.h seq_item_status decides all of them. Played
// in headless Chromium on an ADL package (golf-2004v3-SequencingPostTestRollup: content SCOs
// read, the post test failed then passed, Suspend and resume) and on scolar's own demo course
// (tools/demo-course, SCORM 2004 edition: the introduction left in the middle, then the quiz),
// compared at every step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from '../lib/server.mjs';
import {
  launchBrowser, importPackages, register, report, openPlayer, scoFrame, answerGolfTest,
  golfReadAll as readAll, golfQuizFrame as quizFrame,
} from '../lib/browser.mjs';

const MAKE = new URL('../../tools/demo-course/make-zip.sh', import.meta.url).pathname;
const PT = 'golf-2004v3-SequencingPostTestRollup';
let srv, browser, courses, dataDir;

before(async () => {
  dataDir = tempDir();
  courses = importPackages(dataDir, [PT]);
  srv = await startServer({ dataDir });
  const zip = join(dataDir, 'demo-2004.zip');
  execFileSync(MAKE, ['2004', zip]);
  const r = await srv.req('POST', '/api/courses', { body: readFileSync(zip), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 201, r.text);
  courses.demo = r.json.course;
  browser = await launchBrowser();
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const running = (page, id) => page.waitForFunction((x) => ScolarPlayer.current === x && ScolarPlayer.api && ScolarPlayer.api._runtime.state === 1, id);
const pair = (x) => [x.completion, x.success];

// Every SCO's status in the report's scos[] is its entry's in the report's sequencing toc and
// in the player's state; with a page, in the player's table of contents too (after it caught
// up with the server). Returns the statuses by item for further asserts.
async function agree(r, page, why) {
  const reg = r.registration;
  let rep = await report(srv, reg);
  if (page) {
    // the page's toc comes from its last navigation answer: wait until it matches the server's
    const want = JSON.stringify(rep.sequencing.toc.map((t) => [t.item, t.completion, t.success]));
    try {
      await page.waitForFunction((w) => JSON.stringify(ScolarPlayer.nav.toc.map((t) => [t.item, t.completion, t.success])) === w,
        want, { timeout: 10000 });
    } catch {
      const got = await page.evaluate(() => ScolarPlayer.nav.toc.map((t) => [t.item, t.completion, t.success]));
      assert.deepEqual(got, JSON.parse(want), `${why}: the player's table of contents is the report's`);
    }
    rep = await report(srv, reg); // nothing moved meanwhile
  }
  assert.ok(rep.sequencing, `${why}: a SCORM 2004 report has its sequencing`);
  assert.ok(rep.scos.length > 0, `${why}: SCOs listed`);
  const toc = new Map(rep.sequencing.toc.map((t) => [t.item, t]));
  const u = new URL(r.launch_url);
  const st = await fetch(`${u.origin}/player/${reg}/state?token=${u.searchParams.get('token')}`);
  assert.equal(st.status, 200, `${why}: player state`);
  const items = new Map((await st.json()).items.map((i) => [i.id, i]));
  const out = {};
  for (const s of rep.scos) {
    const t = toc.get(s.id);
    assert.ok(t, `${why}: SCO ${s.id} is in the sequencing toc`);
    assert.deepEqual(pair(s), pair(t), `${why}: ${s.id} has one status (scos[] vs sequencing toc)`);
    assert.deepEqual(pair(items.get(s.id)), pair(t), `${why}: ${s.id} in the player's state`);
    out[s.id] = pair(s);
  }
  return out;
}

test('ADL PostTestRollup: scos[], the report toc and the player toc agree at every step', async () => {
  const r = await register(srv, courses[PT], { id: 'st-1', name: 'Stella' });
  let { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  await running(page, 'playing_item');
  let s = await agree(r, page, 'launched');
  assert.deepEqual(s.assessment_item, ['not attempted', 'unknown']);
  let sco = await scoFrame(page, 'shared/launchpage.html');
  await readAll(sco);
  await page.waitForFunction(() => !document.getElementById('next').disabled, null, { timeout: 15000 });
  s = await agree(r, page, 'first SCO read');
  assert.equal(s.playing_item[0], 'completed');
  await page.click('#next');
  await running(page, 'etuqiette_item');
  await agree(r, page, 'second SCO delivered');
  await page.click('#suspend');
  await page.waitForSelector('#message:not([hidden])');
  await page.close();
  await agree(r, null, 'suspended');
  ({ page, errors } = await openPlayer(browser.ctx, r.launch_url));
  await running(page, 'etuqiette_item');
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
  s = await agree(r, page, 'post test failed');
  assert.equal(s.assessment_item[1], 'failed');
  await page.click('#toc-list li[data-id="assessment_item"] a');
  await running(page, 'assessment_item');
  sco = await scoFrame(page, 'shared/launchpage.html');
  await answerGolfTest(await quizFrame(sco), true);
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].success === 'passed', null, { timeout: 15000 });
  s = await agree(r, page, 'post test passed');
  assert.equal(s.assessment_item[1], 'passed');
  const rep = await report(srv, r.registration);
  // the course report reads the same statuses
  const cr = await srv.req('GET', `/api/reports/course?course=${encodeURIComponent(courses[PT])}`);
  assert.equal(cr.status, 200, cr.text);
  const a = cr.json.scos.find((x) => x.id === 'assessment_item');
  assert.equal(a.passed, rep.scos.find((x) => x.id === 'assessment_item').success === 'passed' ? 1 : 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo course (SCORM 2004): the introduction left in the middle, then the quiz', async () => {
  const r = await register(srv, courses.demo, { id: 'st-2', name: 'Dana' });
  let { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  let intro = await scoFrame(page, 'intro.html');
  await page.locator('#toc-list li', { hasText: 'Quiz' }).waitFor();
  await agree(r, page, 'introduction launched');
  await intro.click('#next');
  await page.close();
  await agree(r, null, 'introduction left on page 2');
  ({ page, errors } = await openPlayer(browser.ctx, r.launch_url));
  intro = await scoFrame(page, 'intro.html');
  await intro.click('#next');
  await intro.click('#next'); // completes, satisfies, continue
  const quiz = await scoFrame(page, 'quiz.html');
  await agree(r, page, 'quiz delivered');
  await quiz.check('input[name=q1][value=b]');
  await quiz.check('input[name=q2][value=false]');
  await quiz.fill('#q3', '30');
  await quiz.click('#submit');
  await quiz.waitForSelector('#result:not([hidden])');
  await page.waitForFunction(() => ScolarPlayer.nav.toc[0].success === 'passed', null, { timeout: 15000 });
  const s = await agree(r, page, 'quiz passed');
  assert.ok(Object.values(s).some((x) => x[1] === 'passed'), JSON.stringify(s));
  assert.deepEqual(errors, []);
  await page.close();
});
