// SPDX-License-Identifier: Apache-2.0
// #/reports/course/ID: the report of one SCORM course from the run-time's records
// (GET /api/reports/course?course=ID): registrations, started, completed, passed, failed,
// completion rate, score distribution, time spent, per SCO, per objective and per interaction
// (difficulty, mean latency, responses with the correct pattern marked). Numbers link to the
// statements the bridge wrote for the course (activity = the course's IRI, related); every
// table has a "Download CSV" link.
import { api, ApiError } from '../api.js';
import { h, messageBox, table, fmtPercent, fmtDuration, hashWith } from '../ui.js';
import { barChart, csvLink, fmtNum, numLink, scoreRows, sectionHead, tiles } from '../charts.js';

const ADL = 'http://adlnet.gov/expapi/verbs/';

// The bridge's activity IRIs: <public URL>/courses/<course>[/<sco>], each segment
// percent-encoded but for RFC 3986 unreserved characters (scorm_bridge.c put_seg).
function seg(s) {
  return Array.from(new TextEncoder().encode(String(s)), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

export default async function render(main, ctx) {
  const id = ctx.params.id;
  ctx.setTitle('Course report');
  let r;
  let course = null;
  try {
    [r, course] = await Promise.all([
      api('GET', `/api/reports/course?course=${encodeURIComponent(id)}`),
      api('GET', `/api/courses/${encodeURIComponent(id)}`).catch(() => null),
    ]);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (e instanceof ApiError && e.status === 404) {
      ctx.setTitle('Course not found');
      main.appendChild(h('section', { class: 'page' }, h('h1', null, 'Course not found'),
        h('p', null, 'There is no course with the id ', h('code', null, id), '. ',
          h('a', { href: '#/reports' }, 'Back to the reports'), '.')));
      return;
    }
    throw e;
  }
  if (!ctx.alive()) return;
  const title = course?.title || id;
  ctx.setTitle(`Report: ${title}`);
  const base = `${location.origin}/courses/`;
  const courseIri = r.activity || `${base}${seg(id)}`;
  const scoIri = (sco) => sco.activity || `${courseIri}/${seg(sco.id)}`;
  const all = { activity: courseIri, related_activities: 'true' };
  const csv = (t) => `/api/reports/course?course=${encodeURIComponent(id)}&format=csv&table=${t}`;
  const score = r.score || {};
  const time = r.time || {};

  const summary = h('section', { class: 'card', 'aria-labelledby': 'sum-h' },
    sectionHead('sum-h', 'Summary', csvLink(csv('summary'), 'the summary', 'course-summary.csv')),
    tiles([
      { label: 'Registrations', value: r.registrations, filters: all, what: 'registrations: the course’s statements' },
      { label: 'Started', value: r.started, filters: { ...all, verb: `${ADL}initialized` }, what: 'started: the initialized statements' },
      { label: 'Completed', value: r.completed, filters: { ...all, verb: `${ADL}completed` }, what: 'completed: the completed statements' },
      { label: 'Passed', value: r.passed, filters: { ...all, verb: `${ADL}passed` }, what: 'passed: the passed statements' },
      { label: 'Failed', value: r.failed, filters: { ...all, verb: `${ADL}failed` }, what: 'failed: the failed statements' },
      { label: 'Completion rate', value: r.completion_rate, text: r.completion_rate === null || r.completion_rate === undefined ? '—' : fmtPercent(r.completion_rate),
        filters: null, note: Number.isFinite(r.registrations) ? `${fmtNum(r.completed)} of ${fmtNum(r.registrations)}` : null },
      { label: 'Median time', value: time.median_s, text: Number.isFinite(time.median_s) ? fmtDuration(time.median_s) : '—', filters: null },
      { label: 'P90 time', value: time.p90_s, text: Number.isFinite(time.p90_s) ? fmtDuration(time.p90_s) : '—', filters: null, note: '90th percentile' },
    ]),
    h('p', { class: 'hint' }, 'Time spent: every attempt of every SCO of the started registrations. ',
      h('a', { href: hashWith('/reports/activity', { activity: courseIri }) }, 'Activity report of this course’s statements'), '.'));

  const scoreSec = h('section', { class: 'card', 'aria-labelledby': 'score-h' },
    sectionHead('score-h', 'Scores', csvLink(csv('score'), 'the score distribution', 'course-score.csv')),
    score.count
      ? [h('p', null, `${fmtNum(score.count)} registration${score.count === 1 ? '' : 's'} with a score: mean ${fmtNum(score.mean, 3)}, min ${fmtNum(score.min, 3)}, max ${fmtNum(score.max, 3)}.`),
        barChart({ title: 'Score distribution (course scaled score)', labelHead: 'Scaled score', valueLabel: 'Registrations',
          rows: scoreRows(score.histogram, null) })]
      : h('p', { class: 'empty' }, 'No registration has a score yet.'));

  const scos = r.scos || [];
  const scoSec = h('section', { class: 'card', 'aria-labelledby': 'sco-h' },
    sectionHead('sco-h', 'SCOs', csvLink(csv('scos'), 'the SCOs', 'course-scos.csv')),
    table([
      { label: 'SCO', cell: (s) => [s.title || s.id, h('span', { class: 'sub mono' }, s.id)] },
      { label: 'Registrations', class: 'num', cell: (s) => numLink(s.registrations, { activity: scoIri(s), related_activities: 'true' }, `registrations of ${s.title || s.id}`) },
      { label: 'Started', class: 'num', cell: (s) => numLink(s.started, { activity: scoIri(s), verb: `${ADL}initialized` }, `started ${s.title || s.id}`) },
      { label: 'Completed', class: 'num', cell: (s) => numLink(s.completed, { activity: scoIri(s), verb: `${ADL}completed` }, `completed ${s.title || s.id}`) },
      { label: 'Passed', class: 'num', cell: (s) => numLink(s.passed, { activity: scoIri(s), verb: `${ADL}passed` }, `passed ${s.title || s.id}`) },
      { label: 'Failed', class: 'num', cell: (s) => numLink(s.failed, { activity: scoIri(s), verb: `${ADL}failed` }, `failed ${s.title || s.id}`) },
      { label: 'Time', class: 'num', cell: (s) => (Number.isFinite(s.time_s) ? fmtDuration(s.time_s) : '') },
      { label: 'Mean score', class: 'num', cell: (s) => fmtNum(s.mean_score, 3) },
    ], scos, { caption: 'SCOs', empty: 'No SCO.' }));

  const objectives = r.objectives || [];
  const objSec = h('section', { class: 'card', 'aria-labelledby': 'obj-h' },
    sectionHead('obj-h', 'Objectives', csvLink(csv('objectives'), 'the objectives', 'course-objectives.csv')),
    table([
      { label: 'Objective', cell: (o) => h('span', { class: 'mono' }, o.id) },
      { label: 'Registrations', class: 'num', cell: (o) => fmtNum(o.registrations) },
      { label: 'Completed', class: 'num', cell: (o) => fmtNum(o.completed) },
      { label: 'Passed', class: 'num', cell: (o) => fmtNum(o.passed) },
      { label: 'Failed', class: 'num', cell: (o) => fmtNum(o.failed) },
      { label: 'Mean score', class: 'num', cell: (o) => fmtNum(o.mean_score, 3) },
    ], objectives, { caption: 'Objectives', empty: 'No objectives recorded.' }));

  const inter = r.interactions || [];
  const answered = { ...all, verb: `${ADL}responded` };
  const intSec = h('section', { class: 'card', 'aria-labelledby': 'int-h' },
    sectionHead('int-h', 'Interactions',
      csvLink(csv('interactions'), 'the interactions', 'course-interactions.csv', 'Interactions CSV'),
      csvLink(csv('responses'), 'the responses', 'course-responses.csv', 'Responses CSV')),
    table([
      { label: 'Interaction', cell: (q) => [h('span', { class: 'mono' }, q.id), q.type ? h('span', { class: 'sub' }, q.type) : null] },
      { label: 'Attempts', class: 'num', cell: (q) => numLink(q.attempts, answered, `attempts at ${q.id}: the course’s responses`) },
      { label: 'Correct', class: 'num', cell: (q) => fmtNum(q.correct) },
      { label: 'Difficulty', class: 'num', cell: (q) => (Number.isFinite(q.difficulty) ? `${fmtPercent(q.difficulty)} wrong` : '') },
      { label: 'Mean latency', class: 'num', cell: (q) => (Number.isFinite(q.mean_latency_s) ? fmtDuration(q.mean_latency_s) : '') },
      { label: 'Correct pattern', cell: (q) => (q.correct_pattern ? h('code', null, q.correct_pattern) : '') },
    ], inter, { caption: 'Interactions', empty: 'No interactions recorded.' }),
    inter.length ? h('div', { class: 'questions' }, inter.map((q) =>
      h('article', { class: 'question' },
        h('h3', null, `Responses to ${q.id}`),
        q.correct_pattern ? h('p', { class: 'sub' }, 'Correct pattern: ', h('code', null, q.correct_pattern)) : null,
        barChart({ title: `Responses to “${q.id}”`, labelHead: 'Response', valueLabel: 'Count', markText: 'correct', open: true, hideCaption: true,
          rows: (q.responses || []).map((x) => ({ label: x.response, value: x.count, mark: !!x.correct })) })))) : null);

  main.appendChild(h('section', { class: 'page report' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/reports' }, 'Reports'), ' / '),
    h('div', { class: 'page-head' }, h('h1', null, title),
      h('div', { class: 'head-actions no-print' },
        h('a', { class: 'button secondary', href: `#/courses/${encodeURIComponent(id)}` }, 'Course page'))),
    h('p', { class: 'lead' }, 'Course report', h('span', { class: 'mono' }, ` · ${id}`)),
    summary, scoreSec, scoSec, objSec, intSec));
}
