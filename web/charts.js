// SPDX-License-Identifier: Apache-2.0
// Report charts and their pieces: horizontal bar charts in SVG (built with createElementNS,
// text with textContent), readable without colour (a hatch pattern, a dark outline and the
// value written at the end of every bar), each followed by its numbers in a table; number
// links to the statement browser; CSV download links; the summary tiles of a report.
import { h, hashWith } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
let chartSeq = 0;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtNum(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return '';
  const n = Number(x);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** '#/statements?activity=...' for a set of xAPI query filters (empty values left out). */
export function statementsHref(filters) {
  const f = {};
  for (const [k, v] of Object.entries(filters || {})) if (v !== undefined && v !== null && v !== '') f[k] = String(v);
  return hashWith('/statements', f);
}

/**
 * A number that links to the statements behind it. what: words for the accessible name
 * ("12 statements about the activity"). filters null: the number alone (nothing to show).
 */
export function numLink(value, filters, what, text) {
  const shown = text ?? fmtNum(value);
  if (!filters || value === null || value === undefined) return h('span', { class: 'num-val' }, shown === '' ? '—' : shown);
  // a report never counts voiding statements; the statement query returns one whose target
  // matches (StatementRef rule), so the link asks the browser to leave them out
  return h('a', {
    class: 'num-link', href: statementsHref({ ...filters, voiding: 'false' }),
    'aria-label': `${shown}${what ? ` ${what}` : ''}: show the statements`,
    title: 'Show the statements behind this number',
  }, shown);
}

/** A "Download CSV" link (a plain GET with the session cookie; the browser saves the file). */
export function csvLink(url, what, filename, text = 'Download CSV') {
  return h('a', { class: 'button secondary small csv', href: url, download: filename || 'report.csv',
    'aria-label': `Download ${what} as CSV` }, text);
}

/** Summary tiles: [{label, value, text?, filters?, what?, note?}] as a <dl>. */
export function tiles(items) {
  return h('dl', { class: 'tiles' }, items.map((t) => h('div', { class: 'tile' },
    h('dt', null, t.label),
    h('dd', null, numLink(t.value, t.filters, t.what ?? t.label.toLowerCase(), t.text),
      t.note ? h('span', { class: 'tile-note' }, t.note) : null))));
}

function short(label, max = 22) {
  const t = String(label);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * barChart({title, rows: [{label, value, filters?, what?, mark?}], valueLabel, columns?})
 * -> <figure>: an SVG of horizontal bars (label | bar | value), then a <details> whose table
 * holds the same numbers (each a link to its statements when filters are given). Positions
 * are in percent of the width, so the text keeps its size from 360 px to a desktop.
 * full: the row's whole name for the table and the SVG's descriptions (label: a short one).
 * mark: rows drawn solid instead of hatched, with markText after the value (say "correct").
 */
export function barChart({ title, rows, valueLabel = 'Count', labelHead = 'Value', caption, markText, open = false, hideCaption = false }) {
  const id = `chart-${++chartSeq}`;
  const max = Math.max(1, ...rows.map((r) => Number(r.value) || 0));
  const ROW = 28;
  const TOP = 6;
  const height = TOP * 2 + rows.length * ROW;
  const LABEL = 34; // % of the width for the labels
  // % for the longest bar, the rest for its value (and the mark's word, when there is one)
  const BAR = markText && rows.some((r) => r.mark) ? 36 : 54;
  const total = rows.reduce((x, r) => x + (Number(r.value) || 0), 0);
  const desc = `${title}: ${rows.map((r) => `${r.full ?? r.label} ${fmtNum(r.value)}${r.mark && markText ? ` (${markText})` : ''}`).join(', ')}`;
  const svg = s('svg', {
    class: 'chart', width: '100%', height, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`,
    xmlns: SVG, focusable: 'false',
  },
  s('title', { id: `${id}-t` }, title),
  s('desc', { id: `${id}-d` }, desc),
  s('defs', null,
    s('pattern', { id: `${id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      s('rect', { width: 6, height: 6, fill: '#dbe6f5' }),
      s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#1f3a5f', 'stroke-width': 2 }))));
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const v = Number(r.value) || 0;
    const w = (v / max) * BAR;
    const g = s('g', { class: 'bar' },
      s('title', null, `${r.full ?? r.label}: ${fmtNum(r.value)}`),
      s('text', { x: `${LABEL - 1}%`, y: y + ROW / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'chart-label' }, short(r.label)),
      s('line', { x1: `${LABEL}%`, x2: `${LABEL}%`, y1: y, y2: y + ROW, stroke: '#5b6475', 'stroke-width': 1 }),
      v > 0 ? s('rect', { x: `${LABEL}%`, y: y + 4, width: `${w}%`, height: ROW - 8,
        fill: r.mark ? '#1f3a5f' : `url(#${id}-hatch)`, stroke: '#1f3a5f', 'stroke-width': 1.5 }) : null,
      s('text', { x: `${LABEL + w + 1}%`, y: y + ROW / 2, 'dominant-baseline': 'central', class: 'chart-value' },
        `${fmtNum(r.value)}${r.mark && markText ? ` ✓ ${markText}` : ''}`));
    svg.appendChild(g);
  });
  const tbl = h('table', { class: 'list nums' },
    h('caption', { class: 'visually-hidden' }, caption || title),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, labelHead), h('th', { scope: 'col', class: 'num' }, valueLabel),
      h('th', { scope: 'col', class: 'num' }, 'Share'))),
    h('tbody', null, rows.map((r) => h('tr', null,
      h('th', { scope: 'row', dataset: { label: labelHead } }, h('span', { class: 'cell' }, r.full ?? r.label,
        r.mark && markText ? h('span', { class: 'tag sco' }, `✓ ${markText}`) : null)),
      h('td', { class: 'num', dataset: { label: valueLabel } }, h('span', { class: 'cell' }, numLink(r.value, r.filters, r.what || `for ${r.label}`))),
      h('td', { class: 'num', dataset: { label: 'Share' } }, h('span', { class: 'cell' }, total ? `${Math.round((Number(r.value) || 0) / total * 100)}%` : '—'))))));
  return h('figure', { class: 'chart-fig' },
    h('figcaption', { class: hideCaption ? 'visually-hidden' : undefined }, title),
    rows.length ? svg : h('p', { class: 'empty' }, 'No data.'),
    rows.length ? h('details', { class: 'chart-data', open: open || undefined },
      h('summary', null, 'Show the numbers', h('span', { class: 'visually-hidden' }, ` of “${title}”`)),
      h('div', { class: 'table-wrap' }, tbl)) : null);
}

/** The ten score bins [0,0.1) ... [0.9,1.0] as chart rows. */
export function scoreRows(histogram, filters) {
  return (histogram || []).map((n, i) => ({
    label: `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`,
    value: n,
    filters,
    what: `scores from ${(i / 10).toFixed(1)} to ${((i + 1) / 10).toFixed(1)}`,
  }));
}

/** A section header row: title on the left, CSV links on the right. */
export function sectionHead(id, title, ...actions) {
  return h('div', { class: 'list-head' }, h('h2', { id }, title),
    actions.length ? h('div', { class: 'head-actions' }, actions) : null);
}

// ---- statements in words ------------------------------------------------------------------

function langText(map) {
  if (!map || typeof map !== 'object') return '';
  return map['en-US'] || map.en || Object.values(map)[0] || '';
}

function agentText(a) {
  if (!a || typeof a !== 'object') return '';
  if (a.name) return String(a.name);
  if (a.mbox) return String(a.mbox).replace(/^mailto:/, '');
  if (a.account) return String(a.account.name || '');
  if (a.openid) return String(a.openid);
  if (a.mbox_sha1sum) return `sha1:${String(a.mbox_sha1sum).slice(0, 10)}…`;
  if (Array.isArray(a.member)) return `group of ${a.member.length}`;
  return '';
}

/** A statement's time to the second, in the reader's locale and time zone. */
export function fmtWhen(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso ? String(iso) : '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A statement in words: {who, verb, what, when}. */
export function describe(st) {
  const verbId = st?.verb?.id || '';
  const verb = langText(st?.verb?.display) || verbId.replace(/^.*[/#]/, '');
  const o = st?.object || {};
  let what = '';
  if (!o.objectType || o.objectType === 'Activity') what = langText(o.definition?.name) || o.id || '';
  else if (o.objectType === 'StatementRef') what = `statement ${o.id}`;
  else if (o.objectType === 'SubStatement') what = 'a sub-statement';
  else what = agentText(o);
  return { who: agentText(st?.actor), verb, what, when: st?.timestamp || st?.stored || '' };
}

// Printing shows the numbers behind every chart: open their <details> for the print.
window.addEventListener('beforeprint', () => {
  for (const d of document.querySelectorAll('details.chart-data')) d.open = true;
});
