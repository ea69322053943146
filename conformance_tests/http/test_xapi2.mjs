// SPDX-License-Identifier: Apache-2.0
// xAPI 2.0 (IEEE 9274.1.1) beside 1.0.3 on one endpoint (issue 12): the version per request,
// the 2.0-only properties under each version, what each version reads of the other's
// statements, State concurrency, and no Alternate Request Syntax under 2.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { agent, statement, uuid } from '../lib/xapi.mjs';

const CONTEXT_AGENTS = [{ objectType: 'contextAgent', agent: { objectType: 'Agent', mbox: 'mailto:coach@example.com' }, relevantTypes: ['http://example.com/types/coach'] }];
const CONTEXT_GROUPS = [{ objectType: 'contextGroup', group: { objectType: 'Group', mbox: 'mailto:team@example.com' }, relevantTypes: ['http://example.com/types/team'] }];

test('version per request: the header chooses the rules, every answer names its version', async () => {
  const s = await startServer();
  try {
    const about = await s.req('GET', '/xapi/about', { version: null });
    assert.equal(about.status, 200);
    assert.deepEqual(about.json.version, ['1.0.3', '2.0.0']);
    for (const [sent, answered] of [['1.0', '1.0.3'], ['1.0.0', '1.0.3'], ['1.0.3', '1.0.3'], ['1.0.9', '1.0.3'],
      ['2.0', '2.0.0'], ['2.0.0', '2.0.0'], ['2.0.7', '2.0.0']]) {
      const r = await s.req('GET', '/xapi/statements?limit=1', { version: sent });
      assert.equal(r.status, 200, `${sent}: ${r.text}`);
      assert.equal(r.headers.get('x-experience-api-version'), answered, sent);
      assert.ok(r.headers.get('x-experience-api-consistent-through'));
    }
    for (const bad of ['0.9', '0.95', '1.1', '2.1', '3.0', '2.0.x', '1.0.', 'junk']) {
      const r = await s.req('GET', '/xapi/statements?limit=1', { version: bad });
      assert.equal(r.status, 400, bad);
      assert.match(r.json.message, /not supported: this LRS serves 1\.0\.3 \(send 1\.0 or 1\.0\.x\) and 2\.0\.0 \(send 2\.0 or 2\.0\.x\)/);
    }
    // no header: 400, answered under the version this client spoke last (2.0.0 for a new one)
    await s.req('GET', '/xapi/statements?limit=1', { version: '1.0.3' });
    let r = await s.req('GET', '/xapi/statements?limit=1', { version: null });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /header missing/);
    assert.equal(r.headers.get('x-experience-api-version'), '1.0.3');
    await s.req('GET', '/xapi/statements?limit=1', { version: '2.0.0' });
    r = await s.req('GET', '/xapi/statements?limit=1', { version: null });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
    // documents answer under their version too
    r = await s.req('GET', `/xapi/activities/state?activityId=${encodeURIComponent('http://example.com/a')}&agent=${encodeURIComponent(JSON.stringify(agent('v')))}&stateId=x`, { version: '2.0.0' });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
  } finally {
    await s.stop();
  }
});

test('contextAgents and contextGroups: 2.0 only, validated', async () => {
  const s = await startServer();
  try {
    const st = statement({ extra: { context: { contextAgents: CONTEXT_AGENTS, contextGroups: CONTEXT_GROUPS } } });
    let r = await s.req('POST', '/xapi/statements', { body: st, version: '1.0.3' });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, '$.context.contextAgents: xAPI 1.0.3 Data 2.4.6: "contextAgents" is not a Context property in xAPI 1.0.3 (it is new in xAPI 2.0, IEEE 9274.1.1, Data 2.4.6; send X-Experience-API-Version: 2.0.0)');
    r = await s.req('POST', '/xapi/statements', { body: statement({ extra: { context: { contextGroups: CONTEXT_GROUPS } } }), version: '1.0.3' });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^\$\.context\.contextGroups: xAPI 1\.0\.3 Data 2\.4\.6/);
    r = await s.req('POST', '/xapi/statements', { body: st, version: '2.0.0' });
    assert.equal(r.status, 200, r.text);
    const bad = [
      [{ contextAgents: [{ ...CONTEXT_AGENTS[0], objectType: 'Agent' }] }, '$.context.contextAgents[0].objectType: xAPI 2.0 Data 2.4.6: objectType of a contextAgents entry MUST be "contextAgent"'],
      [{ contextAgents: [{ objectType: 'contextAgent' }] }, '$.context.contextAgents[0].agent: xAPI 2.0 Data 2.4.6: a contextAgents entry MUST have "agent"'],
      [{ contextAgents: [{ ...CONTEXT_AGENTS[0], relevantTypes: [] }] }, '$.context.contextAgents[0].relevantTypes: xAPI 2.0 Data 2.4.6: relevantTypes MUST be a non-empty array of IRIs'],
      [{ contextAgents: [{ ...CONTEXT_AGENTS[0], relevantTypes: ['abc'] }] }, '$.context.contextAgents[0].relevantTypes[0]: xAPI 2.0 Data 2.4.6: relevantTypes entries MUST be IRIs'],
      [{ contextAgents: CONTEXT_AGENTS[0] }, '$.context.contextAgents: xAPI 2.0 Data 2.4.6: contextAgents must be an array of contextAgent objects'],
      [{ contextGroups: [{ objectType: 'contextGroup', group: { objectType: 'Agent', mbox: 'mailto:x@example.com' } }] }, '$.context.contextGroups[0].group.objectType: xAPI 2.0 Data 2.4.6: a contextGroup\'s group MUST be a Group (objectType "Group")'],
    ];
    for (const [context, message] of bad) {
      r = await s.req('POST', '/xapi/statements', { body: statement({ extra: { context } }), version: '2.0.0' });
      assert.equal(r.status, 400, JSON.stringify(context));
      assert.equal(r.json.message, message);
    }
    // relevantTypes is optional (xAPI 2.0 Data 2.4.6)
    r = await s.req('POST', '/xapi/statements', { body: statement({ extra: { context: { contextAgents: [{ objectType: 'contextAgent', agent: agent('x') }] } } }), version: '2.0.0' });
    assert.equal(r.status, 200, r.text);
  } finally {
    await s.stop();
  }
});

test('the version property, and what each version reads of the other', async () => {
  const s = await startServer();
  try {
    let r = await s.req('POST', '/xapi/statements', { body: statement({ extra: { version: '2.0.0' } }), version: '1.0.3' });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^\$\.version: xAPI 1\.0\.3 Data 2\.4\.10: version MUST be "1\.0" or "1\.0\.x"/);
    const ids = {};
    for (const [name, version, body] of [
      ['v2-explicit', '2.0.0', statement({ extra: { version: '2.0.0' } })],
      ['v2-default', '2.0.0', statement({ extra: { context: { contextAgents: CONTEXT_AGENTS } } })],
      ['v1-under-v2', '2.0.0', statement({ extra: { version: '1.0.3' } })],
      ['v1-default', '1.0.3', statement()],
    ]) {
      r = await s.req('POST', '/xapi/statements', { body, version });
      assert.equal(r.status, 200, `${name}: ${r.text}`);
      ids[name] = r.json[0];
    }
    const want = { 'v2-explicit': '2.0.0', 'v2-default': '2.0.0', 'v1-under-v2': '1.0.3', 'v1-default': '1.0.0' };
    // both versions read every statement exactly as stored (Data 2.4.10: version retained)
    for (const reader of ['1.0.3', '2.0.0']) {
      for (const [name, id] of Object.entries(ids)) {
        r = await s.req('GET', `/xapi/statements?statementId=${id}`, { version: reader });
        assert.equal(r.status, 200);
        assert.equal(r.json.version, want[name], `${reader} reads ${name}`);
        assert.equal(r.headers.get('x-experience-api-version'), reader);
      }
      r = await s.req('GET', `/xapi/statements?statementId=${ids['v2-default']}`, { version: reader });
      assert.deepEqual(r.json.context.contextAgents, CONTEXT_AGENTS);
    }
    // a list answered under 2.0 carries Last-Modified: the stored time of its newest statement
    r = await s.req('GET', '/xapi/statements?limit=2', { version: '2.0.0' });
    assert.equal(r.status, 200);
    assert.equal(Date.parse(r.headers.get('last-modified')) / 1000, Math.floor(Date.parse(r.json.statements[0].stored) / 1000));
    r = await s.req('GET', '/xapi/statements?limit=2', { version: '1.0.3' });
    assert.equal(r.headers.get('last-modified'), null);
  } finally {
    await s.stop();
  }
});

test('State concurrency: a PUT without If-Match / If-None-Match on an existing document is 409 under 2.0 only', async () => {
  const s = await startServer();
  try {
    const q = `/xapi/activities/state?activityId=${encodeURIComponent('http://example.com/a')}&agent=${encodeURIComponent(JSON.stringify(agent('st')))}&stateId=s1`;
    const h = { 'Content-Type': 'application/json' };
    let r = await s.req('PUT', q, { body: { a: 1 }, headers: h, version: '2.0.0' });
    assert.equal(r.status, 204, r.text); // absent: created
    r = await s.req('PUT', q, { body: { a: 2 }, headers: h, version: '2.0.0' });
    assert.equal(r.status, 409);
    assert.match(r.json.message, /If-Match/);
    r = await s.req('GET', q, { version: '2.0.0' });
    assert.deepEqual(r.json, { a: 1 });
    assert.ok(r.headers.get('last-modified'));
    const etag = r.headers.get('etag');
    r = await s.req('PUT', q, { body: { a: 3 }, headers: { ...h, 'If-Match': etag }, version: '2.0.0' });
    assert.equal(r.status, 204);
    r = await s.req('PUT', q, { body: { a: 4 }, headers: h, version: '1.0.3' });
    assert.equal(r.status, 204); // 1.0.3 Comm 3.1 exempts State
    r = await s.req('GET', q, { version: '1.0.3' });
    assert.deepEqual(r.json, { a: 4 });
  } finally {
    await s.stop();
  }
});

test('Alternate Request Syntax: 1.0.3 only', async () => {
  const s = await startServer();
  try {
    const id = uuid();
    const form = (v) => new URLSearchParams({ statementId: id, 'X-Experience-API-Version': v, content: JSON.stringify(statement()) }).toString();
    const h = { 'Content-Type': 'application/x-www-form-urlencoded' };
    let r = await s.req('POST', '/xapi/statements?method=PUT', { body: form('2.0.0'), headers: h, version: '2.0.0' });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^alternate request syntax \(the method parameter\) is not part of xAPI 2\.0/);
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
    r = await s.req('POST', '/xapi/statements?method=PUT', { body: form('2.0.0'), headers: h, version: null });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
    r = await s.req('POST', '/xapi/statements?method=PUT', { body: form('1.0.3'), headers: h, version: null });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.headers.get('x-experience-api-version'), '1.0.3');
    r = await s.req('GET', `/xapi/statements?statementId=${id}`, { version: '2.0.0' });
    assert.equal(r.status, 200);
    assert.equal(r.json.version, '1.0.0');
  } finally {
    await s.stop();
  }
});
