// SPDX-License-Identifier: Apache-2.0
// #/reports?q=&offset=: where reports start: pick a course (the paged, searchable list of
// GET /api/courses) for its course report, or type an activity IRI for its activity report;
// and a way into the statement browser.
import { apiList } from '../api.js';
import { h, clear, field, table, pager, fmtEdition, fmtPercent, hashWith, messageBox, searchBox } from '../ui.js';

const LIMIT = 20;

export default async function render(main, ctx) {
  ctx.setTitle('Reports');
  let state = {
    q: ctx.query.get('q') || '',
    offset: Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0),
  };

  const act = field('Activity IRI', { name: 'activity', type: 'url', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'http://example.org/course-1' }, 'Any xAPI activity: a course, a module, a question, or a SCORM course’s IRI.');
  const formErr = h('div', { class: 'form-error' });
  const actForm = h('form', { class: 'report-form', novalidate: true, 'aria-labelledby': 'act-h' },
    act.wrap, formErr, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show activity report')));
  actForm.addEventListener('submit', (e) => {
    e.preventDefault();
    clear(formErr);
    const v = act.input.value.trim();
    if (!v) {
      act.input.setAttribute('aria-invalid', 'true');
      formErr.appendChild(messageBox('error', null, 'Enter the activity’s IRI.'));
      act.input.focus();
      return;
    }
    ctx.navigate(hashWith('/reports/activity', { activity: v }));
  });

  const listBox = h('div', { class: 'list-box', 'aria-live': 'polite' });
  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Reports'),
      h('div', { class: 'head-actions' }, h('a', { class: 'button secondary', href: '#/statements' }, 'Browse statements'))),
    h('p', { class: 'lead' }, 'Who finished, who passed, which questions everyone gets wrong, how long it takes. Every number links to the statements behind it.'),
    h('section', { class: 'card', 'aria-labelledby': 'act-h' },
      h('h2', { id: 'act-h' }, 'Activity report'), actForm),
    h('section', { class: 'card', 'aria-labelledby': 'list-h' },
      h('div', { class: 'list-head' }, h('h2', { id: 'list-h' }, 'Course reports'),
        searchBox('Search courses', state.q, (v) => {
          state = { q: v, offset: 0 };
          history.replaceState(null, '', hashWith('/reports', state));
          load();
        })),
      listBox)));

  async function load() {
    let page;
    try {
      page = await apiList('/api/courses', { q: state.q, offset: state.offset, limit: LIMIT, fields: ['title', 'id'] });
    } catch (e) {
      if (!ctx.alive()) return;
      clear(listBox).appendChild(messageBox('error', 'The courses could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox).appendChild(table([
      { label: 'Course', cell: (c) => [h('a', { href: `#/reports/course/${encodeURIComponent(c.id)}` }, c.title || c.id),
        h('span', { class: 'sub mono' }, c.id)] },
      { label: 'SCORM', cell: (c) => fmtEdition(c.edition || c.scorm_version) },
      { label: 'Registrations', class: 'num', cell: (c) => (c.registrations ?? '') === '' ? '' : String(c.registrations) },
      { label: 'Completion', class: 'num', cell: (c) => fmtPercent(c.completion_rate) },
    ], page.items, {
      caption: 'Courses',
      empty: state.q ? `No course matches “${state.q}”.` : 'No courses yet.',
    }));
    listBox.appendChild(pager(page, (o) => {
      state = { q: state.q, offset: o };
      history.pushState(null, '', hashWith('/reports', state));
      load();
    }, 'courses'));
  }
  await load();
}
