// SPDX-License-Identifier: Apache-2.0
// #/reports/activity?activity=IRI&since=&until=: the report of one xAPI activity
// (GET /api/reports/activity): counts, score histogram, verbs, questions with their response
// distributions, statements by day. Every number links to its statements (#/statements with
// the matching xAPI filters); every table has a "Download CSV" link (&format=csv&table=).
import { api, ApiError } from '../api.js';
import { h, clear, field, messageBox, hashWith, fmtDate } from '../ui.js';
import { barChart, csvLink, fmtNum, numLink, scoreRows, sectionHead, tiles } from '../charts.js';

const ADL = 'http://adlnet.gov/expapi/verbs/';

function dayPart(v) {
  const m = /^(\d{4}-\d\d-\d\d)/.exec(v || '');
  return m ? m[1] : '';
}
// The next UTC day of "YYYY-MM-DD" (for until = the end of a day in the statement query).
function nextDay(d) {
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isNaN(t) ? '' : new Date(t + 86400000).toISOString().slice(0, 10);
}
function verbName(id) {
  return id.startsWith(ADL) ? id.slice(ADL.length) : id.replace(/^.*[/#]/, '') || id;
}

export default async function render(main, ctx) {
  const act = ctx.query.get('activity') || '';
  const since = dayPart(ctx.query.get('since'));
  const until = dayPart(ctx.query.get('until'));
  ctx.setTitle('Activity report');

  const aField = field('Activity IRI', { name: 'activity', value: act, required: true, autocomplete: 'off', spellcheck: 'false' });
  const sField = field('Since (UTC day)', { name: 'since', type: 'date', value: since });
  const uField = field('Until (UTC day)', { name: 'until', type: 'date', value: until });
  const formErr = h('div', { class: 'form-error' });
  const form = h('form', { class: 'report-form', novalidate: true, 'aria-label': 'Activity and days' },
    h('div', { class: 'filter-grid' }, aField.wrap, sField.wrap, uField.wrap), formErr,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show report')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clear(formErr);
    const a = aField.input.value.trim();
    if (!a) {
      aField.input.setAttribute('aria-invalid', 'true');
      formErr.appendChild(messageBox('error', null, 'Enter the activity’s IRI, e.g. http://example.org/course-1.'));
      aField.input.focus();
      return;
    }
    ctx.navigate(hashWith('/reports/activity', { activity: a, since: sField.input.value, until: uField.input.value }));
  });

  const body = h('div', { class: 'report-body' });
  main.appendChild(h('section', { class: 'page report' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/reports' }, 'Reports'), ' / '),
    h('div', { class: 'page-head' }, h('h1', null, 'Activity report')),
    act ? h('p', { class: 'lead mono report-iri' }, act) : null,
    h('section', { class: 'card no-print' }, form),
    body));
  if (!act) {
    body.appendChild(h('p', { class: 'empty' }, 'Enter an activity IRI to see its report.'));
    return;
  }

  const qs = new URLSearchParams({ activity: act });
  if (since) qs.set('since', `${since}T00:00:00Z`);
  if (until) qs.set('until', `${until}T00:00:00Z`);
  let r;
  try {
    r = await api('GET', `/api/reports/activity?${qs}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (!ctx.alive()) return;
    body.appendChild(messageBox('error', 'The report could not be made.', e.message));
    return;
  }
  if (!ctx.alive()) return;
  ctx.setTitle(`Report: ${act}`);
  const csv = (table) => `/api/reports/activity?${qs}&format=csv&table=${table}`;

  // the statement query behind the numbers: the window as stored since/until (the report's
  // days are whole UTC days: since = the start of the first, until = the end of the last)
  const win = {};
  if (r.since) win.since = r.since;
  if (r.until) win.until = r.until;
  else if (until) win.until = `${nextDay(until)}T00:00:00Z`;
  const about = { activity: act, related_activities: 'true', ...win };
  const asObject = { activity: act, ...win };

  const score = r.score || {};
  const summary = h('section', { class: 'card', 'aria-labelledby': 'sum-h' },
    sectionHead('sum-h', 'Summary', csvLink(csv('summary'), 'the summary', 'activity-summary.csv')),
    tiles([
      { label: 'Statements', value: r.statements, filters: about, what: 'statements about the activity' },
      { label: 'Actors', value: r.actors, filters: about, what: 'actors: their statements about the activity', note: 'distinct' },
      { label: 'Completed', value: r.completed, filters: { ...asObject, verb: `${ADL}completed` }, what: 'actors completed: the completed statements', note: 'actors' },
      { label: 'Passed', value: r.passed, filters: { ...asObject, verb: `${ADL}passed` }, what: 'actors passed: the passed statements', note: 'actors, latest result' },
      { label: 'Failed', value: r.failed, filters: { ...asObject, verb: `${ADL}failed` }, what: 'actors failed: the failed statements', note: 'actors, latest result' },
      { label: 'Scores', value: score.count, filters: asObject, what: 'scores: statements with the activity as object' },
      { label: 'Mean score', value: score.mean, text: score.count ? fmtNum(score.mean, 3) : '—', filters: null,
        note: score.count ? `min ${fmtNum(score.min, 3)}, max ${fmtNum(score.max, 3)}` : null },
    ]),
    r.consistent_through ? h('p', { class: 'hint' }, `Covers every statement stored up to ${fmtDate(r.consistent_through)}.`,
      r.since ? ` Days from ${dayPart(r.since)}` : '', r.until ? ` through ${dayPart(r.until)}.` : r.since ? '.' : '') : null);

  const scoreSec = h('section', { class: 'card', 'aria-labelledby': 'score-h' },
    sectionHead('score-h', 'Scores', csvLink(csv('score'), 'the score distribution', 'activity-score.csv')),
    score.count
      ? barChart({ title: 'Score distribution (scaled score)', labelHead: 'Scaled score', valueLabel: 'Statements',
        rows: scoreRows(score.histogram, asObject) })
      : h('p', { class: 'empty' }, 'No scores recorded.'));

  const verbs = r.verbs || [];
  const verbSec = h('section', { class: 'card', 'aria-labelledby': 'verbs-h' },
    sectionHead('verbs-h', 'Verbs', csvLink(csv('verbs'), 'the verbs', 'activity-verbs.csv')),
    verbs.length
      ? barChart({ title: 'Statements by verb', labelHead: 'Verb', valueLabel: 'Statements', open: true,
        rows: verbs.map((v) => ({ label: verbName(v.id), full: v.id.startsWith(ADL) ? undefined : v.id, value: v.count, filters: { ...about, verb: v.id }, what: `statements with verb ${v.id}` })) })
      : h('p', { class: 'empty' }, 'No statements.'));

  const questions = r.questions || [];
  const qSec = h('section', { class: 'card', 'aria-labelledby': 'q-h' },
    sectionHead('q-h', 'Questions',
      csvLink(csv('questions'), 'the questions', 'activity-questions.csv', 'Questions CSV'),
      csvLink(csv('responses'), 'the responses', 'activity-responses.csv', 'Responses CSV')),
    questions.length ? h('div', { class: 'questions' }, questions.map((q, i) => {
      const qf = { activity: q.id, ...win };
      const pct = q.attempts ? Math.round((q.correct / q.attempts) * 100) : null;
      return h('article', { class: 'question', 'aria-labelledby': `q-${i}` },
        h('h3', { id: `q-${i}` }, q.name || q.id),
        h('p', { class: 'sub mono' }, q.id),
        h('p', null, numLink(q.attempts, qf, `attempts at ${q.name || q.id}`), ` attempt${q.attempts === 1 ? '' : 's'}, `,
          numLink(q.correct, null), ' correct', pct === null ? '' : ` (${pct}%)`),
        barChart({ title: `Responses to “${q.name || q.id}”`, labelHead: 'Response', valueLabel: 'Count', hideCaption: true,
          rows: (q.responses || []).map((x) => ({ label: x.response, value: x.count })) }));
    })) : h('p', { class: 'empty' }, 'No questions (cmi.interaction activities with this activity in their context).'));

  const days = r.by_day || [];
  const daySec = h('section', { class: 'card', 'aria-labelledby': 'day-h' },
    sectionHead('day-h', 'By day (UTC)', csvLink(csv('by_day'), 'the statements by day', 'activity-by-day.csv')),
    days.length
      ? [barChart({ title: 'Statements by day (UTC)', labelHead: 'Day', valueLabel: 'Statements',
        rows: days.map((d) => ({ label: d.day, value: d.statements, what: `statements on ${d.day}`,
          filters: { activity: act, related_activities: 'true', since: `${d.day}T00:00:00Z`, until: `${nextDay(d.day)}T00:00:00Z` } })) }),
      barChart({ title: 'Actors by day (UTC)', labelHead: 'Day', valueLabel: 'Actors',
        rows: days.map((d) => ({ label: d.day, value: d.actors })) })]
      : h('p', { class: 'empty' }, 'No statements in these days.'));

  body.append(summary, scoreSec, verbSec, qSec, daySec);
}
