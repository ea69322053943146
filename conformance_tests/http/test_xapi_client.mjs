// SPDX-License-Identifier: Apache-2.0
// A real xAPI client library from npm (@xapi/xapi) drives scolar as courseware would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import XAPI from '@xapi/xapi';
import { startServer, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { waitConsistent } from '../lib/xapi.mjs';
import { randomUUID } from 'node:crypto';

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

// Issue 12: write-then-read with no wait, as courseware does (sendStatement, then at once
// getStatements for the learner's progress), under 1.0.3 and 2.0.0, against one server.
test('@xapi/xapi: write then read at once, under 1.0.3 and 2.0.0', async () => {
  const s = await startServer();
  try {
    for (const version of ['1.0.3', '2.0.0']) {
      const xapi = new XAPI({ endpoint: `${s.base}/xapi/`, auth: XAPI.toBasicAuth(ADMIN_KEY, ADMIN_SECRET), version });
      for (let round = 0; round < 20; round++) {
        const actor = { objectType: 'Agent', name: 'Reader', mbox: `mailto:reader-${version}-${round}@example.com` };
        const registration = randomUUID();
        const activity = `http://example.com/client/${version}/${round}`;
        const context = { registration };
        if (version === '2.0.0')
          context.contextAgents = [{ objectType: 'contextAgent', agent: { mbox: 'mailto:coach@example.com' }, relevantTypes: ['http://example.com/types/coach'] }];
        const sent = await xapi.sendStatements({
          statements: [
            { actor, verb: XAPI.Verbs.INITIALIZED, object: { objectType: 'Activity', id: activity }, context },
            { actor, verb: XAPI.Verbs.COMPLETED, object: { objectType: 'Activity', id: activity }, context, result: { completion: true } },
          ],
        });
        assert.equal(sent.status, 200);
        assert.equal(sent.headers['x-experience-api-version'], version);
        const [initId, doneId] = sent.data;
        const byVerb = await xapi.getStatements({ agent: actor, verb: XAPI.Verbs.COMPLETED.id });
        assert.deepEqual(byVerb.data.statements.map((x) => x.id), [doneId], `${version} round ${round}`);
        assert.equal(byVerb.data.statements[0].version, version === '2.0.0' ? '2.0.0' : '1.0.0');
        const byReg = await xapi.getStatements({ registration, ascending: true });
        assert.deepEqual(byReg.data.statements.map((x) => x.id), [initId, doneId]);
        const byAct = await xapi.getStatements({ activity });
        assert.deepEqual(byAct.data.statements.map((x) => x.id), [doneId, initId]);
      }
    }
  } finally {
    await s.stop();
  }
});
