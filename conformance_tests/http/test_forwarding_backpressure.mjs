// SPDX-License-Identifier: Apache-2.0
// Forwarding back-pressure on ingest (issue 17: the lag stays bounded; lrs/fwd_admit.c): a
// healthy but slow target makes statement writes wait so that its lag stays near the bound,
// and every statement still arrives; a target that answers 500, hangs, or is paused never holds
// ingest; max_lag_ms 0 (or SCOLAR_FORWARD_MAX_LAG_MS=0) restores the old behaviour. The
// assertions are on state (held counters in the forwarder's status and /metrics, lags the
// server reports) rather than on timings, so that a loaded machine does not make them flaky.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { startServer, cli, tempDir } from '../lib/server.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stmt(n) {
  return {
    id: randomUUID(),
    actor: { mbox: `mailto:bp${n % 5}@example.com`, objectType: 'Agent' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
    object: { id: `http://example.com/bp/${n}`, objectType: 'Activity' },
  };
}

// A target LRS: records the ids of every batch it takes; mode 'ok' (after delayMs), '500', or
// 'hang' (never answers).
async function receiver(mode = 'ok', delayMs = 0) {
  const r = { ids: new Set(), mode, delayMs, requests: 0, hung: [] };
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      r.requests++;
      if (r.mode === 'hang') { r.hung.push(res); return; }
      if (r.mode === '500') { res.writeHead(500); res.end('{"error":"boom"}'); return; }
      if (r.delayMs) await sleep(r.delayMs);
      const batch = JSON.parse(body);
      for (const s of batch) r.ids.add(s.id);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(batch.map((s) => s.id)));
    });
  });
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${srv.address().port}/xapi/`;
  r.close = () => new Promise((ok) => { srv.closeAllConnections(); srv.close(ok); });
  return r;
}

async function forwarder(s, body) {
  const r = await s.req('POST', '/api/forwarders', { body });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function status(s, id) {
  const r = await s.req('GET', `/api/forwarders/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json.status;
}

async function heldTotal(s) {
  const m = await s.req('GET', '/metrics');
  assert.equal(m.status, 200);
  const x = /^scolar_forward_ingest_held_total (\d+)$/m.exec(m.text);
  assert.ok(x, 'scolar_forward_ingest_held_total in /metrics');
  return Number(x[1]);
}

// Post `batches` batches of 100 one after the other while the forwarder's lag is sampled (the
// server's own figure: the age of its oldest queued row). Returns the ids, the largest lag seen
// and the time each batch took.
async function ingest(s, id, batches) {
  const ids = [], times = [];
  let maxLag = 0, going = true;
  const sampler = (async () => {
    while (going) {
      maxLag = Math.max(maxLag, (await status(s, id)).lag_s);
      await sleep(100);
    }
  })();
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: 100 }, (_, i) => stmt(b * 100 + i));
    const t0 = Date.now();
    const r = await s.req('POST', '/xapi/statements', { body: batch });
    times.push(Date.now() - t0);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, batch.map((x) => x.id), 'every statement accepted, none refused');
    ids.push(...r.json);
  }
  going = false;
  await sampler;
  return { ids, maxLag, times };
}

// A forwarder that has delivered a batch is known healthy (one that never answered is not).
async function warmUp(s, id, rc) {
  const { ids } = await ingest(s, id, 1);
  await drained(s, id, rc, ids);
  return ids;
}

async function drained(s, id, rc, ids, ms = 120000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const st = await status(s, id);
    if (st.queued === 0 && ids.every((x) => rc.ids.has(x))) return st;
    await sleep(100);
  }
  throw new Error(`not drained: ${JSON.stringify(await status(s, id))}`);
}

test('a healthy but slow target holds ingest: its lag stays near the bound, every statement arrives', async () => {
  // 100 statements per 250 ms, one batch at a time: about 400 statements/s
  const rc = await receiver('ok', 250);
  const s = await startServer({ env: { SCOLAR_FORWARD_MAX_LAG_MS: '1000' } });
  try {
    const bad = await s.req('POST', '/api/forwarders', { body: { url: rc.url, max_lag_ms: -1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'max_lag_ms: an integer from 0 to 3600000');
    const f = await forwarder(s, { url: rc.url, concurrency: 1, retry_initial_ms: 50 });
    assert.equal(f.max_lag_ms, undefined, 'the server default is not written into the definition');
    assert.deepEqual(f.status.backpressure,
      { max_lag_ms: 1000, state: 'armed', held_requests: 0, held_s: 0 });
    assert.equal(await heldTotal(s), 0);

    const warm = await warmUp(s, f.id, rc);
    const { ids, maxLag } = await ingest(s, f.id, 30);
    ids.push(...warm);
    const st = await status(s, f.id);
    const held = await heldTotal(s);
    console.log(`bound 1 s: max lag ${maxLag} s, ${st.backpressure.held_requests} requests held ` +
      `${st.backpressure.held_s} s, ${held} in /metrics`);
    assert.ok(st.backpressure.held_requests > 0, 'ingest was held');
    assert.equal(held, st.backpressure.held_requests, '/metrics counts the same requests');
    assert.ok(st.backpressure.held_s > 0);
    // the bound (1 s), plus one hold (1 s) when the sender needs longer than that to get back
    // under it, plus slack for a loaded machine (1.2-2.0 s seen at load 4-15): without
    // back-pressure the lag of these 3000 statements reaches 7 s (the last test)
    assert.ok(maxLag < 3, `lag stayed bounded: ${maxLag} s`);
    const m = await s.req('GET', '/metrics');
    assert.match(m.text, /^scolar_forward_ingest_held_seconds_total \d+\.\d{6}$/m);
    assert.match(m.text, /^scolar_forward_ingest_holding 0$/m);
    assert.match(m.text, new RegExp(`^scolar_forward_backpressure\\{kind="forwarder",id="${f.id}"\\} [01]$`, 'm'));

    let end = await drained(s, f.id, rc, ids);
    assert.equal(end.sent, 3100, 'each statement once (a conformant target deduplicates repeats)');
    assert.equal(end.failed, 0);
    // the state follows the sender's window head, which the sender updates after its last
    // delete: 'holding' can outlive the last row by one sender step (seen once on PostgreSQL
    // under load), so it must come back to 'armed' within a few seconds, not at once
    for (const t0 = Date.now(); end.backpressure.state !== 'armed' && Date.now() - t0 < 5000;) {
      await sleep(100);
      end = await status(s, f.id);
    }
    assert.equal(end.backpressure.state, 'armed');
    assert.equal(end.queued, 0);
  } finally {
    await s.stop();
    await rc.close();
  }
});

test('a target that answers 500 or hangs never holds ingest', async () => {
  for (const mode of ['500', 'hang']) {
    const rc = await receiver(mode);
    const s = await startServer({ env: { SCOLAR_FORWARD_MAX_LAG_MS: '200' } });
    try {
      // the same ingest without a forwarder, for the time per batch
      const t0 = Date.now();
      for (let b = 0; b < 5; b++) {
        const r = await s.req('POST', '/xapi/statements', { body: Array.from({ length: 100 }, (_, i) => stmt(i)) });
        assert.equal(r.status, 200);
      }
      const alone = (Date.now() - t0) / 5;
      const f = await forwarder(s, { url: rc.url, retry_initial_ms: 50, timeout_ms: 60000 });
      if (mode === '500') {
        // healthy first (back-pressure armed), then every request fails
        rc.mode = 'ok';
        await warmUp(s, f.id, rc);
        assert.equal((await status(s, f.id)).backpressure.state, 'armed');
        rc.mode = '500';
      }
      const { ids, times } = await ingest(s, f.id, 20);
      await sleep(300);
      // the sender has met the fault (a 500 answered: retrying; a request hanging): until it
      // has read the rows it knows no lag, so a loaded machine can get here first (seen once
      // on PostgreSQL: state 'armed' with 2000 rows not yet read)
      let st = await status(s, f.id);
      for (const t0 = Date.now(); Date.now() - t0 < 10000 &&
        !(mode === '500' ? st.state === 'retrying' : rc.hung.length > 0 && st.lag_s > 0.2);) {
        await sleep(100);
        st = await status(s, f.id);
      }
      assert.equal(ids.length, 2000);
      assert.equal(st.queued, 2000, `${mode}: nothing delivered`);
      assert.ok(st.lag_s > 0.2, `${mode}: the lag is over the bound (${st.lag_s} s)`);
      assert.equal(st.backpressure.held_requests, 0, `${mode}: no request held`);
      assert.equal(st.backpressure.held_s, 0);
      assert.equal(st.backpressure.state, 'inactive');
      assert.equal(st.state, mode === '500' ? 'retrying' : 'sending');
      assert.equal(await heldTotal(s), 0);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      console.log(`${mode}: ${mean.toFixed(1)} ms per batch (${alone.toFixed(1)} ms without a forwarder)`);
      // generous: a held request waits at least 20 ms per look, up to 1 s
      assert.ok(mean < alone * 5 + 200, `${mode}: ${mean} ms per batch against ${alone} ms`);
    } finally {
      for (const res of rc.hung) res.destroy();
      await s.stop();
      await rc.close();
    }
  }
});

test('a target that stops answering stops holding ingest after the stall window', async () => {
  const rc = await receiver('ok', 100);
  const s = await startServer({ env: { SCOLAR_FORWARD_MAX_LAG_MS: '300' } });
  try {
    const f = await forwarder(s, { url: rc.url, concurrency: 1, timeout_ms: 60000 });
    await warmUp(s, f.id, rc);
    rc.mode = 'hang';
    await ingest(s, f.id, 3); // the sender's next batch hangs
    await sleep(3500); // FWD_STALL_MS (3 s) without an answer while rows wait
    const before = (await status(s, f.id)).backpressure;
    assert.equal(before.state, 'inactive');
    await ingest(s, f.id, 10);
    const after = (await status(s, f.id)).backpressure;
    assert.equal(after.state, 'inactive');
    assert.equal(after.held_requests, before.held_requests, 'no request held once it stalled');
  } finally {
    for (const res of rc.hung) res.destroy();
    await s.stop();
    await rc.close();
  }
});

test('a paused forwarder never holds ingest; after resume its backlog drains without holding', async () => {
  const rc = await receiver('ok', 250);
  const s = await startServer({ env: { SCOLAR_FORWARD_MAX_LAG_MS: '500' } });
  try {
    const f = await forwarder(s, { url: rc.url, concurrency: 1 });
    assert.equal((await s.req('POST', `/api/forwarders/${f.id}/pause`)).status, 200);
    const a = await ingest(s, f.id, 10);
    await sleep(700); // the backlog is older than the bound
    let st = await status(s, f.id);
    assert.equal(st.state, 'paused');
    assert.equal(st.queued, 1000);
    assert.ok(st.lag_s > 0.5);
    assert.deepEqual(st.backpressure, { max_lag_ms: 500, state: 'inactive', held_requests: 0, held_s: 0 });
    assert.equal((await s.req('POST', `/api/forwarders/${f.id}/resume`)).status, 200);
    // 1000 rows at about 400/s: more than 2 s of catching up, during which ingest goes on
    const b = await ingest(s, f.id, 3);
    st = await status(s, f.id);
    assert.ok(['catching_up', 'inactive'].includes(st.backpressure.state), st.backpressure.state);
    assert.equal(st.backpressure.held_requests, 0, 'a backlog left by a pause does not hold ingest');
    await drained(s, f.id, rc, [...a.ids, ...b.ids]);
    st = await status(s, f.id);
    assert.equal(st.backpressure.state, 'armed', 'caught up: back-pressure engages again');
    assert.equal(await heldTotal(s), 0);
  } finally {
    await s.stop();
    await rc.close();
  }
});

test('back-pressure off: max_lag_ms 0 or SCOLAR_FORWARD_MAX_LAG_MS=0 restores the old behaviour', async () => {
  const off = await startServer({ env: { SCOLAR_FORWARD_MAX_LAG_MS: '0' } });
  try {
    const f = await forwarder(off, { url: 'http://127.0.0.1:9/xapi/' });
    assert.deepEqual(f.status.backpressure, { max_lag_ms: 0, state: 'off', held_requests: 0, held_s: 0 });
    const g = await forwarder(off, { url: 'http://127.0.0.1:9/xapi/', max_lag_ms: 700 });
    assert.equal(g.max_lag_ms, 700, 'a forwarder may set its own bound');
    assert.deepEqual(g.status.backpressure, { max_lag_ms: 700, state: 'armed', held_requests: 0, held_s: 0 });
  } finally {
    await off.stop();
  }
  const rc = await receiver('ok', 250);
  const s = await startServer({ env: { SCOLAR_FORWARD_MAX_LAG_MS: '1000' } });
  try {
    const f = await forwarder(s, { url: rc.url, concurrency: 1, max_lag_ms: 0 });
    assert.equal(f.max_lag_ms, 0);
    assert.equal(f.status.backpressure.state, 'off');
    const warm = await warmUp(s, f.id, rc);
    const { ids } = await ingest(s, f.id, 30);
    ids.push(...warm);
    let maxLag = 0;
    for (let st = await status(s, f.id); st.queued > 0; st = await status(s, f.id)) {
      maxLag = Math.max(maxLag, st.lag_s);
      await sleep(200);
    }
    const st = await drained(s, f.id, rc, ids);
    console.log(`max_lag_ms 0: lag reached ${maxLag} s`);
    assert.ok(maxLag > 3, `without back-pressure the lag grows past the bound: ${maxLag} s`);
    assert.equal(st.backpressure.held_requests, 0);
    assert.equal(await heldTotal(s), 0);
  } finally {
    await s.stop();
    await rc.close();
  }
});

test('config file: forward-max-lag-ms and forward-hold-ms', () => {
  const dir = tempDir();
  const ok = join(dir, 'ok.conf');
  writeFileSync(ok, 'forward-max-lag-ms = 0\nforward-hold-ms = 1500\n');
  const env = { SCOLAR_DATA: dir, SCOLAR_LISTEN: '', SCOLAR_FORWARD_MAX_LAG_MS: '' };
  const r = cli(['config', 'check', '--config', ok], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /config: ok/);
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'forward-max-lag-ms = soon\n');
  const b = cli(['config', 'check', '--config', bad], { env });
  assert.equal(b.status, 1);
  assert.match(b.stderr, /bad\.conf:1: forward-max-lag-ms: 'soon' needs a whole number from 0 to 3600000/);
});
