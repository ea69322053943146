// SPDX-License-Identifier: Apache-2.0
// #/credentials: create a credential with scopes (its secret is shown once), list, revoke.
// GET/POST /api/credentials, DELETE /api/credentials/KEY.
import { api, apiList, ApiError } from '../api.js';
import { h, clear, field, table, pager, fmtDate, confirmDialog, announce, copyButton, messageBox } from '../ui.js';

const SCOPES = [
  ['statements/write', 'send statements'],
  ['statements/read', 'read statements'],
  ['all/read', 'read everything in the LRS'],
  ['all', 'read and write everything in the LRS'],
  ['state', 'read and write activity state'],
  ['profile', 'read and write activity and agent profiles'],
  ['define', 'define activities'],
  ['admin', 'manage courses, registrations and credentials; sign in to this console'],
];
const LIMIT = 50;

export default async function render(main, ctx) {
  ctx.setTitle('Credentials');
  const name = field('Name', { name: 'cred-name', autocomplete: 'off', required: true },
    'Who or what uses it, e.g. “Articulate course on the intranet”.');
  const boxes = SCOPES.map(([s, what]) => {
    const input = h('input', { type: 'checkbox', name: 'scope', value: s, checked: s === 'statements/write' || s === 'state' });
    return { s, input, el: h('label', { class: 'choice' }, input, h('span', null, h('span', { class: 'mono scope-name' }, s), ' ', h('span', { class: 'sub' }, what))) };
  });
  const formErr = h('div', { class: 'form-error' });
  const created = h('div', { class: 'created' });
  const createBtn = h('button', { type: 'submit', class: 'primary' }, 'Create credential');
  const form = h('form', { class: 'inline-form', novalidate: true },
    name.wrap,
    h('fieldset', { class: 'scopes' }, h('legend', null, 'Scopes'), boxes.map((b) => b.el)),
    formErr, h('div', { class: 'actions' }, createBtn));
  const listBox = h('div', { class: 'list-box', 'aria-live': 'polite' });
  const listMsg = h('div');
  let offset = 0;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(formErr);
    const scopes = boxes.filter((b) => b.input.checked).map((b) => b.s);
    const n = name.input.value.trim();
    if (!n) {
      formErr.appendChild(messageBox('error', null, 'Give the credential a name.'));
      name.input.focus();
      return;
    }
    if (!scopes.length) {
      formErr.appendChild(messageBox('error', null, 'Choose at least one scope.'));
      boxes[0].input.focus();
      return;
    }
    createBtn.disabled = true;
    try {
      const res = await api('POST', '/api/credentials', { name: n, scopes });
      const secretId = 'new-secret';
      clear(created).appendChild(h('div', { class: 'msg warn', role: 'status' },
        h('p', { class: 'msg-title' }, `Credential “${n}” created. Copy the secret now: it is shown only once.`),
        h('dl', { class: 'secret' },
          h('div', null, h('dt', null, 'Key'), h('dd', null, h('code', { class: 'mono', id: 'new-key' }, res.key), copyButton(() => res.key, 'Copy key'))),
          h('div', null, h('dt', null, 'Secret'), h('dd', null, h('code', { class: 'mono', id: secretId }, res.secret), copyButton(() => res.secret, 'Copy secret')))),
        h('p', { class: 'hint' }, 'Use them as HTTP Basic authentication (key as the user name, secret as the password) on /xapi/.'),
        h('button', { type: 'button', class: 'secondary', onclick: () => clear(created) }, 'I have stored the secret')));
      announce(`Credential ${n} created; copy its secret now.`, 'ok');
      name.input.value = '';
      created.querySelector('button.copy')?.focus();
      load();
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 401) return;
      formErr.appendChild(messageBox('error', 'The credential was not created.', ex.message));
    } finally {
      createBtn.disabled = false;
    }
  });

  async function revoke(c) {
    const ok = await confirmDialog({
      title: `Revoke “${c.name || c.key}”?`,
      body: ['Every program using this key is refused from now on. This cannot be undone; create a new credential if you need one again.'],
      confirm: 'Revoke', danger: true,
    });
    if (!ok) return;
    clear(listMsg);
    try {
      await api('DELETE', `/api/credentials/${encodeURIComponent(c.key)}`);
      announce(`Credential ${c.name || c.key} revoked.`, 'ok');
      load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      listMsg.appendChild(messageBox('error', 'The credential was not revoked.', e.message));
    }
  }

  async function load() {
    let page;
    try {
      page = await apiList('/api/credentials', { offset, limit: LIMIT });
    } catch (e) {
      if (!ctx.alive()) return;
      clear(listBox).appendChild(messageBox('error', 'The credentials could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox).appendChild(table([
      { label: 'Name', cell: (c) => c.name || c.key },
      { label: 'Key', cell: (c) => h('span', { class: 'mono' }, c.key) },
      { label: 'Scopes', cell: (c) => h('span', { class: 'scopelist' }, (c.scopes || []).map((s) => h('span', { class: 'tag' }, s))) },
      { label: 'Created', cell: (c) => fmtDate(c.created) },
      { label: 'Status', cell: (c) => h('span', { class: `badge ${c.revoked ? 'bad' : 'good'}` }, c.revoked ? 'revoked' : 'active') },
      {
        label: 'Actions', class: 'actions-cell', cell: (c) => (c.revoked ? '' : h('button', {
          type: 'button', class: 'small danger-outline', 'aria-label': `Revoke ${c.name || c.key}`, onclick: () => revoke(c),
        }, 'Revoke')),
      },
    ], page.items, { caption: 'Credentials', empty: 'No credentials.' }));
    listBox.appendChild(pager(page, (o) => { offset = o; load(); }, 'credentials'));
  }

  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Credentials')),
    h('p', { class: 'lead' }, 'Keys for programs that talk to scolar: xAPI content and tools, and administrators of this console.'),
    h('section', { class: 'card', 'aria-labelledby': 'new-h' }, h('h2', { id: 'new-h' }, 'New credential'), form, created),
    h('section', { class: 'card', 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, 'All credentials'), listMsg, listBox)));
  await load();
}
