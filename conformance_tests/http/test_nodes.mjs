// SPDX-License-Identifier: Apache-2.0
// Two scolar nodes on one PostgreSQL database (issue 19, "Done when"): each test starts two
// `scolar serve --store URL` processes on a new database of the throwaway cluster (tools/test.sh,
// SCOLAR_TEST_PG; tools/pg-gate.sh) and alternates its requests between them:
//  - statements written through A are read through B at once (by id, by query, `more` pages
//    fetched from either node);
//  - a credential revoked through A is refused by B at its next request; a console session
//    opened on A works on B and ends on both when it ends on A;
//  - documents: ETag preconditions hold across nodes (a stale If-Match on B after a change on
//    A is 412; two writers racing on one ETag through A and B: one wins, one 412) and merges
//    (POST) from both nodes lose nothing;
//  - SCORM commits of one registration alternate nodes: each applied once, in order, a resent
//    commit is not applied twice;
//  - kill -9 of A while 8 clients write through both: every acknowledged statement is read
//    through B, B keeps taking writes, and A restarted on the database serves them all;
//  - the round-robin proxy (lib/rrproxy.mjs) the ADL suite runs behind alternates nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startNodes, startServer, cli, basic, ADMIN_AUTH, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { startRoundRobin } from '../lib/rrproxy.mjs';
import { importPackage, register } from '../lib/browser.mjs';

const ACTOR = { objectType: 'Agent', mbox: 'mailto:nodes@example.org' };
const VERB = { id: 'http://adlnet.gov/expapi/verbs/experienced' };
const stmt = (id, obj = 'http://ex.org/nodes') => ({ id, actor: ACTOR, verb: VERB, object: { id: obj } });

async function pages(nodes, path) {
  const out = [];
  let i = 0;
  while (path) {
    const r = await nodes[i++ % nodes.length].req('GET', path); // each page from the other node
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.statements);
    path = r.json.more || null;
  }
  return out;
}

test('statements written through A are read through B at once', async () => {
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    for (let i = 0; i < 30; i++) {
      const id = randomUUID();
      const [w, r] = i % 2 ? [b, a] : [a, b];
      const p = await w.req('POST', '/xapi/statements', { body: stmt(id) });
      assert.equal(p.status, 200, p.text);
      const g = await r.req('GET', `/xapi/statements?statementId=${id}`);
      assert.equal(g.status, 200, `round ${i}: written on one node, read on the other: ${g.text}`);
      assert.equal(g.json.id, id);
    }
    // a batch on B, then a query with paging through both, right away
    const act = `http://ex.org/nodes/${randomUUID()}`;
    const ids = Array.from({ length: 120 }, () => randomUUID());
    const t0 = Date.now();
    const p = await b.req('POST', '/xapi/statements', { body: ids.map((id) => stmt(id, act)) });
    assert.equal(p.status, 200, p.text);
    const got = await pages([a, b], `/xapi/statements?activity=${encodeURIComponent(act)}&limit=25&ascending=true`);
    assert.deepEqual(got.map((s) => s.id), ids, 'every statement, in stored order, pages from both nodes');
    const ct = await a.req('GET', '/xapi/statements?limit=1');
    assert.ok(Date.parse(ct.headers.get('x-experience-api-consistent-through')) >= t0 - 1000,
      `A's Consistent-Through ${ct.headers.get('x-experience-api-consistent-through')} covers B's write`);
  } finally {
    await stop();
  }
});

test('credentials and console sessions: a change through A holds on B at its next request', async () => {
  const { nodes: [a, b], store, stop } = await startNodes(2);
  try {
    const c = await a.req('POST', '/api/credentials', { body: { name: 'n1', scopes: ['all'] } });
    assert.equal(c.status, 201, c.text);
    const auth = basic(c.json.key, c.json.secret);
    for (let i = 0; i < 3; i++) assert.equal((await b.req('GET', '/xapi/statements?limit=1', { auth })).status, 200);
    assert.equal((await a.req('DELETE', `/api/credentials/${c.json.key}`)).status, 204);
    const after = await b.req('GET', '/xapi/statements?limit=1', { auth });
    assert.equal(after.status, 401, 'B refuses the credential A revoked, at once');

    // a console session opened on A
    const u = cli(['user', 'create', 'nodeuser', '--password-stdin', '--store', store], { input: 'node-user-password\n' });
    assert.equal(u.status, 0, u.stderr);
    const s = await a.req('POST', '/api/session', { auth: null, body: { user: 'nodeuser', password: 'node-user-password' } });
    assert.equal(s.status, 200, s.text);
    const cookie = s.headers.get('set-cookie').split(';')[0];
    const onB = await b.req('GET', '/api/session', { auth: null, headers: { Cookie: cookie } });
    assert.equal(onB.status, 200, 'the session opened on A works on B');
    const out = await a.req('DELETE', '/api/session', { auth: null, headers: { Cookie: cookie, 'X-CSRF-Token': s.json.csrf } });
    assert.equal(out.status, 204);
    assert.equal((await b.req('GET', '/api/session', { auth: null, headers: { Cookie: cookie } })).status, 401,
      'signed out on A: the cookie is refused by B');
    // the user deleted through the CLI: its sessions end on every node
    const s2 = await b.req('POST', '/api/session', { auth: null, body: { user: 'nodeuser', password: 'node-user-password' } });
    const cookie2 = s2.headers.get('set-cookie').split(';')[0];
    assert.equal(cli(['user', 'delete', 'nodeuser', '--store', store]).status, 0);
    assert.equal((await a.req('GET', '/api/session', { auth: null, headers: { Cookie: cookie2 } })).status, 401);
  } finally {
    await stop();
  }
});

// Sign-in failure limits (lrs_fails.h): on PostgreSQL the counts are rows of the store, so N
// nodes behind a load balancer allow what one node allows, and a restart forgets nothing. A
// successful sign-in takes back its own address's failures against its key, through any node,
// and nothing of another address's. Client addresses: X-Forwarded-For of a trusted proxy.
const signIn = (n, secret, addr, key = ADMIN_KEY) => n.req('POST', '/api/session',
  { auth: null, body: { key, secret }, headers: addr ? { 'X-Forwarded-For': addr } : {} });

test('console sign-in failures through A and B add up to one limit; a success takes back only its own address\'s', async () => {
  const { nodes: [a, b], stop } = await startNodes(2, { env: { SCOLAR_SIGNIN_FAILS: '4', SCOLAR_TRUSTED_PROXY: '127.0.0.1' } });
  const X = '203.0.113.10', Y = '198.51.100.20';
  try {
    // X mistypes through A and B, signs in through B: both typos are taken back on both nodes
    const r0 = await a.req('POST', '/api/credentials', { body: { name: 'x-console', scopes: ['admin'] } });
    assert.equal(r0.status, 201, r0.text);
    const own = r0.json;
    assert.equal((await signIn(a, 'typo-1', X, own.key)).status, 401);
    assert.equal((await signIn(b, 'typo-2', X, own.key)).status, 401);
    assert.equal((await signIn(b, own.secret, X, own.key)).status, 200);
    for (let i = 1; i <= 4; i++)
      assert.equal((await signIn(i % 2 ? a : b, `typo-again-${i}`, X, own.key)).status, 401, `failure ${i} after the sign-in`);
    assert.equal((await signIn(a, own.secret, X, own.key)).status, 429, 'four new failures reach the limit of 4');
    // Y guesses at the admin key through A and B; the key's owner signing in from another
    // address meanwhile takes back nothing of Y's
    assert.equal((await signIn(a, 'wrong-1', Y)).status, 401);
    assert.equal((await signIn(b, 'wrong-2', Y)).status, 401);
    assert.equal((await signIn(a, ADMIN_SECRET, '192.0.2.40')).status, 200);
    assert.equal((await signIn(b, 'wrong-3', Y)).status, 401);
    assert.equal((await signIn(a, 'wrong-4', Y)).status, 401, 'the 4th failure, 2 through each node');
    for (const [n, name] of [[b, 'B'], [a, 'A']]) {
      const r = await signIn(n, ADMIN_SECRET, '192.0.2.40');
      assert.equal(r.status, 429, `${name}: 4 failures through two nodes reach the limit of 4`);
      assert.equal(r.json.message.replace(/\d+ s$/, 'N s'), 'too many failed sign-ins: try again in N s');
      const wait = Number(r.headers.get('retry-after'));
      assert.ok(wait > 0 && wait <= 301, `Retry-After ${wait}`);
      assert.equal(r.headers.getSetCookie().length, 0);
    }
    assert.equal((await b.req('GET', '/api/credentials')).status, 200, 'Basic authentication is another budget');
  } finally {
    await stop();
  }
});

test('console sign-in failures survive a restart of the node that counted them', async () => {
  const { nodes: [a, b], store, stop } = await startNodes(2, { env: { SCOLAR_SIGNIN_FAILS: '3' } });
  let a2 = null;
  try {
    assert.equal((await signIn(a, 'wrong-1')).status, 401);
    assert.equal((await signIn(a, 'wrong-2')).status, 401);
    assert.equal(await a.stop(), 0);
    a2 = await startServer({ store, env: { SCOLAR_SIGNIN_FAILS: '3' } });
    assert.equal((await signIn(a2, 'wrong-3')).status, 401);
    assert.equal((await signIn(a2, ADMIN_SECRET)).status, 429, 'the restarted node counts the failures before its start');
    assert.equal((await signIn(b, ADMIN_SECRET)).status, 429);
  } finally {
    if (a2) await a2.stop();
    await stop();
  }
});

test('wrong Basic secrets through A and B draw on one budget; a known secret keeps working', async () => {
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    const bad = basic(ADMIN_KEY, 'wrong-secret');
    const unknown = basic('no-such-key', 'whatever');
    for (const n of [a, b]) assert.equal((await n.req('GET', '/api/credentials')).status, 200); // verified, cached
    // the budget is 20 per address, refilled at 2 per second while the slow hashes run: one
    // node's budget alone (at most 20 + 2 per second taken), not two nodes' (40 and more),
    // before the first 429
    let n401 = 0, t = null;
    const t0 = Date.now();
    for (let i = 0; i < 80 && !t; i++) {
      const r = await (i % 2 ? b : a).req('GET', '/api/credentials', { auth: i % 4 < 2 ? bad : unknown });
      if (r.status === 429) t = r;
      else {
        assert.equal(r.status, 401, r.text);
        n401++;
      }
    }
    assert.ok(t, 'a 429 came');
    const secs = (Date.now() - t0) / 1000;
    assert.ok(n401 >= 20 && n401 <= 21 + 2 * secs,
      `${n401} failures through two nodes in ${secs.toFixed(1)} s before the first 429`);
    assert.equal(t.headers.get('retry-after'), '1');
    assert.equal(t.json.message, 'too many failed sign-ins from this address or for this key: wait and retry');
    for (const n of [a, b]) assert.equal((await n.req('GET', '/api/credentials')).status, 200, 'the right secret works');
  } finally {
    await stop();
  }
});

test('documents: ETag preconditions and merges across nodes', async () => {
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    const agent = encodeURIComponent(JSON.stringify(ACTOR));
    const path = `/xapi/activities/state?activityId=${encodeURIComponent('http://ex.org/doc')}&agent=${agent}&stateId=s`;
    assert.equal((await a.req('PUT', path, { body: { v: 0 } })).status, 204);
    const e1 = (await b.req('GET', path)).headers.get('etag');
    assert.ok(e1);
    assert.equal((await a.req('PUT', path, { body: { v: 1 }, headers: { 'If-Match': e1 } })).status, 204);
    const stale = await b.req('PUT', path, { body: { v: 2 }, headers: { 'If-Match': e1 } });
    assert.equal(stale.status, 412, 'B sees the ETag A changed');
    let wins = 0;
    for (let i = 0; i < 20; i++) {
      const cur = (await (i % 2 ? a : b).req('GET', path)).headers.get('etag');
      const rs = await Promise.all([a, b].map((n, k) => n.req('PUT', path, { body: { v: `${i}-${k}` }, headers: { 'If-Match': cur } })));
      const st = rs.map((r) => r.status).sort();
      assert.deepEqual(st, [204, 412], `round ${i}: one writer wins, the other is told 412 (${st})`);
      wins++;
    }
    assert.equal(wins, 20);
    // merges from both nodes at once: every key kept
    const mpath = `/xapi/activities/profile?activityId=${encodeURIComponent('http://ex.org/doc')}&profileId=m`;
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).req('POST', mpath, { body: { [`k${i}`]: i } })));
    for (const r of rs) assert.equal(r.status, 204, r.text);
    const m = await a.req('GET', mpath);
    assert.equal(Object.keys(m.json).length, 40, `no merge lost: ${m.text}`);
  } finally {
    await stop();
  }
});

test('SCORM commits of one registration alternate nodes: applied once each, in order', async () => {
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    const course = (await importPackage(a, 'demo-2004')).course;
    const reg = await register(b, course, { id: 'node-learner', name: 'Node Learner' });
    const post = async (n, path, body) => {
      const r = await fetch(n.content + path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
      const text = await r.text();
      return { status: r.status, json: text ? JSON.parse(text) : undefined, text };
    };
    const l = await post(a, `/player/${reg.registration}/launch`, { token: reg.token, sco: 'intro' });
    assert.equal(l.status, 200, l.text);
    for (let seq = 1; seq <= 20; seq++) {
      const n = seq % 2 ? b : a;
      const body = { token: reg.token, seq, final: false, changes: { 'cmi.location': `p${seq}`, 'cmi.suspend_data': `d${seq}` } };
      const c = await post(n, `/player/${reg.registration}/commit/${l.json.session}`, body);
      assert.equal(c.status, 200, c.text);
      assert.equal(c.json.applied, true, `commit ${seq} applied: ${c.text}`);
      // the same commit sent again to the other node (a retry after a lost answer)
      const again = await post(n === a ? b : a, `/player/${reg.registration}/commit/${l.json.session}`, body);
      assert.equal(again.status, 200, again.text);
      assert.notEqual(again.json.applied, true, `commit ${seq} resent to the other node is not applied twice: ${again.text}`);
    }
    for (const n of [a, b]) {
      const r = await n.req('GET', `/api/registrations/${reg.registration}`);
      assert.equal(r.status, 200, r.text);
      const sco = r.json.scos.find((x) => x.id === 'intro');
      assert.equal(sco.cmi['cmi.location'], 'p20');
      assert.equal(sco.cmi['cmi.suspend_data'], 'd20');
    }
  } finally {
    await stop();
  }
});

test('kill -9 of A while 8 clients write through both: nothing acknowledged is lost, B keeps serving', async () => {
  const { nodes: [a, b], store, stop } = await startNodes(2);
  let a2;
  try {
    const acked = new Set();
    let ackedAfterKill = 0, killed = false, done = false;
    const act = `http://ex.org/kill/${randomUUID()}`;
    const client = async (c) => {
      let i = c;
      while (!done) {
        const n = i++ % 2 ? a : b;
        const ids = Array.from({ length: 10 }, () => randomUUID());
        try {
          const r = await n.req('POST', '/xapi/statements', { body: ids.map((id) => stmt(id, act)) });
          if (r.status === 200) {
            ids.forEach((id) => acked.add(id));
            if (killed && n === b) ackedAfterKill += ids.length;
          }
        } catch { /* A died with this request: not acknowledged */ }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    for (let t = 0; t < 200 && acked.size < 400; t++) await new Promise((r) => setTimeout(r, 25));
    await a.stop('SIGKILL');
    killed = true;
    await new Promise((r) => setTimeout(r, 1500));
    done = true;
    await Promise.all(clients);
    assert.ok(acked.size >= 400, `${acked.size} statements acknowledged before and after the kill`);
    assert.ok(ackedAfterKill > 0, 'B took writes after A was killed');
    const got = new Set((await pages([b], `/xapi/statements?activity=${encodeURIComponent(act)}&limit=500`)).map((s) => s.id));
    const lost = [...acked].filter((id) => !got.has(id));
    assert.deepEqual(lost, [], `acknowledged statements missing on B (${lost.length} of ${acked.size})`);
    a2 = await startServer({ store });
    const got2 = await pages([a2, b], `/xapi/statements?activity=${encodeURIComponent(act)}&limit=500`);
    assert.equal(got2.length, got.size, 'A restarted on the database reads them all');
    console.log(`kill -9: ${acked.size} statements acknowledged (${ackedAfterKill} by B after the kill), all read back`);
  } finally {
    if (a2) await a2.stop();
    await stop();
  }
});

test('the round robin in front of two nodes alternates and reads its writes', async () => {
  const { nodes, stop } = await startNodes(2);
  const rr = await startRoundRobin(nodes.map((n) => n.base));
  try {
    for (let i = 0; i < 10; i++) {
      const id = randomUUID();
      const h = { Authorization: ADMIN_AUTH, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' };
      const p = await fetch(`${rr.base}/xapi/statements`, { method: 'POST', headers: h, body: JSON.stringify(stmt(id)) });
      assert.equal(p.status, 200, await p.text());
      const g = await fetch(`${rr.base}/xapi/statements?statementId=${id}`, { headers: h });
      assert.equal(g.status, 200);
      assert.equal((await g.json()).id, id);
    }
    assert.deepEqual(rr.counts, [10, 10], 'every other request went to each node');
  } finally {
    await rr.close();
    await stop();
  }
});
