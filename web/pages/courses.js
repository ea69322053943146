// SPDX-License-Identifier: Apache-2.0
// #/courses?q=&offset=: upload a package, and the paged, searchable list of courses
// (GET /api/courses?q=&offset=&limit=).
import { api, apiList } from '../api.js';
import { h, clear, table, pager, fmtEdition, fmtPercent, fmtDate, hashWith, messageBox, searchBox, announce } from '../ui.js';
import { uploadWidget } from '../upload.js';

const LIMIT = 50;

export default async function render(main, ctx) {
  ctx.setTitle('Courses');
  const q = ctx.query.get('q') || '';
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
  const listBox = h('div', { class: 'list-box' });

  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Courses')),
    h('section', { class: 'card', 'aria-labelledby': 'up-h' },
      h('h2', { id: 'up-h' }, 'Add a course'),
      uploadWidget({
        label: 'Upload course',
        hint: 'A SCORM 1.2 or 2004 package or a cmi5 package (.zip), or a cmi5 course structure (.xml). Each upload becomes a new course; to update a course, open it and upload a new version there.',
        onDone: () => { load(); },
      })),
    h('section', { class: 'card', 'aria-labelledby': 'list-h' },
      h('div', { class: 'list-head' }, h('h2', { id: 'list-h' }, 'All courses'),
        searchBox('Search courses', q, (v) => {
          state = { q: v, offset: 0 };
          history.replaceState(null, '', hashWith('/courses', state));
          load(true);
        })),
      listBox)));

  let state = { q, offset };
  async function load(sayCount = false) {
    const { q: qq, offset: off } = state;
    let page;
    try {
      page = await apiList('/api/courses', { q: qq, offset: off, limit: LIMIT, fields: ['title', 'id'] });
    } catch (e) {
      if (!ctx.alive()) return;
      clear(listBox).appendChild(messageBox('error', 'The courses could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox);
    listBox.appendChild(table([
      // one list: SCORM courses then cmi5 ones (kind "cmi5", whose page is #/cmi5/ID)
      { label: 'Title', cell: (c) => [h('a', { href: `#/${c.kind === 'cmi5' ? 'cmi5' : 'courses'}/${encodeURIComponent(c.id)}` }, c.title || c.id),
        h('span', { class: 'sub mono' }, c.id)] },
      { label: 'Version', class: 'num', cell: (c) => String(c.version ?? c.current ?? '') },
      { label: 'Format', cell: (c) => c.kind === 'cmi5' ? 'cmi5' : fmtEdition(c.edition || c.scorm_version) },
      { label: 'SCOs / AUs', class: 'num', cell: (c) => String(c.kind === 'cmi5' ? c.aus : (c.scos ?? '')) },
      { label: 'Registrations', class: 'num', cell: (c) => (c.registrations ?? '') === '' ? '' : String(c.registrations) },
      { label: 'Completion', class: 'num', cell: (c) => fmtPercent(c.completion_rate) },
      { label: 'Updated', cell: (c) => fmtDate(c.updated) },
    ], page.items, {
      caption: 'Courses',
      empty: qq ? `No course matches “${qq}”.` : 'No courses yet. Upload a SCORM package to start.',
    }));
    if (sayCount) announce(`${page.total} ${page.total === 1 ? 'course' : 'courses'} found.`);
    listBox.appendChild(pager(page, (o) => {
      state = { q: qq, offset: o };
      history.pushState(null, '', hashWith('/courses', state));
      load();
    }, 'courses'));
  }
  await load();
}
