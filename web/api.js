// SPDX-License-Identifier: Apache-2.0
// The console's one door to the server: JSON requests on the API origin with the session
// cookie and the X-CSRF-Token header on every state change (security.md §7), uploads through
// XMLHttpRequest (for upload progress), and a 401 from any call ends the session in the page
// (the app shows sign-in with a message). Server text is returned as data, never as markup.

let csrf = null;
let onExpired = () => {};

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// The app registers what to do when the server says the session is gone.
export function setExpiredHandler(fn) {
  onExpired = fn;
}

export function setCsrf(token) {
  csrf = token || null;
}

function parse(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorMessage(status, json, fallback) {
  if (json && typeof json.message === 'string' && json.message) return json.message;
  if (status === 0) return 'The server cannot be reached. Check the connection and try again.';
  if (status === 403) return 'The server refused this request (403).';
  if (status === 413) return 'The upload is larger than the server accepts.';
  return fallback || `The server answered ${status}.`;
}

/**
 * api(method, path, body?, opts?) -> parsed JSON (null for an empty answer).
 * opts.quiet401: a 401 is thrown as an ApiError without ending the session (sign-in itself).
 */
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: payload, credentials: 'same-origin', cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, errorMessage(0));
  }
  const text = await res.text().catch(() => '');
  const json = parse(text);
  if (res.status === 401 && !opts.quiet401) {
    setCsrf(null);
    onExpired();
    throw new ApiError(401, 'Your session has ended. Sign in again.', json);
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, json), json);
  return json;
}

/**
 * A list answer in the contract's shape {items, total, offset, limit}. A server that still
 * answers a plain array (older builds, /api/credentials) is paged and searched here.
 */
export async function apiList(path, { q = '', offset = 0, limit = 50, fields = [] } = {}) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  params.set('offset', String(offset));
  params.set('limit', String(limit));
  const sep = path.includes('?') ? '&' : '?';
  const json = await api('GET', `${path}${sep}${params}`);
  if (Array.isArray(json)) {
    const needle = q.toLowerCase();
    const all = needle
      ? json.filter((x) => fields.some((f) => String(pick(x, f) ?? '').toLowerCase().includes(needle)))
      : json;
    return { items: all.slice(offset, offset + limit), total: all.length, offset, limit };
  }
  const items = Array.isArray(json?.items) ? json.items : [];
  return {
    items,
    total: Number.isFinite(json?.total) ? json.total : items.length,
    offset: Number.isFinite(json?.offset) ? json.offset : offset,
    limit: Number.isFinite(json?.limit) ? json.limit : limit,
  };
}

function pick(o, path) {
  return path.split('.').reduce((v, k) => (v == null ? v : v[k]), o);
}

/**
 * Upload a course zip. onProgress(fraction) while the bytes go up; onSent() once the server
 * has them all (it is importing). Resolves with the import JSON, rejects with an ApiError.
 */
export function uploadCourse(file, { course, onProgress, onSent } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const url = course ? `/api/courses?course=${encodeURIComponent(course)}` : '/api/courses';
    xhr.open('POST', url);
    xhr.setRequestHeader('Content-Type', 'application/zip');
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    });
    xhr.upload.addEventListener('load', () => onSent && onSent());
    xhr.addEventListener('load', () => {
      const json = parse(xhr.responseText);
      if (xhr.status === 401) {
        setCsrf(null);
        onExpired();
        reject(new ApiError(401, 'Your session has ended. Sign in again.', json));
      } else if (xhr.status >= 200 && xhr.status < 300) {
        resolve(json);
      } else {
        reject(new ApiError(xhr.status, errorMessage(xhr.status, json), json));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0,
      'The upload was interrupted: the server closed the connection or cannot be reached. ' +
      'If the file is very large, the server may have refused it for its size.')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'The upload was cancelled.')));
    xhr.send(file);
  });
}
