// SPDX-License-Identifier: Apache-2.0
// `scolar check` verifies the SCORM run-time data against its statements (issue 15,
// scorm/scorm_check.c): a SCO that a registration reports completed has its `completed` bridge
// statement (or the statement waits as an outbox row), unless its session is still open; a
// voided completed statement is a finding that names the registration and the SCO (exit 1).
// Real server, real LMDB, a one-SCO SCORM 2004 package the test library writes (probe-2004).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, tempDir, cli } from '../lib/server.mjs';
import { importPackages, register } from '../lib/browser.mjs';
import { fetchAll } from '../lib/xapi.mjs';

const COURSE = 'probe-2004'; // a one-SCO package (item_1) written by lib/browser.mjs: no corpus needed
const COMPLETED = 'http://adlnet.gov/expapi/verbs/completed';

async function post(s, path, body) {
  const r = await fetch(s.content + path, { method: 'POST', body: JSON.stringify(body) });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

// launch item_1 and send one commit
async function play(s, reg, changes, final) {
  const L = await post(s, `/player/${reg.registration}/launch`, { token: reg.token, sco: 'item_1' });
  const c = await post(s, `/player/${reg.registration}/commit/${L.session}`, { token: reg.token, seq: 1, final, changes });
  assert.equal(c.applied, true);
}

test('scolar check: completed SCOs against their completed statements', async () => {
  const dataDir = tempDir();
  try {
    const courses = importPackages(dataDir, [COURSE]);
    let s = await startServer({ dataDir });
    const done = await register(s, courses[COURSE], { id: 'chk-done', name: 'Done' });
    const open = await register(s, courses[COURSE], { id: 'chk-open', name: 'Open' });
    const half = await register(s, courses[COURSE], { id: 'chk-half', name: 'Half' });
    await play(s, done, { 'cmi.completion_status': 'completed', 'cmi.session_time': 'PT3S' }, true);
    await play(s, open, { 'cmi.completion_status': 'completed' }, false); // never terminated
    await play(s, half, { 'cmi.completion_status': 'incomplete', 'cmi.exit': 'suspend' }, true);
    const st = (await fetchAll(s, `registration=${done.registration}`)).filter((x) => x.verb.id === COMPLETED);
    assert.equal(st.length, 1, 'the completed SCO has its completed statement');
    await s.stop();

    let chk = cli(['check', '--data', dataDir]);
    assert.equal(chk.status, 0, `${chk.stdout}${chk.stderr}`);
    assert.match(chk.stdout, /^scorm: 3 registrations, 2 SCOs reported completed: 1 with their completed statement, 0 waiting as outbox rows, 1 in sessions still open, 0 without$/m);
    assert.match(chk.stdout, /^scorm bridge outbox: 0 statements waiting \(stored at the next start\), 0 refused$/m);

    // void the bridge's completed statement: the run-time data says completed, the statements
    // no longer do
    s = await startServer({ dataDir });
    const v = await s.req('POST', '/xapi/statements', { body: {
      actor: { objectType: 'Agent', mbox: 'mailto:admin@example.com' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/voided', display: { 'en-US': 'voided' } },
      object: { objectType: 'StatementRef', id: st[0].id },
    } });
    assert.equal(v.status, 200, v.text);
    await s.stop();
    chk = cli(['check', '--data', dataDir]);
    assert.equal(chk.status, 1, `${chk.stdout}${chk.stderr}`);
    assert.match(chk.stderr, new RegExp(`^scorm: registration ${done.registration}: SCO item_1 is reported completed but has no completed statement$`, 'm'));
    assert.match(chk.stdout, /2 SCOs reported completed: 0 with their completed statement, 0 waiting as outbox rows, 1 in sessions still open, 1 without$/m);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
