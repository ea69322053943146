// SPDX-License-Identifier: Apache-2.0
// Shim cost: median microseconds per SetValue / GetValue (Node, in-process, no I/O) and the
// shim's size. Usage: node bench/bench_shim.mjs [--out bench/results/shim.md]
// Method: 201 rounds; each round times a batch of 1000 calls with process.hrtime.bigint();
// the reported figure is the median round divided by 1000. The commit callback is a no-op that
// answers true synchronously, autosave is off, so only the shim's own work is measured.
import { createRequire } from 'node:module';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shimPath = path.join(root, 'runtime_js', 'scorm-api.js');
const dmPath = path.join(root, 'runtime_js', 'datamodel.json');
const ScolarRuntime = require(shimPath);
const datamodel = JSON.parse(readFileSync(dmPath, 'utf8'));

const ROUNDS = 201, BATCH = 1000;

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; }
function p99(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.99)]; }

function bench(name, setup, fn) {
  const ctx = setup();
  for (let i = 0; i < 2000; i++) fn(ctx, i); // warm-up
  const per = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) fn(ctx, i);
    per.push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
  }
  return { name, median: median(per), p99: p99(per) };
}

function api2004(strict) {
  const a = ScolarRuntime.createScorm2004Api({ datamodel, strict, commit: () => true });
  a.Initialize('');
  for (let i = 0; i < 20; i++) {
    a.SetValue(`cmi.interactions.${i}.id`, 'q' + i);
    a.SetValue(`cmi.interactions.${i}.type`, 'choice');
  }
  return a;
}
function api12() {
  const a = ScolarRuntime.createScorm12Api({ datamodel, commit: () => true });
  a.LMSInitialize('');
  return a;
}

const results = [
  bench('2004 SetValue cmi.location (characterstring)', () => api2004(true), (a, i) => a.SetValue('cmi.location', 'page-' + (i & 63))),
  bench('2004 SetValue cmi.score.scaled (real, range)', () => api2004(true), (a, i) => a.SetValue('cmi.score.scaled', (i & 1) ? '0.75' : '-0.5')),
  bench('2004 SetValue cmi.session_time (timeinterval)', () => api2004(true), (a) => a.SetValue('cmi.session_time', 'PT1H2M3.45S')),
  bench('2004 SetValue interactions.n.learner_response (choice grammar)', () => api2004(true), (a, i) => a.SetValue(`cmi.interactions.${i % 20}.learner_response`, 'a[,]b[,]c')),
  bench('2004 SetValue interactions.n.timestamp (time)', () => api2004(true), (a, i) => a.SetValue(`cmi.interactions.${i % 20}.timestamp`, '2026-11-28T10:00:00.5Z')),
  bench('2004 SetValue comments_from_learner.n.comment ({lang=} + language list)', () => api2004(true), (a, i) => a.SetValue('cmi.comments_from_learner.0.comment', '{lang=en-US}note ' + (i & 7))),
  bench('2004 GetValue cmi.location', () => { const a = api2004(true); a.SetValue('cmi.location', 'x'); return a; }, (a) => a.GetValue('cmi.location')),
  bench('2004 GetValue cmi.completion_status (evaluated)', () => { const a = api2004(true); a.SetValue('cmi.progress_measure', '0.5'); return a; }, (a) => a.GetValue('cmi.completion_status')),
  bench('2004 GetValue cmi.interactions.n.learner_response', () => { const a = api2004(true); for (let i = 0; i < 20; i++) a.SetValue(`cmi.interactions.${i}.learner_response`, 'a'); return a; }, (a, i) => a.GetValue(`cmi.interactions.${i % 20}.learner_response`)),
  bench('2004 GetValue cmi.interactions._count', () => api2004(true), (a) => a.GetValue('cmi.interactions._count')),
  bench('1.2 LMSSetValue cmi.core.lesson_location', () => api12(), (a, i) => a.LMSSetValue('cmi.core.lesson_location', 'p' + (i & 63))),
  bench('1.2 LMSGetValue cmi.core.lesson_status', () => api12(), (a) => a.LMSGetValue('cmi.core.lesson_status'))
];

const shimSize = statSync(shimPath).size;
const shimGz = gzipSync(readFileSync(shimPath)).length;
const dmSize = statSync(dmPath).size;
const dmGz = gzipSync(readFileSync(dmPath)).length;
const worstSet = Math.max(...results.filter((r) => /SetValue/.test(r.name)).map((r) => r.median));
const worstGet = Math.max(...results.filter((r) => /GetValue/.test(r.name)).map((r) => r.median));

const lines = [];
lines.push('# SCORM API shim: per-call cost and size');
lines.push('');
lines.push(`Measured ${new Date().toISOString()} with \`node bench/bench_shim.mjs\` (Node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} CPUs shared with other jobs).`);
lines.push(`Method: ${ROUNDS} rounds of ${BATCH} calls each after a 2000-call warm-up; figure = median (and p99) round / ${BATCH}. Strict mode, in-process, commit callback a synchronous no-op (no I/O).`);
lines.push('');
lines.push('| call | median µs | p99 µs |');
lines.push('|---|---:|---:|');
for (const r of results) lines.push(`| ${r.name} | ${r.median.toFixed(3)} | ${r.p99.toFixed(3)} |`);
lines.push('');
lines.push(`Worst median: SetValue ${worstSet.toFixed(3)} µs, GetValue ${worstGet.toFixed(3)} µs (target ≤ 20 µs: ${worstSet <= 20 && worstGet <= 20 ? 'met' : 'NOT met'}).`);
lines.push('');
lines.push('| file | bytes | gzip bytes |');
lines.push('|---|---:|---:|');
lines.push(`| runtime_js/scorm-api.js | ${shimSize} | ${shimGz} |`);
lines.push(`| runtime_js/datamodel.json | ${dmSize} | ${dmGz} |`);
lines.push('');
lines.push(`Shim size target ≤ 60 KB (61440 bytes) unminified: ${shimSize <= 61440 ? 'met' : 'NOT met'}.`);
const text = lines.join('\n') + '\n';
const outIdx = process.argv.indexOf('--out');
const out = outIdx > 0 ? process.argv[outIdx + 1] : path.join(root, 'bench', 'results', 'shim.md');
writeFileSync(out, text);
process.stdout.write(text);
