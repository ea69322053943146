// SPDX-License-Identifier: Apache-2.0
// #/courses/ID: one course: preview, delete, its registrations (new registration with its
// launch link), its structure with sequencing notes, and its versions (upload a new one).
import { api, apiList, ApiError } from '../api.js';
import { h, clear, field, table, pager, fmtEdition, fmtDate, confirmDialog, announce, messageBox } from '../ui.js';
import { uploadWidget } from '../upload.js';
import { seqNotes } from '../seqnotes.js';
import { registrationTable, launchLinkBox } from '../registrations.js';

const LIMIT = 50;

function kindOf(item) {
  if (item.items && item.items.length) return 'section';
  if (item.scormType === 'sco') return 'SCO';
  if (item.scormType === 'asset' || item.resource) return 'asset';
  return 'section';
}

function treeList(items) {
  if (!items || !items.length) return null;
  return h('ul', { class: 'tree' }, items.map((it) => {
    const notes = seqNotes(it);
    const kind = kindOf(it);
    return h('li', null,
      h('div', { class: 'node' },
        h('span', { class: 'node-title' }, it.title || it.identifier),
        h('span', { class: `tag ${kind === 'SCO' ? 'sco' : ''}` }, kind),
        it.isvisible === false ? h('span', { class: 'tag muted' }, 'hidden') : null),
      notes.length ? h('ul', { class: 'notes', 'aria-label': `Sequencing of ${it.title || it.identifier}` },
        notes.map((n) => h('li', null, n))) : null,
      treeList(it.items));
  }));
}

function structure(course) {
  const orgs = course.tree?.organizations || course.organizations || [];
  if (!orgs.length) return h('p', { class: 'empty' }, 'This package has no organisation: its resources are launched directly.');
  return h('div', null, orgs.map((o) => {
    const notes = seqNotes(o);
    return h('div', { class: 'org' },
      h('h3', null, o.title || o.identifier, orgs.length > 1 && o.default ? h('span', { class: 'tag' }, 'default') : null),
      notes.length ? h('ul', { class: 'notes', 'aria-label': `Sequencing of ${o.title || o.identifier}` }, notes.map((n) => h('li', null, n))) : null,
      treeList(o.items));
  }));
}

function versionsTable(course) {
  const cur = course.current ?? course.version;
  const rows = (course.versions || []).map((v) => (typeof v === 'number' ? { version: v } : v))
    .sort((a, b) => b.version - a.version);
  return table([
    { label: 'Version', cell: (v) => h('span', null, String(v.version), v.version === cur ? h('span', { class: 'tag sco' }, 'current') : null) },
    { label: 'Imported', cell: (v) => fmtDate(v.created || v.imported) },
    { label: 'Title', cell: (v) => v.title || '' },
    { label: 'SCOs', class: 'num', cell: (v) => (v.scos ?? '') === '' ? '' : String(v.scos) },
  ], rows, { caption: 'Versions', empty: 'No versions.' });
}

export default async function render(main, ctx) {
  const id = ctx.params.id;
  let course;
  try {
    course = await api('GET', `/api/courses/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      ctx.setTitle('Course not found');
      main.appendChild(h('section', { class: 'page' }, h('h1', null, 'Course not found'),
        h('p', null, 'There is no course with the id ', h('code', null, id), '. It may have been deleted. ',
          h('a', { href: '#/courses' }, 'Back to the courses'), '.')));
      return;
    }
    throw e;
  }
  if (!ctx.alive()) return;
  const title = course.title || course.id;
  ctx.setTitle(title);

  // ---- actions: preview and delete
  const actionMsg = h('div', { class: 'action-msg' });
  async function preview() {
    clear(actionMsg);
    const win = window.open('', '_blank');
    try {
      const res = await api('POST', `/api/courses/${encodeURIComponent(id)}/preview`);
      if (win) {
        win.opener = null;
        win.location.href = res.launch_url;
      }
      actionMsg.appendChild(launchLinkBox(res.launch_url, {
        name: 'Preview link', title: 'Preview opened in a new tab',
        note: 'A preview records nothing: no progress, no statements. If no tab opened, use this link.',
      }));
    } catch (e) {
      if (win) win.close();
      if (e instanceof ApiError && e.status === 401) return;
      actionMsg.appendChild(messageBox('error', 'The preview could not start.', e.message));
    }
  }
  async function del() {
    clear(actionMsg);
    const regs = course.registrations;
    const ok = await confirmDialog({
      title: `Delete “${title}”?`,
      body: [
        'The course, all its versions and its files are deleted. This cannot be undone.',
        Number(regs) > 0 ? `It has ${regs} registration${regs === 1 ? '' : 's'}: scolar refuses to delete a course while registrations exist.` : null,
      ].filter(Boolean),
      confirm: 'Delete course', danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `/api/courses/${encodeURIComponent(id)}`);
      announce(`“${title}” deleted.`, 'ok');
      ctx.navigate('#/courses');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      if (e instanceof ApiError && e.status === 409) {
        actionMsg.appendChild(messageBox('error', 'This course was not deleted: learners are registered to it.',
          `The server says: ${e.message}.`,
          'Registrations keep learners’ progress and launch links, so scolar never deletes them with the course. Delete each registration first (in the list below, or on each learner’s page), then delete the course.'));
      } else {
        actionMsg.appendChild(messageBox('error', 'The course was not deleted.', e.message));
      }
    }
  }

  // ---- registrations
  const regPanel = h('div', { class: 'reg-panel' });
  const regList = h('div', { class: 'list-box', 'aria-live': 'polite' });
  let regOffset = 0;
  async function loadRegs() {
    let page;
    try {
      page = await apiList(`/api/courses/${encodeURIComponent(id)}/registrations`, { offset: regOffset, limit: LIMIT });
    } catch (e) {
      if (!ctx.alive() || (e instanceof ApiError && e.status === 401)) return;
      clear(regList).appendChild(messageBox('error', 'The registrations could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(regList).appendChild(registrationTable(page.items, {
      by: 'learner', panel: regPanel, onChanged: loadRegs,
      empty: 'No learner is registered yet. Use “New registration” to make a launch link.',
    }));
    regList.appendChild(pager(page, (o) => { regOffset = o; loadRegs(); }, 'registrations'));
  }

  const lid = field('Learner ID', { name: 'learner-id', required: true, autocomplete: 'off', spellcheck: 'false' },
    'An id that stays the same for this person, e.g. an employee number or e-mail address.');
  const lname = field('Learner name', { name: 'learner-name', autocomplete: 'off' }, 'Shown to the course (cmi.core.student_name / cmi.learner_name).');
  const formErr = h('div', { class: 'form-error' });
  const createBtn = h('button', { type: 'submit', class: 'primary' }, 'Create');
  const form = h('form', { class: 'inline-form', id: 'new-reg', hidden: true, novalidate: true },
    lid.wrap, lname.wrap, formErr, h('div', { class: 'actions' }, createBtn,
      h('button', { type: 'button', class: 'secondary', onclick: () => toggleForm(false) }, 'Cancel')));
  const newBtn = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', 'aria-controls': 'new-reg',
    onclick: () => toggleForm(form.hidden) }, 'New registration');
  function toggleForm(open) {
    form.hidden = !open;
    newBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      clear(formErr);
      lid.input.focus();
    } else newBtn.focus();
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(formErr);
    const learnerId = lid.input.value.trim();
    if (!learnerId) {
      formErr.appendChild(messageBox('error', null, 'Enter the learner’s ID.'));
      lid.input.setAttribute('aria-invalid', 'true');
      lid.input.focus();
      return;
    }
    lid.input.removeAttribute('aria-invalid');
    const learner = { id: learnerId };
    if (lname.input.value.trim()) learner.name = lname.input.value.trim();
    createBtn.disabled = true;
    try {
      const res = await api('POST', '/api/registrations', { course: id, learner });
      clear(regPanel).appendChild(launchLinkBox(res.launch_url, {
        name: 'Launch link', title: `Registration created for ${learner.name || learner.id}`,
        note: `Send this link to the learner; it opens the course${res.expires ? ` and is valid until ${fmtDate(res.expires)}` : ''}. Anyone with the link plays as this learner.`,
      }));
      announce(`Registration created for ${learner.name || learner.id}. The launch link is ready.`, 'ok');
      lid.input.value = '';
      lname.input.value = '';
      form.hidden = true;
      newBtn.setAttribute('aria-expanded', 'false');
      regPanel.querySelector('a')?.focus();
      loadRegs();
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 401) return;
      formErr.appendChild(messageBox('error', 'The registration was not created.', ex.message));
    } finally {
      createBtn.disabled = false;
    }
  });

  const verBox = h('div', null, versionsTable(course));
  async function reloadVersions() {
    try {
      const c = await api('GET', `/api/courses/${encodeURIComponent(id)}`);
      if (ctx.alive()) clear(verBox).appendChild(versionsTable(c));
    } catch { /* the import message is already shown */ }
  }

  const regCount = Number.isFinite(course.registrations) ? course.registrations : null;
  main.appendChild(h('section', { class: 'page' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/courses' }, 'Courses'), ' / '),
    h('div', { class: 'page-head' },
      h('h1', null, title),
      h('div', { class: 'head-actions' },
        h('button', { type: 'button', class: 'secondary', onclick: preview }, 'Preview'),
        h('button', { type: 'button', class: 'danger-outline', onclick: del }, 'Delete'))),
    h('dl', { class: 'facts' },
      h('div', null, h('dt', null, 'Course id'), h('dd', { class: 'mono' }, course.id)),
      h('div', null, h('dt', null, 'SCORM'), h('dd', null, fmtEdition(course.edition || course.scorm_version))),
      h('div', null, h('dt', null, 'Current version'), h('dd', null, String(course.current ?? course.version ?? ''))),
      regCount !== null ? h('div', null, h('dt', null, 'Registrations'), h('dd', null, String(regCount))) : null,
      h('div', null, h('dt', null, 'Updated'), h('dd', null, fmtDate(course.updated)))),
    actionMsg,
    h('section', { class: 'card', 'aria-labelledby': 'reg-h' },
      h('div', { class: 'list-head' }, h('h2', { id: 'reg-h' }, 'Registrations'), newBtn),
      form, regPanel, regList),
    h('section', { class: 'card', 'aria-labelledby': 'tree-h' },
      h('h2', { id: 'tree-h' }, 'Structure'), structure(course)),
    h('section', { class: 'card', 'aria-labelledby': 'ver-h' },
      h('h2', { id: 'ver-h' }, 'Versions'),
      verBox,
      h('h3', null, 'New version of this course'),
      h('p', { class: 'hint' }, 'Learners already registered keep the version they started with; new registrations get the new version.'),
      uploadWidget({ label: 'Upload a new version', course: id, onDone: reloadVersions }))));
  await loadRegs();
}
