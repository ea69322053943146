// SPDX-License-Identifier: Apache-2.0
// The player over HTTPS in Chromium (issue 18): `serve --tls-cert/--tls-key` with a CA made in
// the test. Chromium checks certificates as always (no ignoreHTTPSErrors); it is told to accept
// chains holding this test CA's key (--ignore-certificate-errors-spki-list: Debian's chromium
// reads no CA file, and adding one to its NSS store needs certutil). A browser pinned to another
// key refuses the same page, so the pin is what lets it in. The demo course's introduction
// runs, its commits reach the server over HTTPS (location kept), and every frame is https.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from '../lib/server.mjs';
import { launchBrowser, importPackage, register, openPlayer, scoFrame, waitReport } from '../lib/browser.mjs';
import { makePki, spkiHash } from '../lib/tls.mjs';

let srv, work, pki;

before(async () => {
  work = tempDir('scolar-https-');
  pki = makePki(work);
  srv = await startServer({ args: ['--tls-cert', pki.chain, '--tls-key', pki.key], tlsCa: pki.caPem });
});

after(async () => {
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the demo course plays over HTTPS with the certificate checked', async () => {
  const imp = await importPackage(srv, 'demo-2004');
  const reg = await register(srv, imp.course, { id: 'https-1', name: 'Secure Learner' });
  assert.ok(reg.launch_url.startsWith(`https://127.0.0.1:${srv.cport}/player/`), reg.launch_url);
  const browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spkiHash(pki.ca)}`]);
  try {
    const { page, errors } = await openPlayer(browser.ctx, reg.launch_url);
    const intro = await scoFrame(page, 'intro.html');
    assert.equal(await intro.textContent('#progress'), 'Page 1 of 3');
    assert.ok(intro.url().startsWith(`https://127.0.0.1:${srv.cport}/`), intro.url());
    assert.equal(await page.evaluate(() => location.protocol), 'https:');
    await intro.click('#next');
    assert.equal(await intro.textContent('#progress'), 'Page 2 of 3');
    await page.close(); // suspend on pagehide: a commit over HTTPS
    const rep = await waitReport(srv, reg.registration, (x) => x.scos.some((s) => s.cmi && s.cmi['cmi.location'] === '2'));
    assert.ok(rep.scos.some((s) => s.cmi['cmi.location'] === '2'));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
  // the same page in a browser that trusts another key: refused by Chromium's certificate check
  const otherDir = join(work, 'other');
  mkdirSync(otherDir);
  const other = makePki(otherDir);
  const strict = await launchBrowser([`--ignore-certificate-errors-spki-list=${spkiHash(other.ca)}`]);
  try {
    const page = await strict.ctx.newPage();
    await assert.rejects(page.goto(reg.launch_url), /net::ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await strict.close();
  }
});
