// SPDX-License-Identifier: Apache-2.0
// #/forwarding: statement forwarders (to another LRS) and webhooks (events to any HTTP
// endpoint): create, list with their delivery status, pause, resume, delete.
// /api/forwarders and /api/webhooks (docs/api.md "Forwarding and webhooks").
import { api, ApiError } from '../api.js';
import { h, clear, field, table, fmtDate, confirmDialog, announce, messageBox } from '../ui.js';

const EVENTS = ['registration.completed', 'registration.passed', 'registration.failed', 'course.imported'];

function stateBadge(t) {
  const s = t.status || {};
  const kind = s.state === 'retrying' ? 'bad' : s.state === 'paused' ? 'mid' : 'good';
  return h('span', { class: `badge ${kind}` }, s.state || 'unknown');
}

function lastError(t) {
  const e = t.status && t.status.last_error;
  if (!e) return '';
  return h('span', { class: 'sub', title: e.answer || '' }, `${fmtDate(e.time)}: ${e.message}`);
}

export default async function render(main, ctx) {
  ctx.setTitle('Forwarding');
  const fwdUrl = field('LRS endpoint', { name: 'fwd-url', type: 'url', placeholder: 'https://lrs.example.com/xapi/', required: true },
    'Statements are posted to <endpoint>statements, in batches of up to 100, oldest first.');
  const fwdKey = field('Key at the other LRS', { name: 'fwd-key', autocomplete: 'off' }, 'HTTP Basic key at the other LRS.');
  const fwdSecret = field('Secret at the other LRS', { name: 'fwd-secret', type: 'password', autocomplete: 'new-password' });
  const fwdVerb = field('Only verb (optional)', { name: 'fwd-verb', placeholder: 'http://adlnet.gov/expapi/verbs/completed' });
  const fwdAct = field('Only activity (optional)', { name: 'fwd-activity' });
  const fwdErr = h('div', { class: 'form-error' });
  const fwdBtn = h('button', { type: 'submit', class: 'primary' }, 'Add forwarder');
  const fwdForm = h('form', { class: 'inline-form', novalidate: true },
    fwdUrl.wrap, fwdKey.wrap, fwdSecret.wrap, fwdVerb.wrap, fwdAct.wrap, fwdErr, h('div', { class: 'actions' }, fwdBtn));

  const hookUrl = field('Webhook URL', { name: 'hook-url', type: 'url', placeholder: 'https://hr.example.com/scolar-events', required: true });
  const hookSecret = field('Signing secret', { name: 'hook-secret', type: 'password', autocomplete: 'new-password' },
    'At least 16 characters. Each POST carries X-Scolar-Signature: sha256=HMAC-SHA256(secret, body).');
  const boxes = EVENTS.map((ev) => {
    const input = h('input', { type: 'checkbox', name: 'event', value: ev, checked: ev === 'registration.completed' });
    return { ev, input, el: h('label', { class: 'choice' }, input, h('span', { class: 'mono' }, ev)) };
  });
  const hookErr = h('div', { class: 'form-error' });
  const hookBtn = h('button', { type: 'submit', class: 'primary' }, 'Add webhook');
  const hookForm = h('form', { class: 'inline-form', novalidate: true },
    hookUrl.wrap, h('fieldset', { class: 'scopes' }, h('legend', null, 'Events'), boxes.map((b) => b.el)),
    hookSecret.wrap, hookErr, h('div', { class: 'actions' }, hookBtn));

  const fwdList = h('div', { class: 'list-box' });
  const hookList = h('div', { class: 'list-box' });

  async function submit(btn, errBox, path, body, what) {
    btn.disabled = true;
    try {
      await api('POST', path, body);
      announce(`${what} added.`, 'ok');
      await load();
      return true;
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 401) return false;
      errBox.appendChild(messageBox('error', `The ${what.toLowerCase()} was not added.`, ex.message));
      return false;
    } finally {
      btn.disabled = false;
    }
  }

  fwdForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(fwdErr);
    const body = { url: fwdUrl.input.value.trim() };
    if (fwdKey.input.value || fwdSecret.input.value) body.auth = { key: fwdKey.input.value, secret: fwdSecret.input.value };
    const filter = {};
    if (fwdVerb.input.value.trim()) filter.verb = fwdVerb.input.value.trim();
    if (fwdAct.input.value.trim()) filter.activity = fwdAct.input.value.trim();
    if (Object.keys(filter).length) body.filter = filter;
    if (await submit(fwdBtn, fwdErr, '/api/forwarders', body, 'Forwarder')) fwdForm.reset();
  });
  hookForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(hookErr);
    const events = boxes.filter((b) => b.input.checked).map((b) => b.ev);
    if (await submit(hookBtn, hookErr, '/api/webhooks', { url: hookUrl.input.value.trim(), events, secret: hookSecret.input.value }, 'Webhook')) hookForm.reset();
  });

  async function act(kind, t, action) {
    const what = kind === 'webhooks' ? 'webhook' : 'forwarder';
    if (action === 'delete') {
      const ok = await confirmDialog({
        title: `Delete the ${what} to ${t.url}?`,
        body: [`${t.status.queued} waiting ${kind === 'webhooks' ? 'events' : 'statements'} are dropped with it.`],
        confirm: 'Delete', danger: true,
      });
      if (!ok) return;
    }
    try {
      if (action === 'delete') await api('DELETE', `/api/${kind}/${t.id}`);
      else await api('POST', `/api/${kind}/${t.id}/${action}`);
      announce(`The ${what} ${t.id} is ${action === 'delete' ? 'deleted' : action === 'pause' ? 'paused' : 'resumed'}.`, 'ok');
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      (kind === 'webhooks' ? hookList : fwdList).prepend(messageBox('error', `The ${what} was not changed.`, e.message));
    }
  }

  function columns(kind) {
    return [
      { label: 'URL', cell: (t) => h('span', { class: 'mono' }, t.url) },
      kind === 'webhooks'
        ? { label: 'Events', cell: (t) => h('span', { class: 'scopelist' }, (t.events || []).map((e) => h('span', { class: 'tag' }, e))) }
        : { label: 'Filter', cell: (t) => (t.filter ? h('span', { class: 'mono sub' }, JSON.stringify(t.filter)) : 'all statements') },
      { label: 'State', cell: stateBadge },
      { label: 'Queued', cell: (t) => String(t.status.queued) },
      { label: 'Sent', cell: (t) => String(t.status.sent) },
      { label: 'Failed', cell: (t) => String(t.status.failed) },
      { label: 'Lag', cell: (t) => `${Math.round(t.status.lag_s)} s` },
      { label: 'Last error', cell: lastError },
      {
        label: 'Actions', class: 'actions-cell', cell: (t) => h('span', null,
          h('button', { type: 'button', class: 'small secondary', 'aria-label': `${t.paused ? 'Resume' : 'Pause'} ${t.url}`,
            onclick: () => act(kind, t, t.paused ? 'resume' : 'pause') }, t.paused ? 'Resume' : 'Pause'), ' ',
          h('button', { type: 'button', class: 'small danger-outline', 'aria-label': `Delete ${t.url}`,
            onclick: () => act(kind, t, 'delete') }, 'Delete')),
      },
    ];
  }

  async function load() {
    let f, w;
    try {
      [f, w] = await Promise.all([api('GET', '/api/forwarders'), api('GET', '/api/webhooks')]);
    } catch (e) {
      if (!ctx.alive() || (e instanceof ApiError && e.status === 401)) return;
      clear(fwdList).appendChild(messageBox('error', 'Forwarding could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(fwdList).appendChild(table(columns('forwarders'), f.forwarders, { caption: 'Forwarders', empty: 'No forwarders.' }));
    clear(hookList).appendChild(table(columns('webhooks'), w.webhooks, { caption: 'Webhooks', empty: 'No webhooks.' }));
  }

  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Forwarding')),
    h('p', { class: 'lead' }, 'Send statements on to another LRS as they are stored, and tell other systems when learners complete, pass or fail, or when a course is imported. Nothing is lost: what waits is kept in the store and retried.'),
    h('section', { class: 'card', 'aria-labelledby': 'fwd-h' }, h('h2', { id: 'fwd-h' }, 'Forwarders'), fwdList,
      h('h3', null, 'Add a forwarder'), fwdForm),
    h('section', { class: 'card', 'aria-labelledby': 'hook-h' }, h('h2', { id: 'hook-h' }, 'Webhooks'), hookList,
      h('h3', null, 'Add a webhook'), hookForm)));
  await load();
}
