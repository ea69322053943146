// SPDX-License-Identifier: Apache-2.0
// Persistence: dirty tracking, one payload per commit, monotonically increasing seq, final flag,
// retry of failed changes, async (Promise) committers, autosave, unload (beacon) path.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { ScolarRuntime, DATAMODEL, api2004 } = require('./helpers');

test('commit payload: only elements changed since the last commit, seq increases, Terminate is final', () => {
  const a = api2004({ initial: { 'cmi.location': 'old', 'cmi.entry': 'resume' } });
  a.Initialize('');
  a.SetValue('cmi.location', 'p1');
  a.SetValue('cmi.location', 'p2');
  a.SetValue('cmi.score.raw', '7');
  a.GetValue('cmi.location');
  a.SetValue('cmi.bogus', 'x');
  assert.equal(a.Commit(''), 'true');
  assert.equal(a.Commit(''), 'true');
  a.SetValue('cmi.session_time', 'PT5M');
  a.SetValue('cmi.exit', 'suspend');
  assert.equal(a.Terminate(''), 'true');
  assert.deepEqual(a.commits, [
    { changes: { 'cmi.location': 'p2', 'cmi.score.raw': '7' }, meta: { seq: 1, final: false, beacon: false } },
    { changes: {}, meta: { seq: 2, final: false, beacon: false } },
    { changes: { 'cmi.session_time': 'PT5M', 'cmi.exit': 'suspend' }, meta: { seq: 3, final: true, beacon: false } }
  ]);
});

test('seq continues from opts.seq (a reloaded page never reuses a sequence number)', () => {
  const a = api2004({ seq: 41 });
  a.Initialize('');
  a.Commit('');
  assert.equal(a.commits[0].meta.seq, 42);
});

test('a rejected async commit puts its changes back unless overwritten since', async () => {
  const calls = [];
  let rejectNext = true;
  const a = ScolarRuntime.createScorm2004Api({
    datamodel: DATAMODEL, strict: true,
    commit: (changes, meta) => {
      calls.push([changes, meta.seq]);
      if (rejectNext) { rejectNext = false; return Promise.reject(new Error('offline')); }
      return Promise.resolve({ ok: true });
    }
  });
  a.Initialize('');
  a.SetValue('cmi.location', 'p1');
  a.SetValue('cmi.suspend_data', 's1');
  assert.equal(a.Commit(''), 'true'); // optimistic: the answer is not known synchronously
  a.SetValue('cmi.location', 'p2');
  await new Promise((r) => setImmediate(r));
  assert.equal(a.Commit(''), 'true');
  assert.deepEqual(calls, [
    [{ 'cmi.location': 'p1', 'cmi.suspend_data': 's1' }, 1],
    [{ 'cmi.location': 'p2', 'cmi.suspend_data': 's1' }, 2]
  ]);
});

test('a throwing committer is a commit failure (391), never an exception in content', () => {
  const a = ScolarRuntime.createScorm2004Api({ datamodel: DATAMODEL, commit: () => { throw new Error('x'); } });
  a.Initialize('');
  a.SetValue('cmi.location', 'p');
  assert.equal(a.Commit(''), 'false');
  assert.equal(a.GetLastError(), '391');
});

test('autosave: changes are committed after autosaveMs without a Commit call', async () => {
  const a = api2004({ autosaveMs: 20 });
  a.Initialize('');
  a.SetValue('cmi.location', 'auto');
  assert.equal(a.commits.length, 0);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(a.commits, [{ changes: { 'cmi.location': 'auto' }, meta: { seq: 1, final: false, beacon: false } }]);
  a.Terminate('');
});

test('unload path: dirty data goes out with beacon=true; nothing dirty sends nothing', () => {
  const a = api2004();
  a.Initialize('');
  assert.equal(a._runtime.unload(), true);
  assert.equal(a.commits.length, 0);
  a.SetValue('cmi.suspend_data', 'state');
  a._runtime.unload();
  assert.deepEqual(a.commits, [{ changes: { 'cmi.suspend_data': 'state' }, meta: { seq: 1, final: false, beacon: true } }]);
});

test('httpCommitter: JSON text/plain body; sendBeacon for beacon commits, fetch otherwise', async () => {
  const g = globalThis;
  const saved = { navigator: g.navigator, fetch: g.fetch };
  const sent = [];
  try {
    Object.defineProperty(g, 'navigator', { value: { sendBeacon: (url, blob) => { sent.push(['beacon', url, blob]); return true; } }, configurable: true });
    g.fetch = (url, init) => { sent.push(['fetch', url, init]); return Promise.resolve({ ok: true }); };
    const commit = ScolarRuntime.httpCommitter({ url: '/api/runtime/commit', token: 'tok' });
    assert.equal(commit({ 'cmi.location': 'x' }, { seq: 3, final: true, beacon: true }), true);
    const r = await commit({}, { seq: 4, final: false, beacon: false });
    assert.deepEqual(r, { ok: true });
    assert.equal(sent[0][0], 'beacon');
    assert.equal(await sent[0][2].text(), '{"token":"tok","seq":3,"final":true,"changes":{"cmi.location":"x"}}');
    assert.equal(sent[0][2].type, 'text/plain;charset=utf-8');
    assert.equal(sent[1][0], 'fetch');
    assert.equal(sent[1][2].body, '{"token":"tok","seq":4,"final":false,"changes":{}}');
  } finally {
    Object.defineProperty(g, 'navigator', { value: saved.navigator, configurable: true, writable: true });
    g.fetch = saved.fetch;
  }
});

test('never throws into content: odd arguments give strings and codes', () => {
  const a = api2004();
  for (const args of [[], [undefined], [null], [{}], [42]]) {
    assert.equal(typeof a.GetValue(...args), 'string');
    assert.equal(typeof a.SetValue(...args), 'string');
  }
  assert.equal(a.Initialize(undefined), 'true');
  assert.equal(a.SetValue('cmi.score.raw', 5), 'true');
  assert.equal(a.GetValue('cmi.score.raw'), '5');
  assert.equal(a.SetValue('cmi.location', null), 'true');
  assert.equal(a.GetValue('cmi.location'), '');
  assert.equal(a.GetValue(42), '');
  assert.equal(a.GetLastError(), '301');
});

test('the shim stays within 60 KB unminified', () => {
  const size = require('fs').statSync(require('path').join(__dirname, '..', 'scorm-api.js')).size;
  assert.ok(size <= 60 * 1024, 'scorm-api.js is ' + size + ' bytes');
});

test('works as a plain <script>: defines ScolarRuntime on the global object without module/require', () => {
  const vm = require('vm');
  const src = require('fs').readFileSync(require('path').join(__dirname, '..', 'scorm-api.js'), 'utf8');
  const sandbox = { Map, Set, WeakMap, setTimeout, clearTimeout };
  sandbox.globalThis = sandbox;
  vm.createContext(sandbox);
  vm.runInContext(src, sandbox);
  assert.equal(typeof sandbox.ScolarRuntime.createScorm2004Api, 'function');
  assert.equal(typeof sandbox.ScolarRuntime.createScorm12Api, 'function');
  const api = sandbox.ScolarRuntime.createScorm2004Api({ datamodel: DATAMODEL });
  assert.equal(api.Initialize(''), 'true');
  assert.equal(api.GetValue('cmi._version'), '1.0');
});

test('shared data: adl.data.n.store changes travel in the commit, refused writes do not', () => {
  // the launch payload shape of scorm_rt_launch: initial["adl.data"] = [{id, store?, read, write}]
  const a = api2004({ initial: { 'adl.data': [{ id: 't1', read: true, write: true, store: 'old' }, { id: 't2', read: true, write: false, store: 'ro' }] } });
  a.Initialize('');
  assert.equal(a.GetValue('adl.data.0.store'), 'old');
  assert.equal(a.SetValue('adl.data.0.store', 'new'), 'true');
  assert.equal(a.SetValue('adl.data.1.store', 'x'), 'false');
  assert.equal(a.GetLastError(), '404');
  assert.equal(a.GetValue('adl.data.1.store'), 'ro');
  assert.equal(a.SetValue('adl.data.0.store', ''), 'true');
  assert.equal(a.GetValue('adl.data.0.store'), '');
  assert.equal(a.GetLastError(), '403');
  assert.equal(a.Terminate(''), 'true');
  assert.deepEqual(a.commits, [
    { changes: { 'adl.data.0.store': '' }, meta: { seq: 1, final: true, beacon: false } }
  ]);
});
