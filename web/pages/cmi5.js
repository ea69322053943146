// SPDX-License-Identifier: Apache-2.0
// #/cmi5/:id?reg=: a cmi5 course (GET /api/courses/ID): its AUs with moveOn, the registrations
// (GET /api/courses/ID/registrations) with each one's moveOn status, a form that registers a
// learner, launch links per AU, waive an AU, abandon an open session (docs/cmi5.md).
import { api } from '../api.js';
import { h, clear, table, field, fmtDate, messageBox, announce, copyButton, confirmDialog } from '../ui.js';

const REASONS = ['Tested Out', 'Equivalent AU', 'Equivalent Outside Activity', 'Administrative'];
const yes = (b) => (b ? 'yes' : '—');

function actorName(a) {
  return (a && (a.name || (a.account && a.account.name) || a.mbox)) || '?';
}

const madeLinks = new Map(); // registration -> the answer with its latest launch links

export default async function render(main, ctx) {
  const id = ctx.params.id;
  let course;
  try {
    course = await api('GET', `/api/courses/${encodeURIComponent(id)}`);
  } catch (e) {
    main.appendChild(messageBox('error', 'The course could not be loaded.', e.message));
    return;
  }
  if (!ctx.alive()) return;
  ctx.setTitle(course.title || id);
  const regBox = h('div', { class: 'list-box' });
  const detail = h('div', { class: 'list-box', id: 'cmi5-reg' });
  const learnerId = field('Learner id', { name: 'learner', required: true, autocomplete: 'off' });
  const learnerName = field('Name', { name: 'name', autocomplete: 'off' });
  const form = h('form', { class: 'row-form', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const reg = await api('POST', '/api/registrations', { course: id, learner: { id: learnerId.input.value, name: learnerName.input.value || undefined } });
      madeLinks.set(reg.registration, reg);
      announce(`Registered ${actorName(reg.actor)}.`, 'ok');
      ctx.navigate(`#/cmi5/${encodeURIComponent(id)}?reg=${reg.registration}`);
    } catch (e) {
      announce(e.message, 'error');
    }
  } }, learnerId.wrap, learnerName.wrap, h('button', { type: 'submit', class: 'primary' }, 'Register'));

  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, course.title || id),
      h('p', { class: 'sub' }, 'cmi5 course · ', h('span', { class: 'mono' }, course.publisherId))),
    h('section', { class: 'card', 'aria-labelledby': 'aus-h' }, h('h2', { id: 'aus-h' }, 'Assignable units'),
      table([
        { label: 'AU', cell: (a) => [a.title || a.publisherId, h('span', { class: 'sub mono' }, a.publisherId)] },
        { label: 'moveOn', cell: (a) => a.moveOn },
        { label: 'Mastery score', class: 'num', cell: (a) => (a.masteryScore ?? '') === '' ? '' : String(a.masteryScore) },
        { label: 'Window', cell: (a) => a.launchMethod },
        { label: 'Block', cell: (a) => a.blocks.map((b) => course.blocks[b].title).join(' › ') },
      ], course.aus, { caption: 'Assignable units' })),
    h('section', { class: 'card', 'aria-labelledby': 'regs-h' }, h('h2', { id: 'regs-h' }, 'Registrations'), form, regBox),
    detail));

  async function loadRegs() {
    let regs;
    try {
      regs = await api('GET', `/api/courses/${encodeURIComponent(id)}/registrations`);
    } catch (e) {
      clear(regBox).appendChild(messageBox('error', 'The registrations could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(regBox).appendChild(table([
      { label: 'Learner', cell: (r) => h('a', { href: `#/cmi5/${encodeURIComponent(id)}?reg=${r.registration}` }, actorName(r.actor)) },
      { label: 'Satisfied', cell: (r) => yes(r.satisfied) },
      { label: 'AUs satisfied', class: 'num', cell: (r) => `${r.aus.filter((a) => a.satisfied).length} / ${r.aus.length}` },
      { label: 'Created', cell: (r) => fmtDate(r.created) },
    ], regs, { caption: 'Registrations', empty: 'No registrations yet.' }));
  }

  // The server keeps only a hash of the launch-link token: links are in the answers that make
  // them (registering, POST .../link, which makes new ones and voids the older); this page
  // keeps the latest of each registration (madeLinks) for as long as it is open.
  async function loadReg(reg, withLinks) {
    let r;
    if (withLinks) madeLinks.set(reg, withLinks);
    try {
      r = withLinks || await api('GET', `/api/registrations/${reg}`);
      const made = madeLinks.get(reg);
      if (made) r.aus.forEach((a, i) => { a.launch_url = made.aus[i]?.launch_url; });
    } catch (e) {
      clear(detail).appendChild(messageBox('error', 'The registration could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    const reason = field('Reason', { tag: 'select', name: 'reason' });
    for (const x of REASONS) reason.input.appendChild(h('option', { value: x }, x));
    clear(detail).appendChild(h('section', { class: 'card', 'aria-labelledby': 'reg-h' },
      h('h2', { id: 'reg-h' }, `Registration of ${actorName(r.actor)}`),
      h('p', null, 'Course satisfied: ', h('strong', { id: 'cmi5-satisfied' }, r.satisfied ? 'yes' : 'no'),
        ' · ', h('span', { class: 'mono' }, r.registration),
        ' · ', h('a', { href: `#/statements?registration=${r.registration}` }, 'Statements')),
      h('p', null, h('button', { type: 'button', class: 'new-links', onclick: async () => {
        try {
          await loadReg(reg, await api('POST', `/api/registrations/${reg}/link`, {}));
          announce('New launch links made; the older links no longer work.', 'ok');
        } catch (e) { announce(e.message, 'error'); }
      } }, r.aus.some((a) => a.launch_url) ? 'Replace the launch links' : 'Make launch links')),
      reason.wrap,
      table([
        { label: 'AU', cell: (a) => a.title },
        { label: 'moveOn', cell: (a) => a.moveOn },
        { label: 'Completed', cell: (a) => yes(a.completed) },
        { label: 'Passed', cell: (a) => yes(a.passed) },
        { label: 'Failed', cell: (a) => yes(a.failed) },
        { label: 'Waived', cell: (a) => yes(a.waived) },
        { label: 'Satisfied', cell: (a) => h('span', { class: 'au-satisfied' }, a.satisfied ? 'satisfied' : 'not yet') },
        { label: 'Launch', cell: (a) => a.launch_url ? [h('a', { href: a.launch_url, target: '_blank', rel: 'noopener', class: 'launch' }, 'Launch'), ' ', copyButton(() => a.launch_url, 'Copy link')] : '—' },
        { label: 'Actions', cell: (a) => [
          a.satisfied ? null : h('button', { type: 'button', onclick: async () => {
            try {
              await api('POST', `/api/registrations/${reg}/waive`, { au: a.index, reason: reason.input.value });
              announce(`${a.title} waived.`, 'ok');
              await loadReg(reg);
              await loadRegs();
            } catch (e) { announce(e.message, 'error'); }
          } }, 'Waive'),
          a.open ? h('button', { type: 'button', onclick: async () => {
            const ok = await confirmDialog({ title: 'Abandon the session?', body: ['The LMS records it as abandoned; the AU can no longer write to it.'], confirm: 'Abandon', danger: true });
            if (!ok) return;
            try {
              await api('POST', `/api/cmi5/sessions/${a.open}/abandon`, {});
              announce('Session abandoned.', 'ok');
            } catch (e) { announce(e.message, 'error'); }
            await loadReg(reg);
          } }, 'Abandon session') : null] },
      ], r.aus, { caption: 'AUs of this registration' })));
  }

  await loadRegs();
  const reg = ctx.query.get('reg');
  if (reg) await loadReg(reg);
}
