// SPDX-License-Identifier: Apache-2.0
// SCORM run-time commit round trip at N concurrent learners (issue 6 "Speed").
//   node bench/bench_commit.mjs [learners=50] [seconds=15]
// Starts `scolar serve` (build-release by default, SCOLAR_BIN to override) on a temp data dir,
// imports golf-2004v3-RuntimeBasicCalls, creates one registration per learner, launches its
// SCO, then every learner commits back to back (location, score, a 4 KB suspend_data, with
// the shim's payload format {token, seq, changes, final}) for the given time, each commit a
// durable write. Writes bench/results/runtime.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.SCOLAR_BIN ||= join(root, 'build-release/lrs/scolar');
const { startServer, tempDir, SHARED } = await import('../conformance_tests/lib/server.mjs');

const learners = Number(process.argv[2] || 50);
const seconds = Number(process.argv[3] || 15);
const work = tempDir('scolar-bench-commit-');
const zip = join(work, 'golf.zip');
execFileSync('zip', ['-qr', zip, '.'], { cwd: join(SHARED, 'scorm-packages', 'golf-2004v3-RuntimeBasicCalls') });

const s = await startServer({ env: { SCOLAR_LOG_LEVEL: 'warn' } });
try {
  let r = await s.req('POST', '/api/courses?course=golf', { body: readFileSync(zip), headers: { 'Content-Type': 'application/zip' } });
  if (r.status !== 201) throw new Error(`import: ${r.status} ${r.text}`);
  const course = await s.req('GET', '/api/courses/golf');
  // the first item of the default organization that launches a SCO
  const findSco = (items) => {
    for (const it of items || []) {
      if (it.scormType === 'sco') return it.identifier;
      const sub = findSco(it.items);
      if (sub) return sub;
    }
    return null;
  };
  const sco = findSco(course.json.tree.organizations[0].items);
  const lat = [];
  let errors = 0;
  const sessions = [];
  for (let i = 0; i < learners; i++) {
    r = await s.req('POST', '/api/registrations', { body: { course: 'golf', learner: { id: `learner-${i}`, name: `Learner ${i}` } } });
    if (r.status !== 201) throw new Error(`registration: ${r.status} ${r.text}`);
    const { registration, token } = r.json;
    const l = await fetch(`${s.content}/player/${registration}/launch`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ token, sco }) });
    const lj = await l.json();
    if (l.status !== 200) throw new Error(`launch: ${l.status} ${JSON.stringify(lj)}`);
    sessions.push({ registration, token, session: lj.session });
  }
  const suspend = 'x'.repeat(4096);
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(sessions.map(async (ss, i) => {
    for (let seq = 1; Date.now() < deadline; seq++) {
      const body = JSON.stringify({ token: ss.token, seq, final: false, changes: {
        'cmi.location': `page-${seq}`, 'cmi.score.scaled': String((seq % 100) / 100), 'cmi.suspend_data': suspend } });
      const t0 = performance.now();
      const res = await fetch(`${s.content}/player/${ss.registration}/commit/${ss.session}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
      await res.arrayBuffer();
      lat.push(performance.now() - t0);
      if (res.status !== 200) errors++;
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))].toFixed(2);
  const out = `# SCORM run-time commit round trip

Command: \`node bench/bench_commit.mjs ${learners} ${seconds}\` (release build, ${new Date().toISOString()},
2 cores shared with the load generator). ${learners} learners, each with its own registration,
token and launched SCO, commit back to back through the content origin
(\`POST /player/<reg>/commit/<session>\`, the shim's payload: location, score and 4 KB of
suspend_data), every commit validated against datamodel.json and durably stored before the answer.

| learners | commits | errors | commits/s | p50 ms | p99 ms | target |
|---|---|---|---|---|---|---|
| ${learners} | ${lat.length} | ${errors} | ${(lat.length / seconds).toFixed(0)} | ${q(0.5)} | ${q(0.99)} | p50 <= 5 ms |
`;
  writeFileSync(join(root, 'bench/results/runtime.md'), out);
  console.log(out);
} finally {
  await s.stop();
  rmSync(work, { recursive: true, force: true });
}
