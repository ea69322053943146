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

  // ---- console users: people who sign in with a name and a password (admin rights)
  const uname = field('User name', { name: 'user-name', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' },
    'Letters, digits and . _ - @ (up to 64).');
  const upass = field('Password', { name: 'user-password', type: 'password', autocomplete: 'new-password' },
    'At least 10 characters. Tell it to the person; scolar stores only a salted hash.');
  const userErr = h('div', { class: 'form-error' });
  const userBtn = h('button', { type: 'submit', class: 'primary' }, 'Add user');
  const userForm = h('form', { class: 'inline-form', novalidate: true }, uname.wrap, upass.wrap, userErr,
    h('div', { class: 'actions' }, userBtn));
  const userList = h('div', { class: 'list-box', 'aria-live': 'polite' });
  userForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(userErr);
    const n = uname.input.value.trim();
    const pw = upass.input.value;
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(n)) {
      userErr.appendChild(messageBox('error', null, 'A user name has 1 to 64 letters, digits, or . _ - @.'));
      uname.input.focus();
      return;
    }
    if (pw.length < 10) {
      userErr.appendChild(messageBox('error', null, 'The password needs at least 10 characters.'));
      upass.input.focus();
      return;
    }
    userBtn.disabled = true;
    try {
      await api('POST', '/api/users', { name: n, password: pw });
      announce(`User ${n} added; they can sign in as a console user.`, 'ok');
      uname.input.value = '';
      upass.input.value = '';
      loadUsers();
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 401) return;
      userErr.appendChild(messageBox('error', 'The user was not added.', ex.message));
    } finally {
      userBtn.disabled = false;
    }
  });
  async function removeUser(u) {
    const ok = await confirmDialog({
      title: `Delete the console user “${u.name}”?`,
      body: ['They can no longer sign in, and their open sessions end now.'],
      confirm: 'Delete user', danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `/api/users/${encodeURIComponent(u.name)}`);
      announce(`User ${u.name} deleted.`, 'ok');
      loadUsers();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      clear(userErr).appendChild(messageBox('error', 'The user was not deleted.', e.message));
    }
  }
  async function loadUsers() {
    let page;
    try {
      page = await apiList('/api/users', { offset: 0, limit: 500 });
    } catch (e) {
      if (!ctx.alive() || (e instanceof ApiError && e.status === 401)) return;
      clear(userList).appendChild(messageBox('error', 'The console users could not be loaded.', e.message));
      return;
    }
    if (!ctx.alive()) return;
    clear(userList).appendChild(table([
      { label: 'User', cell: (u) => u.name },
      { label: 'Added', cell: (u) => fmtDate(u.created) },
      {
        label: 'Actions', class: 'actions-cell', cell: (u) => h('button', {
          type: 'button', class: 'small danger-outline', 'aria-label': `Delete user ${u.name}`, onclick: () => removeUser(u),
        }, 'Delete'),
      },
    ], page.items, { caption: 'Console users', empty: 'No console users: people sign in with an admin key.' }));
  }

  main.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Credentials')),
    h('p', { class: 'lead' }, 'Keys for programs that talk to scolar: xAPI content and tools, and administrators of this console.'),
    h('section', { class: 'card', 'aria-labelledby': 'new-h' }, h('h2', { id: 'new-h' }, 'New credential'), form, created),
    h('section', { class: 'card', 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, 'All credentials'), listMsg, listBox),
    h('section', { class: 'card', 'aria-labelledby': 'users-h' }, h('h2', { id: 'users-h' }, 'Console users'),
      h('p', { class: 'hint' }, 'People who sign in to this console with a name and a password instead of a key. Every console user may do everything an admin key may.'),
      userList, h('h3', null, 'Add a console user'), userForm)));
  await Promise.all([load(), loadUsers()]);
}
