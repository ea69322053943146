// SPDX-License-Identifier: Apache-2.0
// scolar's adapter for ADL's cmi5 LMS test suite (CATAPULT lts/): the contract of its
// lib/lms.template.js (setup, teardown, getLrsEndpoint, getLrsAuthHeader, importCourse,
// getLaunchUrl, cleanup, hasWaive, waiveAU, hasAbandon, abandonSession) against a running
// `scolar serve` named by SCOLAR_URL with an admin credential SCOLAR_KEY / SCOLAR_SECRET.
// Written for scolar (docs/cmi5.md); uses only Node's fetch, no code of the suite except the
// error class it requires adapters to throw for refused packages.
'use strict';

const path = require('path');
// The suite's own error type (lts/lib/errors.js): importCourse must throw it for packages the
// LMS refuses. CATAPULT_LTS_DIR points at the suite's lts/ folder (run.sh sets it).
const { InvalidPackageError } = require(path.join(process.env.CATAPULT_LTS_DIR || '.', 'lib', 'errors'));

let base, auth;
const imported = [];

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (see docs/cmi5.md)`);
  return v;
}

// node:http rather than fetch: jest 27's test environments do not expose fetch
function request(method, url, headers, payload) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? require('https') : require('http');
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers: { ...headers, ...(payload ? { 'Content-Length': payload.length } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function api(method, p, { body, headers = {} } = {}) {
  const isBuf = Buffer.isBuffer(body);
  const payload = body === undefined ? null : isBuf ? body : Buffer.from(JSON.stringify(body));
  const r = await request(method, `${base}${p}`, {
    Authorization: auth,
    ...(body !== undefined && !isBuf ? { 'Content-Type': 'application/json' } : {}),
    ...headers,
  }, payload);
  let json = null;
  try { json = r.text ? JSON.parse(r.text) : null; } catch { /* not JSON */ }
  return { status: r.status, json, text: r.text };
}

async function readAll(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

module.exports = {
  setup: async () => {
    base = need('SCOLAR_URL').replace(/\/+$/, '');
    auth = 'Basic ' + Buffer.from(`${need('SCOLAR_KEY')}:${need('SCOLAR_SECRET')}`).toString('base64');
    const r = await request('GET', `${base}/healthz`, {}, null);
    if (r.status !== 200) throw new Error(`scolar at ${base} is not healthy (${r.status})`);
  },

  teardown: async () => {},

  getLrsEndpoint: () => `${base}/xapi`,

  getLrsAuthHeader: () => auth,

  importCourse: async (stream, contentType, filename) => {
    const body = await readAll(stream);
    const r = await api('POST', '/api/courses', { body, headers: { 'Content-Type': contentType } });
    if (r.status === 201) {
      imported.push(r.json.id);
      return r.json.id;
    }
    // 400: a rule of the cmi5 spec (the answer names it); 415: not a package type at all
    if (r.status === 400 || r.status === 415) {
      const rule = r.json && r.json.rule ? ` (${r.json.rule})` : '';
      throw new InvalidPackageError(`Invalid package ${filename}${rule}: ${r.json ? r.json.message : r.text}`);
    }
    throw new Error(`import of ${filename} failed: ${r.status} ${r.text}`);
  },

  getLaunchUrl: async (courseId, auIndex, actor, { registration, launchMode } = {}) => {
    const reg = await api('POST', '/api/registrations', {
      body: { course: courseId, actor, ...(registration ? { registration } : {}) },
    });
    if (reg.status !== 201 && reg.status !== 200) throw new Error(`registration: ${reg.status} ${reg.text}`);
    const l = await api('POST', `/api/registrations/${reg.json.registration}/launch`, {
      body: { au: auIndex, ...(launchMode ? { launchMode } : {}) },
    });
    if (l.status !== 201) throw new Error(`launch: ${l.status} ${l.text}`);
    return l.json.launch_url;
  },

  cleanup: async () => {
    while (imported.length) {
      const id = imported.pop();
      const r = await api('DELETE', `/api/courses/${id}?force=1`);
      if (r.status !== 204) console.log(`cleanup of course ${id}: ${r.status} ${r.text}`);
    }
  },

  hasWaive: () => true,
  waiveAU: async (registration, auIndex, reason) => {
    const r = await api('POST', `/api/registrations/${registration}/waive`, { body: { au: auIndex, reason } });
    if (r.status !== 200) throw new Error(`waive: ${r.status} ${r.text}`);
  },

  hasAbandon: () => true,
  abandonSession: async (sessionId) => {
    const r = await api('POST', `/api/cmi5/sessions/${sessionId}/abandon`, { body: {} });
    if (r.status !== 200) throw new Error(`abandon: ${r.status} ${r.text}`);
  },
};
