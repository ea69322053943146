// SPDX-License-Identifier: Apache-2.0
// Browser test helpers: headless Debian chromium through playwright-core with a fresh profile,
// SCORM package upload (zipped from ../shared/scorm-packages/<name>/), registrations, and
// small helpers to drive the golf sample content inside the player's frames.
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED, cli } from './server.mjs';
import { waitConsistent } from './xapi.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// A persistent context on a fresh user-data-dir (deleted by close()); extraArgs go to Chromium.
export async function launchBrowser(extraArgs = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run tools/deps.sh --test (Debian package chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'scolar-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  const close = async () => {
    await ctx.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, close };
}

// Zip a package folder of ../shared/scorm-packages into tmp; returns the zip path.
// A one-SCO SCORM 2004 4th edition package written here (item 'item_1', resource sco.html that
// only initializes and terminates): the shape of a one-SCO course without the corpus.
const PROBE_MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="org.scolar.test.probe-2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Probe course</title>
    <item identifier="item_1" identifierref="r1"><title>Probe SCO</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="sco.html">
    <file href="sco.html"/></resource></resources>
</manifest>
`;
const PROBE_SCO = '<!doctype html><title>probe</title><script>var a=window.parent.API_1484_11;' +
  'if(a){a.Initialize("");}</script><p>probe SCO</p>';
function probeZip(tmp) {
  const dir = mkdtempSync(join(tmp, 'probe-'));
  writeFileSync(join(dir, 'imsmanifest.xml'), PROBE_MANIFEST);
  writeFileSync(join(dir, 'sco.html'), PROBE_SCO);
  const zip = join(tmp, 'probe-2004.zip');
  const r = spawnSync('zip', ['-qr', zip, '.'], { cwd: dir });
  if (r.status !== 0) throw new Error(`zip of the probe package failed: ${r.stderr}`);
  return zip;
}

// 'probe-12': the same one-SCO shape in SCORM 1.2 (item 'item_1', no mastery score).
const PROBE12_MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="org.scolar.test.probe-12" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Probe course 1.2</title>
    <item identifier="item_1" identifierref="r1"><title>Probe SCO</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="sco.html">
    <file href="sco.html"/></resource></resources>
</manifest>
`;
const PROBE12_SCO = '<!doctype html><title>probe 1.2</title><script>var a=window.parent.API;' +
  'if(a){a.LMSInitialize("");}</script><p>probe SCO 1.2</p>';

// 'media-2004': the probe with files of the content origin's MIME table beside it (HTML,
// JavaScript, a 4,000-byte JPEG-named file for byte ranges, an XSD, a DTD served as an attachment).
const MEDIA_FILES = {
  'shared/launchpage.html': '<!doctype html><title>media</title><script src="scormfunctions.js"></script><p>media SCO</p>',
  'shared/scormfunctions.js': 'var a = window.parent.API_1484_11; if (a) a.Initialize("");\n',
  'imsss_v1p0.xsd': '<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n',
  'XMLSchema.dtd': '<!ELEMENT schema ANY>\n',
};
function mediaFiles(dir) {
  mkdirSync(join(dir, 'shared'));
  for (const [f, text] of Object.entries(MEDIA_FILES)) writeFileSync(join(dir, f), text);
  const jpg = Buffer.alloc(4000);
  for (let i = 0; i < jpg.length; i++) jpg[i] = (i * 7 + (i >> 8)) & 0xff;
  jpg.set([0xff, 0xd8, 0xff, 0xe0], 0);
  writeFileSync(join(dir, 'shared/background.jpg'), jpg);
  const files = [...Object.keys(MEDIA_FILES), 'shared/background.jpg'].map((f) => `<file href="${f}"/>`).join('');
  return PROBE_MANIFEST.replace('probe-2004', 'media-2004').replace('href="sco.html">', 'href="shared/launchpage.html">')
    .replace('<file href="sco.html"/>', files);
}

function zipDir(tmp, name, files) {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  for (const [f, text] of Object.entries(files)) {
    if (typeof text === 'function') writeFileSync(join(dir, f), text(dir));
    else writeFileSync(join(dir, f), text);
  }
  const zip = join(tmp, `${name}.zip`);
  const r = spawnSync('zip', ['-qr', zip, '.'], { cwd: dir });
  if (r.status !== 0) throw new Error(`zip of ${name} failed: ${r.stderr}`);
  return zip;
}

// The names 'demo-2004' and 'demo-12' are scolar's own demo course (tools/demo-course), which
// needs no corpus (issue 18).
export function zipPackage(name, tmp) {
  const demo = /^demo-(2004|12)$/.exec(name);
  if (demo) {
    const zip = join(tmp, `${name}.zip`);
    const make = new URL('../../tools/demo-course/make-zip.sh', import.meta.url).pathname;
    const r = spawnSync(make, [demo[1], zip]);
    if (r.status !== 0) throw new Error(`make-zip.sh ${demo[1]} failed: ${r.stderr}`);
    return zip;
  }
  if (name === 'probe-2004') return probeZip(tmp);
  if (name === 'probe-12') return zipDir(tmp, name, { 'imsmanifest.xml': PROBE12_MANIFEST, 'sco.html': PROBE12_SCO });
  if (name === 'media-2004') return zipDir(tmp, name, { 'imsmanifest.xml': mediaFiles });
  const dir = join(SHARED, 'scorm-packages', name);
  const zip = join(tmp, `${name}.zip`);
  const r = spawnSync('zip', ['-qr', zip, '.'], { cwd: dir });
  if (r.status !== 0) throw new Error(`zip failed for ${dir}: ${r.stderr}`);
  return zip;
}

// Import packages with `scolar import` into dataDir before the server starts; returns
// {name: course id}.
export function importPackages(dataDir, names) {
  const tmp = mkdtempSync(join(tmpdir(), 'scolar-zip-'));
  const out = {};
  try {
    for (const name of names) {
      const r = cli(['import', '--data', dataDir, zipPackage(name, tmp)]);
      if (r.status !== 0) throw new Error(`scolar import ${name}: ${r.stderr}`);
      out[name] = JSON.parse(r.stdout).course;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

// Upload one package over HTTP (POST /api/courses); returns the import JSON.
export async function importPackage(srv, name) {
  const tmp = mkdtempSync(join(tmpdir(), 'scolar-zip-'));
  const body = readFileSync(zipPackage(name, tmp));
  rmSync(tmp, { recursive: true, force: true });
  const res = await srv.req('POST', '/api/courses', { body, headers: { 'Content-Type': 'application/zip' } });
  if (res.status !== 201) throw new Error(`import of ${name}: ${res.status} ${res.text}`);
  return res.json;
}

export async function register(srv, course, learner = { id: 'learner-1', name: 'Pat Learner' }) {
  const r = await srv.req('POST', '/api/registrations', { body: { course, learner } });
  if (r.status !== 201) throw new Error(`registration: ${r.status} ${r.text}`);
  return r.json;
}

// A SCO of the registration run through the endpoints the player calls, without a browser:
// POST /player/<reg>/launch {token, sco}, then one commit {seq: 1, final, changes}. The server
// derives the SCO's sequencing tracking from that commit (issue 15), so a navigation request
// sent next sees it. Returns {session, commit_seq} for the request's ordering fields.
export async function scoCommit(launchUrl, sco, changes, { final = true } = {}) {
  const u = new URL(launchUrl);
  const token = u.searchParams.get('token');
  const post = async (path, body) => {
    const res = await fetch(`${u.origin}${u.pathname}${path}`, { method: 'POST', body: JSON.stringify({ token, ...body }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const l = await post('/launch', { sco });
  await post(`/commit/${l.session}`, { seq: 1, final, changes });
  return { session: l.session, commit_seq: 1 };
}

export async function report(srv, reg) {
  const r = await srv.req('GET', `/api/registrations/${reg}`);
  if (r.status !== 200) throw new Error(`report: ${r.status} ${r.text}`);
  return r.json;
}

// Every statement of a registration (follows `more` links), oldest first.
// The registration's statements, once X-Experience-API-Consistent-Through has passed the
// moment of the call (Comm 2.1.3): statements acknowledged before it are all included, even
// while the server's indexes are still being folded.
export async function statements(srv, reg) {
  await waitConsistent(srv);
  let path = `/xapi/statements?registration=${reg}&ascending=true`;
  const out = [];
  while (path) {
    const r = await srv.req('GET', path);
    if (r.status !== 200) throw new Error(`statements: ${r.status} ${r.text}`);
    out.push(...r.json.statements);
    path = r.json.more || null;
  }
  return out;
}

// Wait until the registration's statements satisfy pred.
export async function waitStatements(srv, reg, pred, ms = 10000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    last = await statements(srv, reg);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`statements never matched; verbs: ${verbs(last)}`);
}

export function verbs(stmts) {
  return stmts.map((s) => s.verb.id.replace('http://adlnet.gov/expapi/verbs/', ''));
}

// Open the launch URL; dialogs (the golf content's confirm() "resume?") are accepted.
export async function openPlayer(ctx, launchUrl) {
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept().catch(() => {}));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(launchUrl);
  await page.waitForFunction(() => window.ScolarPlayer && window.ScolarPlayer.current);
  return { page, errors };
}

// The SCO frame (the player's iframe#sco) once it shows `path` (a substring of its URL).
export async function scoFrame(page, path) {
  const handle = await page.waitForSelector('iframe#sco');
  for (let i = 0; i < 200; i++) {
    const f = await handle.contentFrame();
    if (f && f.url().includes(path)) {
      await f.waitForLoadState('load');
      return f;
    }
    await page.waitForTimeout(50);
  }
  throw new Error(`SCO frame never showed ${path}`);
}

// Wait until the server-side report satisfies pred (commits may be asynchronous beacons).
export async function waitReport(srv, reg, pred, ms = 10000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    last = await report(srv, reg);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`report never matched; last: ${JSON.stringify(last).slice(0, 2000)}`);
}

// Answer a golf assessment frame and submit: every question correctly (true), wrongly (false),
// or the first n correctly and the rest wrongly (a number). Returns the number of questions.
export async function answerGolfTest(frame, correct = true) {
  const k = correct === true ? Infinity : correct === false ? 0 : Math.max(0, correct);
  // the questions' script runs before the page has written their inputs: wait for the page to
  // be loaded (a frame returned as soon as its URL was the assessment's was not, under load)
  await frame.waitForFunction(() => typeof test !== 'undefined' && test.Questions.length > 0 &&
    document.readyState === 'complete' && typeof SubmitAnswers === 'function');
  return frame.evaluate((n) => {
    test.Questions.forEach((q, i) => {
      const ok = i < n;
      if (q.Type === 'choice') {
        let a = q.Answers.indexOf(q.CorrectAnswer);
        if (!ok) a = (a + 1) % q.Answers.length;
        document.getElementById(`question_${q.Id}_${a}`).checked = true;
      } else if (q.Type === 'true-false') {
        const v = ok ? q.CorrectAnswer : !q.CorrectAnswer;
        document.getElementById(`question_${q.Id}_${v ? 'True' : 'False'}`).checked = true;
      } else {
        document.getElementById(`question_${q.Id}_Text`).value = String(ok ? q.CorrectAnswer : q.CorrectAnswer + 1);
      }
    });
    SubmitAnswers();
    return test.Questions.length;
  }, k === Infinity ? 1e9 : k);
}

// Page through a golf content SCO to its last page (it sets completed + passed and commits).
export async function golfReadAll(sco) {
  for (let i = 0; i < 30; i++) {
    if (await sco.$eval('#butNext', (b) => b.disabled)) return;
    await sco.click('#butNext');
    await sco.waitForTimeout(20);
  }
  throw new Error('the SCO has no last page');
}

// The golf SCO's assessment page (its inner frame), once loaded.
export async function golfQuizFrame(sco) {
  for (let i = 0; i < 200; i++) {
    const inner = sco.childFrames()[0];
    if (inner && inner.url().includes('assessmenttemplate.html')) {
      await inner.waitForLoadState('load');
      return inner;
    }
    await sco.waitForTimeout(50);
  }
  throw new Error('assessment page not reached');
}
