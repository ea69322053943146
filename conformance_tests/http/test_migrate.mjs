// SPDX-License-Identifier: Apache-2.0
// `scolar migrate` (issue 17) between two real servers: --from a running `scolar serve` into a
// stopped data directory (every statement with its id, a voided statement and its voiding
// statement, an attachment, activity and agent profiles and state documents), kill -9 of the
// migration and a rerun that resumes from its checkpoint without duplicates, then --to a third
// server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { startServer, tempDir, cli, BIN, ADMIN_KEY, ADMIN_SECRET, ON_PG } from '../lib/server.mjs';
import { statement, agent, voiding, uuid, fetchAll } from '../lib/xapi.mjs';

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function multipart(st, data) {
  const boundary = 'mig-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(st)}`),
    Buffer.from(`\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ${sha256(data)}\r\n\r\n`),
    data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, type: `multipart/mixed; boundary=${boundary}` };
}

const ids = (list) => list.map((s) => s.id).sort();

test('migrate --from a scolar serve: statements, voided ones, attachments, documents; resumable; --to', async () => {
  const src = await startServer();
  const reg = uuid();
  const ada = agent('ada');
  const N = 3000;
  let dst, third;
  try {
    // statements in batches, one voided, one with an attachment
    const all = [];
    for (let b = 0; b < N / 500; b++) {
      const batch = Array.from({ length: 500 }, (_, i) => statement({ id: uuid(), actor: agent(`l${i % 5}`),
        object: `http://example.com/mig/${i % 20}`, registration: i % 2 ? reg : undefined }));
      const r = await src.req('POST', '/xapi/statements', { body: batch });
      assert.equal(r.status, 200, r.text);
      all.push(...batch);
    }
    const voidedId = all[10].id;
    const v = voiding(voidedId);
    v.id = uuid();
    assert.equal((await src.req('POST', '/xapi/statements', { body: v })).status, 200);
    const data = Buffer.from('attached bytes ' + uuid());
    const withAtt = statement({ id: uuid(), actor: ada, extra: { attachments: [{ usageType: 'http://example.com/u',
      display: { 'en-US': 'f' }, contentType: 'text/plain', length: data.length, sha2: sha256(data) }] } });
    const mp = multipart(withAtt, data);
    assert.equal((await src.req('POST', '/xapi/statements', { body: mp.body, headers: { 'Content-Type': mp.type } })).status, 200);
    // an attachment known only by its fileUrl (no bytes anywhere: the statement goes as it is),
    // and a statement stored as xAPI 2.0 (its version is kept, Data 2.4.10)
    const byUrl = statement({ id: uuid(), actor: ada, extra: { attachments: [{ usageType: 'http://example.com/cert',
      display: { 'en-US': 'c' }, contentType: 'application/pdf', length: 5, sha2: 'b'.repeat(64),
      fileUrl: 'https://files.example.com/c.pdf' }] } });
    assert.equal((await src.req('POST', '/xapi/statements', { body: byUrl })).status, 200);
    const v20 = statement({ id: uuid(), actor: ada, extra: { version: '2.0.0' } });
    assert.equal((await src.req('POST', '/xapi/statements', { body: v20, version: '2.0.0' })).status, 200);
    // documents
    const act = 'http://example.com/mig/3';
    const q = `activityId=${encodeURIComponent(act)}&agent=${encodeURIComponent(JSON.stringify(agent('l3')))}&registration=${reg}`;
    assert.equal((await src.req('PUT', `/xapi/activities/state?${q}&stateId=bookmark`, { body: 'page 7', headers: { 'Content-Type': 'text/plain' } })).status, 204);
    assert.equal((await src.req('PUT', `/xapi/activities/profile?activityId=${encodeURIComponent(act)}&profileId=p1`, { body: { a: 1 }, headers: { 'If-None-Match': '*' } })).status, 204);
    assert.equal((await src.req('PUT', `/xapi/agents/profile?agent=${encodeURIComponent(JSON.stringify(ada))}&profileId=prefs`, { body: { lang: 'fr' }, headers: { 'If-None-Match': '*' } })).status, 204);
    const srcVisible = await fetchAll(src, 'limit=500');
    assert.equal(srcVisible.length, N + 1 + 1 + 2 - 1, 'N + voiding + attachment + fileUrl + 2.0, the voided one hidden');

    // kill -9 the migration once it has written a checkpoint, then run it again
    const dataDir = tempDir();
    const args = ['migrate', '--from', `${src.base}/xapi/`, '--key', ADMIN_KEY, '--secret', ADMIN_SECRET, '--data', dataDir];
    // the killed run fetches pages on a thread of its own (the default with more than 2
    // cores), the resumed one on the caller's thread (the default on 2 cores)
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCOLAR_MIGRATE_THREAD: '1' } });
    let killed = false;
    const exit = new Promise((ok) => p.on('exit', (code, sig) => ok(code ?? sig)));
    await sleep(150);
    if (p.exitCode === null) { p.kill('SIGKILL'); killed = true; }
    await exit;
    const r = cli(args, { env: { ...process.env, SCOLAR_MIGRATE_THREAD: '0' } });
    assert.equal(r.status, 0, r.stderr);
    if (killed) assert.match(r.stderr, /resuming from the checkpoint|migrate done/);
    assert.match(r.stderr, /migrate done: \d+ statements read \(1 voided ones by id\)|migrate done: \d+ statements read \(0 voided ones by id\)/);
    assert.match(r.stderr, /3 documents|documents/);

    dst = await startServer({ dataDir });
    const got = await fetchAll(dst, 'limit=500');
    assert.deepEqual(ids(got), ids(srcVisible), 'the same statements, ids kept, no duplicates');
    assert.equal((await dst.req('GET', `/xapi/statements?voidedStatementId=${voidedId}`)).status, 200, 'voided statement arrived');
    assert.equal((await dst.req('GET', `/xapi/statements?statementId=${voidedId}`)).status, 404, 'and is voided');
    assert.equal((await dst.req('GET', `/xapi/statements?statementId=${v.id}`)).status, 200, 'voiding statement arrived');
    const att = await dst.req('GET', `/xapi/statements?statementId=${withAtt.id}&attachments=true`);
    assert.equal(att.status, 200);
    assert.match(att.headers.get('content-type'), /^multipart\/mixed/);
    assert.ok(att.text.includes(data.toString()), 'the attachment bytes');
    const u = await dst.req('GET', `/xapi/statements?statementId=${byUrl.id}`);
    assert.equal(u.json.attachments[0].fileUrl, 'https://files.example.com/c.pdf', 'fileUrl attachment kept');
    assert.equal(u.json.version, '1.0.0');
    assert.equal((await dst.req('GET', `/xapi/statements?statementId=${v20.id}`, { version: '2.0.0' })).json.version, '2.0.0');
    const state = await dst.req('GET', `/xapi/activities/state?${q}&stateId=bookmark`);
    assert.equal(state.status, 200);
    assert.equal(state.text, 'page 7');
    assert.deepEqual((await dst.req('GET', `/xapi/activities/profile?activityId=${encodeURIComponent(act)}&profileId=p1`)).json, { a: 1 });
    assert.deepEqual((await dst.req('GET', `/xapi/agents/profile?agent=${encodeURIComponent(JSON.stringify(ada))}&profileId=prefs`)).json, { lang: 'fr' });
    await dst.stop();
    dst = null;

    // a second run brings only what is new
    const late = statement({ id: uuid() });
    assert.equal((await src.req('POST', '/xapi/statements', { body: late })).status, 200);
    const r2 = cli(args);
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stderr, /migrate done: [12] statements read/);

    // --to a third server: everything, the voided statement included
    third = await startServer();
    const r3 = cli(['migrate', '--to', `${third.base}/xapi`, '--key', ADMIN_KEY, '--secret', ADMIN_SECRET, '--data', dataDir]);
    assert.equal(r3.status, 0, r3.stderr);
    assert.match(r3.stderr, /migrate done: \d+ statements sent, \d+ accepted, 0 refused/);
    const pushed = await fetchAll(third, 'limit=500');
    assert.deepEqual(ids(pushed), ids([...srcVisible, late]));
    const att3 = await third.req('GET', `/xapi/statements?statementId=${withAtt.id}&attachments=true`);
    assert.ok(att3.text.includes(data.toString()), 'the attachment went along (multipart)');
    assert.equal((await third.req('GET', `/xapi/statements?voidedStatementId=${voidedId}`)).status, 200);
    const u3 = await third.req('GET', `/xapi/statements?statementId=${byUrl.id}`);
    assert.equal(u3.json.attachments[0].fileUrl, 'https://files.example.com/c.pdf');
    assert.equal((await third.req('GET', `/xapi/statements?statementId=${v20.id}`, { version: '2.0.0' })).json.version, '2.0.0');
    // usage errors
    assert.equal(cli(['migrate', '--from', 'ftp://x/', '--key', 'k', '--secret', 's', '--data', dataDir]).status, 2);
    assert.equal(cli(['migrate', '--key', 'k', '--secret', 's', '--data', dataDir]).status, 2);
    // two stores, neither an xAPI endpoint: migrate copies the whole store between them, as
    // `scolar copy-store` does (issue 19: "scolar migrate copies a store between backends";
    // LMDB <-> PostgreSQL is test_copy_store's, here LMDB -> LMDB)
    if (!ON_PG) {
      const copyDir = tempDir();
      const rc = cli(['migrate', '--from', dataDir, '--to', copyDir]);
      assert.equal(rc.status, 0, rc.stderr);
      assert.match(rc.stdout, /every table has the same number of rows on both sides/);
      const copy = await startServer({ dataDir: copyDir });
      try {
        assert.deepEqual(ids(await fetchAll(copy, 'limit=500')), ids([...srcVisible, late]));
        assert.equal((await copy.req('GET', `/xapi/statements?voidedStatementId=${voidedId}`)).status, 200);
      } finally {
        await copy.stop();
      }
      const again = cli(['migrate', '--from', dataDir, '--to', copyDir]);
      assert.equal(again.status, 1, 'a non-empty target is refused without --resume');
      assert.match(again.stderr, /--resume/);
    }
  } finally {
    if (dst) await dst.stop();
    if (third) await third.stop();
    await src.stop();
  }
});
