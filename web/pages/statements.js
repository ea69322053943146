// SPDX-License-Identifier: Apache-2.0
// #/statements?<xAPI query filters>: the statement browser. A form for the filters of
// GET /xapi/statements (agent, verb, activity, registration, since, until, related_activities,
// related_agents, limit); the results from GET /api/statements (the same query for the console
// session) as a list, each statement's JSON in a <pre> (textContent); "More statements" follows
// the `more` cursor; "Export" downloads every match as JSON lines or CSV
// (GET /api/export/statements).
import { api, ApiError } from '../api.js';
import { h, clear, field, messageBox, announce } from '../ui.js';
import { describe, fmtNum, fmtWhen, statementsHref } from '../charts.js';

const FILTERS = ['agent', 'verb', 'activity', 'registration', 'since', 'until', 'related_activities', 'related_agents', 'limit', 'voiding'];
const PAGE = 100;

/** An agent filter as typed: JSON, or a mailto:/e-mail address, or "homePage|name". */
function agentParam(v) {
  const t = v.trim();
  if (!t || t.startsWith('{')) return t;
  if (/^mailto:/i.test(t)) return JSON.stringify({ mbox: t });
  if (/^[^@\s]+@[^@\s]+$/.test(t)) return JSON.stringify({ mbox: `mailto:${t}` });
  const bar = t.indexOf('|');
  if (bar > 0) return JSON.stringify({ account: { homePage: t.slice(0, bar), name: t.slice(bar + 1) } });
  return t;
}

export default async function render(main, ctx) {
  ctx.setTitle('Statements');
  const q = ctx.query;
  const f = {};
  for (const k of FILTERS) f[k] = q.get(k) || '';

  const agent = field('Agent', { name: 'agent', value: f.agent, autocomplete: 'off', spellcheck: 'false' },
    'Agent JSON, e.g. {"mbox":"mailto:pat@example.org"}, or just an e-mail address.');
  const verb = field('Verb', { name: 'verb', value: f.verb, autocomplete: 'off', spellcheck: 'false' }, 'Verb IRI, e.g. http://adlnet.gov/expapi/verbs/passed');
  const activity = field('Activity', { name: 'activity', value: f.activity, autocomplete: 'off', spellcheck: 'false' }, 'Activity IRI');
  const registration = field('Registration', { name: 'registration', value: f.registration, autocomplete: 'off', spellcheck: 'false' }, 'A registration UUID');
  const since = field('Since', { name: 'since', value: f.since, autocomplete: 'off', spellcheck: 'false' }, 'Stored after this time (ISO 8601)');
  const until = field('Until', { name: 'until', value: f.until, autocomplete: 'off', spellcheck: 'false' }, 'Stored at or before this time (ISO 8601)');
  const limit = field('Page size', { name: 'limit', type: 'number', min: '1', max: '500', value: f.limit, inputmode: 'numeric' }, `Statements per page (default ${PAGE})`);
  const relAct = h('input', { type: 'checkbox', id: 'rel-act', name: 'related_activities', checked: f.related_activities === 'true' });
  const relAg = h('input', { type: 'checkbox', id: 'rel-ag', name: 'related_agents', checked: f.related_agents === 'true' });
  const noVoiding = h('input', { type: 'checkbox', id: 'no-voiding', name: 'voiding', checked: f.voiding === 'false' });
  const formErr = h('div', { class: 'form-error' });

  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filters' },
    h('div', { class: 'filter-grid' }, agent.wrap, verb.wrap, activity.wrap, registration.wrap, since.wrap, until.wrap, limit.wrap),
    h('div', { class: 'checks' },
      h('label', { class: 'choice', for: 'rel-act' }, relAct, h('span', null, 'Related activities (the activity also in context)')),
      h('label', { class: 'choice', for: 'rel-ag' }, relAg, h('span', null, 'Related agents (the agent anywhere in the statement)')),
      h('label', { class: 'choice', for: 'no-voiding' }, noVoiding, h('span', null, 'Leave out voiding statements (reports never count them)'))),
    formErr,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Show statements'),
      h('a', { class: 'button secondary', href: '#/statements' }, 'Clear filters')));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {
      agent: agentParam(agent.input.value), verb: verb.input.value.trim(), activity: activity.input.value.trim(),
      registration: registration.input.value.trim(), since: since.input.value.trim(), until: until.input.value.trim(),
      related_activities: relAct.checked ? 'true' : '', related_agents: relAg.checked ? 'true' : '',
      limit: limit.input.value.trim(), voiding: noVoiding.checked ? 'false' : '',
    };
    const href = statementsHref(next);
    if (location.hash === href) ctx.refresh();
    else ctx.navigate(href);
  });

  // the query as sent to the server (the same for every page and for the export)
  const params = new URLSearchParams();
  for (const k of FILTERS) if (f[k]) params.set(k, f[k]);
  if (!f.limit) params.set('limit', String(PAGE));
  const exportParams = new URLSearchParams(params);
  exportParams.delete('limit');
  exportParams.delete('voiding'); // not an xAPI filter: the export keeps voiding statements
  const active = FILTERS.filter((k) => f[k]);

  const list = h('ol', { class: 'stmts', 'aria-label': 'Statements' });
  const countLine = h('p', { class: 'stmt-count', 'aria-live': 'polite' });
  const moreBox = h('div', { class: 'more-box' });
  const resultBox = h('div', null, countLine, list, moreBox);

  const exportJsonl = `/api/export/statements?${new URLSearchParams([['format', 'jsonl'], ...exportParams])}`;
  const exportCsv = `/api/export/statements?${new URLSearchParams([['format', 'csv'], ...exportParams])}`;

  main.appendChild(h('section', { class: 'page' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/reports' }, 'Reports'), ' / '),
    h('div', { class: 'page-head' }, h('h1', null, 'Statements'),
      h('div', { class: 'head-actions', role: 'group', 'aria-label': 'Export statements' },
        h('a', { class: 'button secondary', href: exportJsonl, download: 'statements.jsonl',
          'aria-label': 'Export statements as JSON lines (every statement matching the filters)' }, 'Export statements (JSONL)'),
        h('a', { class: 'button secondary', href: exportCsv, download: 'statements.csv',
          'aria-label': 'Export statements as CSV (every statement matching the filters)' }, 'Export statements (CSV)'))),
    active.length
      ? h('p', { class: 'lead' }, 'Filtered by ', active.map((k, i) => [i ? ', ' : '', h('code', null, k), ' = ', h('span', { class: 'mono' }, f[k])]), '.')
      : h('p', { class: 'lead' }, 'Every statement, newest first. Use the filters to narrow them down.'),
    // on a phone with filters set, the form starts folded so that the results come first
    h('details', { class: 'card filters-box', open: !active.length || window.matchMedia('(min-width: 40rem)').matches },
      h('summary', null, h('h2', { class: 'inline-h' }, 'Filters'),
        active.length ? h('span', { class: 'sub-inline' }, ` ${active.length} set`) : null),
      form),
    h('section', { class: 'card', 'aria-labelledby': 'res-h' }, h('h2', { id: 'res-h' }, 'Results'), resultBox)));

  let shown = 0;
  async function load(more) {
    const p = new URLSearchParams(params);
    if (more) p.set('more', more);
    let res;
    try {
      res = await api('GET', `/api/statements?${p}`);
    } catch (e) {
      if (!ctx.alive() || (e instanceof ApiError && e.status === 401)) return;
      clear(moreBox).appendChild(messageBox('error', 'The statements could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    const items = Array.isArray(res?.statements) ? res.statements : [];
    for (const st of items) list.appendChild(stmtItem(st, shown++));
    countLine.dataset.count = String(shown);
    countLine.dataset.complete = res.more ? 'false' : 'true';
    countLine.textContent = shown === 0 ? 'No statement matches these filters.'
      : `${fmtNum(shown)} statement${shown === 1 ? '' : 's'}${res.more ? ' shown; there are more.' : '.'}`;
    clear(moreBox);
    if (res.more) {
      const btn = h('button', { type: 'button', class: 'secondary', onclick: async () => {
        btn.disabled = true;
        const first = shown;
        await load(res.more);
        announce(`${shown - first} more statements loaded.`);
        list.children[first]?.querySelector('.stmt-title')?.focus();
      } }, 'More statements');
      moreBox.appendChild(btn);
    }
  }
  await load(null);
}

function stmtItem(st, i) {
  const d = describe(st);
  const id = `stmt-${i}`;
  return h('li', { class: 'stmt' },
    h('p', { class: 'stmt-title', tabindex: '-1', id },
      h('strong', null, d.who || '(no name)'), ' ', h('span', { class: 'verb' }, d.verb), ' ', h('span', { class: 'what' }, d.what)),
    h('p', { class: 'sub' }, d.when ? h('time', { datetime: d.when }, fmtWhen(d.when)) : '', st?.id ? [' · ', h('span', { class: 'mono' }, st.id)] : null),
    h('pre', { class: 'stmt-json', tabindex: '0', 'aria-label': `JSON of statement ${i + 1}` }, JSON.stringify(st, null, 2)));
}
