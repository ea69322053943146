// SPDX-License-Identifier: Apache-2.0
// The web console (issue 13) in headless Chromium against `scolar serve`: sign in with the
// admin credential, upload a golf package with the file input "Upload course", see it listed,
// open its page, "New registration" -> "Learner ID" / "Learner name" -> "Create", open the
// "Launch link" in a new page, complete the SCO, and see the registration's status change on
// the course page (and a new version, the learner pages, keyboard order, the 100 KB first
// load); create a credential, revoke it and see it refused, and a console user who signs in;
// bad input (not a zip, a broken or hostile zip, a too large upload, markup in titles and
// names, wrong secret, expired or absent session, delete refused while registrations exist);
// preview, reset and delete of a registration. The tests run in order and share the server:
// the later ones use the course and registration of the first. Every page is
// screenshotted at 1280 and 360 px into $SCOLAR_SCREENSHOTS; console errors, page errors and
// CSP violations are collected on every page and must be none (the bad-input pages allow only
// the 4xx answers they provoke).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { startServer, ADMIN_KEY, ADMIN_SECRET, basic, SHARED } from '../lib/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, zipPackage, scoFrame, waitReport } from '../lib/browser.mjs';

const SHOTS = process.env.SCOLAR_SCREENSHOTS || join(tmpdir(), 'scolar-console-screenshots');
const PKG = 'golf-12-RuntimeBasicCalls';
const TITLE = 'Golf Explained - Run-time Basic Calls';
const HOSTILE = '<img src=x onerror="window.__xss=1">Hostile <b>course</b>';

let srv, browser, tmp, goodZip;
let mainCourseHref; // the golf course of the first test (it keeps one registration)
const watched = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'scolar-console-'));
  goodZip = zipPackage(PKG, tmp);
  srv = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await browser?.close();
  await srv?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// A fresh context (own cookie jar) and page whose console errors, page errors and CSP
// violations are recorded. allow: regexps of console errors this page provokes on purpose.
async function newPage({ width = 1280, allow = [] } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  const w = { page, ctx, errors: [], allow };
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} @ ${m.location()?.url || ''}`;
    if (!w.allow.some((re) => re.test(text))) w.errors.push(text);
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => w.errors.push(`unexpected native dialog: ${d.message()}`));
  watched.push(w);
  return w;
}

async function assertClean(w) {
  const csp = await w.page.evaluate(() => window.__csp).catch(() => []);
  assert.deepEqual(csp, [], 'no CSP violations');
  assert.deepEqual(w.errors, [], 'no console errors');
}

// Every visible control has an accessible name (label, aria-label(ledby), or text).
async function unnamedControls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [role="button"]')) {
      if (el.type === 'hidden') continue;
      const named = (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) ||
        (el.getAttribute('aria-label') || '').trim() ||
        (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby'))?.textContent.trim()) ||
        (el.tagName !== 'INPUT' && el.textContent.trim()) || (el.getAttribute('title') || '').trim();
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

async function shot(page, name) {
  assert.deepEqual(await unnamedControls(page), [], `every control on ${name} has a name`);
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}


async function signIn(w, key = ADMIN_KEY, secret = ADMIN_SECRET) {
  const { page } = w;
  await page.goto(srv.base + '/');
  const keyBox = page.getByRole('textbox', { name: 'Key', exact: true });
  await keyBox.waitFor();
  assert.equal(await page.title(), 'Sign in · scolar');
  // keyboard only: the Key field has focus, Tab to Secret, Enter submits
  await page.keyboard.type(key);
  await page.keyboard.press('Tab');
  await page.keyboard.type(secret);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
}

// The main navigation's link (a breadcrumb may have a link with the same name).
function navTo(page, name) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

function rowsOf(page) {
  return page.locator('table.list tbody tr');
}

test('sign in, upload a golf package, register a learner, play the launch link, see the status change', async () => {
  const w = await newPage({ allow: [] });
  const { page } = w;
  const loaded = [];
  page.on('requestfinished', (r) => loaded.push(r));
  await page.goto(srv.base + '/');
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  assert.ok(await page.getByLabel('Secret', { exact: true }).isVisible());
  assert.equal(await page.getByRole('link', { name: 'Courses', exact: true }).isVisible(), false, 'no navigation before sign-in');
  await shot(page, 'signin');
  await signIn(w);
  // the first load, sign-in and the courses page: at most 100 KB transferred, all from here
  let bytes = 0;
  for (const r of loaded) {
    assert.ok(r.url().startsWith(srv.base), `no external request: ${r.url()}`);
    const z = await r.sizes();
    bytes += z.responseBodySize + z.responseHeadersSize;
  }
  assert.ok(bytes < 100 * 1024, `first load ${bytes} bytes`);
  w.allow = []; // from here on: no console error at all
  // keyboard: on a fresh load the first Tab reaches the skip link, then the navigation;
  // focus is visible
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  const ring = () => page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(await ring(), 'solid');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Courses');
  assert.equal(await ring(), 'solid');
  for (const name of ['Courses', 'Learners', 'Credentials']) {
    assert.ok(await page.getByRole('link', { name, exact: true }).isVisible(), `nav link ${name}`);
  }
  assert.equal(await page.title(), 'Courses · scolar');
  assert.equal(await rowsOf(page).count(), 0);
  await shot(page, 'courses-empty');

  // upload with the file input named "Upload course"; record the phases the page shows
  await page.evaluate(() => {
    window.__phases = [];
    new MutationObserver(() => {
      const p = document.querySelector('.progress:not([hidden]) .phase');
      if (p && p.textContent !== window.__phases.at(-1)) window.__phases.push(p.textContent);
    }).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.getByLabel('Upload course', { exact: true }).setInputFiles(goodZip);
  await page.getByText(`“${TITLE}” imported.`).waitFor();
  const phases = await page.evaluate(() => window.__phases);
  assert.ok(phases.some((p) => /^Uploading golf-12-RuntimeBasicCalls\.zip/.test(p)), `phases: ${phases}`);
  assert.ok(phases.some((p) => /^Importing/.test(p)), `phases: ${phases}`);
  const link = page.getByRole('link', { name: TITLE, exact: true });
  await link.waitFor();
  const courseHref = await link.getAttribute('href');
  mainCourseHref = courseHref;
  assert.match(courseHref, /^#\/courses\/[^/]+$/);
  assert.equal(await rowsOf(page).count(), 1);
  const row = rowsOf(page).first();
  assert.match(await row.innerText(), /SCORM 1\.2/);
  await shot(page, 'courses');

  // search narrows the list, and a search without match says so
  await page.getByRole('searchbox', { name: 'Search courses' }).fill('no such course');
  await page.getByText('No course matches').waitFor();
  await page.getByRole('searchbox', { name: 'Search courses' }).fill('golf');
  await link.waitFor();

  // the course page
  await link.click();
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  assert.equal(await page.title(), `${TITLE} · scolar`);
  await page.getByRole('heading', { name: 'Structure' }).waitFor();
  await page.getByRole('button', { name: 'New registration', exact: true }).click();
  await page.getByRole('textbox', { name: 'Learner ID', exact: true }).fill('pat-1');
  await page.getByRole('textbox', { name: 'Learner name', exact: true }).fill('Pat <i>Learner</i>');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const launch = page.getByRole('link', { name: 'Launch link', exact: true });
  await launch.waitFor();
  const url = await launch.getAttribute('href');
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/player\/[0-9a-f-]{36}\?token=/);
  assert.ok(url.startsWith(srv.content), 'the launch link is on the content origin');
  const reg = url.match(/player\/([0-9a-f-]{36})/)[1];
  // the copy button puts the link on the clipboard
  await w.ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
  await page.getByRole('button', { name: 'Copy link', exact: true }).click();
  await page.getByText('Copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  // the learner's name with markup is text
  await page.getByText('Pat <i>Learner</i>').first().waitFor();
  assert.equal(await page.locator('main i').count(), 0);
  await page.locator('table.list tbody tr', { hasText: 'pat-1' }).getByText('not attempted').waitFor();
  await shot(page, 'course');

  // play: open the launch link in a new page, the SCO loads, complete it
  const player = await w.ctx.newPage();
  player.on('dialog', (d) => d.accept().catch(() => {}));
  const playerErrors = [];
  player.on('pageerror', (e) => playerErrors.push(String(e)));
  await player.goto(url);
  const sco = await scoFrame(player, 'shared/launchpage.html');
  assert.equal(await sco.evaluate(() => window.parent.API.LMSGetValue('cmi.core.student_id')), 'pat-1');
  assert.deepEqual(await sco.evaluate(() => {
    const A = window.parent.API;
    return [A.LMSSetValue('cmi.core.lesson_status', 'passed'), A.LMSSetValue('cmi.core.score.raw', '85'),
      A.LMSCommit('')];
  }), ['true', 'true', 'true']);
  await waitReport(srv, reg, (x) => x.completion === 'completed');
  await player.close({ runBeforeUnload: true });
  assert.deepEqual(playerErrors, []);

  // back on the course page: the registration's status has changed
  let status = '';
  for (let i = 0; i < 50 && !/completed|passed/.test(status); i++) {
    await page.reload();
    await page.getByRole('heading', { name: 'Registrations' }).waitFor();
    await page.locator('table.list tbody tr').first().waitFor();
    status = await page.locator('table.list tbody tr').first().innerText();
    if (!/completed|passed/.test(status)) await page.waitForTimeout(200);
  }
  assert.match(status, /passed|completed/, `status on the course page: ${status}`);
  assert.match(status, /85/, 'the score is shown');
  await shot(page, 'course-completed');

  // a new version of the course: the versions list grows
  await page.getByLabel('Upload a new version', { exact: true }).setInputFiles(goodZip);
  await page.getByText(/New version 2 of/).waitFor();
  await page.locator('table.list tbody tr', { hasText: 'current' }).filter({ hasText: '2' }).waitFor();

  // the learner pages
  await navTo(page, 'Learners');
  await page.getByRole('heading', { level: 1, name: 'Learners' }).waitFor();
  const learnerLink = page.getByRole('link', { name: /Pat <i>Learner<\/i>/ });
  await learnerLink.waitFor();
  await shot(page, 'learners');
  await learnerLink.click();
  await page.getByRole('heading', { level: 1, name: 'Pat <i>Learner</i>' }).waitFor();
  await page.locator(`table.list a[href="${courseHref}"]`).waitFor();
  await shot(page, 'learner');
  // a new launch link for the registration
  await page.getByRole('button', { name: /^New link for / }).click();
  const again = page.getByRole('link', { name: /^Launch link for / });
  await again.waitFor();
  assert.match(await again.getAttribute('href'), new RegExp(`/player/${reg}\\?token=`));

  // narrow screens: the tables are stacked cards
  await page.setViewportSize({ width: 360, height: 800 });
  assert.equal(await page.locator('table.list tbody tr').first().evaluate((e) => getComputedStyle(e).display), 'block');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no horizontal scrolling at 360 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  await assertClean(w);
});

test('credentials: create with scopes, the secret shown once works, revoke it and it is refused', async () => {
  const w = await newPage({ allow: [] });
  const { page } = w;
  await signIn(w);
  w.allow = [];
  await navTo(page, 'Credentials');
  await page.getByRole('heading', { level: 1, name: 'Credentials' }).waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Reporting tool <script>');
  for (const s of ['statements/write', 'state']) {
    await page.getByRole('checkbox', { name: new RegExp(`^${s.replace('/', '\\/')} `) }).uncheck();
  }
  await page.getByRole('checkbox', { name: /^statements\/read / }).check();
  await page.getByRole('button', { name: 'Create credential', exact: true }).click();
  await page.getByText('it is shown only once').waitFor();
  const key = await page.locator('#new-key').innerText();
  const secret = await page.locator('#new-secret').innerText();
  assert.ok(key && secret);
  await shot(page, 'credentials');
  const read = () => fetch(`${srv.base}/xapi/statements?limit=1`, {
    headers: { Authorization: basic(key, secret), 'X-Experience-API-Version': '1.0.3' },
  });
  assert.equal((await read()).status, 200);
  // a credential without the admin scope cannot sign in to the console: the page says why
  const n = await newPage({ allow: [/status of 403/] });
  await n.page.goto(srv.base + '/');
  await n.page.getByRole('textbox', { name: 'Key', exact: true }).fill(key);
  await n.page.getByLabel('Secret', { exact: true }).fill(secret);
  await n.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await n.page.getByText('it needs the admin scope').waitFor();
  await assertClean(n);
  // the list shows it with its scopes; revoke it through the confirmation dialog
  const row = page.locator('table.list tbody tr', { hasText: key });
  await row.waitFor();
  assert.match(await row.innerText(), /statements\/read/);
  await page.getByRole('button', { name: 'Revoke Reporting tool <script>', exact: true }).click();
  const dlg = page.getByRole('dialog');
  await dlg.waitFor();
  await dlg.getByRole('button', { name: 'Revoke', exact: true }).click();
  await row.getByText('revoked').waitFor();
  assert.equal((await read()).status, 401);
  // reload: the secret is not shown again
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Credentials' }).waitFor();
  assert.equal(await page.locator('#new-secret').count(), 0);

  // a console user added here signs in with a name and a password
  await page.getByRole('textbox', { name: 'User name', exact: true }).fill('robin.author');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Add user', exact: true }).click();
  await page.getByRole('button', { name: 'Delete user robin.author', exact: true }).waitFor();
  await shot(page, 'credentials-users');
  const u = await newPage({ allow: [] });
  await u.page.goto(srv.base + '/');
  await u.page.getByRole('radio', { name: 'Console user' }).check();
  await u.page.getByRole('textbox', { name: 'User', exact: true }).fill('robin.author');
  await u.page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await u.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await u.page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  assert.equal(await u.page.locator('#who').innerText(), 'robin.author');
  // deleting the user ends their session: their next request shows sign-in
  await page.getByRole('button', { name: 'Delete user robin.author', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click();
  await page.getByText('No console users').waitFor();
  u.allow = [/status of 401/];
  await navTo(u.page, 'Learners');
  await u.page.getByText('Your session has expired').waitFor();
  await assertClean(u);
  await assertClean(w);
});

// Drop a file on the upload zone as a drag and drop from the desktop would.
async function dropFile(page, name, bytes) {
  await page.evaluate(({ name, b64 }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([u8], name, { type: name.endsWith('.zip') ? 'application/zip' : 'text/plain' }));
    const zone = document.querySelector('.dropzone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, { name, b64: Buffer.from(bytes).toString('base64') });
}

function hostileZip() {
  const dir = join(tmp, 'hostile');
  cpSync(join(SHARED, 'scorm-packages', PKG), dir, { recursive: true });
  const mf = join(dir, 'imsmanifest.xml');
  const esc = HOSTILE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const xml = readFileSync(mf, 'utf8').replace(/<title>[^<]*<\/title>/g, `<title>${esc}</title>`)
    .replace(/identifier="com\.scorm\.golfsamples\.runtime\.basicruntime\.12"/, 'identifier="hostile.course"');
  writeFileSync(mf, xml);
  const zip = join(tmp, 'hostile.zip');
  const r = spawnSync('zip', ['-qr', zip, '.'], { cwd: dir });
  assert.equal(r.status, 0, String(r.stderr));
  return zip;
}

test('bad input: not a zip, a broken zip, markup in a title, a wrong secret, no session, an expired session', async () => {
  const w = await newPage({ allow: [] });
  const { page } = w;

  // a wrong secret: a clear message, still signed out
  await page.goto(srv.base + '/');
  await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('Secret', { exact: true }).fill('not-the-secret');
  w.allow = [/status of 401/];
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText('The key or secret is wrong').waitFor();
  await shot(page, 'signin-wrong-secret');
  await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  // the heading comes before the list's answer: count once the table is there (counted 0 then
  // 1 on a loaded machine)
  await page.locator('table.list').waitFor();
  const before = await rowsOf(page).count();

  // every refusal the importer can give (scorm_strerror) has its own explanation for authors
  const generic = await page.evaluate(async (msgs) => {
    const { explainImportError } = await import('/web/explain.js');
    return msgs.filter((m) => /could not be imported/.test(explainImportError(m, 400).what));
  }, ['not a valid zip archive', 'the zip archive is empty', 'unsafe zip entry name',
    'zip entry is not a regular file or directory', 'duplicate zip entry', 'encrypted zip entry',
    'zip size or entry limit exceeded', 'compression ratio limit exceeded (zip bomb)',
    'no imsmanifest.xml in the package', 'imsmanifest.xml is too large',
    'imsmanifest.xml is not well-formed XML', 'DOCTYPE or entity declaration refused',
    'unsupported manifest encoding', 'manifest too deep or too many nodes', 'invalid manifest structure',
    'reference to a missing resource', 'href outside the package or with a forbidden scheme',
    'launch file missing from the package', 'no launchable item', 'course not found', 'store failure',
    'the import process failed', 'a course with this id exists']);
  assert.deepEqual(generic, [], 'messages without an explanation');

  // not a zip: refused in the page, nothing uploaded, the list unchanged
  await page.getByLabel('Upload course', { exact: true }).setInputFiles({
    name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are my notes, not a course\n'),
  });
  const alert = page.getByRole('alert').filter({ hasText: 'notes.txt' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /not a zip/i);
  assert.match(await alert.innerText(), /What to do/);
  assert.equal(await rowsOf(page).count(), before);
  await shot(page, 'upload-not-a-zip');
  await dropFile(page, 'dropped.txt', Buffer.from('not a zip either'));
  await page.getByRole('alert').filter({ hasText: 'dropped.txt' }).waitFor();
  assert.equal(await rowsOf(page).count(), before);

  // a zip that is broken: the server refuses it, the page explains, the list is unchanged
  w.allow = [/status of 400/];
  await page.getByLabel('Upload course', { exact: true }).setInputFiles({
    name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 1)]),
  });
  const alert2 = page.getByRole('alert').filter({ hasText: 'broken.zip' });
  await alert2.waitFor();
  assert.match(await alert2.innerText(), /not a zip archive|damaged/i);
  assert.equal(await rowsOf(page).count(), before);
  assert.equal((await srv.req('GET', '/api/courses')).status, 200);

  // a hostile zip (an entry that climbs out of the package): refused, explained, nothing added
  const slip = join(tmp, 'slip.zip');
  const py = spawnSync('python3', ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w")\n' +
    'z.writestr("imsmanifest.xml", "<manifest/>")\nz.writestr("../../evil.html", "x")\nz.close()', slip]);
  assert.equal(py.status, 0, String(py.stderr));
  await page.getByLabel('Upload course', { exact: true }).setInputFiles(slip);
  const alert3 = page.getByRole('alert').filter({ hasText: 'slip.zip' });
  await alert3.waitFor();
  assert.match(await alert3.innerText(), /points outside the package/);
  assert.equal(await rowsOf(page).count(), before);

  // a course title with markup is text, never an element (uploaded by drag and drop)
  w.allow = [];
  await dropFile(page, 'hostile.zip', readFileSync(hostileZip()));
  await page.getByText('Hostile <b>course</b>” imported.', { exact: false }).waitFor();
  const hostileLink = page.getByRole('link', { name: HOSTILE, exact: true });
  await hostileLink.waitFor();
  assert.equal(await page.locator('main img, main b').count(), 0);
  await hostileLink.click();
  await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
  assert.equal(await page.locator('main img, main b').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.title(), `${HOSTILE} · scolar`);
  await shot(page, 'course-hostile-title');

  // delete with confirmation: a course without registrations goes
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete course' }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  assert.equal(await page.getByRole('link', { name: HOSTILE, exact: true }).count(), 0);

  // delete is refused while registrations exist: the page says why
  await page.getByRole('link', { name: TITLE, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  w.allow = [/status of 409/];
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete course' }).click();
  await page.getByText('This course was not deleted').waitFor();
  await shot(page, 'course-delete-refused');
  const left = (await srv.req('GET', '/api/courses')).json;
  assert.equal((left.items || left).length, 1, 'the course is still there');
  const firstHref = `#${new URL(page.url()).hash.slice(1)}`;

  // a package wrapped in a folder, with the same manifest identifier as the first course:
  // imported with a warning explained for its author, and as a NEW course (never a version of
  // the other one)
  await navTo(page, 'Courses');
  await page.getByLabel('Upload course', { exact: true }).setInputFiles(join(SHARED, 'scorm-packages', 'zips', 'derived-wrapped-in-folder.zip'));
  const done = page.locator('.upload-result .msg');
  await done.getByText('imported.').waitFor();
  assert.match(await done.innerText(), /1 warning/);
  assert.match(await done.innerText(), /The course was inside a folder in the zip/);
  const newHref = await done.getByRole('link', { name: 'Open the course page' }).getAttribute('href');
  assert.notEqual(newHref, firstHref, 'a second upload with the same manifest identifier is a new course');
  await shot(page, 'upload-warnings');

  // the session ends (cookie gone): the next request shows sign-in with a message
  w.allow = [/status of 401/];
  await w.ctx.clearCookies();
  await navTo(page, 'Learners');
  await page.getByText('Your session has expired').waitFor();
  await page.getByRole('textbox', { name: 'Key', exact: true }).waitFor();
  await shot(page, 'signin-expired');
  // no session at all: a fresh load shows sign-in, and no page shows data
  await page.goto(srv.base + '/#/credentials');
  await page.getByRole('textbox', { name: 'Key', exact: true }).waitFor();
  assert.equal(await page.locator('table.list').count(), 0);
  // signing in returns to the page that was asked for
  await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Credentials' }).waitFor();
  // sign out
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByText('You are signed out.').waitFor();
  assert.equal((await w.ctx.cookies()).filter((c) => c.name === 'scolar_session' && c.value).length, 0);
  await assertClean(w);
});

test('a course page: preview records nothing; a registration reset, then deleted; then the course can be deleted', async () => {
  assert.ok(mainCourseHref, 'the first test made the course');
  const w = await newPage({ allow: [] });
  const { page } = w;
  await signIn(w);
  w.allow = [];
  await page.goto(srv.base + '/' + mainCourseHref);
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  const regRows = page.locator('table.list').first().locator('tbody tr');
  await regRows.first().waitFor();
  assert.equal(await regRows.count(), 1);

  // Preview opens the course in a new tab; the SCO loads; nothing is recorded or listed
  const [popup] = await Promise.all([w.ctx.waitForEvent('page'), page.getByRole('button', { name: 'Preview', exact: true }).click()]);
  await popup.waitForURL(/\/player\/[0-9a-f-]{36}\?token=/);
  const sco = await scoFrame(popup, 'shared/launchpage.html');
  assert.equal(await sco.evaluate(() => window.parent.API.LMSSetValue('cmi.core.lesson_status', 'completed')), 'true');
  await popup.close({ runBeforeUnload: true });
  await page.getByRole('link', { name: 'Preview link', exact: true }).waitFor();
  await page.reload();
  await regRows.first().waitFor();
  assert.equal(await regRows.count(), 1, 'a preview is not listed');

  // the learner's page: reset (confirm) puts the registration back to not attempted
  await page.getByRole('link', { name: /^Pat <i>Learner<\/i>/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Pat <i>Learner</i>' }).waitFor();
  const row = page.locator('table.list tbody tr').first();
  assert.match(await row.innerText(), /completed/);
  await page.getByRole('button', { name: /^Reset registration of / }).click();
  let dlg = page.getByRole('dialog');
  // Escape cancels: nothing happens
  await dlg.waitFor();
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.match(await row.innerText(), /completed/);
  await page.getByRole('button', { name: /^Reset registration of / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Reset', exact: true }).click();
  await page.locator('table.list tbody tr').first().getByText('not attempted').waitFor();
  await shot(page, 'learner-reset');
  // delete (confirm): the learner has no registration left
  await page.getByRole('button', { name: /^Delete registration of / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText(/no registrations/).waitFor();

  // now the course can be deleted
  await page.goto(srv.base + '/' + mainCourseHref);
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete course' }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  assert.equal(await page.locator(`a[href="${mainCourseHref}"]`).count(), 0);
  await assertClean(w);
});

test('an upload over the server limit: a clear message, nothing imported', async () => {
  const small = await startServer({ env: { SCOLAR_MAX_UPLOAD: '100000' } });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(small.base + '/');
    await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
    await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
    await page.getByLabel('Upload course', { exact: true }).setInputFiles(goodZip); // 358 KB
    const alert = page.getByRole('alert').filter({ hasText: 'was not imported' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /larger than|size/i);
    await page.screenshot({ path: join(SHOTS, 'upload-too-large-1280.png'), fullPage: true });
    const list = (await small.req('GET', '/api/courses')).json;
    assert.equal(list.total, 0, 'nothing imported');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    await small.stop();
  }
});
