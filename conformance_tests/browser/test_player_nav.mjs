// SPDX-License-Identifier: Apache-2.0
// Player behaviour with a small 2004 package written by the test: adlnav:hideLMSUI hides the
// player's controls per item; a SCO in a nested frame finds API_1484_11 by walking its parents
// (the discovery algorithm of RTE 3.1.2 / the pipwerks wrapper) and its adl.nav.request
// "{target=two}choice" after Terminate moves the player to that item; a pop-up window finds the
// API through window.opener. The package has no imsss:sequencing, so the SN default control
// modes apply (SN 4th 3.2: choice true, flow false): the player opens on the table of contents,
// adl.nav.request_valid.continue / previous are false and the buttons stay disabled; an asset
// launches without an API session; "exitAll" ends the player.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, tempDir, cli } from '../lib/server.mjs';
import { launchBrowser, register, openPlayer, scoFrame, waitReport, waitStatements, verbs } from '../lib/browser.mjs';

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="navtest" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Navigation test</title>
    <item identifier="one" identifierref="r_one"><title>One</title>
      <adlnav:presentation><adlnav:navigationInterface>
        <adlnav:hideLMSUI>previous</adlnav:hideLMSUI><adlnav:hideLMSUI>continue</adlnav:hideLMSUI>
      </adlnav:navigationInterface></adlnav:presentation></item>
    <item identifier="two" identifierref="r_two"><title>Two</title>
      <adlnav:presentation><adlnav:navigationInterface>
        <adlnav:hideLMSUI>exit</adlnav:hideLMSUI><adlnav:hideLMSUI>exitAll</adlnav:hideLMSUI>
      </adlnav:navigationInterface></adlnav:presentation></item>
    <item identifier="three" identifierref="r_three"><title>Three (asset)</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="r_one" type="webcontent" adlcp:scormType="sco" href="one.html">
      <file href="one.html"/><file href="inner.html"/><file href="popup.html"/></resource>
    <resource identifier="r_two" type="webcontent" adlcp:scormType="sco" href="two.html"><file href="two.html"/></resource>
    <resource identifier="r_three" type="webcontent" adlcp:scormType="asset" href="three.html"><file href="three.html"/></resource>
  </resources>
</manifest>`;

// A SCO whose API calls happen in a nested frame (content frames are common in real courses).
const ONE = `<!doctype html><html><body><h1>one</h1><iframe id="inner" src="inner.html"></iframe></body></html>`;
const INNER = `<!doctype html><html><body><script>
function findAPI(win) { var n = 0;
  while (!win.API_1484_11 && win.parent && win.parent !== win && n++ < 500) win = win.parent;
  return win.API_1484_11 || null; }
var api = findAPI(window) || (window.opener && findAPI(window.opener));
window.found = !!api;
window.results = [api.Initialize(''), api.GetValue('adl.nav.request_valid.continue'),
  api.GetValue('adl.nav.request_valid.previous'), api.GetValue('adl.nav.request_valid.choice.{target=three}'),
  api.GetValue('adl.nav.request_valid.choice.{target=nowhere}')];
window.go = function () { api.SetValue('cmi.completion_status', 'completed');
  api.SetValue('adl.nav.request', '{target=two}choice'); return api.Terminate(''); };
</script></body></html>`;
const TWO = `<!doctype html><html><body><h1>two</h1><script>
var api = window.parent.API_1484_11; api.Initialize('');
window.finish = function () { api.SetValue('cmi.completion_status', 'completed');
  api.SetValue('adl.nav.request', 'exitAll'); return api.Terminate(''); };
</script></body></html>`;
const THREE = `<!doctype html><html><body><h1>three</h1></body></html>`;
// A pop-up window opened by the SCO: the API is found through window.opener and its parents.
const POPUP = `<!doctype html><html><body><script>
function findAPI(win) { var n = 0;
  while (!win.API_1484_11 && win.parent && win.parent !== win && n++ < 500) win = win.parent;
  return win.API_1484_11 || null; }
var api = findAPI(window) || (window.opener && findAPI(window.opener));
window.result = api ? [api.GetValue('cmi.learner_id'), api.SetValue('cmi.location', 'from-popup'), api.GetValue('cmi.location')] : null;
</script></body></html>`;

let srv, browser, dataDir, course;

before(async () => {
  dataDir = tempDir();
  const pkg = mkdtempSync(join(tmpdir(), 'scolar-navpkg-'));
  mkdirSync(join(pkg, 'src'));
  for (const [n, t] of [['imsmanifest.xml', MANIFEST], ['one.html', ONE], ['inner.html', INNER], ['two.html', TWO], ['three.html', THREE], ['popup.html', POPUP]]) {
    writeFileSync(join(pkg, 'src', n), t);
  }
  const z = spawnSync('zip', ['-qr', join(pkg, 'nav.zip'), '.'], { cwd: join(pkg, 'src') });
  assert.equal(z.status, 0);
  const r = cli(['import', '--data', dataDir, join(pkg, 'nav.zip')]);
  rmSync(pkg, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  course = JSON.parse(r.stdout).course;
  srv = await startServer({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('hideLMSUI, nested-frame API discovery, choice after Terminate, asset, exitAll', async () => {
  const r = await register(srv, course, { id: 'nav-1', name: 'Nav' });
  const page = await browser.ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(r.launch_url);
  // no flow: start delivers nothing, the learner chooses from the table of contents
  await page.waitForFunction(() => window.ScolarPlayer && ScolarPlayer.sequencing && !document.getElementById('message').hidden);
  assert.equal(await page.evaluate(() => ScolarPlayer.current), null);
  assert.match(await page.textContent('#message'), /Choose an activity/);
  await page.click('#toc-list li[data-id="one"] a');
  await page.waitForFunction(() => ScolarPlayer.current === 'one');
  // item one hides previous and continue; exit stays
  assert.equal(await page.isVisible('#prev'), false);
  assert.equal(await page.isVisible('#next'), false);
  assert.equal(await page.isVisible('#exit'), true);
  const one = await scoFrame(page, 'one.html');
  const inner = one.childFrames()[0];
  await inner.waitForFunction(() => window.results);
  assert.equal(await inner.evaluate(() => window.found), true);
  assert.deepEqual(await inner.evaluate(() => window.results), ['true', 'false', 'false', 'true', 'false']);
  // a pop-up opened from the nested frame finds the API through its opener
  const [popup] = await Promise.all([browser.ctx.waitForEvent('page'), inner.evaluate(() => { window.open('popup.html', 'pop'); })]);
  await popup.waitForFunction(() => window.result !== undefined);
  assert.deepEqual(await popup.evaluate(() => window.result), ['nav-1', 'true', 'from-popup']);
  await popup.close();
  assert.equal(await inner.evaluate(() => window.go()), 'true');
  // {target=two}choice: the player launches that item after Terminate
  await page.waitForFunction(() => ScolarPlayer.current === 'two');
  await scoFrame(page, 'two.html');
  assert.equal(await page.isVisible('#prev'), true);
  assert.equal(await page.isVisible('#next'), true);
  assert.deepEqual([await page.isDisabled('#prev'), await page.isDisabled('#next')], [true, true], 'no flow');
  assert.equal(await page.isVisible('#exit'), false, 'item two hides exit');
  // the asset: no API session, no statements
  await page.click('#toc-list li[data-id="three"] a');
  await page.waitForFunction(() => ScolarPlayer.current === 'three');
  await scoFrame(page, 'three.html');
  await page.click('#toc-list li[data-id="two"] a');
  await page.waitForFunction(() => ScolarPlayer.current === 'two');
  const two = await scoFrame(page, 'two.html');
  assert.equal(await two.evaluate(() => window.finish()), 'true');
  await page.waitForSelector('#message:not([hidden])');
  assert.match(await page.textContent('#message'), /progress is saved/);
  const rep = await waitReport(srv, r.registration, (x) => x.scos_completed === 2);
  // one definition of a SCO (issue 15): the asset item is listed apart and counts in nothing
  assert.deepEqual(rep.scos.map((s) => [s.id, s.completion]), [['one', 'completed'], ['two', 'completed']]);
  assert.deepEqual(rep.assets.map((a) => a.id), ['three']);
  assert.equal(rep.completion, 'completed', 'every SCO completed: the course is (the asset has no status)');
  const st = await waitStatements(srv, r.registration, (l) => verbs(l).filter((v) => v === 'terminated').length >= 2);
  const starts = st.filter((s) => /\/(initialized|resumed)$/.test(s.verb.id))
    .map((s) => `${s.verb.id.split('/').pop()} ${s.object.id.split('/').pop()}`);
  // two was left without Terminate (the asset chosen) with cmi.exit unset: the choice ended the
  // attempt on it (SN 4th UP.4: not suspended), so choosing it again is a new attempt (DB.2)
  // and the SCO starts ab-initio; the asset has no session
  assert.deepEqual(starts, ['initialized one', 'initialized two', 'initialized two']);
  assert.deepEqual(errors, []);
  await page.close();
});
