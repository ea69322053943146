// SPDX-License-Identifier: Apache-2.0
// Monitoring (issue 18): /metrics in the Prometheus text format 0.0.4, read by a strict parser
// written from the format's description; /readyz on both origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// Parse the exposition text; throws on anything the format does not allow. Returns
// {families: Map(name -> {type, help, samples: [{name, labels, value}]})}.
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the text ends with a line feed');
  const families = new Map();
  let current = null;
  const seen = new Set();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) continue; // other comments are allowed
      const [, kind, name, rest] = m;
      assert.match(name, NAME, `metric name ${name}`);
      if (!families.has(name)) families.set(name, { type: 'untyped', help: null, samples: [] });
      const f = families.get(name);
      if (kind === 'TYPE') {
        assert.ok(TYPES.has(rest), `type ${rest}`);
        assert.equal(f.samples.length, 0, `TYPE of ${name} before its samples`);
        assert.ok(!f.typed, `one TYPE line for ${name}`);
        f.type = rest;
        f.typed = true;
      } else {
        assert.equal(f.help, null, `one HELP line for ${name}`);
        f.help = rest;
      }
      current = name;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const [, name, , labelText, valueText] = m;
    const labels = {};
    if (labelText !== undefined && labelText !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/y;
      let pos = 0;
      while (pos < labelText.length) {
        re.lastIndex = pos;
        const lm = re.exec(labelText);
        assert.ok(lm, `labels of: ${line}`);
        assert.ok(!(lm[1] in labels), `label ${lm[1]} once`);
        labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        pos = re.lastIndex;
      }
    }
    assert.ok(/^([+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)|[+-]?Inf|NaN)$/.test(valueText), `value ${valueText}`);
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const fam = families.get(name) || families.get(base);
    assert.ok(fam, `sample ${name} has a TYPE before it`);
    assert.ok(current === name || current === base, `samples of ${name} are grouped under their family`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    assert.ok(!seen.has(key), `one sample per label set: ${line}`);
    seen.add(key);
    fam.samples.push({ name, labels, value: Number(valueText.replace('Inf', 'Infinity')) });
  }
  // histograms: buckets cumulative, ascending le, +Inf equal to _count
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue;
    const series = new Map();
    for (const s of f.samples) {
      const { le, ...rest } = s.labels;
      const k = JSON.stringify(Object.entries(rest).sort());
      if (!series.has(k)) series.set(k, { buckets: [], count: null, sum: null });
      const e = series.get(k);
      if (s.name === `${name}_bucket`) e.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
      else if (s.name === `${name}_count`) e.count = s.value;
      else if (s.name === `${name}_sum`) e.sum = s.value;
      else assert.fail(`unexpected ${s.name} in histogram ${name}`);
    }
    for (const [k, e] of series) {
      assert.ok(e.buckets.length > 1 && e.buckets.at(-1)[0] === Infinity, `${name}${k}: a +Inf bucket`);
      for (let i = 1; i < e.buckets.length; i++) {
        assert.ok(e.buckets[i][0] > e.buckets[i - 1][0], `${name}${k}: le ascending`);
        assert.ok(e.buckets[i][1] >= e.buckets[i - 1][1], `${name}${k}: cumulative`);
      }
      assert.equal(e.buckets.at(-1)[1], e.count, `${name}${k}: +Inf equals _count`);
      assert.ok(e.sum !== null && e.sum >= 0, `${name}${k}: _sum`);
    }
  }
  return families;
}

const sample = (fams, name, labels = {}) => {
  const f = fams.get(name) || fams.get(name.replace(/_(bucket|sum|count)$/, ''));
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : undefined;
};

test('/metrics: admin only, strict exposition format, counts what happened', async () => {
  const s = await startServer();
  try {
    const anon = await fetch(`${s.base}/metrics`);
    assert.equal(anon.status, 401);
    const scope = await s.req('POST', '/api/credentials', { body: { name: 'writer', scopes: ['statements/write'] } });
    assert.equal(scope.status, 201);
    const w = 'Basic ' + Buffer.from(`${scope.json.key}:${scope.json.secret}`).toString('base64');
    assert.equal((await s.req('GET', '/metrics', { auth: w })).status, 403, 'admin scope needed');

    let r = await s.req('GET', '/metrics', { raw: true });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const before = parseExposition(await r.res.text());
    const about0 = sample(before, 'scolar_http_requests_total', { route: '/xapi/about', code: '200' }) || 0;

    for (let i = 0; i < 3; i++) assert.equal((await s.req('GET', '/xapi/about')).status, 200);
    assert.equal((await s.req('GET', '/xapi/statements?verb=notaniri')).status, 400);
    const st = (i) => ({ actor: { mbox: `mailto:m${i}@example.com` }, verb: { id: 'http://adlnet.gov/expapi/verbs/attempted' }, object: { id: 'http://example.com/m' } });
    assert.equal((await s.req('POST', '/xapi/statements', { body: [st(1), st(2), st(3), st(4)] })).status, 200);
    assert.equal((await fetch(`${s.content}/healthz`)).status, 200);

    // a request is counted after its answer is sent (its duration includes the sending), so
    // the client can read /metrics before the server thread counted the last one: read again
    // until the counts arrive (at most 5 s), then assert them exactly
    let fams;
    for (let tries = 0; ; tries++) {
      r = await s.req('GET', '/metrics', { raw: true });
      fams = parseExposition(await r.res.text());
      const arrived = sample(fams, 'scolar_http_requests_total', { origin: 'content', route: '/healthz', code: '200' }) >= 1 &&
        sample(fams, 'scolar_http_request_duration_seconds_count', { origin: 'api', route: '/xapi/about' }) >= about0 + 3 &&
        sample(fams, 'scolar_http_requests_total', { origin: 'api', route: '/xapi/statements', code: '200' }) >= 1;
      if (arrived || tries >= 50) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    for (const name of ['scolar_build_info', 'scolar_uptime_seconds', 'scolar_http_requests_total',
      'scolar_http_request_duration_seconds', 'scolar_statements_stored', 'scolar_index_lag_seconds',
      'scolar_store_map_bytes', 'scolar_store_used_bytes']) {
      assert.ok(fams.has(name), `${name} is there`);
      assert.ok(fams.get(name).help, `${name} has HELP`);
    }
    assert.equal(fams.get('scolar_http_requests_total').type, 'counter');
    assert.equal(fams.get('scolar_http_request_duration_seconds').type, 'histogram');
    assert.equal(sample(fams, 'scolar_http_requests_total', { origin: 'api', route: '/xapi/about', code: '200' }), about0 + 3);
    assert.equal(sample(fams, 'scolar_http_requests_total', { origin: 'api', route: '/xapi/statements', code: '400' }), 1);
    assert.equal(sample(fams, 'scolar_http_requests_total', { origin: 'api', route: '/xapi/statements', code: '200' }), 1);
    assert.ok(sample(fams, 'scolar_http_requests_total', { origin: 'content', route: '/healthz', code: '200' }) >= 1);
    assert.equal(sample(fams, 'scolar_http_request_duration_seconds_count', { origin: 'api', route: '/xapi/about' }), about0 + 3);
    assert.equal(sample(fams, 'scolar_statements_stored'), 4);
    const map = sample(fams, 'scolar_store_map_bytes');
    const used = sample(fams, 'scolar_store_used_bytes');
    assert.ok(used > 0 && used <= map, `used ${used} within the map ${map}`);
    // the route label comes from the route table, never from the client's path
    assert.equal((await s.req('GET', '/xapi/no/such/thing%22%0a')).status, 404);
    r = await s.req('GET', '/metrics', { raw: true });
    const after = await r.res.text();
    parseExposition(after);
    assert.doesNotMatch(after, /no\/such\/thing/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('/readyz: ready on both origins, with no credential', async () => {
  const s = await startServer();
  try {
    for (const base of [s.base, s.content]) {
      const r = await fetch(`${base}/readyz`);
      assert.equal(r.status, 200, base);
      assert.deepEqual(await r.json(), { ready: true, problems: [] });
    }
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('the strict parser refuses what the format does not allow', () => {
  for (const bad of [
    'x 1', // no trailing line feed
    '# TYPE a counter\na{b="c} 1\n',
    '# TYPE a counter\na 1\na 2\n',
    '# TYPE a gauge\na one\n',
    'a 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 0\n',
  ]) assert.throws(() => parseExposition(bad), undefined, JSON.stringify(bad));
  assert.doesNotThrow(() => parseExposition('# HELP a x\n# TYPE a counter\na{b="c\\"d"} 1\n'));
});
