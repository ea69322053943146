// SPDX-License-Identifier: Apache-2.0
// Small helpers to build statements for tests.
import { randomUUID } from 'node:crypto';

export const VERB_COMPLETED = 'http://adlnet.gov/expapi/verbs/completed';
export const VERB_ATTEMPTED = 'http://adlnet.gov/expapi/verbs/attempted';
export const VERB_VOIDED = 'http://adlnet.gov/expapi/verbs/voided';

export function agent(name) {
  return { objectType: 'Agent', name, mbox: `mailto:${name}@example.com` };
}

export function statement({ actor = agent('ada'), verb = VERB_COMPLETED, object = 'http://example.com/act/1', id, registration, extra = {} } = {}) {
  const s = {
    actor,
    verb: { id: verb, display: { 'en-US': verb.split('/').pop() } },
    object: typeof object === 'string' ? { objectType: 'Activity', id: object } : object,
    ...extra,
  };
  if (id) s.id = id;
  if (registration) s.context = { ...(s.context || {}), registration };
  return s;
}

export function voiding(targetId, actor = agent('admin')) {
  return { actor, verb: { id: VERB_VOIDED, display: { 'en-US': 'voided' } }, object: { objectType: 'StatementRef', id: targetId } };
}

export const uuid = () => randomUUID();

// Fetch every statement of a query, following `more`, once Consistent-Through has passed
// the moment of the call (so every statement acknowledged before it is included).
export async function fetchAll(srv, query = '') {
  await waitConsistent(srv);
  const out = [];
  let path = `/xapi/statements${query ? '?' + query : ''}`;
  for (let i = 0; i < 10000 && path; i++) {
    const r = await srv.req('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path} → ${r.status} ${r.text}`);
    out.push(...r.json.statements);
    path = r.json.more || '';
  }
  return out;
}

// Wait until X-Experience-API-Consistent-Through has passed `sinceMs` (Comm 2.1.3: query
// results are complete up to that time), as a careful client does before a full read.
export async function waitConsistent(srv, sinceMs = Date.now(), timeoutMs = 60000) {
  const t0 = Date.now();
  for (;;) {
    const r = await srv.req('GET', '/xapi/statements?limit=1');
    const ct = Date.parse(r.headers.get('x-experience-api-consistent-through'));
    if (ct >= sinceMs) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`Consistent-Through stuck at ${r.headers.get('x-experience-api-consistent-through')}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
