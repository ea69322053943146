// SPDX-License-Identifier: Apache-2.0
// Sign-in: an admin credential (fields Key and Secret) or a console user (User, Password).
// POST /api/session sets the HttpOnly session cookie and answers the CSRF token.
import { api, ApiError } from '../api.js';
import { h, clear, field, messageBox } from '../ui.js';

export function renderSignIn(main, { message, kind = 'info', onSignedIn }) {
  clear(main);
  const key = field('Key', { name: 'key', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false' });
  const secret = field('Secret', { name: 'secret', type: 'password', autocomplete: 'current-password' });
  const user = field('User', { name: 'user', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false' });
  const password = field('Password', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const credBox = h('div', { class: 'mode-fields' }, key.wrap, secret.wrap);
  const userBox = h('div', { class: 'mode-fields', hidden: true }, user.wrap, password.wrap);
  const err = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, 'Sign in');

  const modeName = 'signin-mode';
  const radio = (value, label, checked) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: modeName, value, checked, onchange: () => setMode(value) }), label);
  function setMode(m) {
    credBox.hidden = m !== 'key';
    userBox.hidden = m !== 'user';
    clear(err);
    (m === 'key' ? key.input : user.input).focus();
  }

  const form = h('form', { class: 'card signin', novalidate: true },
    h('h1', null, 'Sign in to scolar'),
    message ? messageBox(kind === 'error' ? 'error' : kind === 'warn' ? 'warn' : 'info', null, message) : null,
    h('fieldset', { class: 'modes' }, h('legend', null, 'Sign in with'),
      radio('key', 'Admin key', true), radio('user', 'Console user', false)),
    credBox, userBox, err, button);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(err);
    const useKey = !credBox.hidden;
    const a = useKey ? key.input : user.input;
    const b = useKey ? secret.input : password.input;
    if (!a.value.trim() || !b.value) {
      err.appendChild(messageBox('error', null, useKey ? 'Enter the key and the secret of an admin credential.'
        : 'Enter your user name and password.'));
      (a.value.trim() ? b : a).focus();
      return;
    }
    const body = useKey ? { key: a.value.trim(), secret: b.value } : { user: a.value.trim(), password: b.value };
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const s = await api('POST', '/api/session', body, { quiet401: true });
      onSignedIn(s);
    } catch (ex) {
      button.disabled = false;
      button.textContent = 'Sign in';
      let text = ex.message;
      if (ex instanceof ApiError && ex.status === 401) {
        text = useKey ? 'The key or secret is wrong. Check both and try again.'
          : 'The user name or password is wrong. Check both and try again.';
      } else if (ex instanceof ApiError && ex.status === 403) {
        text = 'This credential may not use the console: it needs the admin scope.';
      } else if (ex instanceof ApiError && ex.status === 429) {
        text = 'Too many attempts. Wait a minute and try again.';
      }
      err.appendChild(messageBox('error', null, text));
      b.value = '';
      b.focus();
    }
  });
  main.appendChild(h('div', { class: 'signin-wrap' }, form,
    h('p', { class: 'hint center' }, 'An admin key is printed by ', h('code', null, 'scolar serve'),
      ' on first start, or made with ', h('code', null, 'scolar creds create --scopes admin'), '.')));
  key.input.focus();
}
