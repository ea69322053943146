// Operating scolar (issue 18): --public-url and --content-url in launch links and activity
// IRIs (HTTPS: test_tls.mjs), X-Forwarded-For only from --trusted-proxy, JSON log
// lines without secrets, the configuration file and `scolar config check`, and `scolar backup`
// under write load restored by `scolar restore` to a store that passes `scolar check` and holds
// every statement acknowledged before the backup began. Needs no corpus: the course is the
// project's demo course (tools/demo-course).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli, tempDir, freePort, BIN, ADMIN_AUTH, ON_PG } from '../lib/server.mjs';
import { importPackage, register } from '../lib/browser.mjs';
import { statement, waitConsistent, fetchAll } from '../lib/xapi.mjs';

async function contentPost(srv, path, body) {
  const r = await fetch(srv.content + path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

test('--public-url and --content-url: launch links and the activity IRIs of SCORM statements', async () => {
  const srv = await startServer({ args: ['--public-url', 'https://lms.example.com/', '--content-url', 'https://content.example.net'] });
  try {
    for (let i = 0; i < 100 && !/xAPI:/.test(srv.stdout); i++) await new Promise((x) => setTimeout(x, 20));
    assert.match(srv.stdout, /xAPI: {4}https:\/\/lms\.example\.com\/xapi\//);
    const imp = await importPackage(srv, 'demo-2004');
    const reg = await register(srv, imp.course, { id: 'pu-1', name: 'Pub Url' });
    assert.ok(reg.launch_url.startsWith('https://content.example.net/player/'), reg.launch_url);
    const t0 = Date.now();
    const L = await contentPost(srv, `/player/${reg.registration}/launch`, { token: reg.token, sco: 'intro' });
    await contentPost(srv, `/player/${reg.registration}/commit/${L.session}`, {
      token: reg.token, seq: 1, final: true,
      changes: { 'cmi.completion_status': 'completed', 'cmi.exit': 'normal', 'cmi.session_time': 'PT10S' },
    });
    await waitConsistent(srv, t0);
    const all = await fetchAll(srv, `registration=${reg.registration}`);
    assert.ok(all.length >= 1, 'the SCORM bridge stored statements');
    for (const s of all) {
      assert.ok(s.object.id.startsWith('https://lms.example.com/courses/'), s.object.id);
      assert.equal(s.actor.account.homePage, 'https://lms.example.com');
    }
  } finally {
    await srv.stop();
  }
  // a URL that is not one is refused at start, naming the flag
  const bad = cli(['serve', '--data', tempDir(), '--public-url', 'lms.example.com']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /public-url 'lms\.example\.com' must be an absolute http:\/\/ or https:\/\/ URL/);
});

function accessLines(stderr) {
  return stderr.split('\n').filter((l) => l && !l.startsWith('==')).map((l) => JSON.parse(l)).filter((o) => o.type === 'access');
}

test('--log-format json: every line is JSON, access lines carry a request id; X-Forwarded-For only from --trusted-proxy; no secrets', async () => {
  for (const trusted of [true, false]) {
    const args = ['--log-format', 'json', ...(trusted ? ['--trusted-proxy', '127.0.0.1,::1'] : [])];
    const srv = await startServer({ args });
    try {
      const r = await srv.req('GET', '/xapi/about', { headers: { 'X-Forwarded-For': '198.51.100.7, 203.0.113.9' } });
      assert.equal(r.status, 200);
      const rid = r.headers.get('x-request-id');
      assert.match(rid, /^[0-9a-f]{16}$/);
      const imp = await importPackage(srv, 'demo-12');
      const reg = await register(srv, imp.course, { id: 'log-1', name: 'Log' });
      const L = await contentPost(srv, `/player/${reg.registration}/launch?token=${reg.token}`, { token: reg.token, sco: 'intro' });
      assert.ok(L.session);
      await new Promise((x) => setTimeout(x, 100));
      // (a sanitizer build adds its own "==PID==" notes to stderr)
      const lines = srv.stderr.split('\n').filter((l) => l && !l.startsWith('=='));
      for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `not JSON: ${l}`);
      const about = accessLines(srv.stderr).find((o) => o.request_id === rid);
      assert.ok(about, 'the access line of the request');
      assert.deepEqual([about.origin, about.method, about.path, about.status, about.level], ['api', 'GET', '/xapi/about', 200, 'info']);
      // the rightmost address not a trusted proxy, never what the client wrote at the left
      assert.equal(about.client, trusted ? '203.0.113.9' : '127.0.0.1');
      // no credentials, no launch tokens
      assert.ok(!srv.stderr.includes(reg.token), 'launch token logged');
      assert.ok(!srv.stderr.includes(ADMIN_AUTH.slice(6)), 'Authorization logged');
      assert.ok(!srv.stderr.includes('test-secret-with'), 'secret logged');
    } finally {
      await srv.stop();
    }
  }
  assert.equal(cli(['serve', '--trusted-proxy', 'proxy.example', '--data', tempDir()]).status, 1);
  const lf = cli(['serve', '--log-format', 'xml']);
  assert.equal(lf.status, 2);
  assert.match(lf.stderr, /--log-format is text or json, not 'xml'/);
});

test('--config FILE and `scolar config check`: keys, weights (file < environment < flags), errors naming the line', async () => {
  const dir = tempDir();
  const f = join(dir, 'scolar.conf');
  writeFileSync(f, '# scolar\n\ndata = /var/lib/scolar\nlisten = 0.0.0.0:8080\npublic-url = https://lms.example.com\nmax-body = 1000000\nlog-format = json\ntrusted-proxy = 10.0.0.1, 10.0.0.2\n');
  let r = cli(['config', 'check', '--config', f], { env: { SCOLAR_LISTEN: '', SCOLAR_DATA: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^data = \/var\/lib\/scolar$/m);
  assert.match(r.stdout, /^listen = 0\.0\.0\.0:8080$/m);
  assert.match(r.stdout, /^public-url = https:\/\/lms\.example\.com$/m);
  assert.match(r.stdout, /^max-body = 1000000$/m);
  assert.match(r.stdout, /^log-format = json$/m);
  assert.match(r.stdout, /^config: ok$/m);
  // the environment outweighs the file
  r = cli(['config', 'check'], { env: { SCOLAR_CONFIG: f, SCOLAR_MAX_BODY: '5000' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^max-body = 5000$/m);
  const bad = [
    ['listen 0.0.0.0:1\n', /:1: expected "key = value"/],
    ['data = a\nlisen = x\n', /:2: unknown key 'lisen'/],
    ['threads = many\n', /:1: threads: 'many' needs a positive whole number/],
    ['log-format = yaml\n', /:1: log-format: 'yaml' is not one of the allowed values text\|json/],
    ['data = a\ndata = b\n', /:2: key 'data' given again \(first on line 1\)/],
    ['public-url = ftp://x\n', /public-url 'ftp:\/\/x' must be an absolute/],
  ];
  for (const [text, re] of bad) {
    writeFileSync(f, text);
    r = cli(['config', 'check', '--config', f], { env: { SCOLAR_PUBLIC_URL: '' } });
    assert.equal(r.status, 1, text);
    assert.match(r.stderr, re, text);
  }
  r = cli(['config', 'check', '--config', join(dir, 'none.conf')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /none\.conf: No such file or directory/);
  // serve takes its settings from the file
  const port = await freePort();
  writeFileSync(f, `listen = 127.0.0.1:${port}\ncontent-listen = 127.0.0.1:${await freePort()}\ndata = ${join(dir, 'data')}\n`);
  const proc = spawn(BIN, ['serve', '--config', f], { stdio: 'ignore', env: { ...process.env, SCOLAR_LISTEN: '', SCOLAR_DATA: '' } });
  let ok = false;
  for (let i = 0; i < 200 && !ok; i++) {
    try { ok = (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200; } catch { await new Promise((x) => setTimeout(x, 50)); }
  }
  proc.kill('SIGTERM');
  await new Promise((x) => proc.once('exit', x));
  assert.ok(ok, 'serve listened where the file said');
  assert.ok(existsSync(join(dir, 'data', 'store.mdb')));
  rmSync(dir, { recursive: true, force: true });
});

test('scolar backup under write load: the restored copy passes scolar check and holds every statement acknowledged before the backup', async () => {
  const srv = await startServer({ keepData: true });
  const dir = tempDir();
  try {
    const imp = await importPackage(srv, 'demo-2004');
    const acked = [];
    let stop = false;
    const writer = async (w) => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => statement({ object: `http://example.com/ops/${w}` }));
        const r = await srv.req('POST', '/xapi/statements', { body: batch });
        assert.equal(r.status, 200, r.text);
        for (const id of r.json) acked.push(id);
      }
    };
    const writers = [writer(1), writer(2), writer(3)];
    while (acked.length < 2000) await new Promise((x) => setTimeout(x, 20));
    const before = acked.slice();
    const dest = join(dir, 'backup');
    if (ON_PG) {
      // a PostgreSQL store is backed up with the database's tools (docs/postgresql.md): refused
      // in one line naming them, nothing written, the writes going on
      const r = cli(['backup', dest, '--data', srv.dataDir]);
      stop = true;
      await Promise.all(writers);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, 'scolar: backup: the store is in PostgreSQL (SCOLAR_STORE): back it up with ' +
        'pg_dump, or copy it into a data directory with `scolar copy-store --from URL --to DIR`\n');
      assert.equal(existsSync(dest), false, 'nothing written');
      const all = await fetchAll(srv, 'limit=500');
      assert.equal(all.length, acked.length, 'every acknowledged statement listed');
      return;
    }
    const b = await new Promise((resolve) => {
      const p = spawn(BIN, ['backup', dest, '--data', srv.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let e = '';
      p.stderr.on('data', (d) => { e += d; });
      p.on('exit', (code, sig) => resolve({ code, e: e + (sig ? ` (signal ${sig})` : '') }));
    });
    const during = acked.length - before.length;
    stop = true;
    await Promise.all(writers);
    assert.equal(b.code, 0, b.e);
    assert.ok(during > 0, 'writes went on while the backup ran');
    assert.ok(existsSync(join(dest, 'content', imp.course)), 'course files in the backup');
    // restore into a new directory, verified as `scolar check` does
    const restored = join(dir, 'restored');
    let r = cli(['restore', dest, '--data', restored]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ids and indexes agree/);
    r = cli(['check', '--data', restored]);
    assert.equal(r.status, 0, r.stderr);
    // a second restore into the same directory is refused, nothing changed
    r = cli(['restore', dest, '--data', restored]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /already holds a store/);
    r = cli(['backup', dest, '--data', srv.dataDir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot create .*backup: File exists/);
    // every statement acknowledged before the backup began is in the copy
    const jsonl = join(dir, 'restored.jsonl');
    const exp = cli(['export', '--data', restored, '-o', jsonl]);
    assert.equal(exp.status, 0, exp.stderr);
    const ids = new Set(readFileSync(jsonl, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).id));
    for (const id of before) assert.ok(ids.has(id), `statement ${id} acknowledged before the backup is missing`);
    assert.ok(ids.size >= before.length && ids.size <= acked.length, `${ids.size} statements, ${before.length}..${acked.length} expected`);
    // the restored copy serves its course
    const s2 = await startServer({ dataDir: restored });
    try {
      const c = await s2.req('GET', `/api/courses/${encodeURIComponent(imp.course)}`);
      assert.equal(c.status, 200, c.text);
      const reg = await register(s2, imp.course, { id: 'after-restore', name: 'R' });
      const page = await fetch(reg.launch_url);
      assert.equal(page.status, 200);
    } finally {
      await s2.stop();
    }
    assert.deepEqual(readdirSync(join(dest)).sort(), ['content', 'store.mdb']);
  } finally {
    await srv.stop();
    rmSync(srv.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GET /api/backup: a tar of store.mdb and content/ for an admin, restorable; others refused', async () => {
  const srv = await startServer();
  const dir = tempDir();
  try {
    const imp = await importPackage(srv, 'demo-12');
    const batch = Array.from({ length: 300 }, () => statement({ object: 'http://example.com/tar' }));
    const w = await srv.req('POST', '/xapi/statements', { body: batch });
    assert.equal(w.status, 200);
    // refused: no credential, a credential without the admin scope
    assert.equal((await fetch(`${srv.base}/api/backup`)).status, 401);
    const cr = cli(['creds', 'create', '--name', 'reader', '--scopes', 'all/read', '--data', srv.dataDir]);
    let c;
    if (ON_PG) {
      // a PostgreSQL store is shared: the command writes beside the server, which sees it
      assert.equal(cr.status, 0, cr.stderr);
      c = { json: JSON.parse(cr.stdout) };
      const l = await srv.req('GET', '/api/credentials');
      assert.ok(l.json.some((x) => x.key === c.json.key), 'the server lists the new credential');
    } else {
      // (the store is the server's: creds come over the API instead)
      assert.equal(cr.status, 1);
      c = await srv.req('POST', '/api/credentials', { body: { name: 'reader', scopes: ['all/read'] } });
      assert.equal(c.status, 201, c.text);
    }
    const denied = await fetch(`${srv.base}/api/backup`, { headers: { Authorization: 'Basic ' + Buffer.from(`${c.json.key}:${c.json.secret}`).toString('base64') } });
    assert.equal(denied.status, 403);
    assert.equal((await srv.req('POST', '/api/backup', { body: '' })).status, 405);
    const res = await fetch(`${srv.base}/api/backup`, { headers: { Authorization: ADMIN_AUTH } });
    if (ON_PG) { // the tar holds an LMDB file: 501 naming the database's tools (route_backup.c)
      assert.equal(res.status, 501);
      assert.deepEqual(await res.json(), { error: true, status: 501, message: 'the store is in PostgreSQL: ' +
        'back it up with pg_dump, or copy it into a data directory with `scolar copy-store --from URL --to DIR`' });
      assert.deepEqual(readdirSync(srv.dataDir).filter((n) => n.startsWith('.backup-')), []);
      return;
    }
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-tar');
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="scolar-backup-\d{8}T\d{6}Z\.tar"$/);
    const tarFile = join(dir, 'b.tar');
    writeFileSync(tarFile, Buffer.from(await res.arrayBuffer()));
    const list = spawnSync('tar', ['-tf', tarFile], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const names = list.stdout.split('\n').filter((l) => l);
    assert.equal(names[0], 'store.mdb');
    assert.ok(names.includes(`content/${imp.course}/1/imsmanifest.xml`), names.join(' '));
    const b = join(dir, 'b');
    spawnSync('mkdir', [b]);
    const x = spawnSync('tar', ['-xf', tarFile, '-C', b], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    assert.deepEqual(readFileSync(join(b, 'content', imp.course, '1', 'intro.html')),
      readFileSync(join(srv.dataDir, 'content', imp.course, '1', 'intro.html')));
    const restored = join(dir, 'restored');
    let r = cli(['restore', b, '--data', restored]);
    assert.equal(r.status, 0, r.stderr);
    r = cli(['check', '--data', restored]);
    assert.equal(r.status, 0, r.stderr);
    const jsonl = join(dir, 'r.jsonl');
    assert.equal(cli(['export', '--data', restored, '-o', jsonl]).status, 0);
    const ids = new Set(readFileSync(jsonl, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).id));
    for (const id of w.json) assert.ok(ids.has(id), id);
    // no temporary copy left in the data directory
    assert.deepEqual(readdirSync(srv.dataDir).filter((n) => n.startsWith('.backup-')), []);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
