// SPDX-License-Identifier: Apache-2.0
// #/learners?q=&offset=: the paged, searchable list of learners (GET /api/learners).
import { apiList } from '../api.js';
import { h, clear, table, pager, hashWith, messageBox, searchBox } from '../ui.js';

const LIMIT = 50;

export default async function render(main, ctx) {
  ctx.setTitle('Learners');
  let state = {
    q: ctx.query.get('q') || '',
    offset: Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0),
  };
  const listBox = h('div', { class: 'list-box', 'aria-live': 'polite' });
  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Learners')),
    h('section', { class: 'card', 'aria-labelledby': 'list-h' },
      h('div', { class: 'list-head' }, h('h2', { id: 'list-h' }, 'All learners'),
        searchBox('Search learners', state.q, (v) => {
          state = { q: v, offset: 0 };
          history.replaceState(null, '', hashWith('/learners', state));
          load();
        })),
      h('p', { class: 'hint' }, 'A learner appears here once registered to a course (on the course’s page, “New registration”).'),
      listBox)));

  async function load() {
    let page;
    try {
      page = await apiList('/api/learners', { q: state.q, offset: state.offset, limit: LIMIT, fields: ['id', 'name'] });
    } catch (e) {
      if (!ctx.alive()) return;
      clear(listBox).appendChild(messageBox('error', 'The learners could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox).appendChild(table([
      { label: 'Name', cell: (l) => h('a', { href: `#/learners/${encodeURIComponent(l.id)}` }, l.name || l.id) },
      { label: 'Learner ID', cell: (l) => h('span', { class: 'mono' }, l.id) },
      { label: 'Registrations', class: 'num', cell: (l) => (l.registrations ?? '') === '' ? '' : String(l.registrations) },
    ], page.items, {
      caption: 'Learners',
      empty: state.q ? `No learner matches “${state.q}”.` : 'No learners yet.',
    }));
    listBox.appendChild(pager(page, (o) => {
      state = { q: state.q, offset: o };
      history.pushState(null, '', hashWith('/learners', state));
      load();
    }, 'learners'));
  }
  await load();
}
