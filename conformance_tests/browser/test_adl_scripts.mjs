// SPDX-License-Identifier: Apache-2.0
// ADL SCORM 2004 4th ed. LMS test scripts (Courses/TestCases/{API,DMI,DMB}.properties of
// ../shared/scorm-packages/adl-cts-2004-4th-lmsrte) replayed by a JS SCO inside the real player
// in headless Chromium against `scolar serve`.
//
// Per group, at test time: the ADL package's own imsmanifest.xml (same activity tree, item
// parameters and sequencing) with its <resources> pointing at adl_sco/sco.html + replay.js (the
// stand-in for the suite's applet) and one steps/Act<a>V<v>.json per visit, zipped, imported,
// registered and launched. The player delivers the activities: by the SCO's adl.nav.request
// when the script sets one, else as the script's user instruction (CUI) says (choose an item in
// the table of contents, relaunch the course, exit). Each delivered SCO replays its visit's calls
// against API_1484_11 found by the parent/opener search and reports every return value with
// GetLastError / GetDiagnostic in one batch. Entry, suspend_data, total_time and attempts
// between visits are the real server's.
//
// The scripts are read and the steps judged by runtime_js/tests/lib/{adl,replay}.js, the same
// code as the Node replay (runtime_js/tests/adl-replay.test.js): a first pass of replay() with a
// recording API yields each visit's calls (tokens expanded, adl.data indexes resolved from the
// manifest), a second pass hands replay() an API that answers with what the browser recorded, so
// the expected values and the comparison rules (less255, emptyCS, reals, response patterns, the
// learner id / name the suite registered) are exactly the Node test's.
// Per group it prints `<group> <passed>/<steps>`; SCOLAR_ADL_FAILURES=<prefix> writes every
// failing step to <prefix>.<group>.txt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, SHARED } from '../lib/server.mjs';
import { launchBrowser } from '../lib/browser.mjs';

process.env.SCOLAR_SHARED_DIR = process.env.SCOLAR_SHARED_DIR || SHARED;
const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const ScolarRuntime = require('../../runtime_js/scorm-api.js');
const adl = require('../../runtime_js/tests/lib/adl.js');
const { replay, ctsAvailable, CTS } = require('../../runtime_js/tests/lib/replay.js');

// The suite compares cmi.learner_id / learner_name with the learner it registered; replay.js
// expects this one (its LEARNER).
const LEARNER = { id: 'scolar-learner-1', name: 'Scolar Tester' };
// [group, steps, malformed]. DMI.properties Act3V2.commands.47 is broken in ADL's own file
// ("c~INTR~6~CR~0~P!TY.m->..." has no "GET->" method): replay.js counts it as malformed and makes
// no call for it, exactly as the Node test does; it is the one step not passed of the 8,162.
const GROUPS = [['API', 30, 0], ['DMB', 235, 0], ['DMI', 8162, 1]];
const VISIT_MS = 60000;

const skip = ctsAvailable() ? false : `ADL CTS scripts not found under ${CTS}`;
let srv, browser;
const reports = [];  // what the SCOs sent, in arrival order
let wake = null;

before(async () => {
  if (skip) return;
  srv = await startServer();
  browser = await launchBrowser();
  // every frame of every page of the context gets it (the SCO frame inside the player)
  await browser.ctx.exposeBinding('scolarAdlReport', (_src, payload) => {
    reports.push(payload);
    if (wake) wake();
  });
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
});

// replay() of runtime_js/tests/lib/replay.js with ScolarRuntime.createScorm2004Api replaced by
// makeApi(visitIndex) for the duration of the call.
function replayWith(group, makeApi) {
  const orig = ScolarRuntime.createScorm2004Api;
  let i = 0;
  ScolarRuntime.createScorm2004Api = () => makeApi(i++);
  try {
    return replay(group, { strict: true });
  } finally {
    ScolarRuntime.createScorm2004Api = orig;
  }
}

const METHODS = ['Initialize', 'Terminate', 'Commit', 'GetValue', 'SetValue', 'GetLastError', 'GetErrorString', 'GetDiagnostic'];

// Pass 1: every API call replay() makes per visit, in order.
function recordCalls(group) {
  const visits = [];
  replayWith(group, () => {
    const log = [];
    visits.push(log);
    const api = { _runtime: { state: 0 } };
    for (const m of METHODS) api[m] = (...args) => { log.push([m, ...args.map(String)]); return m === 'GetLastError' ? '0' : ''; };
    return api;
  });
  return visits;
}

// Pass 2: an API answering replay()'s calls with the browser's results ([ret, GetLastError,
// GetDiagnostic("")] after each recorded call). replay() may call GetLastError() /
// GetDiagnostic("") where pass 1 did not or the reverse (GetDiagnostic("") only explains a
// failed step); both leave the error state alone (RTE 3.1.4.4), so they answer from the
// results of the last state-changing call.
function playback(calls, results, where) {
  let p = 0;
  let last = ['', '0', ''];
  const api = { _runtime: { state: 0 }, consumed: () => p };
  const pure = (c) => c[0] === 'GetLastError' || (c[0] === 'GetDiagnostic' && c[1] === '');
  for (const m of METHODS) {
    api[m] = (...a) => {
      const c = [m, ...a.map(String)];
      for (;;) {
        if (p < calls.length && c.length === calls[p].length && c.every((x, k) => x === calls[p][k])) {
          last = results[p++];
          return last[0];
        }
        if (m === 'GetLastError') return last[1];
        if (m === 'GetDiagnostic' && c[1] === '') return last[2];
        if (p < calls.length && pure(calls[p])) { p++; continue; }
        throw new Error(`${where}: replay asked ${JSON.stringify(c).slice(0, 200)}, the browser ran ${JSON.stringify(calls[p]).slice(0, 200)}`);
      }
    };
  }
  return api;
}

// The ADL package's manifest with every launchable resource on sco.html (xml:base resources/)
// and one asset resource holding replay.js and the steps files; organizations, items, their
// parameters (?tc=<group>&act=<n>) and sequencing are untouched.
function rewriteManifest(xml, stepFiles) {
  const res = [];
  const re = /<resource\b([^>]*?)(\/>|>[\s\S]*?<\/resource>)/g;
  let m;
  const body = /<resources>([\s\S]*)<\/resources>/.exec(xml);
  assert.ok(body, 'the ADL manifest has <resources>');
  while ((m = re.exec(body[1]))) {
    const attrs = m[1];
    if (!/\bhref\s*=/.test(attrs)) continue; // the applet, its scripts and styles: replaced
    const id = /identifier\s*=\s*"([^"]+)"/.exec(attrs)[1];
    const type = /adlcp:scormType\s*=\s*"([^"]+)"/.exec(attrs)[1];
    res.push(`      <resource identifier="${id}" type="webcontent" adlcp:scormType="${type}" href="sco.html" xml:base="resources/">\n` +
      '         <file href="sco.html"/>\n         <dependency identifierref="SCOLAR_REPLAY"/>\n      </resource>');
  }
  assert.ok(res.length > 0, 'launchable resources');
  res.push('      <resource identifier="SCOLAR_REPLAY" type="webcontent" adlcp:scormType="asset" xml:base="resources/">\n' +
    ['replay.js', ...stepFiles].map((f) => `         <file href="${f}"/>`).join('\n') + '\n      </resource>');
  return xml.replace(/<resources>[\s\S]*<\/resources>/, `<resources>\n${res.join('\n')}\n   </resources>`);
}

function buildPackage(group, script, calls) {
  const dir = mkdtempSync(join(tmpdir(), `scolar-adl-${group}-`));
  const resDir = join(dir, 'resources');
  mkdirSync(join(resDir, 'steps'), { recursive: true });
  const stepFiles = [];
  script.visits.forEach((v, i) => {
    const f = `steps/${v.label}.json`;
    writeFileSync(join(resDir, f), JSON.stringify({ label: v.label, calls: calls[i] }));
    stepFiles.push(f);
  });
  copyFileSync(join(HERE, 'adl_sco', 'sco.html'), join(resDir, 'sco.html'));
  copyFileSync(join(HERE, 'adl_sco', 'replay.js'), join(resDir, 'replay.js'));
  const xml = readFileSync(join(CTS, 'Courses', `LMSTestPackage_${group}`, 'imsmanifest.xml'), 'utf8');
  writeFileSync(join(dir, 'imsmanifest.xml'), rewriteManifest(xml, stepFiles));
  const zip = join(dir, `${group}.zip`);
  const r = spawnSync('zip', ['-qr', zip, 'imsmanifest.xml', 'resources'], { cwd: dir });
  if (r.status !== 0) throw new Error(`zip: ${r.stderr}`);
  const body = readFileSync(zip);
  rmSync(dir, { recursive: true, force: true });
  return body;
}

// The next report from a SCO that satisfies pred (or a timeout naming what was expected).
async function nextReport(what, pred, ms = VISIT_MS) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const i = reports.findIndex(pred);
    if (i >= 0) return reports.splice(i, 1)[0];
    await new Promise((res) => { wake = res; setTimeout(res, 200); });
    wake = null;
  }
  throw new Error(`no SCO report for ${what} within ${ms} ms`);
}

// Instructions.properties text of a CUI token.
function instructions() {
  const file = join(CTS, 'testsuite-resources', 'Instructions.properties');
  return new Map(adl.parseProperties(readFileSync(file, 'latin1')));
}

async function openLaunch(url, errors) {
  const page = await browser.ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  // delivered, or the player waits for a choice / says the course ended
  await page.waitForFunction(() => window.ScolarPlayer && (ScolarPlayer.current || !document.getElementById('message').hidden));
  return page;
}

// Choose the item titled `title` in the player's table of contents.
async function choose(page, title) {
  const id = await page.evaluate((t) => {
    const list = ScolarPlayer.sequencing ? ScolarPlayer.nav.toc.map((x) => ({ id: x.item, title: x.title })) : ScolarPlayer.state.items;
    const it = list.find((x) => String(x.title).trim() === t);
    return it ? it.id : null;
  }, title);
  assert.ok(id, `the table of contents has "${title}"`);
  await page.click(`#toc-list li[data-id="${id}"] a`);
}

// The user instruction after a visit, as the suite words it: {relaunch, choose, exit}.
function instruction(text) {
  if (!text) return null;
  const t = text.replace(/\s+/g, ' ');
  const b = /<b>([^<]+)<\/b>/.exec(t);
  // "relaunch ... and choose <b>X</b>": the item is the <b> after "choose"
  const c = /choose <b>([^<]+)<\/b>/.exec(t);
  if (/relaunch/.test(t)) return { relaunch: true, choose: c ? c[1].trim() : null };
  if (/please launch <b>/.test(t)) return { choose: b[1].trim() };
  if (/exit the package\/course/.test(t)) return { exit: true };
  throw new Error(`unhandled instruction: ${t}`);
}

for (const [group, total, malformed] of GROUPS) {
  test(`ADL ${group}.properties in the player: every step passes`, { skip, timeout: 300000 }, async (t) => {
    const t0 = Date.now();
    const script = adl.loadScript(join(CTS, 'Courses', 'TestCases', `${group}.properties`));
    const props = new Map(adl.parseProperties(readFileSync(join(CTS, 'Courses', 'TestCases', `${group}.properties`), 'latin1')));
    const calls = recordCalls(group);
    assert.equal(calls.length, script.visits.length, 'one API per visit');
    const imp = await srv.req('POST', '/api/courses', { body: buildPackage(group, script, calls), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(imp.status, 201, imp.text);
    assert.deepEqual(imp.json.warnings || [], [], 'the rewritten package imports without warnings');
    // the scripts test the spec-exact data model: a strict registration (docs/registrations.md)
    const r = await srv.req('POST', '/api/registrations', { body: { course: imp.json.course, learner: LEARNER, strict: true } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.strict, true);
    const reg = r.json;
    const words = instructions();
    reports.length = 0;

    const errors = [];
    let page = await openLaunch(reg.launch_url, errors);
    if (!(await page.evaluate(() => ScolarPlayer.current))) await choose(page, props.get('start'));
    const results = [];
    const navFailures = [];
    for (let i = 0; i < script.visits.length; i++) {
      const vis = script.visits[i];
      const rep = await nextReport(`${group} ${vis.label}`, (r) => !r.done);
      assert.equal(rep.error, undefined, `${group} ${vis.label}: ${rep.error}`);
      assert.equal(`${rep.tc}:${rep.label}`, `${group}:${vis.label}`, `${group}: the player delivered ${rep.label}, the script expects ${vis.label}`);
      assert.equal(rep.results.length, calls[i].length);
      if (calls[i].length) assert.equal(rep.api, true, `${vis.label}: API_1484_11 found`);
      results.push(rep.results);
      // what makes the next visit happen
      const ins = instruction(vis.cui ? words.get(vis.cui) : null);
      if (ins) {
        // the learner acts once the SCO is finished ("after the Status shows Test Completed")
        const done = await nextReport(`${group} ${vis.label} done`, (r) => r.done && r.label === vis.label);
        if (done.closing) assert.deepEqual(done.closing, ['true', '0'], `${group} ${vis.label}: the closing Terminate("")`);
      }
      if (ins?.relaunch) {
        // the attempt / course ends ("The current learner attempt should end"); a player that
        // does not end it is a failure, the replay goes on from a relaunch to count the rest
        const ended = await page.waitForSelector('#message:not([hidden])', { timeout: 8000 }).then(() => true, () => false);
        if (!ended) navFailures.push(`${group} after ${vis.label}: the instruction ${vis.cui} says the course ends here, the player did not end it ` +
          `(current ${await page.evaluate(() => ScolarPlayer.current)}, last SetValue calls ${JSON.stringify(calls[i].filter((c) => c[0] === 'SetValue').slice(-2))})`);
        await page.close();
        page = await openLaunch(reg.launch_url, errors);
        if (ins.choose && !(await page.evaluate(() => ScolarPlayer.current))) await choose(page, ins.choose);
      } else if (ins?.choose) {
        await choose(page, ins.choose);
      } else if (ins?.exit) {
        assert.equal(i, script.visits.length - 1, 'Exit is the last instruction');
        await page.click('#exit');
        await page.waitForSelector('#message:not([hidden])', { timeout: 15000 });
      }
      // else: the SCO's adl.nav.request made the player deliver the next activity
    }
    assert.deepEqual(errors, [], 'no page errors');
    await page.close();
    for (const c of reports.filter((r) => r.done && r.closing)) assert.deepEqual(c.closing, ['true', '0'], `${group} ${c.label}: the closing Terminate("")`);

    // judge with replay.js on what the browser recorded
    const apis = [];
    const { results: verdicts } = replayWith(group, (k) => {
      const api = playback(calls[k], results[k], `${group} ${script.visits[k].label}`);
      apis.push(api);
      return api;
    });
    // every call the browser made was one replay() asked for (left over: only GetLastError /
    // GetDiagnostic("") that pass 1 made to explain its own dummy failures)
    apis.forEach((api, k) => {
      const left = calls[k].slice(api.consumed()).filter((c) => !(c[0] === 'GetLastError' || (c[0] === 'GetDiagnostic' && c[1] === '')));
      assert.deepEqual(left, [], `${group} ${script.visits[k].label}: calls replay() did not ask for`);
    });
    const failed = verdicts.filter((r) => !r.ok && !r.skipped);
    const skipped = verdicts.filter((r) => r.skipped);
    const passed = verdicts.length - failed.length - skipped.length;
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    t.diagnostic(`${group} ${passed}/${verdicts.length}` + (skipped.length ? ` (${skipped.map((x) => x.where).join(', ')}: malformed in ADL's file, no call made)` : '') + ` in ${secs} s`);
    if (process.env.SCOLAR_ADL_FAILURES) writeFileSync(`${process.env.SCOLAR_ADL_FAILURES}.${group}.txt`, [...navFailures, ...failed.map((f) => `${f.where} ${f.call}: ${f.why}`)].join('\n') + '\n');
    assert.equal(verdicts.length, total);
    assert.equal(skipped.length, malformed);
    assert.deepEqual({ steps: failed.map((f) => `${f.where} ${f.call}: ${f.why}`), navigation: navFailures }, { steps: [], navigation: [] });
  });
}
