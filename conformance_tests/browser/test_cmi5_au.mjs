// SPDX-License-Identifier: Apache-2.0
// cmi5 in a real browser (issue 16): an AU written with npm @xapi/cmi5 (its UMD build copied
// into the package at test time) is uploaded as a zip, a learner is registered from the
// console's cmi5 course page, the AU is opened from the console's launch link, and it fetches
// its token, reads LMS.LaunchData and the learner preferences, sends initialized, completed,
// passed (scored against the masteryScore) and terminated. The console then shows the
// registration satisfied, and the statement browser lists the LMS's statements with the AU's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, tempDir, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../lib/browser.mjs';

const require = createRequire(import.meta.url);
const NS = 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd';
const work = tempDir('scolar-cmi5-au-');
let srv, browser;

function auPackage() {
  const dir = join(work, 'au');
  mkdirSync(dir, { recursive: true });
  const t = (s) => `<title><langstring lang="en">${s}</langstring></title><description><langstring lang="en">${s}</langstring></description>`;
  writeFileSync(join(dir, 'cmi5.xml'), `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="${NS}">
  <course id="https://example.com/scolar-test/cmi5-course">${t('Browser cmi5 course')}</course>
  <block id="https://example.com/scolar-test/cmi5-block">${t('The block')}
    <au id="https://example.com/scolar-test/cmi5-au" moveOn="CompletedAndPassed" masteryScore="0.5">${t('The AU')}
      <url>index.html?lesson=1</url>
    </au>
  </block>
</courseStructure>`);
  copyFileSync(require.resolve('@xapi/cmi5/dist/Cmi5.umd.js'), join(dir, 'cmi5.umd.js'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AU</title>
<script src="cmi5.umd.js"></script><script src="au.js" defer></script></head>
<body><h1>cmi5 AU</h1><p id="out">starting</p></body></html>`);
  writeFileSync(join(dir, 'au.js'), `(async () => {
  const out = document.getElementById('out');
  try {
    const cmi5 = new Cmi5();
    await cmi5.initialize();
    const ld = cmi5.getLaunchData();
    out.dataset.mode = ld.launchMode;
    out.dataset.mastery = String(ld.masteryScore);
    await cmi5.complete();
    await cmi5.pass(0.8);
    await cmi5.terminate();
    out.textContent = 'done';
  } catch (e) {
    out.textContent = 'error: ' + (e && e.message ? e.message : e);
  }
})();`);
  const zip = join(work, 'au.zip');
  execFileSync('zip', ['-qr', zip, '.'], { cwd: dir });
  return readFileSync(zip);
}

before(async () => {
  srv = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await srv.stop();
  rmSync(work, { recursive: true, force: true });
});

const SHOTS = process.env.SCOLAR_SCREENSHOTS || join(tmpdir(), 'scolar-console-screenshots');

test('an @xapi/cmi5 AU launched from the console completes, passes and satisfies the course', async () => {
  const up = await srv.req('POST', '/api/courses', { body: auPackage(), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(up.status, 201, up.text);
  const course = up.json;
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(srv.base + '/');
  await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  // the course list has the cmi5 course; open it
  await page.getByRole('link', { name: /Browser cmi5 course/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Browser cmi5 course' }).waitFor();
  await page.getByLabel('Learner id').fill('learner-7');
  await page.getByLabel('Name', { exact: true }).fill('Lee Learner');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Registration of Lee Learner' }).waitFor();
  assert.equal(await page.locator('#cmi5-satisfied').textContent(), 'no');
  const regId = new URL(page.url().replace('#/', '')).searchParams.get('reg');
  assert.match(regId, /^[0-9a-f-]{36}$/);

  // the launch link opens the AU in a new tab (302 to the AU with the cmi5 parameters)
  const [au] = await Promise.all([ctx.waitForEvent('page'), page.getByRole('link', { name: 'Launch' }).click()]);
  // #out exists only once the AU page loaded (the new tab starts at about:blank, then the launch
  // redirect): wait for it and for its end state
  await au.waitForFunction(() => {
    const o = document.getElementById('out');
    return !!o && o.textContent !== 'starting';
  }, null, { timeout: 20000 });
  assert.equal(await au.locator('#out').textContent(), 'done');
  assert.equal(await au.locator('#out').getAttribute('data-mode'), 'Normal');
  assert.equal(await au.locator('#out').getAttribute('data-mastery'), '0.5');
  const auUrl = new URL(au.url());
  assert.equal(auUrl.origin, srv.content);
  assert.equal(auUrl.searchParams.get('lesson'), '1');
  assert.equal(auUrl.searchParams.get('registration'), regId);

  // the console shows the registration satisfied
  await page.reload();
  await page.getByRole('heading', { name: 'Registration of Lee Learner' }).waitFor();
  assert.equal(await page.locator('#cmi5-satisfied').textContent(), 'yes');
  assert.equal(await page.locator('.au-satisfied').first().textContent(), 'satisfied');
  // screenshots of the cmi5 registration page at desktop and phone width (looked at by people)
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS, `cmi5-registration-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // and the statement browser lists the session: the LMS's and the AU's statements
  await page.getByRole('link', { name: 'Statements' }).click();
  const count = page.locator('.stmt-count[data-count]:not([data-stale])');
  await count.waitFor();
  assert.equal(Number(await count.getAttribute('data-count')), 7);
  const r = await srv.req('GET', `/xapi/statements?registration=${regId}&ascending=true`);
  assert.deepEqual(r.json.statements.map((s) => s.verb.id.split('/').pop()),
    ['launched', 'initialized', 'completed', 'passed', 'satisfied', 'satisfied', 'terminated']);
  assert.equal(r.json.statements[4].object.id, course.blocks[0].activityId);
  assert.equal(r.json.statements[5].object.id, course.activityId);
  assert.deepEqual(errors.filter((e) => !/404/.test(e)), [], 'no errors in the console pages or the AU');
  await ctx.close();
});
