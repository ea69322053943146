// SPDX-License-Identifier: Apache-2.0
// Issue 18: "a data directory of an older format is upgraded in place only after a backup is
// written beside it". A store folded by a build without report tallies (its "reports" record
// in stmt_meta removed with mdb_dump/mdb_load, as that build left it) is refolded when
// `scolar serve` opens it; serve first writes DATA/backup-before-upgrade-<UTC>/store.mdb, which
// `scolar restore` and `scolar check` accept and which holds every statement, still in the old
// form. A current store gets no backup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli, tempDir } from '../lib/server.mjs';
import { statement, waitConsistent } from '../lib/xapi.mjs';

const hex = (s) => Buffer.from(s).toString('hex');

// The records of table `db` of an LMDB file, as hex key -> hex value (mdb_dump's format).
function records(file, db) {
  const r = spawnSync('mdb_dump', ['-n', '-s', db, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const out = new Map();
  let i = lines.indexOf('HEADER=END') + 1;
  for (; lines[i] !== 'DATA=END'; i += 2) out.set(lines[i].trim(), lines[i + 1].trim());
  return out;
}

// Rewrite store.mdb without the key `key` of table `db` (dump of every table, filtered, loaded).
function dropKey(dir, db, key) {
  const file = join(dir, 'store.mdb');
  const d = spawnSync('mdb_dump', ['-n', '-a', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(d.status, 0, d.stderr);
  const lines = d.stdout.split('\n');
  const kept = [];
  let section = null, inData = false, dropped = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('database=')) section = l.slice(9);
    if (l === 'HEADER=END') { inData = true; kept.push(l); continue; }
    if (l === 'DATA=END') { inData = false; section = null; }
    if (inData && section === db && l === ` ${hex(key)}`) { i++; dropped++; continue; }
    kept.push(l);
  }
  assert.equal(dropped, 1, `${db}/${key} found once`);
  rmSync(file);
  rmSync(join(dir, 'store.mdb-lock'), { force: true });
  const ld = spawnSync('mdb_load', ['-n', file], { input: kept.join('\n'), encoding: 'utf8' });
  assert.equal(ld.status, 0, ld.stderr);
}

const backups = (dir) => readdirSync(dir).filter((n) => n.startsWith('backup-before-upgrade-'));

test('serve backs up a store of an older format beside it before converting it', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  let srv = await startServer({ dataDir: data });
  const posted = [];
  try {
    const t0 = Date.now();
    for (let b = 0; b < 3; b++) {
      const batch = Array.from({ length: 40 }, (_, i) => statement({ object: `http://example.com/up/${i % 4}` }));
      const r = await srv.req('POST', '/xapi/statements', { body: batch });
      assert.equal(r.status, 200, r.text);
      posted.push(...r.json);
    }
    await waitConsistent(srv, t0);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
  assert.deepEqual(backups(data), [], 'a current store: no backup');
  assert.ok(records(join(data, 'store.mdb'), 'stmt_meta').has(hex('indexed_through')), 'statements folded');

  // the store as a build without report tallies left it
  dropKey(data, 'stmt_meta', 'reports');
  srv = await startServer({ dataDir: data });
  let log;
  try {
    const r = await srv.req('GET', '/xapi/statements?limit=1');
    assert.equal(r.status, 200, r.text);
    log = srv.stdout + srv.stderr;
  } finally {
    assert.equal(await srv.stop(), 0);
  }
  const made = backups(data);
  assert.equal(made.length, 1, `one backup directory in ${readdirSync(data)}`);
  assert.match(made[0], /^backup-before-upgrade-\d{8}T\d{6}Z$/);
  const bdir = join(data, made[0]);
  assert.match(log, new RegExp(`report tallies.*backup written to ${bdir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.deepEqual(readdirSync(bdir), ['store.mdb']);
  assert.equal(records(join(bdir, 'store.mdb'), 'stmt_meta').has(hex('reports')), false,
    'the backup is the store before the upgrade');
  assert.ok(records(join(data, 'store.mdb'), 'stmt_meta').has(hex('reports')), 'the store was upgraded');

  // the backup is a store scolar accepts, with every statement
  const restored = join(dir, 'restored');
  let r = cli(['restore', bdir, '--data', restored]);
  assert.equal(r.status, 0, r.stderr);
  r = cli(['check', '--data', restored]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const jsonl = join(dir, 'restored.jsonl');
  r = cli(['export', '--data', restored, '-o', jsonl]);
  assert.equal(r.status, 0, r.stderr);
  const ids = readFileSync(jsonl, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).id).sort();
  assert.deepEqual(ids, posted.slice().sort());

  // upgraded now: the next start writes no second backup
  srv = await startServer({ dataDir: data });
  assert.equal(await srv.stop(), 0);
  assert.equal(backups(data).length, 1);
  rmSync(dir, { recursive: true, force: true });
});

test('scolar export and scolar check write the same backup before they convert an older store', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const srv = await startServer({ dataDir: data });
  let ids;
  try {
    const t0 = Date.now();
    const r = await srv.req('POST', '/xapi/statements', { body: Array.from({ length: 25 }, () => statement({})) });
    assert.equal(r.status, 200, r.text);
    ids = r.json.slice().sort();
    await waitConsistent(srv, t0);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
  dropKey(data, 'stmt_meta', 'reports');
  const out = join(dir, 'x.jsonl');
  let r = cli(['export', '--data', data, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /data directory of an older format .*backup written to .*backup-before-upgrade-/);
  assert.deepEqual(readFileSync(out, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).id).sort(), ids);
  assert.equal(backups(data).length, 1);
  assert.equal(records(join(data, backups(data)[0], 'store.mdb'), 'stmt_meta').has(hex('reports')), false);
  // converted by the export: check writes none
  r = cli(['check', '--data', data]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(backups(data).length, 1);
  // an older store again: check backs it up too
  dropKey(data, 'stmt_meta', 'reports');
  rmSync(join(data, backups(data)[0]), { recursive: true });
  r = cli(['check', '--data', data]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(backups(data).length, 1);
  rmSync(dir, { recursive: true, force: true });
});

// Needs mount(2) (root with CAP_SYS_ADMIN), as test_disk_full: skipped where it cannot.
const mnt = tempDir();
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]).status === 0;

test('serve refuses to start, changing nothing, when the backup before an upgrade does not fit', { skip: mounted ? false : 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)' }, async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  try {
    const srv = await startServer({ dataDir: data });
    try {
      const t0 = Date.now();
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 100 }, (_, i) => statement({ object: `http://example.com/full/${i}` }));
        const r = await srv.req('POST', '/xapi/statements', { body: batch });
        assert.equal(r.status, 200, r.text);
      }
      await waitConsistent(srv, t0);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
    dropKey(data, 'stmt_meta', 'reports');
    const store = readFileSync(join(data, 'store.mdb'));
    // a filesystem with room for the store and a third of it more: no room for its copy
    const kib = Math.ceil((store.length * 4) / 3 / 1024) + 64;
    assert.equal(spawnSync('mount', ['-o', `remount,size=${kib}k`, mnt]).status, 0);
    const small = join(mnt, 'data');
    mkdirSync(small);
    writeFileSync(join(small, 'store.mdb'), store);
    let failed = null;
    try {
      const s = await startServer({ dataDir: small });
      await s.stop();
    } catch (e) {
      failed = e.message;
    }
    assert.ok(failed, 'serve did not start');
    assert.match(failed, /needs an upgrade \(statement store folded by a build without report tallies.*\), and its backup cannot be written \(disk full\): copy to .*backup-before-upgrade-\d{8}T\d{6}Z\/store\.mdb failed: .*; not started/);
    assert.deepEqual(backups(small), [], 'no partial backup left');
    assert.deepEqual(readFileSync(join(small, 'store.mdb')), store, 'the store is not touched');
    // room again: it starts, with its backup
    assert.equal(spawnSync('mount', ['-o', 'remount,size=64m', mnt]).status, 0);
    const s = await startServer({ dataDir: small });
    assert.equal(await s.stop(), 0);
    assert.equal(backups(small).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});

test.after(() => {
  if (!mounted) rmSync(mnt, { recursive: true, force: true });
});
