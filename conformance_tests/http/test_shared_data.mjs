// SPDX-License-Identifier: Apache-2.0
// Shared data (adl.data; SCORM 2004 4th CAM 3.4.1.13-14 adlcp:data/adlcp:map, RTE 4th 4.3)
// over the player's HTTP surface, without a browser: the launch payload's initial["adl.data"]
// (one entry per map of the item: id, read, write, and the store once written), a commit
// writing adl.data.n.store, the refusals (404 a map with writeSharedData="false", 351 an index
// beyond the item's maps, 404 adl.data.n.id; one refused change rejects the whole commit), ""
// deleting a store, and the scopes: with sharedDataGlobalToSystem true (the default) one store
// per learner and targetID across registrations and courses; with "false" one per registration.
// The package is written here (a manifest and one HTML file), zipped and uploaded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';

let srv;
const course = {};

// writer: two read/write maps; reader: the same first target read-only plus a map it may not
// read (readSharedData="false"); plain: no adlcp:data
const manifest = (id, orgAttrs) => `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${id}" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"${orgAttrs}>
      <title>Shared data</title>
      <item identifier="writer" identifierref="sco"><title>Writer</title>
        <adlcp:data>
          <adlcp:map targetID="sd.notes"/>
          <adlcp:map targetID="sd.other" readSharedData="true" writeSharedData="true"/>
        </adlcp:data>
      </item>
      <item identifier="reader" identifierref="sco"><title>Reader</title>
        <adlcp:data>
          <adlcp:map targetID="sd.notes" writeSharedData="false"/>
          <adlcp:map targetID="sd.secret" readSharedData="false"/>
        </adlcp:data>
      </item>
      <item identifier="plain" identifierref="sco"><title>Plain</title></item>
      <imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="sco" type="webcontent" adlcp:scormType="sco" href="sco.html">
      <file href="sco.html"/>
    </resource>
  </resources>
</manifest>
`;

async function upload(id, orgAttrs) {
  const dir = mkdtempSync(join(tmpdir(), 'scolar-sd-'));
  try {
    mkdirSync(join(dir, 'pkg'));
    writeFileSync(join(dir, 'pkg', 'imsmanifest.xml'), manifest(id, orgAttrs));
    writeFileSync(join(dir, 'pkg', 'sco.html'), '<!doctype html><title>sco</title>\n');
    const z = spawnSync('zip', ['-qr', join(dir, 'p.zip'), '.'], { cwd: join(dir, 'pkg') });
    assert.equal(z.status, 0, `zip: ${z.stderr}`);
    const r = await srv.req('POST', '/api/courses', {
      body: readFileSync(join(dir, 'p.zip')), headers: { 'Content-Type': 'application/zip' },
    });
    assert.equal(r.status, 201, r.text);
    return r.json.course;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

before(async () => {
  srv = await startServer();
  course.global = await upload('sd.global', '');
  course.global2 = await upload('sd.global.two', '');
  course.local = await upload('sd.local', ' adlcp:sharedDataGlobalToSystem="false"');
});

after(async () => {
  if (process.env.SCOLAR_TEST_DEBUG) console.log(srv?.stderr);
  await srv?.stop();
});

async function post(path, body) {
  const r = await fetch(srv.content + path, {
    method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text };
}

async function register(courseId, learner) {
  const r = await srv.req('POST', '/api/registrations', { body: { course: courseId, learner: { id: learner, name: learner } } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// Open the player's sequencing (saves the registration's state: the course attempt that a
// registration-scoped store belongs to), then launch `sco`; returns {session, data}.
async function launch(reg, sco) {
  const n = await post(`/player/${reg.registration}/nav`, { token: reg.token, request: 'launch' });
  assert.equal(n.status, 200, n.text);
  const r = await post(`/player/${reg.registration}/launch`, { token: reg.token, sco });
  assert.equal(r.status, 200, r.text);
  return { session: r.json.session, data: r.json.initial['adl.data'] };
}

const commit = (reg, session, seq, changes, final = false) =>
  post(`/player/${reg.registration}/commit/${session}`, { token: reg.token, seq, changes, final });

test('launch payload: initial["adl.data"] lists the item\'s maps; a commit writes adl.data.n.store', async () => {
  const a = await register(course.global, 'sd-learner-1');
  let L = await launch(a, 'writer');
  assert.deepEqual(L.data, [
    { id: 'sd.notes', read: true, write: true },
    { id: 'sd.other', read: true, write: true },
  ], 'nothing stored yet: no "store"');
  let c = await commit(a, L.session, 1, { 'adl.data.0.store': 'my notes', 'cmi.location': 'p1' });
  assert.equal(c.status, 200, c.text);
  assert.deepEqual(c.json, { applied: true, seq: 1, final: false });
  c = await commit(a, L.session, 2, { 'adl.data.1.store': 'x'.repeat(64) }, true);
  assert.equal(c.json.applied, true);
  L = await launch(a, 'writer');
  assert.deepEqual(L.data, [
    { id: 'sd.notes', read: true, write: true, store: 'my notes' },
    { id: 'sd.other', read: true, write: true, store: 'x'.repeat(64) },
  ]);
  // the reader item sees the same target (read-only) and a map it may not read
  const R = await launch(a, 'reader');
  assert.deepEqual(R.data, [
    { id: 'sd.notes', read: true, write: false, store: 'my notes' },
    { id: 'sd.secret', read: false, write: true },
  ]);
  // an item without adlcp:data gets no adl.data
  assert.equal((await launch(a, 'plain')).data, undefined);
});

test('refusals: a read-only store (404), an index beyond the maps (351), adl.data.n.id (404); nothing changes', async () => {
  const a = await register(course.global, 'sd-learner-2');
  const W = await launch(a, 'writer');
  assert.equal((await commit(a, W.session, 1, { 'adl.data.0.store': 'v1' }, true)).json.applied, true);
  const R = await launch(a, 'reader');
  assert.equal((await commit(a, R.session, 1, { 'cmi.location': 'r0' })).json.applied, true);
  for (const [changes, element, code] of [
    [{ 'cmi.location': 'r1', 'adl.data.0.store': 'overwrite' }, 'adl.data.0.store', 404],
    [{ 'cmi.location': 'r1', 'adl.data.2.store': 'x' }, 'adl.data.2.store', 351],
    [{ 'cmi.location': 'r1', 'adl.data.0.id': 'other' }, 'adl.data.0.id', 404],
  ]) {
    const c = await commit(a, R.session, 2, changes);
    assert.equal(c.status, 400, JSON.stringify(changes));
    assert.equal(c.json.element, element);
    assert.equal(c.json.scorm_error, code, `${element}: ${c.json.message}`);
  }
  // the read-only refusal names the rule
  const c = await commit(a, R.session, 2, { 'adl.data.0.store': 'overwrite' });
  assert.match(c.json.message, /writeSharedData/);
  // nothing of the refused commits was stored: not the store, not cmi.location
  const again = await launch(a, 'reader');
  assert.equal(again.data[0].store, 'v1');
  const rep = await srv.req('GET', `/api/registrations/${a.registration}`);
  assert.equal(rep.status, 200);
  const sco = rep.json.scos.find((s) => s.id === 'reader');
  assert.ok(sco, 'the reader SCO is in the report');
  assert.equal(sco.cmi['cmi.location'], 'r0', 'the refused commits set no cmi.location');
  // "" deletes the store
  const W2 = await launch(a, 'writer');
  assert.equal((await commit(a, W2.session, 1, { 'adl.data.0.store': '' }, true)).json.applied, true);
  assert.equal((await launch(a, 'writer')).data[0].store, undefined, 'deleted');
});

test('scope: sharedDataGlobalToSystem (default true) is per learner, across registrations and courses', async () => {
  const a1 = await register(course.global, 'sd-learner-3');
  const a2 = await register(course.global, 'sd-learner-3');
  const b = await register(course.global, 'sd-learner-4');
  const other = await register(course.global2, 'sd-learner-3');
  const L = await launch(a1, 'writer');
  assert.equal((await commit(a1, L.session, 1, { 'adl.data.0.store': 'learner 3' }, true)).json.applied, true);
  assert.equal((await launch(a2, 'writer')).data[0].store, 'learner 3', 'the same learner, another registration');
  assert.equal((await launch(other, 'reader')).data[0].store, 'learner 3', 'the same learner, another course');
  assert.equal((await launch(b, 'writer')).data[0].store, undefined, 'another learner sees nothing');
  // the other learner's write stays theirs
  const B = await launch(b, 'writer');
  assert.equal((await commit(b, B.session, 1, { 'adl.data.0.store': 'learner 4' }, true)).json.applied, true);
  assert.equal((await launch(a1, 'writer')).data[0].store, 'learner 3');
});

test('scope: sharedDataGlobalToSystem="false" is per registration', async () => {
  const a1 = await register(course.local, 'sd-learner-5');
  const a2 = await register(course.local, 'sd-learner-5');
  const L = await launch(a1, 'writer');
  assert.equal((await commit(a1, L.session, 1, { 'adl.data.0.store': 'only here' }, true)).json.applied, true);
  assert.equal((await launch(a1, 'reader')).data[0].store, 'only here');
  assert.equal((await launch(a2, 'writer')).data[0].store, undefined, 'another registration of the same learner');
  // nor does the course-global store of the same targetID leak in
  const g = await register(course.global, 'sd-learner-5');
  assert.equal((await launch(g, 'writer')).data[0].store, undefined);
});
