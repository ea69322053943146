// SPDX-License-Identifier: Apache-2.0
// A table of registrations with their actions (new launch link, reset, delete), shared by the
// course page (learner column) and the learner page (course column).
import { api, ApiError } from './api.js';
import { h, clear, table, statusBadge, fmtScore, fmtDuration, fmtDate, confirmDialog, announce,
  copyButton, messageBox } from './ui.js';

/** The launch link box: an <a> named `name` whose href is the URL, and a copy button. */
export function launchLinkBox(url, { name = 'Launch link', title = 'Launch link', note } = {}) {
  return h('div', { class: 'msg ok launch' },
    h('p', { class: 'msg-title' }, title),
    h('p', { class: 'linkline' },
      h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', 'aria-label': name, class: 'mono url' }, url),
      copyButton(() => url, 'Copy link')),
    note ? h('p', { class: 'hint' }, note) : null);
}

function learnerCell(r) {
  const l = r.learner || {};
  if (!l.id) return '';
  return h('a', { href: `#/learners/${encodeURIComponent(l.id)}` },
    l.name || l.id, l.name ? h('span', { class: 'sub' }, l.id) : null);
}

function courseCell(r) {
  if (!r.course) return '';
  return h('a', { href: `#/courses/${encodeURIComponent(r.course)}` }, r.course_title || r.title || r.course,
    r.course_version ? h('span', { class: 'sub' }, `version ${r.course_version}`) : null);
}

/**
 * registrationTable(items, {by: 'learner'|'course', panel, onChanged}) -> element.
 * `panel` is where a new launch link or an error is shown; onChanged('reset'|'deleted', reg)
 * after a change.
 */
export function registrationTable(items, { by = 'learner', panel, onChanged, empty } = {}) {
  const who = (r) => (by === 'learner' ? (r.learner?.name || r.learner?.id || 'this learner')
    : (r.course_title || r.course || 'this course'));

  async function newLink(r) {
    try {
      const res = await api('POST', `/api/registrations/${encodeURIComponent(r.registration)}/token`);
      clear(panel).appendChild(launchLinkBox(res.launch_url, {
        name: `Launch link for ${who(r)}`, title: `New launch link for ${who(r)}`,
        note: res.expires ? `Valid until ${fmtDate(res.expires)}. Earlier links keep working until they expire.` : null,
      }));
      announce(`New launch link for ${who(r)} ready.`, 'ok');
      panel.querySelector('a')?.focus();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      clear(panel).appendChild(messageBox('error', 'No new launch link.', e.message));
    }
  }

  async function reset(r) {
    const ok = await confirmDialog({
      title: `Reset the registration of ${who(r)}?`,
      body: ['Progress, scores, bookmarks and attempts of this registration are cleared; the learner starts again from the beginning with the same link. Statements already recorded in the LRS are kept.'],
      confirm: 'Reset', danger: true,
    });
    if (!ok) return;
    try {
      await api('POST', `/api/registrations/${encodeURIComponent(r.registration)}/reset`);
      announce(`Registration of ${who(r)} reset.`, 'ok');
      onChanged && onChanged('reset', r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      clear(panel).appendChild(messageBox('error', 'The registration was not reset.', e.message));
    }
  }

  async function del(r) {
    const ok = await confirmDialog({
      title: `Delete the registration of ${who(r)}?`,
      body: ['The registration, its progress and its launch links are deleted; the link stops working. Statements already recorded in the LRS are kept. This cannot be undone.'],
      confirm: 'Delete', danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `/api/registrations/${encodeURIComponent(r.registration)}`);
      announce(`Registration of ${who(r)} deleted.`, 'ok');
      onChanged && onChanged('deleted', r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      clear(panel).appendChild(messageBox('error', 'The registration was not deleted.', e.message));
    }
  }

  const cols = [
    by === 'learner' ? { label: 'Learner', cell: learnerCell } : { label: 'Course', cell: courseCell },
    { label: 'Status', cell: (r) => statusBadge(r) },
    { label: 'Score', class: 'num', cell: (r) => fmtScore(r.score) },
    { label: 'Time', class: 'num', cell: (r) => fmtDuration(r.total_time, r.total_time_cs) },
    { label: 'Last access', cell: (r) => fmtDate(r.last_access) || (r.last_access === null ? 'never' : '') },
    {
      label: 'Actions', class: 'actions-cell', cell: (r) => h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small secondary', 'aria-label': `New link for ${who(r)}`, onclick: () => newLink(r) }, 'New link'),
        h('button', { type: 'button', class: 'small secondary', 'aria-label': `Reset registration of ${who(r)}`, onclick: () => reset(r) }, 'Reset'),
        h('button', { type: 'button', class: 'small danger-outline', 'aria-label': `Delete registration of ${who(r)}`, onclick: () => del(r) }, 'Delete')),
    },
  ];
  return table(cols, items, { caption: 'Registrations', empty: empty || 'No registrations yet.' });
}
