// SPDX-License-Identifier: Apache-2.0
// `scolar copy-store` (issue 19 step 8): a store holding statements (a voided one, one with an
// attachment), documents of the three kinds, a course, registrations with run-time data,
// credentials (one revoked) and a console user is copied LMDB -> PostgreSQL -> LMDB (back with
// `scolar migrate --from STORE --to STORE`, the same command by its other name); then
// `scolar check` is clean on both copies and a server on each answers exactly what the first
// one did (statements in the same stored order, documents with the same ETags, the course, the
// registration's run-time data, the credentials). A copy into a non-empty database is refused;
// a copy cut short (rows deleted from the target) is finished by --resume. Course content is
// converted between the backends: the files of two versions of the course (the second with a
// file of three chunks and the first's files deduplicated) are served byte for byte by a server
// on each copy, from rows on PostgreSQL (none left in the node folder) and from files on LMDB
// (no content rows copied); --resume converting them again leaves the same rows. A cmi5 package
// (the corpus's pre/post-test course, or lib/cmi5.mjs's of the same shape without ../shared, with
// a file of three chunks added) is converted too: DATA/cmi5/<course>/ <-> content rows under
// "cmi5:<course>"; its files are served byte for byte with their types by a server on each copy,
// the registration made on the source launches there, and the rows match a model of the files
// (distinct SHA-256, chunks). Needs the throwaway PostgreSQL of tools/test.sh (SCOLAR_TEST_PG;
// tools/pg-gate.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startServer, tempDir, cli, newPgStore, basic, SHARED } from '../lib/server.mjs';
import { importPackage, register, zipPackage } from '../lib/browser.mjs';
import { writeCmi5Course } from '../lib/cmi5.mjs';

const ACTOR = { objectType: 'Agent', mbox: 'mailto:copy@example.org' };
const VERB = { id: 'http://adlnet.gov/expapi/verbs/experienced' };

async function allStatements(s, query = '') {
  const out = [];
  let path = `/xapi/statements?limit=100${query}`;
  while (path) {
    const r = await s.req('GET', path);
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.statements);
    path = r.json.more || null;
  }
  return out;
}

// What a client can read of the store, to compare a copy with its source.
async function snapshot(s, reg, keys) {
  const docs = {};
  for (const p of [
    `/xapi/activities/state?activityId=${encodeURIComponent('http://ex.org/a/0')}&agent=${encodeURIComponent(JSON.stringify(ACTOR))}&stateId=s1`,
    `/xapi/activities/profile?activityId=${encodeURIComponent('http://ex.org/a/0')}&profileId=p1`,
    `/xapi/agents/profile?agent=${encodeURIComponent(JSON.stringify(ACTOR))}&profileId=ap1`,
  ]) {
    const r = await s.req('GET', p);
    docs[p] = { status: r.status, etag: r.headers.get('etag'), body: r.text };
  }
  const voided = await s.req('GET', `/xapi/statements?voidedStatementId=${keys.voided}`);
  const att = await s.req('GET', `/xapi/statements?statementId=${keys.attached}&attachments=true`);
  const creds = await s.req('GET', '/api/credentials');
  const regr = await s.req('GET', `/api/registrations/${reg}`);
  const courses = await s.req('GET', '/api/courses');
  return {
    statements: await allStatements(s),
    docs,
    voided: voided.json,
    attachment: att.text.replace(/--[A-Za-z0-9_'-]+/g, '--B'),
    creds: creds.json,
    registration: regr.json,
    courses: courses.json,
    ok: (await s.req('GET', '/xapi/statements?limit=1', { auth: basic(keys.key, keys.secret) })).status,
    revoked: (await s.req('GET', '/xapi/statements?limit=1', { auth: basic(keys.rkey, keys.rsecret) })).status,
  };
}

// The course's files as the content origin serves them (status, type, bytes).
const FILES = [[1, 'imsmanifest.xml'], [1, 'intro.html'], [1, 'common.css'], [2, 'intro.html'], [2, 'media/big.bin']];
async function contentOf(s, course) {
  const out = {};
  for (const [v, f] of FILES) {
    const r = await fetch(`${s.content}/content/${course}/${v}/${f}`);
    out[`${v}/${f}`] = { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()).toString('base64') };
  }
  return out;
}

// Every file below dir, relative paths sorted.
function filesIn(dir) {
  return readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

// A cmi5 package's files as the content origin serves them (status, type, bytes).
async function cmi5Of(s, id, names) {
  const out = {};
  for (const f of names) {
    const r = await fetch(`${s.content}/cmi5/content/${id}/${f}`);
    out[f] = { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()).toString('base64') };
  }
  return out;
}

// A launch of the registration's first AU on s: the AU page the launch URL names, as served.
async function cmi5Launch(s, reg, dir) {
  const l = await s.req('POST', `/api/registrations/${reg}/launch`, { body: { au: 0 } });
  assert.equal(l.status, 201, l.text);
  const u = new URL(l.json.launch_url);
  assert.equal(u.origin, s.content, 'the AU is on the content origin');
  const page = await fetch(u);
  const body = Buffer.from(await page.arrayBuffer());
  const file = decodeURIComponent(u.pathname.split('/').slice(4).join('/'));
  assert.ok(body.equals(readFileSync(join(dir, file))), `the launched AU page ${file}, byte for byte`);
  return { status: page.status, type: page.headers.get('content-type'), file };
}

function psql(url, sql) {
  const r = spawnSync('psql', ['-qAt', '-d', url, '-c', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('copy-store LMDB -> PostgreSQL -> LMDB: the copy is the store; non-empty targets refused; --resume finishes a cut copy', async () => {
  const src = tempDir(), node = tempDir(), back = join(tempDir(), 'copy');
  const keys = {};
  let s = await startServer({ dataDir: src, store: '' });
  let before, reg, course, files, cmi5, cmi5Files, cmi5Reg, cmi5Launched;
  // the cmi5 package: the corpus's pre/post-test course (or the project's of that shape) and a
  // file of three chunks, so the conversion crosses chunk rows
  const pkgRoot = tempDir();
  const pkg = join(pkgRoot, 'cmi5pkg');
  const corpusPkg = join(SHARED, 'scorm-packages', 'cmi5', 'pre_post_test_framed');
  if (existsSync(corpusPkg)) cpSync(corpusPkg, pkg, { recursive: true });
  else writeCmi5Course(pkg, 'prepost');
  mkdirSync(join(pkg, 'media'));
  const clip = Buffer.alloc(2 * 256 * 1024 + 999);
  for (let i = 0; i < clip.length; i++) clip[i] = (i * 7 + (i >> 12)) & 0xff;
  writeFileSync(join(pkg, 'media', 'clip.bin'), clip);
  const pkgFiles = filesIn(pkg);
  try {
    const ids = [];
    for (let b = 0; b < 5; b++) {
      const batch = [];
      for (let i = 0; i < 100; i++) {
        batch.push({ actor: ACTOR, verb: VERB, object: { id: `http://ex.org/a/${i % 7}` }, result: { score: { scaled: (i % 10) / 10 } } });
      }
      const r = await s.req('POST', '/xapi/statements', { body: batch });
      assert.equal(r.status, 200, r.text);
      ids.push(...r.json);
    }
    keys.voided = ids[3];
    const v = await s.req('POST', '/xapi/statements', { body: { actor: ACTOR, verb: { id: 'http://adlnet.gov/expapi/verbs/voided' }, object: { objectType: 'StatementRef', id: ids[3] } } });
    assert.equal(v.status, 200, v.text);
    // a statement with an attachment (multipart/mixed, xAPI Comm 1.5.2)
    const content = 'attachment body for the copy';
    const { createHash } = await import('node:crypto');
    const sha2 = createHash('sha256').update(content).digest('hex');
    const st = { actor: ACTOR, verb: VERB, object: { id: 'http://ex.org/a/att' },
      attachments: [{ usageType: 'http://ex.org/usage', display: { 'en-US': 'a' }, contentType: 'text/plain', length: content.length, sha2 }] };
    const body = `--xx\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(st)}\r\n--xx\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ${sha2}\r\n\r\n${content}\r\n--xx--`;
    const a = await s.req('POST', '/xapi/statements', { body, headers: { 'Content-Type': 'multipart/mixed; boundary=xx' } });
    assert.equal(a.status, 200, a.text);
    keys.attached = a.json[0];
    const agent = encodeURIComponent(JSON.stringify(ACTOR));
    for (const [p, d] of [
      [`/xapi/activities/state?activityId=${encodeURIComponent('http://ex.org/a/0')}&agent=${agent}&stateId=s1`, { x: 1 }],
      [`/xapi/activities/profile?activityId=${encodeURIComponent('http://ex.org/a/0')}&profileId=p1`, { y: 2 }],
      [`/xapi/agents/profile?agent=${agent}&profileId=ap1`, { z: 3 }],
    ]) {
      const r = await s.req('PUT', p, { body: d, headers: { 'If-None-Match': '*' } });
      assert.equal(r.status, 204, r.text);
    }
    course = (await importPackage(s, 'demo-2004')).course;
    const rj = await register(s, course, { id: 'copy-learner', name: 'Copy Learner' });
    reg = rj.registration;
    const launch = await fetch(`${s.content}/player/${reg}/launch`, { method: 'POST', body: JSON.stringify({ token: rj.token, sco: 'intro' }) });
    assert.equal(launch.status, 200);
    const sess = (await launch.json()).session;
    const c = await fetch(`${s.content}/player/${reg}/commit/${sess}`, { method: 'POST',
      body: JSON.stringify({ token: rj.token, seq: 1, final: false, changes: { 'cmi.location': 'page-7', 'cmi.suspend_data': 'abc' } }) });
    assert.equal(c.status, 200, await c.text());
    // version 2 of the course: the same pages and a file of three chunks (256 KiB each)
    const ztmp = tempDir();
    const zip = zipPackage('demo-2004', ztmp);
    const big = Buffer.alloc(2 * 256 * 1024 + 4321);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
    spawnSync('mkdir', ['-p', join(ztmp, 'media')]);
    writeFileSync(join(ztmp, 'media', 'big.bin'), big);
    assert.equal(spawnSync('zip', ['-qX', zip, 'media/big.bin'], { cwd: ztmp }).status, 0);
    const v2 = await s.req('POST', `/api/courses?course=${course}`, { body: readFileSync(zip), headers: { 'Content-Type': 'application/zip' } });
    rmSync(ztmp, { recursive: true, force: true });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.json.course, course);
    assert.equal(v2.json.course_version, 2);
    files = await contentOf(s, course);
    for (const [k, f] of Object.entries(files)) assert.equal(f.status, 200, `source: ${k}`);
    // the cmi5 course: its files under DATA/cmi5/<course>/, a registration of a learner
    const zpath = join(pkgRoot, 'cmi5.zip');
    assert.equal(spawnSync('zip', ['-qr', zpath, '.'], { cwd: pkg }).status, 0);
    const ci = await s.req('POST', '/api/courses', { body: readFileSync(zpath), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(ci.status, 201, ci.text);
    assert.equal(ci.json.type, 'cmi5');
    cmi5 = ci.json.id;
    assert.deepEqual(filesIn(join(src, 'cmi5', cmi5)), pkgFiles, 'on LMDB the package is files');
    cmi5Files = await cmi5Of(s, cmi5, pkgFiles);
    for (const f of pkgFiles) {
      assert.equal(cmi5Files[f].status, 200, `source: cmi5 ${f}`);
      assert.equal(Buffer.from(cmi5Files[f].body, 'base64').compare(readFileSync(join(pkg, f))), 0, `source: cmi5 ${f}`);
    }
    assert.equal(cmi5Files['index.html'].type, 'text/html; charset=utf-8');
    assert.equal(cmi5Files['cmi5.xml'].type, 'application/xml');
    assert.equal(cmi5Files['media/clip.bin'].type, 'application/octet-stream', 'unknown extension: a download');
    const cr5 = await s.req('POST', '/api/registrations', { body: { course: cmi5, learner: { id: 'cmi5-copy', name: 'Cmi5 Copy' } } });
    assert.equal(cr5.status, 201, cr5.text);
    cmi5Reg = cr5.json.registration;
    cmi5Launched = await cmi5Launch(s, cmi5Reg, pkg);
    assert.deepEqual(cmi5Launched, { status: 200, type: 'text/html; charset=utf-8', file: 'pre1.html' });
    assert.equal(Buffer.from(files['2/media/big.bin'].body, 'base64').compare(big), 0);
    const cr = await s.req('POST', '/api/credentials', { body: { name: 'copy-cred', scopes: ['all'] } });
    assert.equal(cr.status, 201, cr.text);
    keys.key = cr.json.key;
    keys.secret = cr.json.secret;
    const rv = await s.req('POST', '/api/credentials', { body: { name: 'revoked-cred', scopes: ['all'] } });
    keys.rkey = rv.json.key;
    keys.rsecret = rv.json.secret;
    assert.equal((await s.req('DELETE', `/api/credentials/${keys.rkey}`)).status, 204);
    assert.equal(cli(['user', 'create', 'copyuser', '--password-stdin', '--data', src, '--store', ''], { input: 'a-long-password\n' }).status, 1,
      'the data directory is locked while its server runs');
    before = await snapshot(s, reg, keys);
    // 500, the voiding one and the attached one, less the voided one, and the SCORM bridge's
    assert.ok(before.statements.length >= 501, `${before.statements.length} statements`);
    assert.equal(before.ok, 200);
    assert.equal(before.revoked, 401);
  } finally {
    await s.stop();
  }
  const u = cli(['user', 'create', 'copyuser', '--password-stdin', '--data', src], { input: 'a-long-password\n', env: { SCOLAR_STORE: '' } });
  assert.equal(u.status, 0, u.stderr);

  const pg = newPgStore();
  try {
    const bad = cli(['copy-store', '--from', join(src, 'nope'), '--to', pg]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--from .*nope: no store there/);
    const one = cli(['copy-store', '--from', src, '--to', pg, '--data', node], { env: { SCOLAR_STORE: '' } });
    assert.equal(one.status, 0, one.stdout + one.stderr);
    assert.match(one.stdout, /every table has the same number of rows on both sides/);
    assert.match(one.stdout, /\n +content +2 course versions converted/);
    assert.match(one.stdout, /\n +cmi5 content +1 cmi5 courses converted/);
    assert.ok(!existsSync(join(node, 'content', course)), 'no version folder in the PostgreSQL node folder');
    assert.ok(!existsSync(join(node, 'cmi5')), 'no cmi5 folder in the PostgreSQL node folder');
    const nstmt = Number(/\n +stmt +(\d+) rows/.exec(one.stdout)?.[1]);
    assert.ok(nstmt >= 502, one.stdout);
    assert.match(one.stdout, /creds +3 rows/);
    const again = cli(['copy-store', '--from', src, '--to', pg, '--data', node]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /the target is not empty \(table \w+ holds \d+ rows\).*--resume/);

    // a copy cut short: rows of the last tables missing in the target
    const stmtRows = Number(psql(pg, "SELECT count(*) FROM scolar_kv WHERE tbl = 'stmt'"));
    assert.equal(stmtRows, nstmt);
    psql(pg, "DELETE FROM scolar_kv WHERE tbl = 'stmt' AND k IN (SELECT k FROM scolar_kv WHERE tbl = 'stmt' ORDER BY k DESC LIMIT 200)");
    psql(pg, "DELETE FROM scolar_kv WHERE tbl IN ('creds', 'users')");
    // content rows: one per file of the two versions and of the cmi5 package; blobs and chunks
    // as the distinct SHA-256 of those files (the files version 2 shares with 1 stored once)
    const nContent = Number(psql(pg, "SELECT count(*) FROM scolar_kv WHERE tbl = 'content'"));
    const nBlob = Number(psql(pg, "SELECT count(*) FROM scolar_kv WHERE tbl = 'blob'"));
    const nChunk = Number(psql(pg, "SELECT count(*) FROM scolar_kv WHERE tbl = 'blob_chunk'"));
    const model = new Map();
    const dirs = [join(src, 'content', course, '1'), join(src, 'content', course, '2'), join(src, 'cmi5', cmi5)];
    let nFiles = 0;
    for (const d of dirs) {
      for (const f of filesIn(d)) {
        const b = readFileSync(join(d, f));
        model.set(createHash('sha256').update(b).digest('hex'), b.length);
        nFiles++;
      }
    }
    assert.equal(nContent, nFiles);
    assert.equal(nBlob, model.size);
    assert.equal(nChunk, [...model.values()].reduce((n, size) => n + Math.ceil(size / (256 * 1024)), 0));
    assert.equal(Number(psql(pg, `SELECT count(*) FROM scolar_kv WHERE tbl = 'content' AND k LIKE 'cmi5:${cmi5}\\0371\\037%'::bytea`)), pkgFiles.length,
      'the cmi5 package: content rows under "cmi5:<course>", version 1');
    const resumed = cli(['copy-store', '--from', src, '--to', pg, '--data', node, '--resume']);
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /docs +\d+ rows \(already copied\)/);
    assert.match(resumed.stdout, new RegExp(`\\n +stmt +${nstmt} rows in`));
    assert.equal(Number(psql(pg, "SELECT count(*) FROM scolar_kv WHERE tbl = 'stmt'")), nstmt);
    // --resume converts every version again: the same rows, reference counts unchanged (check)
    for (const [t, n] of [['content', nContent], ['blob', nBlob], ['blob_chunk', nChunk]]) {
      assert.equal(Number(psql(pg, `SELECT count(*) FROM scolar_kv WHERE tbl = '${t}'`)), n, `${t} rows after --resume`);
    }

    // the PostgreSQL copy: checked clean, and a server on it answers as the first one did
    // check on PostgreSQL copies the store into a temporary LMDB store, here one whose map
    // starts at 64 KiB and must grow many times on the way (a copy stopped at the first full
    // map: 'storage full' on a store larger than the 64 MiB initial map)
    const pchk = cli(['check', '--store', pg, '--data', node], { env: { SCOLAR_DB_INITIAL_MAP: '65536' } });
    assert.equal(pchk.status, 0, `scolar check of the PostgreSQL copy: ${pchk.stdout}${pchk.stderr}`);
    assert.match(pchk.stdout, /store postgresql:\/\/.*: ok \(format \d+\)/);
    s = await startServer({ dataDir: node, store: pg });
    try {
      const onPg = await snapshot(s, reg, keys);
      assert.deepEqual(await contentOf(s, course), files, 'on PostgreSQL: the course files, byte for byte');
      for (const k of ['statements', 'docs', 'voided', 'attachment', 'creds', 'registration', 'courses', 'ok', 'revoked']) {
        assert.deepEqual(onPg[k], before[k], `on PostgreSQL: ${k} as on LMDB`);
      }
      assert.deepEqual(await cmi5Of(s, cmi5, pkgFiles), cmi5Files, 'on PostgreSQL: the cmi5 package files, byte for byte');
      assert.deepEqual(await cmi5Launch(s, cmi5Reg, pkg), cmi5Launched, 'on PostgreSQL: the copied cmi5 registration launches');
      // the launch abandoned the session launched on the source and stored its own "launched"
      // statement (cmi5 9.3.1, 9.3.10): the LMDB copy below has both too
      before.statements = await allStatements(s);
      assert.deepEqual(before.statements.slice(0, before.statements.length - onPg.statements.length).map((x) => x.verb.id.split('/').pop()),
        ['launched', 'abandoned']);
    } finally {
      await s.stop();
    }

    // back through `scolar migrate --from STORE --to STORE`, the same copy by its other name
    // (the LMDB target's map starts at 64 KiB: the copy grows it as it goes)
    const two = cli(['migrate', '--from', pg, '--to', back, '--data', node], { env: { SCOLAR_DB_INITIAL_MAP: '65536' } });
    assert.equal(two.status, 0, two.stdout + two.stderr);
    assert.match(two.stdout, /\n +content +2 course versions converted/);
    assert.doesNotMatch(two.stdout, /\n +(blob|blob_chunk) +\d+ rows/, 'the content tables are not copied into LMDB');
    assert.deepEqual(readdirSync(join(back, 'content', course)).sort(), ['1', '2']);
    assert.equal(readFileSync(join(back, 'content', course, '2', 'media', 'big.bin')).toString('base64'), files['2/media/big.bin'].body);
    assert.match(two.stdout, /\n +cmi5 content +1 cmi5 courses converted/);
    assert.deepEqual(filesIn(join(back, 'cmi5', cmi5)), pkgFiles, 'on the LMDB copy the cmi5 package is files again');
    for (const f of pkgFiles) assert.ok(readFileSync(join(back, 'cmi5', cmi5, f)).equals(readFileSync(join(pkg, f))), `cmi5 ${f} byte for byte`);
    assert.deepEqual(readdirSync(join(back, 'cmi5')), [cmi5], 'no temporary folder left');
    const chk = cli(['check', '--data', back], { env: { SCOLAR_STORE: '' } });
    assert.equal(chk.status, 0, `scolar check of the copy: ${chk.stdout}${chk.stderr}`);
    assert.match(chk.stdout, /activity reports: \d+ activities, kept tallies match/);

    s = await startServer({ dataDir: back, store: '' });
    try {
      const after = await snapshot(s, reg, keys);
      assert.deepEqual(await contentOf(s, course), files, 'on the LMDB copy: the course files, byte for byte');
      assert.deepEqual(await cmi5Of(s, cmi5, pkgFiles), cmi5Files, 'on the LMDB copy: the cmi5 package files, byte for byte');
      assert.deepEqual(after.statements, before.statements, 'the same statements in the same stored order');
      assert.deepEqual(after.docs, before.docs, 'the same documents with the same ETags');
      assert.deepEqual(after.voided, before.voided);
      assert.equal(after.attachment, before.attachment);
      assert.deepEqual(after.creds, before.creds);
      assert.deepEqual(after.registration, before.registration, 'the registration and its run-time data');
      assert.deepEqual(after.courses, before.courses);
      assert.equal(after.ok, 200, 'the credential works on the copy');
      assert.equal(after.revoked, 401, 'the revoked one stays revoked');
      const signin = await s.req('POST', '/api/session', { body: { user: 'copyuser', password: 'a-long-password' } });
      assert.equal(signin.status, 200, 'the console user signs in on the copy');
      assert.deepEqual(await cmi5Launch(s, cmi5Reg, pkg), cmi5Launched, 'on the LMDB copy: the cmi5 registration launches');
      const w = await s.req('POST', '/xapi/statements', { body: { actor: ACTOR, verb: VERB, object: { id: 'http://ex.org/after' } } });
      assert.equal(w.status, 200, 'the copy takes new statements');
    } finally {
      await s.stop();
    }

    // a source whose cmi5 course lost its folder: the copy stops naming the course and the
    // folder; with the folder back, --resume finishes it (the package converted, served)
    const pg2 = newPgStore();
    const moved = join(src, 'cmi5-moved');
    spawnSync('mv', [join(src, 'cmi5', cmi5), moved]);
    const cut = cli(['copy-store', '--from', src, '--to', pg2, '--data', node], { env: { SCOLAR_STORE: '' } });
    assert.equal(cut.status, 1, cut.stdout + cut.stderr);
    assert.match(cut.stderr, new RegExp(`course content: cmi5 course ${cmi5}: its package folder \\S*cmi5/${cmi5} is missing \\(run again with --resume\\)`));
    spawnSync('mv', [moved, join(src, 'cmi5', cmi5)]);
    const fin = cli(['copy-store', '--from', src, '--to', pg2, '--data', node, '--resume'], { env: { SCOLAR_STORE: '' } });
    assert.equal(fin.status, 0, fin.stdout + fin.stderr);
    assert.match(fin.stdout, /\n +cmi5 content +1 cmi5 courses converted/);
    assert.equal(Number(psql(pg2, "SELECT count(*) FROM scolar_kv WHERE tbl = 'content'")), nContent);
    s = await startServer({ dataDir: node, store: pg2 });
    try {
      assert.deepEqual(await cmi5Of(s, cmi5, pkgFiles), cmi5Files, 'after --resume: the cmi5 package files');
    } finally {
      await s.stop();
    }
  } finally {
    for (const d of [src, node, back, pkgRoot]) rmSync(d, { recursive: true, force: true });
  }
});

test('copy-store between two data directories copies the cmi5 package files too', async () => {
  const src = tempDir(), work = tempDir(), back = join(work, 'copy');
  const pkg = writeCmi5Course(join(work, 'pkg'), 'single');
  const zpath = join(work, 'single.zip');
  assert.equal(spawnSync('zip', ['-qr', zpath, '.'], { cwd: pkg }).status, 0);
  let s = await startServer({ dataDir: src, store: '' });
  let id;
  try {
    const ci = await s.req('POST', '/api/courses', { body: readFileSync(zpath), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(ci.status, 201, ci.text);
    id = ci.json.id;
  } finally {
    await s.stop();
  }
  try {
    const r = cli(['copy-store', '--from', src, '--to', back], { env: { SCOLAR_STORE: '' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(filesIn(join(back, 'cmi5', id)), ['cmi5.xml', 'index.html']);
    s = await startServer({ dataDir: back, store: '' });
    try {
      const got = await cmi5Of(s, id, ['index.html']);
      assert.equal(got['index.html'].status, 200);
      assert.ok(Buffer.from(got['index.html'].body, 'base64').equals(readFileSync(join(pkg, 'index.html'))), 'index.html byte for byte');
    } finally {
      await s.stop();
    }
  } finally {
    for (const d of [src, work]) rmSync(d, { recursive: true, force: true });
  }
});
