// SPDX-License-Identifier: Apache-2.0
// No cheap denial of service (issue 15, high): an answered request whose body was not read
// closes its connection at once; headers and bodies have deadlines; connections per client
// address are limited; /healthz answers on both origins while 500 hostile connections are
// open; Content-Length must be one decimal number (request smuggling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ADMIN_AUTH, startServer } from '../lib/server.mjs';

// Open a raw connection, write `head`, and collect what the server sends until it closes.
function rawConn(port, head) {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const c = { sock: s, data: '', closedAt: null, answeredAt: null };
    c.closed = new Promise((res) => s.on('close', () => { c.closedAt = Date.now(); res(); }));
    s.on('data', (d) => { if (!c.answeredAt) c.answeredAt = Date.now(); c.data += d; });
    s.on('error', () => {});
    s.once('connect', () => { if (head) s.write(head); resolve(c); });
    s.once('error', reject);
  });
}

const within = (p, ms) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

async function healthz(base) {
  const t0 = Date.now();
  const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, ms: Date.now() - t0 };
}

test('a body left unread closes the connection right after the answer', async () => {
  const srv = await startServer();
  try {
    // no credentials, a 100 MB body announced, nothing sent: 401 and the connection closes
    const c = await rawConn(srv.port, 'POST /xapi/statements HTTP/1.1\r\nHost: x\r\n' +
      'X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100000000\r\n\r\n');
    assert.ok(await within(c.closed, 3000), 'closed within 3 s');
    assert.match(c.data, /^HTTP\/1\.1 401 /);
    assert.match(c.data, /\r\nConnection: close\r\n/i);
    assert.doesNotMatch(c.data, /Keep-Alive/i);
    // exactly one answer: nothing after the announced body
    const [head, body] = c.data.split('\r\n\r\n');
    assert.equal(body.length, Number(/Content-Length: (\d+)/i.exec(head)[1]));

    // with credentials but over the body cap: 413 and closed, for both origins' routes
    const c2 = await rawConn(srv.port, 'POST /xapi/statements HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: ${ADMIN_AUTH}\r\nX-Experience-API-Version: 1.0.3\r\n` +
      'Content-Type: application/json\r\nContent-Length: 900000000\r\n\r\n[');
    assert.ok(await within(c2.closed, 3000), '413 closed within 3 s');
    assert.match(c2.data, /^HTTP\/1\.1 413 /);

    const c3 = await rawConn(srv.cport, 'POST /player/00000000-0000-4000-8000-000000000000/commit HTTP/1.1\r\n' +
      'Host: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n');
    assert.ok(await within(c3.closed, 3000), 'content origin: closed within 3 s');
    assert.match(c3.data, /^HTTP\/1\.1 4\d\d /);

    // a request whose body was read keeps its connection (keep-alive still works)
    const body2 = JSON.stringify({ actor: { mbox: 'mailto:a@example.com' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/attempted' }, object: { id: 'http://example.com/a' } });
    const c4 = await rawConn(srv.port, 'POST /xapi/statements HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: ${ADMIN_AUTH}\r\nX-Experience-API-Version: 1.0.3\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body2.length}\r\n\r\n${body2}`);
    assert.equal(await within(c4.closed, 1000), false, 'kept alive');
    assert.match(c4.data, /^HTTP\/1\.1 200 /);
    assert.match(c4.data, /\r\nConnection: keep-alive\r\n/i);
    c4.sock.destroy();
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});

test('Content-Length must be one header holding one number', async () => {
  const srv = await startServer();
  try {
    for (const cl of ['Content-Length: 4\r\nContent-Length: 60', 'Content-Length: 4, 60',
      'Content-Length: 4\r\nContent-Length: 4', 'Content-Length: +4', 'Content-Length: 0x4']) {
      const c = await rawConn(srv.port, `POST /xapi/statements HTTP/1.1\r\nHost: x\r\n${cl}\r\n\r\n[{}]`);
      await within(c.closed, 3000);
      assert.match(c.data, /^HTTP\/1\.1 400 /, cl);
      assert.match(c.data, /Content-Length must be one header/, cl);
    }
    // nothing was stored
    const r = await srv.req('GET', '/xapi/statements');
    assert.equal(r.status, 200);
    assert.equal(r.json.statements.length, 0);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});

test('headers and bodies sent slowly meet a deadline', async () => {
  const srv = await startServer({ env: { SCOLAR_REQUEST_TIMEOUT_MS: '1500', SCOLAR_BODY_GRACE_MS: '1500' } });
  try {
    // headers never finished: the connection is dropped after the header deadline
    const h = await rawConn(srv.port, 'GET /xapi/about HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => h.sock.write('X-a: b\r\n'), 300); // keeps sending, never ends
    try {
      assert.ok(await within(h.closed, 6000), 'slow headers dropped');
    } finally {
      clearInterval(timer);
    }
    assert.ok(h.closedAt - (h.answeredAt || h.closedAt) >= 0);

    // a body trickled at 10 bytes per 300 ms: 408 after the grace, and closed
    const b = await rawConn(srv.port, 'POST /xapi/statements HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: ${ADMIN_AUTH}\r\nX-Experience-API-Version: 1.0.3\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
    const t = setInterval(() => b.sock.write('          '), 300);
    try {
      assert.ok(await within(b.closed, 15000), 'slow body dropped');
    } finally {
      clearInterval(t);
    }
    assert.match(b.data, /^HTTP\/1\.1 408 /);
    const r = await srv.req('GET', '/xapi/statements');
    assert.equal(r.json.statements.length, 0, 'nothing stored');
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});

test('connections per client address are limited; /healthz is always answered', async () => {
  const srv = await startServer({ env: { SCOLAR_MAX_CONN_PER_ADDR: '4' } });
  const conns = [];
  try {
    // kept-alive connections, one at a time; the harness's own health check may still hold
    // one, so the first refusal comes at the 4th or 5th, and every later one is refused too
    for (let i = 0; i < 6; i++) {
      const c = await rawConn(srv.port, 'GET /xapi/about HTTP/1.1\r\nHost: x\r\nX-Experience-API-Version: 1.0.3\r\n\r\n');
      await new Promise((r) => setTimeout(r, 150));
      conns.push(c);
    }
    const served = conns.map((c) => /^HTTP\/1\.1 200 /.test(c.data));
    const first503 = served.indexOf(false);
    assert.ok(first503 === 3 || first503 === 4, `first refusal at connection ${first503 + 1}`);
    for (const c of conns.slice(first503)) {
      assert.match(c.data, /^HTTP\/1\.1 503 /);
      assert.match(c.data, /too many connections from this address/);
      assert.ok(await within(c.closed, 3000), 'a refused connection is closed');
    }
    const hz = await rawConn(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await within(hz.closed, 3000);
    assert.match(hz.data, /^HTTP\/1\.1 200 /, '/healthz over the limit');
    // closing connections frees the address's slots
    for (const c of conns) c.sock.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const again = await srv.req('GET', '/xapi/about');
    assert.equal(again.status, 200);
  } finally {
    for (const c of conns) c.sock.destroy();
    assert.equal(await srv.stop(), 0);
  }
});

test('500 hostile connections do not stop either origin', async () => {
  const srv = await startServer();
  const conns = [];
  try {
    const kinds = [
      (port) => rawConn(port, 'GET /xapi/about HTTP/1.1\r\nHost: x\r\n'), // headers unfinished
      (port) => rawConn(port, 'POST /xapi/statements HTTP/1.1\r\nHost: x\r\n' + // body never sent
        'X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n'),
      (port) => rawConn(port, 'POST /api/courses HTTP/1.1\r\nHost: x\r\n' + // body trickled
        `Authorization: ${ADMIN_AUTH}\r\nContent-Type: application/zip\r\nContent-Length: 1000000\r\n\r\nPK`),
      (port) => rawConn(port, ''), // connected, silent
    ];
    for (let i = 0; i < 500; i++) {
      const port = i % 2 ? srv.port : srv.cport;
      conns.push(await kinds[i % kinds.length](port));
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const base of [srv.base, srv.content]) {
      const h = await healthz(base);
      assert.equal(h.status, 200);
      assert.ok(h.ms < 2000, `healthz answered in ${h.ms} ms`);
    }
    const about = await srv.req('GET', '/xapi/about');
    assert.equal(about.status, 200);
    // the unread-body ones were answered and closed at once
    const unread = conns.filter((_, i) => i % kinds.length === 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(unread.every((c) => c.closedAt !== null), 'every unread-body connection was closed');
  } finally {
    for (const c of conns) c.sock.destroy();
    assert.equal(await srv.stop(), 0);
  }
});

test('wrong secrets are throttled per address and key; a known secret keeps working', async () => {
  const srv = await startServer();
  try {
    const bad = 'Basic ' + Buffer.from('test-admin:wrong-secret').toString('base64');
    const unknown = 'Basic ' + Buffer.from('no-such-key:whatever').toString('base64');
    // the admin's own secret is verified once (cached from then on)
    assert.equal((await srv.req('GET', '/xapi/about')).status, 200);
    assert.equal((await srv.req('GET', '/api/credentials')).status, 200);
    // failures until the first refusal: the budget is 20, refilled at 2 per second while the
    // slow hashes run (a loaded machine may refill a few), so the first 429 comes after 20 to
    // 40 failures, and every one before it was a 401
    let n401 = 0, t = null;
    for (let i = 0; i < 60 && !t; i++) {
      const r = await srv.req('GET', '/api/credentials', { auth: i % 2 ? bad : unknown });
      if (r.status === 429) t = r;
      else {
        assert.equal(r.status, 401);
        n401++;
      }
    }
    assert.ok(t, 'a 429 came');
    assert.ok(n401 >= 20 && n401 <= 40, `${n401} failures before the first 429`);
    assert.equal(t.headers.get('retry-after'), '1');
    assert.match(t.json.message, /too many failed sign-ins/);
    // the right secret, verified before, still works while the address is throttled
    const ok = await srv.req('GET', '/api/credentials');
    assert.equal(ok.status, 200);
    // the budget refills (2 per second)
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await srv.req('GET', '/api/credentials', { auth: bad })).status, 401);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});
