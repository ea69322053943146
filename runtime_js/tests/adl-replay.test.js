// SPDX-License-Identifier: Apache-2.0
// ADL SCORM 2004 4th ed. conformance scripts (API, DMB, DMI, DDM groups) replayed against the shim
// in strict mode. Every step must pass, except the one step of DMI.properties that has no API
// method (Act3V2.commands.47, a typo in the ADL data: "c~INTR~6~CR~0~P!TY.m->..." lacks "GET->").
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { replay, replayDDM, ctsAvailable } = require('./lib/replay');

const skip = ctsAvailable() ? false : 'ADL CTS scripts not found (set SCOLAR_SHARED_DIR)';

for (const [group, total, malformed] of [['API', 30, 0], ['DMB', 235, 0], ['DMI', 8162, 1]]) {
  test('ADL ' + group + '.properties: every step passes', { skip }, (t) => {
    const { results } = replay(group, { strict: true });
    const failed = results.filter((r) => !r.ok && !r.skipped);
    const skipped = results.filter((r) => r.skipped);
    t.diagnostic(group + ': ' + (results.length - failed.length - skipped.length) + ' of ' + results.length + ' steps pass, ' + skipped.length + ' malformed');
    assert.equal(results.length, total);
    assert.equal(skipped.length, malformed);
    assert.deepEqual(failed.slice(0, 5).map((f) => f.where + ' ' + f.call + ': ' + f.why), []);
  });
}

test('ADL DDM.properties (DDMa + DDMb shared data): every adl.data step passes', { skip }, (t) => {
  const { results } = replayDDM({ strict: true });
  const failed = results.filter((r) => !r.ok);
  const data = results.filter((r) => /adl\.data/.test(r.call || ''));
  t.diagnostic('DDM: ' + (results.length - failed.length) + ' of ' + results.length + ' steps pass, ' + data.length + ' on adl.data');
  assert.equal(results.length, 120);
  assert.ok(data.length >= 70, 'adl.data steps replayed: ' + data.length);
  assert.deepEqual(failed.slice(0, 5).map((f) => f.where + ' ' + f.call + ': ' + f.why), []);
});
