// SPDX-License-Identifier: Apache-2.0
// The course upload widget: a file input (its label is the accessible name), a drop zone,
// a progress bar for the bytes going up, an "importing" phase while the server unpacks and
// checks the package, then the result: the import's warnings or the error, explained.
import { uploadCourse, ApiError } from './api.js';
import { h, clear, newId, announce } from './ui.js';
import { explainImportError, explainWarning } from './explain.js';

// A zip starts with a local file header (PK\3\4) or, when empty, the end record (PK\5\6).
async function looksLikeZip(file) {
  try {
    const b = new Uint8Array(await file.slice(0, 4).arrayBuffer());
    return b.length === 4 && b[0] === 0x50 && b[1] === 0x4b &&
      ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
  } catch {
    return true; // cannot read ahead: let the server decide
  }
}

function fmtBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function warningList(warnings) {
  if (!warnings || !warnings.length) return null;
  return h('ul', { class: 'warnings' }, warnings.map((wn) => {
    const x = explainWarning(wn);
    return h('li', null,
      x.file ? h('span', { class: 'file' }, x.line ? `${x.file}, line ${x.line}` : x.file) : null,
      h('span', { class: 'what' }, x.what),
      x.fix ? h('span', { class: 'fix' }, x.fix) : null,
      x.detail && x.detail !== x.what ? h('details', null, h('summary', null, 'Details'), h('p', { class: 'mono' }, x.detail)) : null);
  }));
}

export function errorPanel(file, err) {
  const x = explainImportError(err.message, err instanceof ApiError ? err.status : 0);
  return h('div', { class: 'msg error', role: 'alert' },
    h('p', { class: 'msg-title' }, `“${file.name}” was not imported.`),
    h('p', null, x.what),
    x.file ? h('p', null, h('strong', null, 'File: '), x.line ? `${x.file}, line ${x.line}` : x.file) : null,
    h('p', null, h('strong', null, 'What to do: '), x.fix),
    x.detail && x.detail !== x.what ? h('details', null, h('summary', null, 'Details'),
      h('p', { class: 'mono' }, x.detail)) : null,
    h('p', { class: 'hint' }, 'Nothing was changed.'));
}

/**
 * uploadWidget({label, course, onDone(result)}) -> element. `course` set: the upload is a new
 * version of that course; otherwise always a new course.
 */
export function uploadWidget({ label = 'Upload course', hint, course, onDone }) {
  const id = newId('upload');
  const input = h('input', { type: 'file', id, class: 'file-input', accept: '.zip,application/zip,application/x-zip-compressed' });
  const bar = h('progress', { max: '1', value: '0', 'aria-label': 'Upload progress' });
  const phase = h('p', { class: 'phase', 'aria-live': 'polite' }); // once per phase, not per percent
  const pct = h('span', { class: 'pct' });
  const progress = h('div', { class: 'progress', hidden: true }, h('div', { class: 'phase-line' }, phase, pct), bar);
  const result = h('div', { class: 'upload-result' });
  let busy = false;

  const zone = h('div', { class: 'dropzone' },
    h('label', { for: id, class: 'button primary' }, label),
    input,
    h('span', { class: 'drop-hint' }, 'or drop a .zip file here'),
    hint ? h('p', { class: 'hint' }, hint) : null);

  async function start(file) {
    if (busy || !file) return;
    clear(result);
    if (!(await looksLikeZip(file))) {
      result.appendChild(errorPanel(file, new ApiError(400, 'not a zip archive (checked in the browser: the file does not start like a zip)')));
      announce(`${file.name} is not a zip file; nothing was uploaded.`, 'error');
      input.value = '';
      return;
    }
    busy = true;
    zone.classList.add('busy');
    input.disabled = true;
    progress.hidden = false;
    bar.value = 0;
    bar.max = 1;
    phase.textContent = `Uploading ${file.name} (${fmtBytes(file.size)})…`;
    pct.textContent = '0%';
    try {
      const res = await uploadCourse(file, {
        course,
        onProgress: (f) => {
          bar.value = f;
          pct.textContent = `${Math.round(f * 100)}%`;
        },
        onSent: () => {
          bar.removeAttribute('value'); // indeterminate while the server imports
          pct.textContent = '';
          phase.textContent = 'Importing: unpacking and checking the package…';
        },
      });
      progress.hidden = true;
      const n = (res && res.warnings && res.warnings.length) || 0;
      const title = res?.title || file.name;
      result.appendChild(h('div', { class: `msg ${n ? 'warn' : 'ok'}`, role: 'status' },
        h('p', { class: 'msg-title' }, course ? `New version ${res?.course_version ?? ''} of “${title}” imported.`
          : `“${title}” imported.`),
        h('p', null, res?.type === 'cmi5' ? `cmi5, ${res.aus.length} AU${res.aus.length === 1 ? '' : 's'}. ` : `${res?.scos ?? '?'} SCO${res?.scos === 1 ? '' : 's'}. `,
          res?.course ? h('a', { href: `#/${res.type === 'cmi5' ? 'cmi5' : 'courses'}/${encodeURIComponent(res.course)}` }, 'Open the course page') : null),
        n ? h('p', null, `${n} warning${n === 1 ? '' : 's'}: the course works, but check these points.`) : null,
        warningList(res?.warnings)));
      announce(`Imported ${title}${n ? ` with ${n} warning${n === 1 ? '' : 's'}` : ''}.`, 'ok');
      if (onDone) onDone(res);
    } catch (e) {
      progress.hidden = true;
      if (e instanceof ApiError && e.status === 401) return;
      result.appendChild(errorPanel(file, e));
      announce(`${file.name} was not imported.`, 'error');
    } finally {
      busy = false;
      zone.classList.remove('busy');
      input.disabled = false;
      input.value = '';
    }
  }

  input.addEventListener('change', () => start(input.files[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = e.dataTransfer.files;
    if (files.length > 1) announce('Drop one zip file at a time.', 'error');
    start(files[0]);
  });
  return h('div', { class: 'upload' }, zone, progress, result);
}
