// SPDX-License-Identifier: Apache-2.0
// TinCanJS (the Rustici client library, npm `tincanjs`, xAPI up to 1.0.2: its requests carry 1.0.2, answered under 1.0.3) writes statements
// and reads them back at once, as a course showing the learner's own progress does
// (read-your-writes, issue 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { startServer, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
let TinCan;
try {
  TinCan = require('tincanjs');
} catch {
  throw new Error('tincanjs is not installed: run `npm ci` in conformance_tests (package.json lists it)');
}

const call = (fn, cfg) => new Promise((resolve) => fn({ ...cfg, callback: (err, res) => resolve({ err, res }) }));

test('TinCanJS: save statements, then query them at once', async () => {
  const s = await startServer();
  try {
    const lrs = new TinCan.LRS({ endpoint: `${s.base}/xapi/`, username: ADMIN_KEY, password: ADMIN_SECRET, allowFail: false, version: '1.0.2' });
    for (let round = 0; round < 20; round++) {
      const actor = new TinCan.Agent({ name: 'TinCan Learner', mbox: `mailto:tincan-${round}@example.com` });
      const registration = randomUUID();
      const verb = new TinCan.Verb({ id: 'http://adlnet.gov/expapi/verbs/experienced', display: { 'en-US': 'experienced' } });
      const made = [1, 2, 3].map((n) => new TinCan.Statement({
        id: randomUUID(), actor, verb, target: new TinCan.Activity({ id: `http://example.com/tincan/${round}/page${n}` }),
        context: new TinCan.Context({ registration }),
      }));
      const saved = await call((c) => lrs.saveStatements(made, c), {});
      assert.equal(saved.err, null, `saveStatements: ${saved.res && saved.res.responseText}`);
      const q = await call((c) => lrs.queryStatements(c), { params: { agent: actor, verb, registration, ascending: true } });
      assert.equal(q.err, null);
      assert.deepEqual(q.res.statements.map((x) => x.id), made.map((x) => x.id), `round ${round}`);
      const one = await call((c) => lrs.retrieveStatement(made[2].id, c), {});
      assert.equal(one.err, null);
      assert.equal(one.res.id, made[2].id);
    }
  } finally {
    await s.stop();
  }
});
