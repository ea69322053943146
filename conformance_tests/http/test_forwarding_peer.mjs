// SPDX-License-Identifier: Apache-2.0
// Forwarding and migration with a third-party LRS (issue 17): Learning Locker's
// `xapi-statements` 5.0.1 from npm, in-memory mode, as the forwarding target and as the
// migration source. It is the peer bench/run_ingest.sh uses and is installed the same way into
// bench/work/peer (gitignored, never committed); when it cannot be installed (no registry)
// the test is skipped and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir, cli, freePort, ADMIN_KEY, ADMIN_SECRET } from '../lib/server.mjs';
import { statement, voiding, uuid, fetchAll } from '../lib/xapi.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PEER_DIR = new URL('../../bench/work/peer', import.meta.url).pathname;
const PEER_MAIN = join(PEER_DIR, 'node_modules/xapi-statements/dist/index.js');

// Installed into a folder of its own, then renamed into place: the run on PostgreSQL
// (test_forwarding_peer_pg) may install at the same time; the second rename fails and its
// copy is dropped.
function installPeer() {
  if (existsSync(PEER_MAIN)) return null;
  const tmp = `${PEER_DIR}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  spawnSync('npm', ['init', '-y'], { cwd: tmp, stdio: 'ignore' });
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', 'xapi-statements@5.0.1'],
    { cwd: tmp, encoding: 'utf8', timeout: 300000 });
  if (!existsSync(PEER_MAIN)) {
    rmSync(PEER_DIR, { recursive: true, force: true }); // what an install cut short left
    try { renameSync(tmp, PEER_DIR); } catch { /* the other run's copy is in place */ }
  }
  rmSync(tmp, { recursive: true, force: true });
  return existsSync(PEER_MAIN) ? null : `npm install xapi-statements@5.0.1 failed: ${(r.stderr || '').slice(-300)}`;
}

async function startPeer() {
  const port = await freePort();
  const proc = spawn('node', [PEER_MAIN], {
    cwd: PEER_DIR, stdio: 'ignore',
    env: { ...process.env, AUTH_REPO: 'test', EVENTS_REPO: 'test', MODELS_REPO: 'memory', STORAGE_REPO: 'local', EXPRESS_PORT: String(port) },
  });
  const base = `http://127.0.0.1:${port}/xAPI`;
  for (let i = 0; i < 150; i++) {
    try { if ((await fetch(`${base}/about`)).ok) break; } catch { /* starting */ }
    await sleep(100);
  }
  const req = async (path) => {
    const r = await fetch(base + path, { headers: { Authorization: 'Basic ' + Buffer.from('a:b').toString('base64'), 'X-Experience-API-Version': '1.0.3' } });
    return { status: r.status, json: await r.json().catch(() => undefined) };
  };
  return { base, proc, req, stop: () => new Promise((ok) => { proc.once('exit', ok); proc.kill('SIGTERM'); }) };
}

const why = installPeer();

test('xapi-statements as forwarding target and as migration source', { skip: why || false }, async () => {
  const peer = await startPeer();
  const s = await startServer();
  try {
    const r = await s.req('POST', '/api/forwarders', { body: { url: `${peer.base}/`, auth: { key: 'a', secret: 'b' }, retry_initial_ms: 50 } });
    assert.equal(r.status, 201, r.text);
    const sent = [];
    for (let b = 0; b < 3; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => statement({ id: uuid(), object: `http://example.com/peer/${b * 100 + i}` }));
      assert.equal((await s.req('POST', '/xapi/statements', { body: batch })).status, 200);
      sent.push(...batch.map((x) => x.id));
    }
    const v = { ...voiding(sent[5]), id: uuid() };
    assert.equal((await s.req('POST', '/xapi/statements', { body: v })).status, 200);
    let st;
    for (let i = 0; i < 300; i++) {
      st = (await s.req('GET', `/api/forwarders/${r.json.id}`)).json.status;
      if (st.queued === 0 && st.sent === 301) break;
      await sleep(100);
    }
    assert.equal(st.sent, 301, JSON.stringify(st));
    assert.equal(st.failed, 0);
    for (const id of [sent[0], sent[150], sent[299], v.id]) {
      assert.equal((await peer.req(`/statements?statementId=${id}`)).status, 200, id);
    }
    assert.equal((await peer.req(`/statements?voidedStatementId=${sent[5]}`)).status, 200, 'voided at the peer too');

    // migrate --from the peer into a fresh directory
    const dataDir = tempDir();
    const m = cli(['migrate', '--from', `${peer.base}/`, '--key', 'a', '--secret', 'b', '--data', dataDir, '--no-documents']);
    assert.equal(m.status, 0, m.stderr);
    const dst = await startServer({ dataDir });
    try {
      const got = await fetchAll(dst, 'limit=500');
      const want = new Set([...sent.filter((x) => x !== sent[5]), v.id]);
      assert.equal(got.length, want.size, m.stderr);
      for (const x of got) assert.ok(want.has(x.id), x.id);
      assert.equal((await dst.req('GET', `/xapi/statements?voidedStatementId=${sent[5]}`)).status, 200, 'the voided one came by id');
    } finally {
      await dst.stop();
    }
  } finally {
    await s.stop();
    await peer.stop();
  }
});
