// SPDX-License-Identifier: Apache-2.0
// SCORM run-time commit round trip at N concurrent learners (issue 6 "Speed").
//   node bench/bench_commit.mjs [learners=50] [seconds-per-phase=10] [intervals=1000,100,0]
// Starts `scolar serve` (build-release by default, SCOLAR_BIN to override) on a temp data dir
// (TMPDIR decides the disk), imports golf-2004v3-RuntimeBasicCalls, creates one registration
// per learner and launches its SCO; then, for each interval in turn, every learner commits
// through the content origin (`POST /player/<reg>/commit/<session>`, the shim's payload:
// location, score and 4 KB of suspend_data), each commit validated against datamodel.json and
// durably stored (fsync) before the answer:
//   interval > 0: each learner commits once per interval (open loop; 1000 ms is already far
//     more often than a SCO's autosave, 100 ms is ten commits a second per learner);
//   interval = 0: every learner commits back to back (closed loop, a saturation test: by
//     Little's law the round trip is then learners / throughput, so on 2 cores shared with
//     the load generator it measures throughput, not what a learner waits).
// Writes bench/results/runtime.md.
// Work instead of time (the machine is shared): BENCH_COMMITS=N makes each learner send N
// commits per phase instead of running for the phase's seconds; with BENCH_CALLGRIND=<file>
// (bench/run_commit_instr.sh: SCOLAR_BIN a script that execs scolar under valgrind
// --tool=callgrind once that file exists) the setup runs on a plain server (an import spawns a
// worker process), which is then restarted on the same data under callgrind; its counters are
// zeroed before each phase and dumped after it, and no result file is written.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.SCOLAR_BIN ||= join(root, 'build-release/lrs/scolar');
const { startServer, tempDir, SHARED } = await import('../conformance_tests/lib/server.mjs');

const learners = Number(process.argv[2] || 50);
const seconds = Number(process.argv[3] || 15);
const intervals = (process.argv[4] || '1000,100,0').split(',').map(Number);
const fixed = Number(process.env.BENCH_COMMITS || 0);
const callgrind = process.env.BENCH_CALLGRIND;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = tempDir('scolar-bench-commit-');
const zip = join(work, 'golf.zip');
execFileSync('zip', ['-qr', zip, '.'], { cwd: join(SHARED, 'scorm-packages', 'golf-2004v3-RuntimeBasicCalls') });

let s = await startServer({ env: { SCOLAR_LOG_LEVEL: 'warn' }, keepData: !!callgrind });
try {
  let r = await s.req('POST', '/api/courses?id=golf', { body: readFileSync(zip), headers: { 'Content-Type': 'application/zip' } });
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
  if (callgrind) {
    const dataDir = s.dataDir;
    await s.stop();
    writeFileSync(callgrind, '');
    s = await startServer({ env: { SCOLAR_LOG_LEVEL: 'warn' }, dataDir });
    await sleep(3000); /* the content origin starts after /healthz answers */
  }
  const suspend = 'x'.repeat(4096);
  const seqs = sessions.map(() => 0);
  const rows = [];
  for (const interval of intervals) {
    const lat = [];
    let errors = 0;
    const deadline = Date.now() + seconds * 1000;
    if (callgrind) execFileSync('callgrind_control', ['-z', String(s.proc.pid)]);
    await Promise.all(sessions.map(async (ss, i) => {
      if (interval) await sleep((interval * i) / learners); /* spread the learners over the interval */
      for (let next = performance.now(), sent = 0; fixed ? sent++ < fixed : Date.now() < deadline;) {
        if (interval) {
          next += interval;
          const wait = next - performance.now();
          if (wait > 0) await sleep(wait);
        }
        const seq = ++seqs[i];
        const body = JSON.stringify({ token: ss.token, seq, final: false, changes: {
          'cmi.location': `page-${seq}`, 'cmi.score.scaled': String((seq % 100) / 100), 'cmi.suspend_data': suspend } });
        const t0 = performance.now();
        const res = await fetch(`${s.content}/player/${ss.registration}/commit/${ss.session}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
        const j = await res.json();
        lat.push(performance.now() - t0);
        if (res.status !== 200 || j.applied !== true) errors++;
      }
    }));
    if (callgrind) execFileSync('callgrind_control', ['-d', String(s.proc.pid)]);
    lat.sort((a, b) => a - b);
    const q = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))].toFixed(2);
    rows.push(`| ${learners} | ${interval ? `every ${interval} ms` : 'back to back'} | ${lat.length} | ${errors} | ${(lat.length / seconds).toFixed(0)} | ${q(0.5)} | ${q(0.99)} |`);
    console.log(rows[rows.length - 1]);
  }
  const out = `# SCORM run-time commit round trip

Command: \`node bench/bench_commit.mjs ${learners} ${seconds} ${intervals.join(',')}\` (release build,
${new Date().toISOString()}, data dir in ${process.env.TMPDIR || '/tmp'}, 2 cores shared with the load generator).
${learners} learners, each with its own registration, token and launched SCO, commit through
the content origin (\`POST /player/<reg>/commit/<session>\`, the shim's payload: location,
score and 4 KB of suspend_data); every commit is validated against datamodel.json and durably
stored (fsync) before the answer; errors counts answers other than 200 {applied: true}.
Target (issue 6): commit p50 <= 5 ms at 50 concurrent learners.

| learners | each learner commits | commits | errors | commits/s | p50 ms | p99 ms |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
  if (!callgrind) writeFileSync(join(root, 'bench/results/runtime.md'), out);
  console.log(out);
} finally {
  await s.stop();
  if (callgrind) rmSync(s.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
