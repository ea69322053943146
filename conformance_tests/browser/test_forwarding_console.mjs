// SPDX-License-Identifier: Apache-2.0
// The console's Forwarding page (issue 17) in headless Chromium: add a forwarder to a second
// `scolar serve` with a verb filter, see its status reach "sent", pause it and see statements
// wait, resume, a refused URL (the content origin) explained, a webhook added and deleted
// through the confirmation dialog. No console errors, no CSP violations, every control named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../lib/browser.mjs';
import { statement, uuid } from '../lib/xapi.mjs';

const SHOTS = process.env.SCOLAR_SCREENSHOTS || join(tmpdir(), 'scolar-console-screenshots');
const DONE = 'http://adlnet.gov/expapi/verbs/completed';
let srv, target, browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  target = await startServer();
  srv = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await target?.stop();
});

async function unnamedControls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [role="button"]')) {
      if (el.type === 'hidden') continue;
      const named = (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) ||
        (el.getAttribute('aria-label') || '').trim() || (el.tagName !== 'INPUT' && el.textContent.trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

test('forwarding page: add, status, pause, resume, refusal, webhook add and delete', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective));
  });
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 400/.test(m.text())) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(srv.base + '/');
  await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forwarding', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Forwarding' }).waitFor();
  await page.getByText('No forwarders.').waitFor();

  // the content origin is refused, with the reason
  await page.getByRole('textbox', { name: 'LRS endpoint' }).fill(`${srv.content}/xapi/`);
  await page.getByRole('button', { name: 'Add forwarder', exact: true }).click();
  await page.getByText(/the content origin .* is refused/).waitFor();

  await page.getByRole('textbox', { name: 'LRS endpoint' }).fill(`${target.base}/xapi/`);
  await page.getByRole('textbox', { name: 'Key at the other LRS' }).fill(ADMIN_KEY);
  await page.getByLabel('Secret at the other LRS').fill(ADMIN_SECRET);
  await page.getByRole('textbox', { name: 'Only verb (optional)' }).fill(DONE);
  await page.getByRole('button', { name: 'Add forwarder', exact: true }).click();
  const row = page.locator('table.list tbody tr', { hasText: `${target.base}/xapi/` });
  await row.waitFor();
  assert.match(await row.innerText(), /completed/);

  const batch = [statement({ id: uuid() }), statement({ id: uuid(), verb: 'http://adlnet.gov/expapi/verbs/attempted' })];
  assert.equal((await srv.req('POST', '/xapi/statements', { body: batch })).status, 200);
  for (let i = 0; i < 100; i++) {
    const t = await target.req('GET', `/xapi/statements?statementId=${batch[0].id}`);
    if (t.status === 200) break;
    await page.waitForTimeout(100);
  }
  assert.equal((await target.req('GET', `/xapi/statements?statementId=${batch[0].id}`)).status, 200);
  assert.equal((await target.req('GET', `/xapi/statements?statementId=${batch[1].id}`)).status, 404, 'filtered out');

  await page.getByRole('button', { name: `Pause ${target.base}/xapi/`, exact: true }).click();
  await row.getByText('paused').waitFor();
  assert.equal((await srv.req('POST', '/xapi/statements', { body: statement({ id: uuid() }) })).status, 200);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Forwarding' }).waitFor();
  await page.locator('table.list tbody tr', { hasText: 'paused' }).waitFor();
  assert.match(await page.locator('table.list tbody tr').first().innerText(), /paused\s+1\s+1\s+0/, 'one waits, one sent');
  assert.deepEqual(await unnamedControls(page), []);
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS, `forwarding-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: `Resume ${target.base}/xapi/`, exact: true }).click();
  await page.locator('table.list tbody tr', { hasText: /idle|sending/ }).first().waitFor();

  // a webhook, then deleted through the dialog
  await page.getByRole('textbox', { name: 'Webhook URL' }).fill('http://127.0.0.1:9/hook');
  await page.getByLabel('Signing secret').fill('0123456789abcdef-secret');
  await page.getByRole('checkbox', { name: 'course.imported' }).check();
  await page.getByRole('button', { name: 'Add webhook', exact: true }).click();
  const hook = page.locator('table.list tbody tr', { hasText: 'http://127.0.0.1:9/hook' });
  await hook.waitFor();
  assert.match(await hook.innerText(), /registration\.completed/);
  await page.getByRole('button', { name: 'Delete http://127.0.0.1:9/hook', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText('No webhooks.').waitFor();
  assert.equal((await srv.req('GET', '/api/webhooks')).json.webhooks.length, 0);

  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
  await ctx.close();
});
