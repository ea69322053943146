// SPDX-License-Identifier: Apache-2.0
// SCORM 1.2 golf packages in headless Chromium against `scolar serve`: the player exposes
// window.API only; RuntimeBasicCalls passes with a score, resumes after suspend with
// lesson_location and suspend_data; RuntimeMinimumCalls (18 SCOs calling only LMSInitialize /
// LMSFinish) ends with every SCO completed through the 1.2 LMSFinish rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tempDir } from '../lib/server.mjs';
import {
  launchBrowser, importPackages, register, report, verbs, openPlayer, scoFrame, waitReport,
  waitStatements, answerGolfTest,
} from '../lib/browser.mjs';

let srv, browser, courses, dataDir;

before(async () => {
  dataDir = tempDir();
  courses = importPackages(dataDir, ['golf-12-RuntimeBasicCalls', 'golf-12-RuntimeMinimumCalls']);
  srv = await startServer({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function toAssessment(sco) {
  for (let i = 0; i < 30; i++) {
    const inner = sco.childFrames()[0];
    if (inner && inner.url().includes('assessmenttemplate.html')) {
      await inner.waitForLoadState('load');
      return inner;
    }
    if (!(await sco.$eval('#butNext', (b) => b.disabled))) await sco.click('#butNext');
    await sco.waitForTimeout(100);
  }
  throw new Error('assessment page not reached');
}

test('RuntimeBasicCalls 1.2: window.API, pass with a score, LMSFinish; report and statements', async () => {
  const r = await register(srv, courses['golf-12-RuntimeBasicCalls'], { id: 'b12', name: 'Bo Twelve' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  assert.equal(await page.evaluate(() => typeof window.API), 'object');
  assert.equal(await page.evaluate(() => typeof window.API_1484_11), 'undefined');
  const sco = await scoFrame(page, 'shared/launchpage.html');
  const api = (e) => sco.evaluate((x) => window.parent.API.LMSGetValue(x), e);
  assert.equal(await api('cmi.core.entry'), 'ab-initio');
  assert.equal(await api('cmi.core.student_id'), 'b12');
  assert.equal(await api('cmi.core.student_name'), 'Bo Twelve');
  assert.equal(await api('cmi.core.lesson_mode'), 'normal');
  assert.equal(await api('cmi.core.credit'), 'credit');
  const quiz = await toAssessment(sco);
  await answerGolfTest(quiz, true);
  // this package records no interactions: add two through the API (1.2 interactions are WO)
  assert.deepEqual(await sco.evaluate(() => {
    const A = window.parent.API;
    return [A.LMSSetValue('cmi.interactions.0.id', 'q1'), A.LMSSetValue('cmi.interactions.0.type', 'choice'),
      A.LMSSetValue('cmi.interactions.0.student_response', 'a'), A.LMSSetValue('cmi.interactions.0.result', 'correct'),
      A.LMSSetValue('cmi.interactions.1.id', 'q2'), A.LMSSetValue('cmi.interactions.1.result', 'wrong'),
      A.LMSSetValue('cmi.interactions.1.latency', '0000:00:05.5'), A.LMSGetValue('cmi.interactions._count')];
  }), ['true', 'true', 'true', 'true', 'true', 'true', 'true', '2']);
  await sco.click('#butExit');
  const rep = await waitReport(srv, r.registration, (x) => x.success === 'passed');
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.score.scaled, 1);
  const s = rep.scos[0];
  assert.equal(s.data_attempt, 1);
  assert.equal(s.cmi['cmi.core.lesson_status'], 'passed');
  assert.equal(s.cmi['cmi.core.score.raw'], '100');
  assert.deepEqual(s.interactions, [{ id: 'q1', type: 'choice', student_response: 'a', result: 'correct' },
    { id: 'q2', result: 'wrong', latency: '0000:00:05.5' }]);
  assert.ok(rep.total_time_cs > 0);
  const st = await waitStatements(srv, r.registration, (l) => verbs(l).includes('terminated'));
  const v = verbs(st);
  for (const want of ['initialized', 'responded', 'completed', 'passed', 'scored', 'terminated']) {
    assert.ok(v.includes(want), `${want} in ${v}`);
  }
  const resp = st.filter((x) => x.verb.id.endsWith('/responded'));
  assert.equal(resp.length, 2, 'one statement per interaction');
  assert.equal(resp[0].object.definition.type, 'http://adlnet.gov/expapi/activities/cmi.interaction');
  assert.match(resp[0].object.id, /\/interactions\/q1$/);
  assert.equal(resp[0].object.definition.interactionType, 'choice');
  assert.deepEqual(resp[0].result, { response: 'a', success: true });
  assert.deepEqual(resp[1].result, { success: false, duration: 'PT5.50S' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('RuntimeBasicCalls 1.2: suspend, close the tab, relaunch: entry=resume, location and suspend_data', async () => {
  const r = await register(srv, courses['golf-12-RuntimeBasicCalls'], { id: 's12', name: 'Sam' });
  let { page } = await openPlayer(browser.ctx, r.launch_url);
  let sco = await scoFrame(page, 'shared/launchpage.html');
  for (let i = 0; i < 4; i++) await sco.click('#butNext');
  await sco.evaluate(() => window.parent.API.LMSSetValue('cmi.suspend_data', 'state:' + 'y'.repeat(5000)));
  // this package reports whole seconds of session_time: stay at least one
  await page.waitForTimeout(1100);
  await page.close({ runBeforeUnload: true }); // exit=suspend, LMSFinish from the content's unload
  await waitReport(srv, r.registration, (x) => x.scos[0].entry === 'resume' && x.scos[0].total_time_cs > 0);
  ({ page } = await openPlayer(browser.ctx, r.launch_url));
  sco = await scoFrame(page, 'shared/launchpage.html');
  const api = (e) => sco.evaluate((x) => window.parent.API.LMSGetValue(x), e);
  assert.equal(await api('cmi.core.entry'), 'resume');
  assert.equal(await api('cmi.core.lesson_location'), '4');
  assert.equal(await api('cmi.suspend_data'), 'state:' + 'y'.repeat(5000));
  assert.equal(await api('cmi.core.lesson_status'), 'incomplete');
  assert.notEqual(await api('cmi.core.total_time'), '0000:00:00.00');
  await page.close({ runBeforeUnload: true });
});

test('RuntimeMinimumCalls 1.2: 18 SCOs through next, each completed at LMSFinish', async () => {
  const r = await register(srv, courses['golf-12-RuntimeMinimumCalls'], { id: 'm12', name: 'Mia' });
  const { page } = await openPlayer(browser.ctx, r.launch_url);
  const order = await page.evaluate(() => ScolarPlayer.state.items.filter((i) => i.launchable).map((i) => i.id));
  assert.equal(order.length, 18);
  const running = () => page.waitForFunction(() => ScolarPlayer.api && ScolarPlayer.api._runtime.state === 1);
  for (let i = 1; i < order.length; i++) {
    await running(); // the SCO called LMSInitialize: leaving now makes it LMSFinish
    await page.click('#next');
    await page.waitForFunction((id) => ScolarPlayer.current === id, order[i]);
    await scoFrame(page, '.html');
  }
  await running();
  await page.click('#exit');
  await page.waitForSelector('#message:not([hidden])');
  const rep = await waitReport(srv, r.registration, (x) => x.scos_completed === 18);
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.success, 'unknown');
  for (const s of rep.scos) assert.equal(s.cmi['cmi.core.lesson_status'], 'completed', s.id);
  // the last LMSFinish may travel as a beacon: the table catches up on its next refresh
  await page.waitForFunction(() => document.querySelectorAll('#toc-list li.completed').length === 18);
  await page.close();
});
