// SPDX-License-Identifier: Apache-2.0
// SCORM 2004 golf packages in headless Chromium against `scolar serve`: launch, navigate,
// complete, pass; the registration report shows it; the xAPI SCORM Profile statements are in
// the LRS; suspend / close / relaunch resumes with location and suspend_data; a tab closed
// without Terminate loses nothing that was set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tempDir } from '../lib/server.mjs';
import {
  launchBrowser, importPackages, register, report, statements, verbs, openPlayer, scoFrame,
  waitReport, waitStatements, answerGolfTest, golfQuizFrame,
} from '../lib/browser.mjs';

let srv, browser, courses, dataDir;

before(async () => {
  dataDir = tempDir();
  courses = importPackages(dataDir, ['golf-2004v3-RunTimeAdvancedCalls', 'golf-2004v3-RuntimeBasicCalls',
    'golf-2004v3-RuntimeMinimumCalls', 'golf-2004v3-ContentPackagingSingleSCO']);
  srv = await startServer({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// Click the golf launch page's Next button until the assessment page shows.
async function toAssessment(sco) {
  for (let i = 0; i < 20; i++) {
    const inner = sco.childFrames()[0];
    if (inner && inner.url().includes('assessmenttemplate.html')) return inner;
    const disabled = await sco.$eval('#butNext', (b) => b.disabled);
    if (disabled) break;
    await sco.click('#butNext');
    await sco.waitForTimeout(50);
  }
  return golfQuizFrame(sco);
}

test('RunTimeAdvancedCalls: navigate to the end, pass the test, exit; report and statements', async () => {
  const r = await register(srv, courses['golf-2004v3-RunTimeAdvancedCalls'], { id: 'adv-1', name: 'Ada Vance' });
  assert.match(r.launch_url, new RegExp(`^${srv.content}/player/${r.registration}\\?token=`));
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  // the API is on the player window, for 2004 only
  assert.equal(await page.evaluate(() => typeof window.API_1484_11), 'object');
  assert.equal(await page.evaluate(() => typeof window.API), 'undefined');
  const sco = await scoFrame(page, 'shared/launchpage.html');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.entry')), 'ab-initio');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.learner_id')), 'adv-1');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.scaled_passing_score')), '0.8');
  const quiz = await toAssessment(sco);
  await answerGolfTest(quiz, true);
  await sco.click('#butExit'); // reachedEnd: exit "" + adl.nav.request exitAll, Terminate
  const rep = await waitReport(srv, r.registration, (x) => x.success === 'passed');
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.success, 'passed');
  assert.equal(rep.score.scaled, 1);
  assert.equal(rep.attempts, 1);
  assert.equal(rep.scos.length, 1);
  const s = rep.scos[0];
  assert.equal(s.completion, 'completed');
  assert.equal(s.entry, 'ab-initio'); // a normal exit ends the attempt: the next one is new
  assert.equal(s.attempt, 2);
  assert.equal(s.total_time_cs, 0, 'the new attempt starts at zero');
  assert.ok(s.time_spent_cs > 0 && rep.total_time_cs === s.time_spent_cs, 'session_time was accumulated');
  // the finished attempt's data is reported until the next attempt writes its own
  assert.equal(s.data_attempt, 1);
  assert.equal(s.cmi['cmi.completion_status'], 'completed');
  assert.equal(s.cmi['cmi.score.scaled'], '1');
  assert.ok(s.interactions.length >= 10);
  assert.equal(s.interactions[0].result, 'correct');
  assert.ok(s.objectives.some((o) => o.id === 'obj_playing'), 'objectives reported');
  const st = await statements(srv, r.registration);
  const v = verbs(st);
  assert.equal(v[0], 'initialized');
  assert.equal(v[v.length - 1], 'terminated');
  for (const want of ['completed', 'passed', 'scored', 'responded']) assert.ok(v.includes(want), `${want} in ${v}`);
  const responded = st.filter((x) => x.verb.id.endsWith('/responded'));
  assert.ok(responded.length >= 10, `one statement per interaction (${responded.length})`);
  for (const x of st) {
    assert.equal(x.context.registration, r.registration);
    assert.equal(x.context.contextActivities.category[0].id, 'https://w3id.org/xapi/scorm');
    assert.equal(x.actor.account.name, 'adv-1');
    assert.equal(x.authority.account.name, 'scolar-scorm-runtime');
  }
  const passed = st.find((x) => x.verb.id.endsWith('/passed'));
  assert.equal(passed.result.success, true);
  assert.equal(passed.result.score.scaled, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('RunTimeAdvancedCalls: suspend, close the tab, relaunch: entry=resume, location back', async () => {
  const r = await register(srv, courses['golf-2004v3-RunTimeAdvancedCalls'], { id: 'sus-1', name: 'Sue Spend' });
  let { page } = await openPlayer(browser.ctx, r.launch_url);
  let sco = await scoFrame(page, 'shared/launchpage.html');
  for (let i = 0; i < 3; i++) await sco.click('#butNext');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.location')), '3');
  await sco.evaluate(() => ScormProcessSetValue('cmi.suspend_data', 'pages=0,1,2,3;ünïcode✓'));
  await page.close({ runBeforeUnload: true }); // the golf page sets exit=suspend and Terminates on unload
  await waitReport(srv, r.registration, (x) => x.scos[0].entry === 'resume' && x.scos[0].cmi['cmi.suspend_data']);
  ({ page } = await openPlayer(browser.ctx, r.launch_url));
  sco = await scoFrame(page, 'shared/launchpage.html');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.entry')), 'resume');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.location')), '3');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.suspend_data')), 'pages=0,1,2,3;ünïcode✓');
  const tt = await sco.evaluate(() => ScormProcessGetValue('cmi.total_time'));
  assert.notEqual(tt, 'PT0H0M0S', 'total_time carries the first session');
  await page.close({ runBeforeUnload: true });
  const temporal = (l) => verbs(l).filter((x) => ['initialized', 'resumed', 'suspended', 'terminated'].includes(x));
  const st = await waitStatements(srv, r.registration, (l) => temporal(l).length >= 4);
  assert.deepEqual(temporal(st), ['initialized', 'suspended', 'resumed', 'suspended']);
});

test('a tab closed without Terminate loses nothing that was set', async () => {
  const r = await register(srv, courses['golf-2004v3-RuntimeBasicCalls'], { id: 'close-1', name: 'Cole' });
  let { page } = await openPlayer(browser.ctx, r.launch_url);
  let sco = await scoFrame(page, 'shared/launchpage.html');
  // the content will not Terminate: its unload handlers are gone; nothing is committed by it
  await sco.evaluate(() => {
    window.onunload = null; window.onbeforeunload = null; document.body.onunload = null;
    document.body.onbeforeunload = null; processedUnload = true;
    const api = window.parent.API_1484_11;
    api.SetValue('cmi.location', '7');
    api.SetValue('cmi.suspend_data', 'x'.repeat(30000));
    api.SetValue('cmi.interactions.0.id', 'q-close');
    api.SetValue('cmi.interactions.0.type', 'true-false');
    api.SetValue('cmi.interactions.0.learner_response', 'true');
  });
  await page.close(); // no Commit, no Terminate: pagehide sends a beacon
  const rep = await waitReport(srv, r.registration, (x) => x.scos[0].cmi['cmi.location'] === '7');
  assert.equal(rep.scos[0].cmi['cmi.suspend_data'].length, 30000);
  assert.equal(rep.scos[0].interactions[0].id, 'q-close');
  ({ page } = await openPlayer(browser.ctx, r.launch_url));
  sco = await scoFrame(page, 'shared/launchpage.html');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.entry')), 'resume');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.location')), '7');
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.suspend_data').length), 30000);
  assert.equal(await sco.evaluate(() => ScormProcessGetValue('cmi.interactions._count')), '1');
  await page.close({ runBeforeUnload: true });
});

test('RuntimeBasicCalls: pass and complete', async () => {
  const r = await register(srv, courses['golf-2004v3-RuntimeBasicCalls'], { id: 'basic-1', name: 'Bea' });
  const { page } = await openPlayer(browser.ctx, r.launch_url);
  const sco = await scoFrame(page, 'shared/launchpage.html');
  const quiz = await toAssessment(sco);
  await answerGolfTest(quiz, true);
  await sco.click('#butExit');
  const rep = await waitReport(srv, r.registration, (x) => x.success === 'passed');
  assert.equal(rep.completion, 'completed');
  assert.equal(rep.score.scaled, 1);
  const v = verbs(await statements(srv, r.registration));
  for (const want of ['initialized', 'completed', 'passed', 'scored', 'terminated']) assert.ok(v.includes(want), want);
  await page.close();
});

// A 2004 package without imsss:sequencing has the SN default control modes (SN 4th 3.2, CAM 4th
// 5.1: choice true, flow false): start cannot flow into the course, so the player opens on the
// table of contents, previous / next stay disabled, and the learner chooses each SCO.
test('RuntimeMinimumCalls: multi-SCO without sequencing: table of contents (choice), no flow, every SCO completed', async () => {
  const r = await register(srv, courses['golf-2004v3-RuntimeMinimumCalls'], { id: 'min-1', name: 'Min' });
  const page = await browser.ctx.newPage();
  page.on('dialog', (d) => d.accept().catch(() => {}));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(r.launch_url);
  await page.waitForFunction(() => window.ScolarPlayer && ScolarPlayer.sequencing && !document.getElementById('message').hidden);
  assert.equal(await page.evaluate(() => ScolarPlayer.current), null);
  assert.match(await page.textContent('#message'), /Choose an activity/);
  const order = await page.evaluate(() => ScolarPlayer.state.items.filter((i) => i.launchable).map((i) => i.id));
  assert.ok(order.length > 10, `${order.length} launchable items`);
  assert.equal(await page.isVisible('#toc'), true);
  assert.deepEqual(await page.evaluate(() => ScolarPlayer.nav.valid), { continue: false, previous: false });
  assert.deepEqual([await page.isDisabled('#prev'), await page.isDisabled('#next')], [true, true]);
  const running = () => page.waitForFunction(() => ScolarPlayer.api && ScolarPlayer.api._runtime.state === 1);
  for (const id of order) {
    await page.click(`#toc-list li[data-id="${id}"] a`);
    await page.waitForFunction((x) => ScolarPlayer.current === x, id);
    await running();
    assert.deepEqual([await page.isDisabled('#prev'), await page.isDisabled('#next')], [true, true], `${id}: no flow`);
  }
  await page.click(`#toc-list li[data-id="${order[0]}"] a`);
  await page.waitForFunction((id) => ScolarPlayer.current === id, order[0]);
  await running();
  await page.click('#exit');
  await page.waitForSelector('#message:not([hidden])');
  const rep = await report(srv, r.registration);
  assert.equal(rep.scos_total, order.length);
  const seen = rep.scos.filter((s) => s.sessions > 0).length;
  assert.equal(seen, order.length, 'every SCO was launched');
  assert.deepEqual(errors, []);
  await page.close();
});

// One activity and no imsss:sequencing: start delivers nothing (flow=false by default), so the
// player issues the only request the learner could make, a choice of that activity (SN 4th
// 4.3); continue stays invalid as the SN defaults say.
test('ContentPackagingSingleSCO: a single-activity course without sequencing opens its SCO', async () => {
  const r = await register(srv, courses['golf-2004v3-ContentPackagingSingleSCO'], { id: 'single-1', name: 'Single' });
  const { page, errors } = await openPlayer(browser.ctx, r.launch_url);
  assert.equal(await page.evaluate(() => ScolarPlayer.current), 'item_1');
  const sco = await scoFrame(page, 'shared/launchpage.html');
  assert.match(sco.url(), /shared\/launchpage\.html/);
  assert.deepEqual(await page.evaluate(() => ScolarPlayer.nav.valid), { continue: false, previous: false });
  assert.equal(await page.textContent('#message'), '', 'no "choose an activity" prompt');
  const rep = await report(srv, r.registration);
  assert.deepEqual(rep.sequencing && rep.sequencing.current, 'item_1');
  assert.deepEqual(errors, []);
  await page.close();
});
