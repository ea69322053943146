// SPDX-License-Identifier: Apache-2.0
// The console shell: session check at start, sign-in / sign-out, the navigation (routes.js)
// and the hash router that renders one page module into <main>. A 401 from any request
// returns to sign-in with a message and comes back to the same page after signing in.
import { api, setCsrf, setExpiredHandler, ApiError } from './api.js';
import { h, clear, announce, messageBox } from './ui.js';
import { NAV, DEFAULT_ROUTE, matchRoute } from './routes.js';
import { renderSignIn } from './pages/signin.js';

const main = document.getElementById('main');
const navList = document.getElementById('nav');
const who = document.getElementById('who');
let signedIn = false;
let renderSeq = 0;

function setTitle(t) {
  document.title = t ? `${t} · scolar` : 'scolar';
}

function buildNav() {
  clear(navList);
  for (const n of NAV) {
    navList.appendChild(h('li', null, h('a', { href: n.href, dataset: { section: n.section } }, n.label)));
  }
}

function markNav(section) {
  for (const a of navList.querySelectorAll('a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// A hint kept in localStorage that this browser has signed in (the session cookie itself is
// HttpOnly): without it the first load shows sign-in at once instead of asking the server and
// getting a 401, which browsers log as a console error. Not a secret, and never trusted: the
// server decides with the cookie.
const HINT = 'scolar.signedIn';
function hint(on) {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch { /* storage disabled: the server is asked every time */ }
}
function hinted() {
  try {
    return localStorage.getItem(HINT) !== null;
  } catch {
    return true;
  }
}

function setSession(s) {
  signedIn = true;
  hint(true);
  setCsrf(s.csrf);
  document.body.classList.remove('signed-out');
  const w = s.who || {};
  who.textContent = w.name ? `${w.name}` : '';
  who.title = w.kind === 'user' ? 'console user' : 'admin credential';
}

function showSignIn(message, kind = 'info') {
  signedIn = false;
  hint(false);
  renderSeq += 1;
  setCsrf(null);
  document.body.classList.add('signed-out');
  who.textContent = '';
  markNav(null);
  setTitle('Sign in');
  renderSignIn(main, {
    message, kind,
    onSignedIn: (s) => {
      firstRender = false;
      setSession(s);
      route();
    },
  });
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  return { path, query };
}

async function route() {
  if (!signedIn) return;
  const { path, query } = parseHash();
  if (!path || path === '/') {
    location.replace(DEFAULT_ROUTE);
    return;
  }
  const seq = ++renderSeq;
  const alive = () => seq === renderSeq && signedIn;
  const m = matchRoute(path);
  if (!m) {
    markNav(null);
    setTitle('Not found');
    clear(main).appendChild(h('section', null, h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', null, 'There is no page at this address. ', h('a', { href: DEFAULT_ROUTE }, 'Go to the courses.'))));
    focusHeading();
    return;
  }
  markNav(m.route.section);
  main.setAttribute('aria-busy', 'true');
  try {
    const mod = await m.route.load();
    if (!alive()) return;
    clear(main);
    await mod.default(main, {
      params: m.params, query, setTitle, alive,
      navigate: (hash) => { location.hash = hash; },
      refresh: () => route(),
    });
    if (alive()) focusHeading();
  } catch (e) {
    if (!alive()) return;
    if (e instanceof ApiError && e.status === 401) return; // sign-in is already shown
    clear(main).appendChild(h('section', null, h('h1', { tabindex: '-1' }, 'Something went wrong'),
      messageBox('error', 'This page could not be shown.', e.message || String(e))));
    setTitle('Error');
  } finally {
    if (seq === renderSeq) main.removeAttribute('aria-busy');
  }
}

// After navigation, move focus to the page's heading so keyboard and screen reader users
// start at the top of the new page (not on the link they used).
let firstRender = true;
function focusHeading() {
  if (firstRender) {
    firstRender = false;
    return;
  }
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: false });
  }
}

async function signOut() {
  try {
    await api('DELETE', '/api/session', undefined, { quiet401: true });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      announce(`Sign-out failed: ${e.message}`, 'error');
      return;
    }
  }
  showSignIn('You are signed out.');
}

async function start() {
  buildNav();
  document.getElementById('signout').addEventListener('click', signOut);
  document.getElementById('skip').addEventListener('click', (e) => {
    e.preventDefault();
    const h1 = main.querySelector('h1') || main;
    h1.setAttribute('tabindex', '-1');
    h1.focus();
  });
  setExpiredHandler(() => {
    if (signedIn) showSignIn('Your session has expired. Sign in again to continue.', 'warn');
  });
  window.addEventListener('hashchange', route);
  if (!hinted()) {
    showSignIn('');
    return;
  }
  try {
    const s = await api('GET', '/api/session', undefined, { quiet401: true });
    if (s && s.who) {
      setSession(s);
      route();
    } else {
      showSignIn(''); // no session cookie at all: a plain sign-in
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      // a session cookie the server no longer knows (idle expiry, sign-out elsewhere)
      const expired = /expired|ended/i.test((e.body && e.body.message) || '');
      showSignIn(expired ? 'Your session has expired. Sign in again to continue.' : '', 'warn');
    } else {
      showSignIn(`The server cannot be reached: ${e.message}`, 'error');
    }
  }
}

start();
