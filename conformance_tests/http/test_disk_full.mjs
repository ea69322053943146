// Disk full (issue 18): the data directory on a 3 MiB tmpfs. Writes past the end of the disk are
// answered 507 with a clear message and store nothing of the refused batch; every statement
// acknowledged before stays listed by queries (the index fold survives the failed write) and
// readable; /readyz names the disk; once space is freed (the tmpfs grown) writes resume without
// a restart; a stop and a restart keep everything acknowledged. Needs mount(2) (root with
// CAP_SYS_ADMIN): skipped, saying so, where tmpfs cannot be mounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir, cli } from '../lib/server.mjs';
import { statement, uuid, fetchAll } from '../lib/xapi.mjs';

const mnt = tempDir('scolar-full-');
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]).status === 0;

test('a full disk: 507 and nothing of the batch stored, everything acknowledged still listed, writes resume when space returns', { skip: mounted ? false : 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)' }, async () => {
  const dataDir = join(mnt, 'data');
  mkdirSync(dataDir);
  let srv = await startServer({ dataDir });
  try {
    const acked = [];
    let refused = null;
    for (let i = 0; i < 400 && !refused; i++) {
      const batch = Array.from({ length: 50 }, () => statement({ id: uuid(), object: `http://example.com/full/${i}` }));
      const r = await srv.req('POST', '/xapi/statements', { body: batch });
      if (r.status === 200) {
        assert.deepEqual(r.json, batch.map((s) => s.id));
        acked.push(...r.json);
      } else {
        refused = { r, batch };
      }
    }
    assert.ok(refused, 'the disk filled up');
    assert.equal(refused.r.status, 507, refused.r.text);
    assert.match(refused.r.json.message, /^storage full: statement not stored/);
    assert.ok(acked.length > 1000, `${acked.length} acknowledged before the disk was full`);
    // nothing of the refused batch, everything acknowledged
    for (const s of refused.batch.slice(0, 5)) {
      assert.equal((await srv.req('GET', `/xapi/statements?statementId=${s.id}`)).status, 404);
    }
    const listed = await fetchAll(srv, 'limit=500');
    assert.equal(listed.length, acked.length, 'every acknowledged statement listed');
    assert.deepEqual(new Set(listed.map((s) => s.id)), new Set(acked));
    // a filtered query walks the indexes
    const one = await fetchAll(srv, `activity=${encodeURIComponent('http://example.com/full/0')}`);
    assert.equal(one.length, 50);
    // a report needs the fold, which cannot write while the disk is full: 503 at once (it
    // waited for ever before, and held the server's stop)
    const full = await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent('http://example.com/full/0')}`);
    assert.equal(full.status, 503, full.text);
    assert.match(full.json.message, /^storage full: the report cannot include the latest statements/);
    assert.equal(full.headers.get('retry-after'), '60');
    // reads and health keep answering; readiness names the disk
    assert.equal((await srv.req('GET', '/xapi/about')).status, 200);
    const ready = await fetch(`${srv.base}/readyz`);
    assert.equal(ready.status, 503);
    assert.match((await ready.json()).problems.join(' '), /disk/);
    // space comes back: the next write is stored without a restart
    assert.equal(spawnSync('mount', ['-o', 'remount,size=64m', mnt]).status, 0);
    const again = [statement({ id: uuid() })];
    const r2 = await srv.req('POST', '/xapi/statements', { body: again });
    assert.equal(r2.status, 200, r2.text);
    acked.push(again[0].id);
    assert.equal((await srv.req('GET', `/xapi/statements?statementId=${again[0].id}`)).status, 200);
    // the report fold survived the failed writes: it counts what was stored, nothing refused
    const rep = await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent('http://example.com/full/0')}`);
    assert.equal(rep.status, 200, rep.text);
    assert.deepEqual([rep.json.statements, rep.json.actors], [50, 1]);
    const none = await srv.req('GET', `/api/reports/activity?activity=${encodeURIComponent(refused.batch[0].object.id)}`);
    assert.equal(none.json.statements, 0, 'nothing of the refused batch in the report');
    const t0 = Date.now();
    assert.equal(await srv.stop(), 0);
    assert.ok(Date.now() - t0 < 15000, `stop took ${Date.now() - t0} ms`);
    srv = await startServer({ dataDir });
    const after = await fetchAll(srv, 'limit=500');
    assert.equal(after.length, acked.length, 'all acknowledged statements after a restart');
  } finally {
    await srv.stop();
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});


// A server stopped with its disk full must start again on that disk (issue 18): before, the
// open folded the previous run's unindexed statements, could not write, and refused to start
// ("statement storage I/O error"). Now it says the disk is full (ENOSPC, the path, the free
// space), serves every acknowledged statement (the unindexed ones from memory), answers 507
// to writes that need space, and takes them again once space is freed, without a restart.
test('a server starts on a full disk: says so, serves everything acknowledged, 507 for writes, writes resume when space returns', { skip: mounted ? false : 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)' }, async () => {
  const mnt2 = tempDir('scolar-full-start-');
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt2]).status, 0);
  const dataDir = join(mnt2, 'data');
  mkdirSync(dataDir);
  let srv = await startServer({ dataDir });
  const acked = [];
  const post = async (tag) => {
    const batch = Array.from({ length: 50 }, () => statement({ id: uuid(), object: `http://example.com/start/${tag}` }));
    const r = await srv.req('POST', '/xapi/statements', { body: batch });
    if (r.status === 200) acked.push(...r.json);
    return r;
  };
  try {
    let r;
    for (let i = 0; i < 400 && (r = await post(i)).status === 200; i++);
    assert.equal(r.status, 507, r.text);
    assert.equal(await srv.stop(), 0);
    // whatever LMDB's file still had free is taken too: the disk is completely full
    spawnSync('dd', ['if=/dev/zero', `of=${join(mnt2, 'filler')}`, 'bs=4k']);
    srv = await startServer({ dataDir });
    for (let i = 0; i < 100 && !/the disk is full/.test(srv.stderr); i++) await new Promise((x) => setTimeout(x, 20));
    const m = /warn the disk is full: (.*): no space left on device \(ENOSPC\), (\d+) KiB free of 3\.0 MiB; started anyway: reads are served \(the last run's (\d+) unindexed statements from memory\)/.exec(srv.stderr);
    assert.ok(m, srv.stderr);
    assert.equal(m[1], dataDir);
    assert.ok(Number(m[2]) < 64, `${m[2]} KiB free`);
    assert.ok(Number(m[3]) > 0 && Number(m[3]) <= acked.length, `${m[3]} unindexed of ${acked.length}`);
    // reads: every acknowledged statement, by listing, by filter, by id
    const listed = await fetchAll(srv, 'limit=500');
    assert.deepEqual(new Set(listed.map((s) => s.id)), new Set(acked));
    assert.equal(listed.length, acked.length);
    const last = acked[acked.length - 1];
    assert.equal((await srv.req('GET', `/xapi/statements?statementId=${last}`)).status, 200);
    const lastTag = (await srv.req('GET', `/xapi/statements?statementId=${last}`)).json.object.id;
    assert.equal((await fetchAll(srv, `activity=${encodeURIComponent(lastTag)}`)).length, 50, 'the last batch by its activity (unindexed: from memory)');
    assert.equal((await fetchAll(srv, `activity=${encodeURIComponent('http://example.com/start/0')}`)).length, 50);
    assert.equal((await fetch(`${srv.base}/readyz`)).status, 503);
    // writes: 507 once LMDB's file has no free page left (a few small ones may still fit)
    let refused = null;
    for (let i = 0; i < 100 && !refused; i++) {
      const w = await post(`after-${i}`);
      if (w.status !== 200) refused = w;
    }
    assert.ok(refused, 'a write was refused');
    assert.equal(refused.status, 507, refused.text);
    assert.match(refused.json.message, /^storage full: statement not stored/);
    // space comes back: writes go through, and what was in memory is folded into the indexes
    rmSync(join(mnt2, 'filler'));
    assert.equal(spawnSync('mount', ['-o', 'remount,size=64m', mnt2]).status, 0);
    const ok = await post('back');
    assert.equal(ok.status, 200, ok.text);
    const after = await fetchAll(srv, 'limit=500');
    assert.deepEqual(new Set(after.map((s) => s.id)), new Set(acked));
    assert.equal((await fetchAll(srv, `activity=${encodeURIComponent(lastTag)}`)).length, 50);
    assert.equal(await srv.stop(), 0);
    srv = await startServer({ dataDir });
    assert.doesNotMatch(srv.stderr, /disk is full/);
    assert.equal((await fetchAll(srv, 'limit=500')).length, acked.length, 'all acknowledged statements after a restart');
  } finally {
    await srv.stop();
    spawnSync('umount', [mnt2]);
    rmSync(mnt2, { recursive: true, force: true });
  }
});

// A new data directory on a full disk: a clear refusal, not a crash. LMDB writes its lock file
// through a shared mapping; on a full tmpfs that died with SIGBUS inside mdb_env_open.
test('a new store on a full disk: refused with ENOSPC, the file and the free space; no SIGBUS', { skip: mounted ? false : 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)' }, () => {
  const mnt3 = tempDir('scolar-full-new-');
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt3]).status, 0);
  try {
    const filler = join(mnt3, 'filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k']);
    const dataDir = join(mnt3, 'data');
    mkdirSync(dataDir);
    const r = cli(['serve', '--data', dataDir, '--listen', '127.0.0.1:1', '--content-listen', '127.0.0.1:1']);
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^scolar: the disk is full: .*\/data\/store\.mdb-lock: no space left on device \(ENOSPC\), 0 KiB free; the store's lock file needs 33 KiB: free space and start again$/m);
    // room for the lock file, not for the store's first records
    spawnSync('truncate', ['-s', `${1024 * 1024 - 48 * 1024}`, filler]);
    const r2 = cli(['serve', '--data', dataDir, '--listen', '127.0.0.1:1', '--content-listen', '127.0.0.1:1']);
    assert.equal(r2.signal, null, r2.stderr);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /^scolar: the disk is full: .*\/data: no space left on device \(ENOSPC\), \d+ KiB free of 1\.0 MiB: /m);
  } finally {
    spawnSync('umount', [mnt3]);
    rmSync(mnt3, { recursive: true, force: true });
  }
});
