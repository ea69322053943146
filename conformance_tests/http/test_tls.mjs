// HTTPS (issue 18): `serve --tls-cert/--tls-key` on both origins with Debian 12's civetweb and
// OpenSSL 3 (lrs/lrs_tls.c). A certificate authority and a server certificate are made here
// with the openssl CLI; clients trust that CA only (no "insecure" switch anywhere): statements
// stored and read over HTTPS, TLS 1.0/1.1 and plain HTTP refused on the TLS port, the handshake
// and header deadlines of issue 15 on it, the certificate reloaded on SIGHUP, and a bad
// certificate or key refused at start with the file named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import { startServer, cli, tempDir } from '../lib/server.mjs';
import { importPackage, register } from '../lib/browser.mjs';
import { makePki } from '../lib/tls.mjs';

function curl(args) {
  return spawnSync('curl', ['-sS', '--max-time', '10', ...args], { encoding: 'utf8' });
}

// the server certificate's subject CN as a TLS client sees it
function peerCN(port, ca) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.end();
      resolve(cn);
    });
    s.on('error', reject);
  });
}

// ms until the server closes a connection the client opened and left as `setup` made it
function timeToClose(sock) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    sock.on('error', () => {});
    sock.on('close', () => resolve(Date.now() - t0));
    sock.resume();
  });
}

test('HTTPS on both origins: statements stored and read, launch links in https, TLS 1.2+ only, plain HTTP refused', async () => {
  const dir = tempDir();
  const pki = makePki(dir);
  const srv = await startServer({ args: ['--tls-cert', pki.chain, '--tls-key', pki.key], tlsCa: pki.caPem });
  try {
    for (let i = 0; i < 100 && !/content:/.test(srv.stdout); i++) await new Promise((x) => setTimeout(x, 20));
    assert.match(srv.stdout, new RegExp(`xAPI: {4}https://127\\.0\\.0\\.1:${srv.port}/xapi/`));
    assert.match(srv.stdout, new RegExp(`content: https://127\\.0\\.0\\.1:${srv.cport}/`));
    // statements: POST, then GET by id and by query, over TLS
    const ids = [randomUUID(), randomUUID()];
    const stmts = ids.map((id, i) => ({
      id, actor: { mbox: 'mailto:tls@example.com', objectType: 'Agent' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: { id: `https://example.com/tls/${i}`, objectType: 'Activity' },
    }));
    const post = await srv.req('POST', '/xapi/statements', { body: stmts });
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(post.json, ids);
    const one = await srv.req('GET', `/xapi/statements?statementId=${ids[1]}`);
    assert.equal(one.status, 200);
    assert.equal(one.json.object.id, 'https://example.com/tls/1');
    const q = await srv.req('GET', '/xapi/statements?agent=' + encodeURIComponent(JSON.stringify({ mbox: 'mailto:tls@example.com' })));
    assert.equal(q.status, 200);
    assert.deepEqual(q.json.statements.map((s) => s.id).sort(), [...ids].sort());
    // the content origin: https too, and launch links point at it
    const imp = await importPackage(srv, 'probe-2004');
    const reg = await register(srv, imp.course, { id: 'tls-1', name: 'Tls Learner' });
    assert.ok(reg.launch_url.startsWith(`https://127.0.0.1:${srv.cport}/player/`), reg.launch_url);
    const page = await srv.fetch(reg.launch_url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    assert.match(page.tls, /^TLSv1\.[23]$/);

    // curl with the CA verifies the chain (ssl_verify_result 0); without it, the chain fails
    const ok = curl(['--cacert', pki.ca, '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', `https://localhost:${srv.port}/healthz`]);
    assert.equal(ok.stdout, '200 0', ok.stderr);
    const untrusted = curl(['-o', '/dev/null', `https://localhost:${srv.port}/healthz`]);
    assert.equal(untrusted.status, 60, 'an unknown CA is refused by curl: ' + untrusted.stderr);
    // TLS 1.1 and older: no handshake (curl 35); 1.2 alone: served
    const old = curl(['--cacert', pki.ca, '--tlsv1', '--tls-max', '1.1', `https://localhost:${srv.port}/healthz`]);
    assert.equal(old.status, 35, old.stderr);
    const v12 = curl(['--cacert', pki.ca, '--tlsv1.2', '--tls-max', '1.2', '-w', ' %{http_code}', `https://localhost:${srv.cport}/healthz`]);
    assert.equal(v12.stdout, '{"status":"ok"} 200', v12.stderr);
    // plain HTTP on the TLS port: the connection is closed without an answer, and the log says why
    for (const port of [srv.port, srv.cport]) {
      const plain = curl([`http://127.0.0.1:${port}/healthz`]);
      assert.equal(plain.status, 52, `plain HTTP on ${port}: ${plain.stdout} ${plain.stderr}`);
    }
    for (let i = 0; i < 100 && !/HTTPS port/.test(srv.stderr); i++) await new Promise((x) => setTimeout(x, 20));
    assert.match(srv.stderr, /http request \(plain HTTP sent to the HTTPS port\)/);
    assert.equal((await srv.req('GET', '/healthz')).status, 200, 'still serving');
  } finally {
    assert.equal(await srv.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the TLS port keeps the deadlines of issue 15: a silent connection, a stalled handshake, slow headers', async () => {
  const dir = tempDir();
  const pki = makePki(dir);
  const srv = await startServer({ args: ['--tls-cert', pki.chain, '--tls-key', pki.key], tlsCa: pki.caPem,
    env: { SCOLAR_REQUEST_TIMEOUT_MS: '1500' } });
  try {
    // TCP open, nothing sent: closed after about the request timeout
    const silent = net.connect(srv.port, '127.0.0.1');
    // half a ClientHello (the record header announces more than comes): the handshake stalls
    const half = net.connect(srv.port, '127.0.0.1', () => half.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])));
    // a finished handshake, then headers one byte every 300 ms, never ending
    const slow = tls.connect({ host: '127.0.0.1', port: srv.port, ca: pki.caPem });
    await new Promise((r, j) => { slow.once('secureConnect', r); slow.once('error', j); });
    const head = 'GET /xapi/about HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => { if (i < head.length && !slow.destroyed) slow.write(head[i++]); }, 300);
    const [a, b, c] = await Promise.all([timeToClose(silent), timeToClose(half), timeToClose(slow)]);
    clearInterval(drip);
    for (const [what, ms] of [['silent', a], ['stalled handshake', b], ['slow headers', c]]) {
      assert.ok(ms >= 1000 && ms < 6000, `${what}: closed after ${ms} ms (request timeout 1500 ms)`);
    }
    assert.ok(i < head.length, 'the slow client was cut off before it finished');
    assert.equal((await srv.req('GET', '/healthz')).status, 200);
  } finally {
    assert.equal(await srv.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP reloads the certificate and key; a broken file on reload keeps the pair in use', async () => {
  const dir = tempDir();
  const first = makePki(dir, 'first server');
  const second = makePki(dir, 'second server');
  const cert = join(dir, 'live.pem'), key = join(dir, 'live.key');
  copyFileSync(first.chain, cert);
  copyFileSync(first.key, key);
  const srv = await startServer({ args: ['--tls-cert', cert, '--tls-key', key], tlsCa: first.caPem });
  try {
    assert.equal(await peerCN(srv.port, first.caPem), 'first server');
    copyFileSync(second.chain, cert);
    copyFileSync(second.key, key);
    srv.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !/SIGHUP: TLS certificate reloaded/.test(srv.stderr); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(srv.stderr, new RegExp(`SIGHUP: TLS certificate reloaded from ${cert.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(await peerCN(srv.port, first.caPem), 'second server');
    assert.equal(await peerCN(srv.cport, first.caPem), 'second server');
    // a key that does not match: refused, the second pair stays
    copyFileSync(first.key, key);
    srv.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !/certificate in use is kept/.test(srv.stderr); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(srv.stderr, /SIGHUP: tls-key .*live\.key: not the private key of the certificate in .*live\.pem.*; the certificate in use is kept/);
    assert.equal(await peerCN(srv.port, first.caPem), 'second server');
    assert.equal((await srv.req('GET', '/healthz')).status, 200);
  } finally {
    assert.equal(await srv.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
  // without TLS, SIGHUP (systemctl reload) is logged and the server keeps serving
  const plain = await startServer();
  try {
    plain.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !/SIGHUP/.test(plain.stderr); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(plain.stderr, /SIGHUP: nothing to reload \(no tls-cert\)/);
    assert.equal((await plain.req('GET', '/healthz')).status, 200);
  } finally {
    assert.equal(await plain.stop(), 0);
  }
});

test('a bad certificate or key: refused at start, naming the file and the reason, nothing created', async () => {
  const dir = tempDir();
  const pki = makePki(dir);
  const other = makePki(dir, 'other');
  const notPem = join(dir, 'notpem.crt');
  writeFileSync(notPem, 'this is not a certificate\n');
  const cases = [
    [['--tls-cert', notPem, '--tls-key', pki.key], /^scolar: tls-cert .*notpem\.crt: not a PEM certificate \(chain\): no start line$/m],
    [['--tls-cert', pki.chain, '--tls-key', notPem], /^scolar: tls-key .*notpem\.crt: not a PEM private key \(unencrypted\): /m],
    [['--tls-cert', pki.chain, '--tls-key', other.key], /^scolar: tls-key .*other\.key: not the private key of the certificate in .*scolar-test-server\.chain\.pem$/m],
    [['--tls-cert', pki.chain], /^scolar: tls-key .*scolar-test-server\.chain\.pem: not a PEM private key/m],
    [['--tls-cert', join(dir, 'nope.pem')], /^scolar: tls-cert .*nope\.pem: No such file or directory$/m],
    [['--tls-key', pki.key], /^scolar: tls-key is set but tls-cert is not$/m],
  ];
  cases.forEach(([args, re], i) => {
    const data = join(dir, `data${i}`);
    const r = cli(['serve', '--data', data, ...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(existsSync(data), false, 'the data directory is not touched');
  });
  // `config check` (the unit's ExecStartPre) loads the pair as serve does
  const chk = cli(['config', 'check'], { env: { SCOLAR_TLS_CERT: pki.chain, SCOLAR_TLS_KEY: other.key } });
  assert.equal(chk.status, 1);
  assert.match(chk.stderr, /^scolar: tls-key .*other\.key: not the private key of the certificate in /m);
  const chkOk = cli(['config', 'check'], { env: { SCOLAR_TLS_CERT: pki.chain, SCOLAR_TLS_KEY: pki.key } });
  assert.equal(chkOk.status, 0, chkOk.stderr);
  // one PEM file holding the key and the chain is enough (no --tls-key)
  const both = join(dir, 'both.pem');
  writeFileSync(both, readFileSync(pki.key, 'utf8') + readFileSync(pki.chain, 'utf8'));
  const srv = await startServer({ args: ['--tls-cert', both], tlsCa: pki.caPem });
  assert.equal((await srv.req('GET', '/xapi/about')).status, 200);
  assert.equal(await srv.stop(), 0);
  rmSync(dir, { recursive: true, force: true });
});
