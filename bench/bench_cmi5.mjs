// SPDX-License-Identifier: Apache-2.0
// cmi5 AU statements at N concurrent sessions (issue 16): every session was launched, fetched
// its token, read LaunchData and the learner preferences and sent initialized; then each sends
// cmi5-allowed statements back to back (closed loop) for the given seconds, each one through
// the LMS's rules (the session and registration records read, checked and written in the
// writer's transaction with the statement: stmt_store_insert_rows). Reports statements per
// second and the round trip (p50, p95). Same shape as bench_commit.mjs.
//   node bench/bench_cmi5.mjs [sessions=20] [seconds=10]
// Starts `scolar serve` (build-rel by default, SCOLAR_BIN to override) on a temp data dir.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.SCOLAR_BIN ||= join(root, 'build-rel/lrs/scolar');
const { startServer } = await import('../conformance_tests/lib/server.mjs');

const sessions = Number(process.argv[2] || 20);
const seconds = Number(process.argv[3] || 10);
const NS = 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd';
const t = '<title><langstring>T</langstring></title><description><langstring>D</langstring></description>';
const xml = `<courseStructure xmlns="${NS}"><course id="https://example.com/bench">${t}</course>` +
  `<au id="https://example.com/bench/au" moveOn="Completed">${t}<url>https://au.example/a.html</url></au></courseStructure>`;

const s = await startServer({ env: { SCOLAR_LOG_LEVEL: 'warn' } });
try {
  const c = await s.req('POST', '/api/courses', { body: xml, headers: { 'Content-Type': 'text/xml' } });
  if (c.status !== 201) throw new Error(`import: ${c.status} ${c.text}`);
  const au = [];
  for (let i = 0; i < sessions; i++) {
    const actor = { objectType: 'Agent', account: { homePage: 'https://example.com', name: `l${i}` } };
    const reg = await s.req('POST', '/api/registrations', { body: { course: c.json.id, actor } });
    const l = await s.req('POST', `/api/registrations/${reg.json.registration}/launch`, { body: { au: 0 } });
    const p = Object.fromEntries(new URL(l.json.launch_url).searchParams);
    const tok = (await (await fetch(p.fetch, { method: 'POST' })).json())['auth-token'];
    const auth = `Basic ${tok}`;
    const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: p.activityId, agent: p.actor, registration: p.registration });
    const ld = (await s.req('GET', `/xapi/activities/state?${q}`, { auth })).json;
    await s.req('GET', `/xapi/agents/profile?${new URLSearchParams({ profileId: 'cmi5LearnerPreferences', agent: p.actor })}`, { auth });
    const st = (verb, cat) => {
      const ctx = JSON.parse(JSON.stringify(ld.contextTemplate));
      ctx.registration = p.registration;
      if (cat) ctx.contextActivities.category = [{ id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5' }];
      return { id: randomUUID(), timestamp: new Date().toISOString(), actor, verb: { id: verb }, object: { id: p.activityId }, context: ctx };
    };
    const init = st('http://adlnet.gov/expapi/verbs/initialized', true);
    const r = await s.req('PUT', `/xapi/statements?statementId=${init.id}`, { body: init, auth });
    if (r.status !== 204) throw new Error(`initialized: ${r.status} ${r.text}`);
    au.push({ auth, st });
  }
  const lat = [];
  let n = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(au.map(async (a) => {
    while (Date.now() < end) {
      const x = a.st('http://adlnet.gov/expapi/verbs/experienced', false);
      const t0 = performance.now();
      const r = await s.req('PUT', `/xapi/statements?statementId=${x.id}`, { body: x, auth: a.auth });
      lat.push(performance.now() - t0);
      if (r.status !== 204) throw new Error(`statement: ${r.status} ${r.text}`);
      n++;
    }
  }));
  lat.sort((a, b) => a - b);
  const pct = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(2);
  console.log(`${sessions} sessions, ${seconds} s: ${n} statements, ${(n / seconds).toFixed(0)}/s, p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms`);
} finally {
  await s.stop();
}
