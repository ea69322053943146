// SPDX-License-Identifier: Apache-2.0
// #/learners/ID: one learner and all their registrations, each with new launch link, reset
// and delete (GET /api/learners/ID).
import { api, ApiError } from '../api.js';
import { h, clear, messageBox, pager } from '../ui.js';
import { registrationTable } from '../registrations.js';
import { describe, fmtWhen, statementsHref } from '../charts.js';

const TIMELINE = 50;

// The learner's statements, newest first (GET /api/reports/learner?learner=ID), paged with
// the `more` cursor; each in words with its JSON behind a <details>.
function timeline(ctx, id) {
  const list = h('ol', { class: 'stmts timeline', 'aria-label': 'Statements, newest first' });
  const moreBox = h('div', { class: 'more-box' });
  const countLine = h('p', { class: 'stmt-count', 'aria-live': 'polite' });
  const link = h('a', { class: 'button secondary small', href: '#/statements' }, 'In the statement browser');
  let shown = 0;
  async function load(more) {
    const p = new URLSearchParams({ learner: id, limit: String(TIMELINE) });
    if (more) p.set('more', more);
    let res;
    try {
      res = await api('GET', `/api/reports/learner?${p}`);
    } catch (e) {
      if (!ctx.alive() || (e instanceof ApiError && e.status === 401)) return;
      clear(moreBox).appendChild(messageBox('error', 'The timeline could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    if (res?.agent) link.href = statementsHref({ agent: JSON.stringify(res.agent) });
    const items = Array.isArray(res?.statements) ? res.statements : [];
    for (const st of items) {
      const d = describe(st);
      const n = shown++;
      list.appendChild(h('li', { class: 'stmt' },
        h('p', { class: 'stmt-title', tabindex: '-1' }, h('time', { datetime: d.when }, fmtWhen(d.when)), ' ',
          h('span', { class: 'verb' }, d.verb), ' ', h('span', { class: 'what' }, d.what)),
        h('details', { class: 'stmt-details' }, h('summary', null, `JSON of statement ${n + 1}`), h('pre', { class: 'stmt-json' }, JSON.stringify(st, null, 2)))));
    }
    countLine.textContent = shown ? `${shown} statement${shown === 1 ? '' : 's'}${res.more ? ' shown; there are older ones.' : '.'}`
      : 'No statements yet.';
    clear(moreBox);
    if (res.more) {
      const btn = h('button', { type: 'button', class: 'secondary', onclick: async () => {
        btn.disabled = true;
        const first = shown;
        await load(res.more);
        list.children[first]?.querySelector('.stmt-title')?.focus();
      } }, 'Older statements');
      moreBox.appendChild(btn);
    }
  }
  return { box: h('div', null, countLine, list, moreBox), load, link };
}

export default async function render(main, ctx) {
  const id = ctx.params.id;
  const panel = h('div', { class: 'reg-panel' });
  const listBox = h('div', { class: 'list-box', 'aria-live': 'polite' });
  const LIMIT = 50;
  let offset = 0;
  const url = () => `/api/learners/${encodeURIComponent(id)}?offset=${offset}&limit=${LIMIT}`;
  let learner;
  try {
    learner = await api('GET', url());
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      ctx.setTitle('Learner not found');
      main.appendChild(h('section', { class: 'page' }, h('h1', null, 'Learner not found'),
        h('p', null, 'No learner has the id ', h('code', null, id), '. ',
          h('a', { href: '#/learners' }, 'Back to the learners'), '.')));
      return;
    }
    throw e;
  }
  if (!ctx.alive()) return;
  const name = learner.name || learner.id;
  ctx.setTitle(name);
  const heading = h('h1', null, name);
  const tl = timeline(ctx, id);
  main.appendChild(h('section', { class: 'page' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/learners' }, 'Learners'), ' / '),
    h('div', { class: 'page-head' }, heading),
    h('dl', { class: 'facts' },
      h('div', null, h('dt', null, 'Learner ID'), h('dd', { class: 'mono' }, learner.id)),
      h('div', null, h('dt', null, 'Name'), h('dd', null, learner.name || '—'))),
    h('section', { class: 'card', 'aria-labelledby': 'reg-h' },
      h('h2', { id: 'reg-h' }, 'Registrations'), panel, listBox),
    h('section', { class: 'card', 'aria-labelledby': 'tl-h' },
      h('div', { class: 'list-head' }, h('h2', { id: 'tl-h' }, 'Timeline'),
        tl.link),
      tl.box)));

  let shown = 0;
  function show(l) {
    const items = l.registrations || [];
    shown = items.length;
    clear(listBox).appendChild(registrationTable(items, {
      by: 'course', panel, onChanged, empty: 'This learner has no registrations.',
    }));
    const total = Number.isFinite(l.total) ? l.total : items.length;
    listBox.appendChild(pager({ total, offset, limit: LIMIT }, (o) => { offset = o; reload(); }, 'registrations'));
  }
  // The last registration deleted: a learner exists only through registrations, so the
  // server no longer knows them; say so instead of asking (a 404 is not an error here).
  function onChanged(kind) {
    if (kind === 'deleted' && shown === 1 && offset === 0) {
      clear(listBox).appendChild(h('p', { class: 'empty' }, 'This learner has no registrations any more. ',
        h('a', { href: '#/learners' }, 'Back to the learners'), '.'));
      shown = 0;
      return;
    }
    if (kind === 'deleted' && shown === 1) offset = Math.max(0, offset - LIMIT);
    reload();
  }
  async function reload() {
    try {
      const l = await api('GET', url());
      if (ctx.alive()) show(l);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        clear(listBox).appendChild(h('p', { class: 'empty' }, 'This learner has no registrations any more.'));
      } else if (!(e instanceof ApiError && e.status === 401)) {
        clear(listBox).appendChild(messageBox('error', 'The registrations could not be loaded.', e.message));
      }
    }
  }
  show(learner);
  await tl.load(null);
}
