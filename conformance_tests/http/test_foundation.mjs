// SPDX-License-Identifier: Apache-2.0
// Foundation (issue 2): CLI help/flags/env, credentials, auth, 401/413, about, healthz,
// signals, port in use, unwritable and corrupt stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import {
  ADMIN_AUTH, ADMIN_KEY, basic, BIN, cli, freePort, startServer, tempDir, ON_PG, psql, storeFor,
} from '../lib/server.mjs';

test('--version and --help', () => {
  const v = cli(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^scolar \d+\.\d+\.\d+\n$/);
  for (const cmd of [['--help'], ['serve', '--help'], ['creds', '--help'], ['check', '--help'], ['reindex', '--help'], ['import', '--help']]) {
    const r = cli(cmd);
    assert.equal(r.status, 0, `${cmd.join(' ')} exits 0`);
    assert.match(r.stdout, /usage: scolar/, `${cmd.join(' ')} prints usage`);
  }
});

test('unknown command or flag: usage on stderr, exit 2', () => {
  for (const args of [['frobnicate'], ['serve', '--bogus'], ['creds', 'explode'], ['check', '--nope'], ['reindex', '--nope'],
    ['creds', 'create', '--name', 'x'], ['creds', 'create', '--name', 'x', '--scopes', 'root'], []]) {
    const r = cli(args);
    assert.equal(r.status, 2, `exit 2 for ${JSON.stringify(args)}`);
    assert.match(r.stderr, /usage: scolar/, `usage on stderr for ${JSON.stringify(args)}`);
    assert.equal(r.stdout, '', 'nothing on stdout');
  }
});

test('creds create / list / revoke', () => {
  const dir = tempDir();
  try {
    const c = cli(['creds', 'create', '--data', dir, '--name', 'course-a', '--scopes', 'statements/write,statements/read']);
    assert.equal(c.status, 0, c.stderr);
    const obj = JSON.parse(c.stdout);
    assert.deepEqual(Object.keys(obj).sort(), ['key', 'scopes', 'secret']);
    assert.deepEqual(obj.scopes, ['statements/write', 'statements/read']);
    assert.match(obj.key, /^[0-9a-f]{32}$/);
    assert.match(obj.secret, /^[0-9a-f]{64}$/);
    if (ON_PG) { // every key and value of the database (SCOLAR_TEST_BACKEND=pg)
      const hex = Buffer.from(obj.secret).toString('hex');
      assert.equal(psql(storeFor(dir), `SELECT count(*) FROM scolar_kv WHERE position('\\x${hex}'::bytea in k) > 0 ` +
        `OR position('\\x${hex}'::bytea in v) > 0`), '0', 'secret is not stored in clear');
      assert.equal(psql(storeFor(dir), "SELECT count(*) FROM scolar_kv WHERE tbl = 'creds'"), '1', 'the credential is a row');
    } else {
      const store = readFileSync(join(dir, 'store.mdb'));
      assert.equal(store.includes(Buffer.from(obj.secret)), false, 'secret is not stored in clear');
    }
    const l = cli(['creds', 'list', '--data', dir]);
    assert.equal(l.status, 0);
    const list = JSON.parse(l.stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].key, obj.key);
    assert.equal(list[0].name, 'course-a');
    assert.equal(list[0].revoked, false);
    assert.equal('secret' in list[0] || 'hash' in list[0], false, 'no secret material listed');
    assert.equal(cli(['creds', 'revoke', '--data', dir, obj.key]).status, 0);
    assert.equal(JSON.parse(cli(['creds', 'list', '--data', dir]).stdout)[0].revoked, true);
    const missing = cli(['creds', 'revoke', '--data', dir, 'nope']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no credential with key nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: about, healthz, auth, 401, 413, version header, access log', async () => {
  const s = await startServer({ args: ['--max-body', '1000'] });
  try {
    let r = await fetch(`${s.base}/xapi/about`);
    assert.equal(r.status, 200);
    // no version header from a client never seen: answered as the newest version (issue 12)
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
    const about = await r.json();
    assert.deepEqual(about.version, ['1.0.3', '2.0.0']);
    assert.deepEqual(Object.keys(about).sort(), ['extensions', 'version']);

    r = await fetch(`${s.base}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });

    // no credentials
    r = await fetch(`${s.base}/api/credentials`);
    assert.equal(r.status, 401);
    assert.ok(r.headers.get('www-authenticate'), '401 carries WWW-Authenticate');
    assert.doesNotMatch(r.headers.get('www-authenticate'), /^Basic/, 'no Basic challenge on /api/');
    r = await fetch(`${s.base}/xapi/statements`, { headers: { 'X-Experience-API-Version': '1.0.3' } });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate'), /^Basic realm=/);
    // wrong secret, garbage header, colon in secret handled (first colon splits)
    r = await fetch(`${s.base}/api/credentials`, { headers: { Authorization: basic(ADMIN_KEY, 'wrong') } });
    assert.equal(r.status, 401);
    r = await fetch(`${s.base}/api/credentials`, { headers: { Authorization: 'Basic !!!notbase64' } });
    assert.equal(r.status, 401);
    r = await fetch(`${s.base}/api/credentials`, { headers: { Authorization: ADMIN_AUTH } });
    assert.equal(r.status, 200);
    const creds = await r.json();
    assert.equal(creds[0].key, ADMIN_KEY);

    // create a limited credential over HTTP; it cannot use /api/
    r = await fetch(`${s.base}/api/credentials`, {
      method: 'POST', headers: { Authorization: ADMIN_AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'client', scopes: ['statements/write'] }),
    });
    assert.equal(r.status, 201);
    const c = await r.json();
    r = await fetch(`${s.base}/api/credentials`, { headers: { Authorization: basic(c.key, c.secret) } });
    assert.equal(r.status, 403);
    r = await fetch(`${s.base}/api/credentials`, {
      method: 'POST', headers: { Authorization: ADMIN_AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'client', scopes: ['root'] }),
    });
    assert.equal(r.status, 400);
    assert.match((await r.json()).message, /unknown scope 'root'/);
    // revoke → refused afterwards
    r = await fetch(`${s.base}/api/credentials/${c.key}`, { method: 'DELETE', headers: { Authorization: ADMIN_AUTH } });
    assert.equal(r.status, 204);
    r = await fetch(`${s.base}/xapi/statements`, { headers: { Authorization: basic(c.key, c.secret), 'X-Experience-API-Version': '1.0.3' } });
    assert.equal(r.status, 401);

    // 413 past the body cap, with and without Content-Length
    r = await fetch(`${s.base}/api/credentials`, {
      method: 'POST', headers: { Authorization: ADMIN_AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2000), scopes: ['all'] }),
    });
    assert.equal(r.status, 413);
    const chunked = new ReadableStream({
      start(ctrl) { for (let i = 0; i < 5; i++) ctrl.enqueue(new TextEncoder().encode('x'.repeat(400))); ctrl.close(); },
    });
    r = await fetch(`${s.base}/api/credentials`, {
      method: 'POST', headers: { Authorization: ADMIN_AUTH, 'Content-Type': 'application/json' },
      body: chunked, duplex: 'half',
    });
    assert.equal(r.status, 413, 'chunked body past the cap');

    // xAPI version header rules (Comm 3.3): errors are answered under the version this client
    // last spoke (1.0.3 here); 2.0.0 is served too (issue 12)
    r = await fetch(`${s.base}/xapi/statements`, { headers: { Authorization: ADMIN_AUTH, 'X-Experience-API-Version': '1.0.3' } });
    assert.equal(r.status, 200);
    for (const [v, want] of [[null, 400], ['0.95', 400], ['1.1.0', 400], ['3.0.0', 400], ['1.0.x', 400]]) {
      const h = { Authorization: ADMIN_AUTH };
      if (v) h['X-Experience-API-Version'] = v;
      r = await fetch(`${s.base}/xapi/statements`, { headers: h });
      assert.equal(r.status, want, `version ${v}`);
      assert.equal(r.headers.get('x-experience-api-version'), '1.0.3', 'version header on errors too');
    }
    r = await fetch(`${s.base}/xapi/statements`, { headers: { Authorization: ADMIN_AUTH, 'X-Experience-API-Version': '2.0.0' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
    // about is never rejected for its version header
    r = await fetch(`${s.base}/xapi/about`, { headers: { 'X-Experience-API-Version': '9.9' } });
    assert.equal(r.status, 200);

    r = await fetch(`${s.base}/no/such/thing`);
    assert.equal(r.status, 404);
    // CORS preflight answered by us, never on /api/
    r = await fetch(`${s.base}/xapi/statements`, { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'PUT' } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    r = await fetch(`${s.base}/api/credentials`, { method: 'OPTIONS', headers: { Origin: 'http://example.test' } });
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  } finally {
    const code = await s.stop();
    assert.equal(code, 0, 'SIGTERM → exit 0');
    assert.match(s.stderr, /api GET \/xapi\/about 200 \d+ \d+us/, 'access log line');
    assert.doesNotMatch(s.stderr, /test-secret|Basic /, 'no credentials in the log');
  }
});

test('printed admin credential on an empty store works; SIGINT exits 0', async () => {
  const s = await startServer({ env: { SCOLAR_ADMIN_KEY: '', SCOLAR_ADMIN_SECRET: '' } });
  const key = /key:\s+(\S+)/.exec(s.stdout)[1];
  const secret = /secret:\s+(\S+)/.exec(s.stdout)[1];
  const r = await fetch(`${s.base}/api/credentials`, { headers: { Authorization: basic(key, secret) } });
  assert.equal(r.status, 200);
  assert.equal(await s.stop('SIGINT'), 0);
});

test('env vars and flags: flags win', async () => {
  const dir = tempDir();
  const envPort = await freePort();
  const flagPort = await freePort();
  const cport = await freePort();
  const { spawn } = await import('node:child_process');
  const p = spawn(BIN, ['serve', '--listen', `127.0.0.1:${flagPort}`], {
    env: { ...process.env, SCOLAR_DATA: dir, SCOLAR_LISTEN: `127.0.0.1:${envPort}`,
      SCOLAR_CONTENT_LISTEN: `127.0.0.1:${cport}`, SCOLAR_ADMIN_KEY: 'k', SCOLAR_ADMIN_SECRET: 's' },
    stdio: 'ignore',
  });
  try {
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      try { ok = (await fetch(`http://127.0.0.1:${flagPort}/healthz`)).status === 200; } catch { await new Promise((r) => setTimeout(r, 50)); }
    }
    assert.ok(ok, 'listens on the flag port');
    await assert.rejects(fetch(`http://127.0.0.1:${envPort}/healthz`), 'not on the env port');
    assert.equal((await fetch(`http://127.0.0.1:${cport}/healthz`)).status, 200, 'content port from env');
    assert.ok(existsSync(join(dir, 'store.mdb')), 'data dir from SCOLAR_DATA');
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('port in use, unwritable data dir, corrupt store, newer format: one line, exit 1', async () => {
  const blocker = createServer();
  const port = await freePort();
  await new Promise((r) => blocker.listen(port, '127.0.0.1', r));
  const dir = tempDir();
  try {
    let r = cli(['serve', '--data', dir, '--listen', `127.0.0.1:${port}`, '--content-listen', `127.0.0.1:${await freePort()}`],
      { env: { SCOLAR_ADMIN_KEY: 'k', SCOLAR_ADMIN_SECRET: 's' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`cannot listen on 127.0.0.1:${port}`));
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('scolar:')).length, 1);

    if (process.getuid && process.getuid() !== 0) {
      const ro = join(dir, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      r = cli(['check', '--data', ro]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /not writable/);
    }
    // a data dir path that is a file
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    r = cli(['check', '--data', file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not a directory/);
    r = cli(['check', '--data', join(file, 'sub')]);
    assert.equal(r.status, 1);
    if (ON_PG) { // its database is new and empty: no store there either (nothing is made)
      assert.match(r.stderr, /^scolar: --store postgresql:\/\/.*: no scolar store in this database \(no table scolar_schema\)$/m);
    } else { // check and reindex never create a store: a path without one is a finding
      assert.match(r.stderr, /^scolar: no store in .*afile\/sub/);
    }

    const good = join(dir, 'good');
    assert.equal(cli(['creds', 'create', '--data', good, '--name', 'a', '--scopes', 'all']).status, 0);
    r = cli(['check', '--data', good]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /creds: 1 records/);
    assert.match(r.stdout, /ok \(format 2\)/);
    if (ON_PG) {
      // a database whose schema a newer scolar wrote: refused in one line, nothing changed
      const url = storeFor(good);
      psql(url, 'INSERT INTO scolar_schema (version) VALUES (999)');
      r = cli(['serve', '--data', good, '--listen', `127.0.0.1:${await freePort()}`, '--content-listen', `127.0.0.1:${await freePort()}`],
        { env: { SCOLAR_ADMIN_KEY: 'k', SCOLAR_ADMIN_SECRET: 's' } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^scolar: .*database schema version 999 was written by a newer scolar/m);
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('scolar:')).length, 1);
      assert.equal(psql(url, 'SELECT max(version) FROM scolar_schema'), '999');
      assert.equal(psql(url, "SELECT count(*) FROM scolar_kv WHERE tbl = 'creds'"), '1');
      return; // the corrupt LMDB file below has no PostgreSQL meaning
    }

    const bad = join(dir, 'corrupt');
    mkdirSync(bad);
    const junk = Buffer.alloc(65536, 0x5a);
    writeFileSync(join(bad, 'store.mdb'), junk);
    r = cli(['serve', '--data', bad, '--listen', `127.0.0.1:${await freePort()}`, '--content-listen', `127.0.0.1:${await freePort()}`],
      { env: { SCOLAR_ADMIN_KEY: 'k', SCOLAR_ADMIN_SECRET: 's' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not an LMDB file/);
    assert.deepEqual(readFileSync(join(bad, 'store.mdb')), junk, 'corrupt store not overwritten');
    r = cli(['check', '--data', bad]);
    assert.equal(r.status, 1);
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check verifies the statement indexes; reindex rebuilds them', async () => {
  const dataDir = tempDir();
  let s = await startServer({ dataDir });
  try {
    const mbox = 'mailto:reindex@example.com';
    const body = Array.from({ length: 30 }, (_, i) => ({
      actor: { mbox }, verb: { id: `http://example.com/v/${i % 3}` },
      object: { id: `http://example.com/a/${i}` },
    }));
    const r = await s.req('POST', '/xapi/statements', { body });
    assert.equal(r.status, 200);
    let c;
    if (!ON_PG) { // an LMDB store is one process's; a PostgreSQL store is shared by design
      c = cli(['reindex', '--data', dataDir]);
      assert.equal(c.status, 1, 'reindex refuses a store a server has open');
      assert.match(c.stderr, /in use by another scolar process/);
    }
    await s.stop();
    c = cli(['check', '--data', dataDir]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /statements: 30 stored, 30 folded into 1 epochs, \d+ index entries: ids and indexes agree/);
    c = cli(['reindex', '--data', dataDir]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /^reindexed 30 statements in \d+\.\d s\n$/);
    c = cli(['check', '--data', dataDir]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /30 folded into 1 epochs, \d+ index entries: ids and indexes agree/);
    s = await startServer({ dataDir });
    const q = await s.req('GET', `/xapi/statements?agent=${encodeURIComponent(JSON.stringify({ mbox }))}&verb=${encodeURIComponent('http://example.com/v/1')}`);
    assert.equal(q.status, 200);
    assert.equal(q.json.statements.length, 10, 'queries use the rebuilt indexes');
    const g = await s.req('GET', `/xapi/statements?statementId=${r.json[7]}`);
    assert.equal(g.status, 200);
  } finally {
    await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// LMDB only: nodes on one PostgreSQL database is the point of that backend (test_nodes)
test('a second server on the same data dir is refused', { skip: ON_PG && 'LMDB only: several nodes share a PostgreSQL store (test_nodes)' }, async () => {
  const s = await startServer();
  try {
    const r = cli(['serve', '--data', s.dataDir, '--listen', `127.0.0.1:${await freePort()}`, '--content-listen', `127.0.0.1:${await freePort()}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /in use by another scolar process/);
  } finally {
    await s.stop();
  }
});
