// SPDX-License-Identifier: Apache-2.0
// /xapi/activities (Comm 2.5) and /xapi/agents (Comm 2.4), issue 4: the Activity definition
// merged from statements of trusted credentials (define/all scope only), the Person object,
// parameter errors, scopes, HEAD and methods.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from '../lib/server.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { assert.equal(await s.stop(), 0); });

const q = (o) => Object.entries(o).map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`).join('&');
const VERB = { id: 'http://adlnet.gov/expapi/verbs/experienced', display: { 'en-US': 'experienced' } };

async function credential(scopes) {
  const r = await s.req('POST', '/api/credentials', { body: { name: `c-${scopes.join('+')}`, scopes } });
  assert.equal(r.status, 201, r.text);
  return basic(r.json.key, r.json.secret);
}

async function post(stmts, auth) {
  const r = await s.req('POST', '/xapi/statements', { body: stmts, auth });
  assert.equal(r.status, 200, r.text);
}

test('GET /activities: the definition merged from statements (language maps, extensions)', async () => {
  const id = 'http://example.com/aa/meeting';
  await post([
    { actor: { mbox: 'mailto:a1@example.com', name: 'A One' }, verb: VERB, object: { objectType: 'Activity', id, definition: { type: 'http://example.com/type/1', name: { 'en-US': 'meeting' }, extensions: { 'http://example.com/ext/a': 1 } } } },
    { actor: { mbox: 'mailto:a1@example.com' }, verb: VERB, object: { id, definition: { type: 'http://example.com/type/2', name: { 'fr-FR': 'réunion' }, description: { 'en-US': 'd' }, extensions: { 'http://example.com/ext/b': { x: 1 } } } },
      context: { contextActivities: { parent: [{ id: 'http://example.com/aa/course', definition: { name: { en: 'Course' } } }] } } },
  ]);
  let r = await s.req('GET', `/xapi/activities?${q({ activityId: id })}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, {
    objectType: 'Activity', id,
    definition: {
      type: 'http://example.com/type/2',
      name: { 'en-US': 'meeting', 'fr-FR': 'réunion' },
      description: { 'en-US': 'd' },
      extensions: { 'http://example.com/ext/a': 1, 'http://example.com/ext/b': { x: 1 } },
    },
  });
  assert.match(r.headers.get('etag'), /^"[0-9a-f]{40}"$/);
  const h = await s.req('HEAD', `/xapi/activities?${q({ activityId: id })}`);
  assert.equal(h.status, 200);
  assert.equal(h.text, '');
  assert.equal(h.headers.get('etag'), r.headers.get('etag'));
  r = await s.req('GET', `/xapi/activities?${q({ activityId: 'http://example.com/aa/course' })}`);
  assert.deepEqual(r.json, { objectType: 'Activity', id: 'http://example.com/aa/course', definition: { name: { en: 'Course' } } });
  // Comm 2.5: an unknown Activity still answers an Activity object
  r = await s.req('GET', `/xapi/activities?${q({ activityId: 'http://example.com/aa/unknown' })}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { objectType: 'Activity', id: 'http://example.com/aa/unknown' });
});

test('only define/all credentials change definitions', async () => {
  const id = 'http://example.com/aa/trusted';
  await post({ actor: { mbox: 'mailto:t@example.com' }, verb: VERB, object: { id, definition: { name: { 'en-US': 'original' } } } });
  const writer = await credential(['statements/write', 'all/read']);
  await post({ actor: { mbox: 'mailto:t@example.com' }, verb: VERB, object: { id, definition: { name: { 'en-US': 'hijacked', de: 'x' } } } }, writer);
  let r = await s.req('GET', `/xapi/activities?${q({ activityId: id })}`, { auth: writer });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.definition, { name: { 'en-US': 'original' } }, 'statements/write alone does not redefine');
  const definer = await credential(['statements/write', 'define']);
  await post({ actor: { mbox: 'mailto:t@example.com' }, verb: VERB, object: { id, definition: { name: { 'en-US': 'renamed' } } } }, definer);
  r = await s.req('GET', `/xapi/activities?${q({ activityId: id })}`, { auth: definer });
  assert.deepEqual(r.json.definition, { name: { 'en-US': 'renamed' } });
});

test('GET /agents: Person with every name seen and the identifier as arrays', async () => {
  const actor = { objectType: 'Agent', mbox: 'mailto:person@example.com', name: 'Pat' };
  await post([
    { actor, verb: VERB, object: { id: 'http://example.com/aa/x' } },
    { actor: { ...actor, name: 'Patricia' }, verb: VERB, object: { id: 'http://example.com/aa/x' } },
  ]);
  let r = await s.req('GET', `/xapi/agents?${q({ agent: { mbox: 'mailto:person@example.com' } })}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { objectType: 'Person', name: ['Pat', 'Patricia'], mbox: ['mailto:person@example.com'] });
  r = await s.req('GET', `/xapi/agents?${q({ agent: { account: { homePage: 'http://example.com', name: 'u1' }, name: 'New' } })}`);
  assert.deepEqual(r.json, { objectType: 'Person', name: ['New'], account: [{ homePage: 'http://example.com', name: 'u1' }] });
  for (const ifi of [{ openid: 'http://example.com/openid/1' }, { mbox_sha1sum: 'a'.repeat(40) }]) {
    r = await s.req('GET', `/xapi/agents?${q({ agent: ifi })}`);
    const [k, v] = Object.entries(ifi)[0];
    assert.deepEqual(r.json, { objectType: 'Person', [k]: [v] });
  }
  // a Group member and a Group actor's name are known too
  await post({ actor: { objectType: 'Group', name: 'Team', mbox: 'mailto:team@example.com', member: [{ mbox: 'mailto:m1@example.com', name: 'Member One' }] }, verb: VERB, object: { id: 'http://example.com/aa/x' } });
  r = await s.req('GET', `/xapi/agents?${q({ agent: { mbox: 'mailto:m1@example.com' } })}`);
  assert.deepEqual(r.json.name, ['Member One']);
});

test('bad parameters, methods and scopes', async () => {
  const cases = [
    ['/xapi/activities', {}],
    ['/xapi/activities', { activityId: 'not an iri' }],
    ['/xapi/activities', { activityId: 'http://example.com/a', extra: '1' }],
    ['/xapi/activities', { activityid: 'http://example.com/a' }],
    ['/xapi/agents', {}],
    ['/xapi/agents', { agent: '{"mbox":' }],
    ['/xapi/agents', { agent: { name: 'no identifier' } }],
    ['/xapi/agents', { agent: { objectType: 'Group', mbox: 'mailto:g@example.com' } }],
    ['/xapi/agents', { agent: { mbox: 'mailto:a@example.com', openid: 'http://example.com/o' } }],
    ['/xapi/agents', { agent: { mbox: 'mailto:a@example.com' }, Agent: 'x' }],
  ];
  for (const [p, params] of cases) {
    const r = await s.req('GET', `${p}?${q(params)}`);
    assert.equal(r.status, 400, `${p} ${JSON.stringify(params)}: ${r.text}`);
    assert.equal(r.json.status, 400);
  }
  for (const m of ['PUT', 'POST', 'DELETE']) {
    assert.equal((await s.req(m, `/xapi/activities?${q({ activityId: 'http://example.com/a' })}`, { body: {} })).status, 405);
    assert.equal((await s.req(m, `/xapi/agents?${q({ agent: { mbox: 'mailto:a@example.com' } })}`, { body: {} })).status, 405);
  }
  const none = await credential(['statements/write']);
  const state = await credential(['state']);
  const read = await credential(['all/read']);
  const define = await credential(['define']);
  for (const p of [`/xapi/activities?${q({ activityId: 'http://example.com/a' })}`, `/xapi/agents?${q({ agent: { mbox: 'mailto:a@example.com' } })}`]) {
    assert.equal((await s.req('GET', p, { auth: none })).status, 403);
    assert.equal((await s.req('GET', p, { auth: state })).status, 403);
    assert.equal((await s.req('GET', p, { auth: read })).status, 200);
    assert.equal((await s.req('GET', p, { auth: define })).status, 200);
    assert.equal((await s.req('GET', p, { auth: null })).status, 401);
  }
});
