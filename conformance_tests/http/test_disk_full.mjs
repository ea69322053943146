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
import { startServer, tempDir } from '../lib/server.mjs';
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

