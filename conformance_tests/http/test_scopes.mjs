// SPDX-License-Identifier: Apache-2.0
// The authorization matrix (issue 4, security.md T-AUTH): every scope set × resource × method
// against a hand-written truth table. "allowed" means the answer is not 403 (it may be 400 for
// missing parameters); "denied" means exactly 403 and nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from '../lib/server.mjs';

const RESOURCES = ['/xapi/statements', '/xapi/activities/state', '/xapi/activities/profile',
  '/xapi/agents/profile', '/xapi/activities', '/xapi/agents', '/api/credentials'];
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];
const SETS = {
  'all': ['all'], 'all/read': ['all/read'], 'statements/write': ['statements/write'],
  'statements/read': ['statements/read'], 'statements/read/mine': ['statements/read/mine'],
  'state': ['state'], 'define': ['define'], 'profile': ['profile'], 'admin': ['admin'],
};
const READ = new Set(['GET', 'HEAD']);

// the truth table, written out by hand from issue 4 and docs/xapi.md "Scopes"
function expected(set, res, method) {
  const read = READ.has(method);
  if (res === '/api/credentials') return set === 'admin';
  if (set === 'all') return true;
  if (set === 'all/read') return read;
  if (set === 'admin') return false;
  switch (res) {
  case '/xapi/statements':
    return (set === 'statements/write' && !read) || ((set === 'statements/read' || set === 'statements/read/mine') && read);
  case '/xapi/activities/state': return set === 'state';
  case '/xapi/activities/profile': case '/xapi/agents/profile': return set === 'profile';
  case '/xapi/activities': case '/xapi/agents': return set === 'define';
  default: return false;
  }
}

test('scope matrix: 9 scope sets × 7 resources × 5 methods', async () => {
  const s = await startServer();
  try {
    const creds = {};
    for (const [name, scopes] of Object.entries(SETS)) {
      const r = await s.req('POST', '/api/credentials', { body: { name, scopes } });
      assert.equal(r.status, 201);
      creds[name] = basic(r.json.key, r.json.secret);
    }
    const wrong = [];
    let n = 0;
    for (const set of Object.keys(SETS)) {
      for (const res of RESOURCES) {
        for (const method of METHODS) {
          const r = await s.req(method, res, { auth: creds[set], body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
            headers: { 'Content-Type': 'application/json' } });
          const allowed = expected(set, res, method);
          n++;
          if (allowed ? r.status === 403 || r.status === 401 : r.status !== 403) wrong.push(`${set} ${method} ${res}: ${r.status}, want ${allowed ? 'not 403' : '403'}`);
        }
      }
    }
    assert.equal(n, 315);
    assert.deepEqual(wrong, []);
    // nothing was written by the denied requests: no statements exist
    const all = await s.req('GET', '/xapi/statements');
    assert.deepEqual(all.json.statements, []);
  } finally {
    await s.stop();
  }
});
