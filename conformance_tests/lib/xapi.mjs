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

// Fetch every statement of a query, following `more`.
export async function fetchAll(srv, query = '') {
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
