// SPDX-License-Identifier: Apache-2.0
// A test SCO that reaches the player's API only through a wrapper real content uses:
// @gamestdio/scorm 0.1.3 (npm, a descendant of the pipwerks SCORM API wrapper), from a nested
// frame (player -> SCO frame -> iframe running the wrapper) and from a popup window opened by the
// SCO (the wrapper goes through top.opener), for SCORM 1.2 and 2004. The wrapper initializes,
// sets and reads back values, commits and terminates; the registration report
// (GET /api/registrations/ID) must hold the values, and the LRS the registration's statements.
//
// The packages are built at test time: a manifest per version with two items on one resource
// (parameters ?mode=frame / ?mode=popup), wrapper_sco/{sco,content}.html + driver.js, and the
// wrapper's own CommonJS build (node_modules/@gamestdio/scorm/lib/index.js) copied in as
// gamestdio-scorm.js (content.html gives it an `exports` object).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';
import { launchBrowser, register, report, waitReport, waitStatements, verbs } from '../lib/browser.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const WRAPPER_PKG = dirname(require.resolve('@gamestdio/scorm/package.json'));
const FILES = ['sco.html', 'content.html', 'driver.js', 'gamestdio-scorm.js'];

let srv, browser;
const reports = [];
let wake = null;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  await browser.ctx.exposeBinding('scolarWrapperReport', (_src, log) => {
    reports.push(log);
    if (wake) wake();
  });
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
});

function manifest(version) {
  const files = FILES.map((f) => `      <file href="${f}"/>`).join('\n');
  const items = `
      <item identifier="frame_item" identifierref="wrapper_sco" parameters="?mode=frame"><title>Nested frame</title></item>
      <item identifier="popup_item" identifierref="wrapper_sco" parameters="?mode=popup"><title>Popup window</title></item>`;
  if (version === '1.2') {
    return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="scolar-wrapper-12" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>Wrapper test 1.2</title>${items}
    </organization>
  </organizations>
  <resources>
    <resource identifier="wrapper_sco" type="webcontent" adlcp:scormtype="sco" href="sco.html">
${files}
    </resource>
  </resources>
</manifest>
`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="scolar-wrapper-2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>Wrapper test 2004</title>${items}
    </organization>
  </organizations>
  <resources>
    <resource identifier="wrapper_sco" type="webcontent" adlcp:scormType="sco" href="sco.html">
${files}
    </resource>
  </resources>
</manifest>
`;
}

function buildPackage(version) {
  const dir = mkdtempSync(join(tmpdir(), 'scolar-wrapper-'));
  try {
    writeFileSync(join(dir, 'imsmanifest.xml'), manifest(version));
    for (const f of ['sco.html', 'content.html', 'driver.js']) copyFileSync(join(HERE, 'wrapper_sco', f), join(dir, f));
    copyFileSync(join(WRAPPER_PKG, 'lib', 'index.js'), join(dir, 'gamestdio-scorm.js'));
    const zip = join(dir, 'pkg.zip');
    const r = spawnSync('zip', ['-q', zip, 'imsmanifest.xml', ...FILES], { cwd: dir });
    if (r.status !== 0) throw new Error(`zip: ${r.stderr}`);
    return readFileSync(zip);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function nextReport(mode, ms = 20000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const i = reports.findIndex((r) => r.mode === mode);
    if (i >= 0) return reports.splice(i, 1)[0];
    await new Promise((res) => { wake = res; setTimeout(res, 200); });
    wake = null;
  }
  throw new Error(`no report from the wrapper lesson (${mode}) within ${ms} ms`);
}

// What the wrapper must have answered, per version and mode.
function expectedLog(version, mode, learner) {
  const score = mode === 'frame' ? '87' : '64';
  const common = { mode, version, initialize: true, lastError: 0, commit: true, terminate: true, activeAfter: false };
  if (version === '1.2') {
    const sets = {};
    for (const k of ['cmi.core.lesson_location', 'cmi.suspend_data', 'cmi.core.score.min', 'cmi.core.score.max', 'cmi.core.score.raw',
      'cmi.interactions.0.id', 'cmi.interactions.0.type', 'cmi.interactions.0.student_response', 'cmi.interactions.0.result',
      'cmi.core.session_time', 'cmi.core.lesson_status']) sets[k] = true;
    return {
      ...common, sets, badSet: false, badSetError: 405,
      gets: {
        'cmi.core.student_id': learner.id, 'cmi.core.student_name': learner.name, 'cmi.core.entry': 'ab-initio',
        'cmi.core.lesson_status': 'passed', 'cmi.core.lesson_location': `page-${mode}`,
        'cmi.suspend_data': `wrapper:${mode};step=3`, 'cmi.core.score.raw': score,
      },
    };
  }
  const sets = {};
  for (const k of ['cmi.location', 'cmi.suspend_data', 'cmi.score.min', 'cmi.score.max', 'cmi.score.raw', 'cmi.score.scaled',
    'cmi.interactions.0.id', 'cmi.interactions.0.type', 'cmi.interactions.0.learner_response', 'cmi.interactions.0.result',
    'cmi.session_time', 'cmi.success_status', 'cmi.completion_status']) sets[k] = true;
  return {
    ...common, sets, badSet: false, badSetError: 406,
    gets: {
      'cmi.learner_id': learner.id, 'cmi.learner_name': learner.name, 'cmi.entry': 'ab-initio',
      'cmi.completion_status': 'completed', 'cmi.location': `page-${mode}`,
      'cmi.suspend_data': `wrapper:${mode};step=3`, 'cmi.score.scaled': mode === 'frame' ? '0.87' : '0.64',
    },
  };
}

for (const version of ['1.2', '2004']) {
  test(`@gamestdio/scorm ${version}: nested frame and popup find the API, values reach the server`, { timeout: 120000 }, async () => {
    const imp = await srv.req('POST', '/api/courses', { body: buildPackage(version), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(imp.status, 201, imp.text);
    assert.deepEqual(imp.json.warnings || [], []);
    const learner = { id: `wrap-${version}`, name: `Wrapper ${version}` };
    const reg = await register(srv, imp.json.course, learner);
    reports.length = 0;
    const page = await browser.ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(reg.launch_url);
    if (version === '2004') {
      // no imsss:sequencing: the SN defaults (choice, no flow, SN 4th 3.2) let start deliver
      // nothing; the learner chooses the first item in the table of contents
      await page.waitForFunction(() => window.ScolarPlayer && ScolarPlayer.sequencing && !document.getElementById('message').hidden);
      await page.click('#toc-list li[data-id="frame_item"] a');
    }

    // 1. nested frame: the player delivers the first item (1.2) or the chosen one (2004), its
    // iframe runs the wrapper
    const frameLog = await nextReport('frame');
    // the wrapper's own debug trace says where it looked; the values are what count
    const got = (log) => { const { mode, version: v, initialize, lastError, commit, terminate, activeAfter, sets, gets, badSet, badSetError } = log; return { mode, version: v, initialize, lastError, commit, terminate, activeAfter, sets, gets, badSet, badSetError }; };
    assert.deepEqual(got(frameLog), expectedLog(version, 'frame', learner));
    assert.equal(await page.evaluate(() => ScolarPlayer.current), 'frame_item');
    // the wrapper reached the player window two levels up, not something of its own
    const inner = page.frames().find((f) => f.url().includes('content.html?mode=frame'));
    assert.ok(inner, 'the nested frame');
    assert.equal(await inner.evaluate(() => window.parent !== window.top && window.parent.parent === window.top), true);

    // 2. popup: choose the second item, click the SCO's button, the popup runs the wrapper
    await page.click('#toc-list li[data-id="popup_item"] a');
    await page.waitForFunction(() => ScolarPlayer.current === 'popup_item' && ScolarPlayer.api && ScolarPlayer.api._runtime.state === 0);
    const sco = await (await page.waitForSelector('iframe#sco')).contentFrame();
    await sco.waitForSelector('#open:not([hidden])');
    const [popup] = await Promise.all([page.context().waitForEvent('page'), sco.click('#open')]);
    const popupLog = await nextReport('popup');
    assert.deepEqual(got(popupLog), expectedLog(version, 'popup', learner));
    assert.ok(popup.url().includes('content.html?mode=popup'));
    await page.waitForFunction(() => ScolarPlayer.api && ScolarPlayer.api._runtime.state === 2);

    // 3. the server has both SCO sessions' data
    const rep = await waitReport(srv, reg.registration, (x) => x.scos.length === 2 && x.scos.every((s) => s.sessions > 0 && s.time_spent_cs > 0));
    if (process.env.SCOLAR_TEST_DEBUG) console.log(JSON.stringify(rep, null, 1));
    assert.equal(rep.scos.length, 2);
    for (const mode of ['frame', 'popup']) {
      const s = rep.scos.find((x) => x.id === `${mode}_item`);
      assert.ok(s, `${mode}_item in the report (${rep.scos.map((x) => x.id)})`);
      const raw = mode === 'frame' ? '87' : '64';
      const cmi = version === '1.2'
        ? { 'cmi.core.lesson_location': `page-${mode}`, 'cmi.suspend_data': `wrapper:${mode};step=3`, 'cmi.core.score.raw': raw,
          'cmi.core.score.min': '0', 'cmi.core.score.max': '100', 'cmi.core.lesson_status': 'passed',
          'cmi.interactions.0.id': `q-${mode}`, 'cmi.interactions.0.type': 'choice', 'cmi.interactions.0.student_response': 'b',
          'cmi.interactions.0.result': 'correct' }
        : { 'cmi.location': `page-${mode}`, 'cmi.suspend_data': `wrapper:${mode};step=3`, 'cmi.score.raw': raw, 'cmi.score.min': '0',
          'cmi.score.max': '100', 'cmi.score.scaled': `0.${raw}`, 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed',
          'cmi.interactions.0.id': `q-${mode}`, 'cmi.interactions.0.type': 'choice',
          'cmi.interactions.0.learner_response': 'b', 'cmi.interactions.0.result': 'correct' };
      const have = {};
      for (const k of Object.keys(cmi)) have[k] = s.cmi[k];
      assert.deepEqual(have, cmi, `${version} ${mode}: the values the wrapper set`);
      assert.deepEqual([s.completion, s.success, s.score.raw, s.sessions, s.time_spent_cs], ['completed', 'passed', +raw, 1, 6250],
        `${version} ${mode}: status, score, one session of 1 min 2.5 s`);
      // the wrapper's terminate set a non-suspend exit (1.2 logout, 2004 normal): the attempt ended
      assert.equal(s.attempt, 2, `${version} ${mode}: the next launch starts a new attempt`);
    }
    assert.deepEqual([rep.completion, rep.success, rep.total_time_cs], ['completed', 'passed', 12500]);

    // 4. the registration's xAPI statements (ADL xAPI SCORM Profile)
    const stmts = await waitStatements(srv, reg.registration, (l) => verbs(l).filter((v) => v === 'terminated').length === 2);
    if (process.env.SCOLAR_TEST_DEBUG) console.log(verbs(stmts));
    for (const st of stmts) assert.equal(st.context.registration, reg.registration);
    for (const mode of ['frame', 'popup']) {
      const mine = stmts.filter((st) => JSON.stringify(st).includes(`${mode}_item`));
      const v = verbs(mine);
      assert.deepEqual([...v].sort(), ['completed', 'initialized', 'passed', 'responded', 'scored', 'terminated'], `${version} ${mode}: ${v}`);
      const scored = mine.find((st) => st.verb.id.endsWith('/scored'));
      const raw = mode === 'frame' ? 87 : 64;
      // 1.2 has no scaled score: the statement carries what the SCO set (raw, min, max)
      assert.deepEqual(scored.result.score, version === '1.2' ? { raw, min: 0, max: 100 } : { scaled: raw / 100, raw, min: 0, max: 100 });
      const answered = mine.filter((st) => st.object.id.includes(`q-${mode}`));
      assert.equal(answered.length, 1, `${version} ${mode}: one statement for the interaction`);
      assert.equal(answered[0].result.response, 'b');
      assert.equal(answered[0].result.success, true);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
}
