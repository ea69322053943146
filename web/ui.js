// SPDX-License-Identifier: Apache-2.0
// Small DOM helpers for the console pages. Everything builds nodes with createElement and
// textContent: text from the server (titles, names, messages) can never become markup.
// No style="" attributes (the CSP's style-src 'self' refuses them): layout is in console.css.

/**
 * h('button', {class: 'x', type: 'button', onclick: fn, 'aria-label': '...'}, 'text', node...)
 * Attributes: on* become listeners, `class` the class name, `dataset` an object, `hidden`,
 * `disabled`, `checked` and `value` properties; others setAttribute. Children: strings (as
 * text), nodes, arrays, null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'hidden' || k === 'disabled' || k === 'checked' || k === 'value' ||
               k === 'required' || k === 'multiple') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
export function newId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled field: returns {wrap, input}.
export function field(label, attrs = {}, hint) {
  const id = attrs.id || newId('f');
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h(attrs.tag || 'input', { ...attrs, tag: undefined, id, 'aria-describedby': hintId });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
  return { wrap, input };
}

// ---- status messages --------------------------------------------------------------------

let statusTimer = 0;
/** Say something in the live region (and show it as a toast): kind 'ok' | 'error' | 'info'. */
export function announce(text, kind = 'info') {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = '';
  el.className = `status ${kind}`;
  // a new text node after clearing makes screen readers read the same text twice in a row
  window.setTimeout(() => { el.textContent = text; }, 20);
  window.clearTimeout(statusTimer);
  statusTimer = window.setTimeout(() => { el.textContent = ''; el.className = 'status'; }, 6000);
}

// An inline message box (role=alert for errors) that stays until replaced.
export function messageBox(kind, title, ...lines) {
  return h('div', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    title ? h('p', { class: 'msg-title' }, title) : null,
    lines.filter(Boolean).map((l) => (l instanceof Node ? l : h('p', null, l))));
}

// ---- tables that become cards on narrow screens ------------------------------------------

/**
 * table(columns, rows, {caption, empty}): columns [{label, cell(row) -> string|Node, class}].
 * Each cell carries its column's label (data-label) for the stacked layout under 40rem.
 */
export function table(columns, rows, { caption, empty = 'Nothing here yet.' } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'list' },
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', null, columns.map((c, i) => {
        const v = c.cell(r);
        return h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : undefined, class: c.class,
          dataset: { label: c.label } }, h('span', { class: 'cell' }, v === '' || v == null ? '—' : v));
      }))))));
}

/** Pager: "1–50 of 123" with Previous / Next buttons; onPage(newOffset). */
export function pager({ total, offset, limit }, onPage, what = 'items') {
  if (total <= limit && offset === 0) {
    return h('p', { class: 'pager-count' }, `${total} ${total === 1 ? what.replace(/s$/, '') : what}`);
  }
  const first = total ? offset + 1 : 0;
  const last = Math.min(offset + limit, total);
  return h('nav', { class: 'pager', 'aria-label': `Pages of ${what}` },
    h('button', { type: 'button', disabled: offset <= 0, onclick: () => onPage(Math.max(0, offset - limit)) },
      '← Previous'),
    h('span', { class: 'pager-count' }, `${first}–${last} of ${total}`),
    h('button', { type: 'button', disabled: last >= total, onclick: () => onPage(offset + limit) },
      'Next →'));
}

// ---- dialogs and clipboard ---------------------------------------------------------------

/**
 * confirmDialog({title, body: [text|Node], confirm: 'Delete', danger}) -> Promise<boolean>.
 * A modal <dialog>: focus is trapped by the browser, Escape cancels.
 */
export function confirmDialog({ title, body = [], confirm = 'OK', cancel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    const titleId = newId('dlg');
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      body.map((b) => (b instanceof Node ? b : h('p', null, b))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close('cancel') }, cancel),
        h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => dlg.close('ok') }, confirm)));
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'ok');
      dlg.remove();
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    dlg.querySelector('button.secondary').focus();
  });
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { class: 'offscreen', readonly: true });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

export function copyButton(getText, label = 'Copy') {
  return h('button', {
    type: 'button', class: 'secondary copy',
    onclick: async () => {
      const ok = await copyText(getText());
      announce(ok ? 'Copied to the clipboard.' : 'Copy failed: select the text and copy it by hand.',
        ok ? 'ok' : 'error');
    },
  }, label);
}

// ---- formatting --------------------------------------------------------------------------

export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtPercent(x) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return '';
  return `${Math.round(Number(x) * 100)}%`;
}

/** SCORM 1.2 "HHHH:MM:SS.SS", ISO 8601 "PT1H2M3S", or centiseconds -> "1 h 2 min". */
export function fmtDuration(v, cs) {
  let s = null;
  if (Number.isFinite(cs)) s = cs / 100;
  else if (typeof v === 'number') s = v;
  else if (typeof v === 'string') {
    let m = v.match(/^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/);
    if (m) s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    else if ((m = v.match(/^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/))) {
      s = (Number(m[1] || 0) * 86400) + Number(m[2] || 0) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0);
    } else return v;
  }
  if (s === null) return '';
  if (s === 0) return '0 s';
  const hrs = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  if (hrs) return `${hrs} h ${min} min`;
  if (min) return `${min} min ${sec} s`;
  return `${sec} s`;
}

const EDITIONS = {
  scorm12: 'SCORM 1.2', '1.2': 'SCORM 1.2', 'scorm2004-2nd': 'SCORM 2004 2nd', 'scorm2004-3rd': 'SCORM 2004 3rd',
  'scorm2004-4th': 'SCORM 2004 4th', scorm2004: 'SCORM 2004',
};
export function fmtEdition(v) {
  if (!v) return '';
  if (EDITIONS[v]) return EDITIONS[v];
  return /^scorm/i.test(v) ? v : `SCORM ${v}`;
}

/** A registration's status in words with a class for its colour. */
export function statusBadge(reg) {
  const c = reg.completion || 'not attempted';
  const s = reg.success && reg.success !== 'unknown' ? reg.success : '';
  const text = s ? `${c}, ${s}` : c;
  const cls = s === 'failed' ? 'bad' : s === 'passed' || c === 'completed' ? 'good'
    : c === 'incomplete' ? 'mid' : 'none';
  return h('span', { class: `badge ${cls}` }, text);
}

export function fmtScore(score) {
  if (score === null || score === undefined) return '';
  if (typeof score === 'number') return score <= 1 ? fmtPercent(score) : String(score);
  if (Number.isFinite(score.scaled)) return fmtPercent(score.scaled);
  if (Number.isFinite(score.raw)) return Number.isFinite(score.max) ? `${score.raw} / ${score.max}` : String(score.raw);
  return '';
}

/** Query part of a hash route: #/x?q=a&offset=50 -> URLSearchParams. */
export function hashWith(path, params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null && v !== 0) p.set(k, v);
  const s = p.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** A search field (type=search) calling onSearch(value) after typing pauses or on Enter. */
export function searchBox(label, value, onSearch) {
  const id = 'search';
  const input = h('input', { type: 'search', id, value, autocomplete: 'off', spellcheck: 'false' });
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => onSearch(input.value.trim()), 300);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(timer);
      onSearch(input.value.trim());
    }
  });
  return h('div', { class: 'search', role: 'search' }, h('label', { for: id }, label), input);
}
