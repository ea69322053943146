// SPDX-License-Identifier: Apache-2.0
// A real xAPI client library from npm (@xapi/xapi) drives scolar as courseware would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import XAPI from '@xapi/xapi';
import { startServer, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { waitConsistent } from '../lib/xapi.mjs';

test('@xapi/xapi: send, get, query, void', async () => {
  const s = await startServer();
  try {
    const xapi = new XAPI({ endpoint: `${s.base}/xapi/`, auth: XAPI.toBasicAuth(ADMIN_KEY, ADMIN_SECRET), version: '1.0.3' });
    const actor = { objectType: 'Agent', name: 'Client Learner', mbox: 'mailto:client@example.com' };
    const sent = await xapi.sendStatement({
      statement: { actor, verb: XAPI.Verbs.COMPLETED, object: { objectType: 'Activity', id: 'http://example.com/client/course' },
        result: { score: { scaled: 0.9, raw: 90, min: 0, max: 100 }, success: true, completion: true, duration: 'PT4M30S' } },
    });
    assert.equal(sent.status, 200);
    const id = sent.data[0];
    const got = await xapi.getStatement({ statementId: id });
    assert.equal(got.data.id, id);
    assert.equal(got.data.result.score.scaled, 0.9);
    await waitConsistent(s); // Comm 2.1.3: queries are complete up to Consistent-Through
    const list = await xapi.getStatements({ agent: actor, verb: XAPI.Verbs.COMPLETED.id });
    assert.equal(list.data.statements.length, 1);
    assert.equal(list.data.statements[0].id, id);
    const v = await xapi.voidStatement({ actor, statementId: id });
    assert.equal(v.status, 200);
    const voided = await xapi.getVoidedStatement({ voidedStatementId: id });
    assert.equal(voided.data.id, id);
    await assert.rejects(xapi.getStatement({ statementId: id }), (e) => e.response?.status === 404);
  } finally {
    await s.stop();
  }
});
