// SPDX-License-Identifier: Apache-2.0
// scolar's own demo course (tools/demo-course, issue 18): both editions import without
// warnings and play in headless Chromium. SCORM 2004: the quiz is disabled until the
// introduction is read (a precondition rule on a global objective), the introduction resumes
// where the learner left, the quiz records three interactions and a score, the course rolls
// up to completed and passed. SCORM 1.2: the same SCOs through API, lesson_status and score.
// Needs nothing from ../shared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from '../lib/server.mjs';
import {
  launchBrowser, register, openPlayer, scoFrame, waitReport, waitStatements, verbs, scoCommit,
} from '../lib/browser.mjs';

const MAKE = new URL('../../tools/demo-course/make-zip.sh', import.meta.url).pathname;
let srv, browser, work;
const course = {};

before(async () => {
  work = tempDir('scolar-demo-');
  srv = await startServer();
  for (const ed of ['2004', '12']) {
    const zip = join(work, `demo-${ed}.zip`);
    execFileSync(MAKE, [ed, zip]);
    const r = await srv.req('POST', '/api/courses', { body: readFileSync(zip), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.warnings, [], `the ${ed} edition imports without warnings`);
    assert.equal(r.json.scos, 2);
    course[ed] = r.json.course;
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function answer(quiz, [q1, q2, q3]) {
  await quiz.check(`input[name=q1][value=${q1}]`);
  await quiz.check(`input[name=q2][value=${q2}]`);
  await quiz.fill('#q3', q3);
  await quiz.click('#submit');
  await quiz.waitForSelector('#result:not([hidden])');
  return quiz.textContent('#result');
}

test('SCORM 2004 edition: the quiz waits for the introduction; resume; score and rollup', async () => {
  const r = await register(srv, course['2004'], { id: 'demo-1', name: 'Dana Demo' });
  let { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  let intro = await scoFrame(page, 'intro.html');
  assert.equal(await intro.textContent('#progress'), 'Page 1 of 3');
  await page.locator('#toc-list li', { hasText: 'Quiz' }).waitFor();
  await intro.click('#next');
  assert.equal(await intro.textContent('#progress'), 'Page 2 of 3');
  // leave in the middle: the location is kept (suspend on pagehide)
  await page.close();
  await waitReport(srv, r.registration, (x) => x.scos.some((s) => s.cmi && s.cmi['cmi.location'] === '2'));
  ({ page, errors } = await openPlayer(browser.ctx, r.launch_url));
  intro = await scoFrame(page, 'intro.html');
  assert.equal(await intro.textContent('#progress'), 'Page 2 of 3', 'resumed where the learner left');
  await intro.click('#next');
  assert.equal(await intro.textContent('#next'), 'Go to the quiz');
  await intro.click('#next'); // completes, satisfies, continue
  const quiz = await scoFrame(page, 'quiz.html');
  const text = await answer(quiz, ['b', 'false', '30']);
  assert.match(text, /^2 of 3 right: passed/);
  await quiz.click('#exit');
  const rep = await waitReport(srv, r.registration, (x) => x.success === 'passed' && x.completion === 'completed');
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.success, 'passed');
  const qs = rep.scos.find((s) => s.cmi && s.cmi['cmi.score.raw'] === '2') || rep.scos.find((s) => (s.interactions || []).length === 3);
  assert.ok(qs, `the quiz SCO is reported: ${JSON.stringify(rep.scos).slice(0, 500)}`);
  assert.deepEqual(qs.interactions.map((i) => [i.id, i.type, i.result]), [
    ['q1-heavy-box', 'choice', 'correct'],
    ['q2-twisting', 'true-false', 'correct'],
    ['q3-help-weight', 'numeric', 'incorrect'],
  ]);
  const stmts = await waitStatements(srv, r.registration, (s) => verbs(s).includes('passed'));
  const v = verbs(stmts);
  assert.ok(v.includes('completed') && v.includes('passed'), `bridge statements: ${v}`);
  assert.equal(stmts.filter((s) => s.object.definition?.type === 'http://adlnet.gov/expapi/activities/cmi.interaction').length, 3,
    'one statement per interaction');
  assert.deepEqual(errors, [], 'no page errors');
  await page.close();
});

test('SCORM 2004 edition: the quiz is not delivered before the introduction is satisfied', async () => {
  const r = await register(srv, course['2004'], { id: 'demo-3', name: 'Dora Demo' });
  const nav = async (body) => {
    const x = await srv.req('POST', `/api/registrations/${r.registration}/navigation`, { body });
    assert.equal(x.status, 200, x.text);
    return x.json;
  };
  let n = await nav({ request: 'start' });
  assert.equal(n.deliver, 'intro');
  // a choice of the quiz now: the precondition rule disables it, nothing is delivered
  n = await nav({ request: 'choice', target: 'quiz' });
  assert.notEqual(n.deliver, 'quiz', JSON.stringify(n));
  assert.ok(n.exception, 'the refusal names the SN exception');
  // the introduction read (its objective satisfied): the quiz is delivered
  n = await nav({ request: 'start' });
  n = await nav({ request: 'choice', target: 'intro' });
  const ord = await scoCommit(r.launch_url, 'intro', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed' });
  n = await nav({ request: 'continue', ...ord });
  assert.equal(n.deliver, 'quiz', JSON.stringify(n));
});

test('SCORM 1.2 edition: both SCOs from the table of contents; status and score', async () => {
  const r = await register(srv, course['12'], { id: 'demo-2', name: 'Dev Demo' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  assert.equal(await page.evaluate(() => typeof window.API), 'object');
  const intro = await scoFrame(page, 'intro.html');
  await intro.click('#next');
  await intro.click('#next');
  assert.equal(await intro.textContent('#next'), 'Finish');
  await intro.click('#next'); // LMSFinish
  await waitReport(srv, r.registration, (x) => x.scos.some((s) => s.cmi && s.cmi['cmi.core.lesson_status'] === 'completed'));
  await page.locator('#toc-list li', { hasText: 'Quiz' }).locator('a,button').first().click();
  const quiz = await scoFrame(page, 'quiz.html');
  assert.match(await answer(quiz, ['b', 'false', '25']), /^3 of 3 right: passed/);
  await quiz.click('#exit');
  const rep = await waitReport(srv, r.registration, (x) => x.scos.some((s) => s.cmi && s.cmi['cmi.core.lesson_status'] === 'passed'));
  const qs = rep.scos.find((s) => s.cmi && s.cmi['cmi.core.lesson_status'] === 'passed');
  assert.equal(qs.cmi['cmi.core.score.raw'], '100');
  assert.deepEqual(errors, [], 'no page errors');
  await page.close();
});
