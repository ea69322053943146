// SPDX-License-Identifier: Apache-2.0
// Type validators (datamodel.json type kinds) and the interaction grammars (RTE 4.2.9).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { ScolarRuntime, DATAMODEL, api2004, call } = require('./helpers');

const strict = new ScolarRuntime.Validator(DATAMODEL, true);
const lenient = new ScolarRuntime.Validator(DATAMODEL, false);
const T = DATAMODEL.types;

function codes(v, type, values) {
  return values.map((x) => v.check(T[type], x, 0, {}));
}

test('real(10,7) and ranges', () => {
  assert.deepEqual(codes(strict, 'real', ['0', '-1.5', '3.', '.5', '+2', '1e3', '1,5', '', ' 1', '0x10']), [0, 0, 0, 0, 0, 406, 406, 406, 406, 406]);
  assert.deepEqual(codes(strict, 'real_-1_1', ['-1', '1.0', '1.0000001', '-1.01']), [0, 0, 407, 407]);
  assert.deepEqual(codes(strict, 'real_0_1', ['0', '0.999', '-0.0001']), [0, 0, 407]);
});

test('time(second,10,0)', () => {
  const ok = ['1970', '2004-07', '2004-07-25', '2004-07-25T03', '2004-07-25T03:00', '2004-07-25T03:00:00', '2004-07-25T03:00:00.5',
    '2004-07-25T03:00:00.55Z', '2004-07-25T03:00:00.1+05', '2004-07-25T03:00:00.1-05:30', '2004-02-29', '2038-12-31'];
  const bad = ['1969', '2039', '2004-13', '2003-02-29', '2004-04-31', '2004-07-25T24', '2004-07-25T03:60', '2004-07-25T03:00:60',
    '2004-07-25T03:00:00Z', '2004-07-25T03:00:00.555', '2004-07-25T03:00:00.5+24', '2004-07-25T03:00:00.5+05:60', '2004-7-25', ''];
  assert.deepEqual(ok.map(ScolarRuntime.time.checkTime), ok.map(() => 0));
  assert.deepEqual(bad.map(ScolarRuntime.time.checkTime), bad.map(() => 406));
});

test('timeinterval (ISO 8601 duration) and the centisecond conversion', () => {
  const ok = ['PT0S', 'P1Y', 'P1Y6M14DT4H15M6.34S', 'PT01H059M020S', 'P29D', 'PT0.5S'];
  const bad = ['P', 'PT', 'P1DT', 'T1H', '1Y', 'P1Y6M14D4H', 'PT1.S', '-PT1S', 'PT1,5S'];
  assert.deepEqual(ok.map((x) => ScolarRuntime.time.checkDuration(x, true)), ok.map(() => 0));
  assert.deepEqual(bad.map((x) => ScolarRuntime.time.checkDuration(x, true)), bad.map(() => 406));
  const t = ScolarRuntime.time;
  assert.equal(t.durationToCs('PT1H59M20S') + t.durationToCs('PT1M'), 722000);
  assert.equal(t.csToDuration(722000), 'PT2H20S');
  assert.equal(t.csToDuration(0), 'PT0H0M0S');
  assert.equal(t.csToDuration(t.durationToCs('P0Y029DT0H')), 'P29D');
  assert.equal(t.csToDuration(t.durationToCs('PT6.34S')), 'PT6.34S');
  assert.equal(t.durationToCs('P1Y1M'), (365 + 30) * 8640000);
  assert.equal(t.timespan12ToCs('0001:02:03.5'), 372350);
  assert.equal(t.csToTimespan12(372350), '0001:02:03.50');
});

test('language_type and localized_string_type', () => {
  assert.deepEqual(['en', 'EN', 'eng', 'en-US', 'zh-min-nan', 'i-klingon', 'x-private', 'mo', 'scc', 'sgn-BE-fr', ''].map((x) => strict.language(x, true)),
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(['sp', 'exg', 'frl', 'ruq-JM', 'en-', 'en-toolongsubtag', '1en', ''].map((x) => strict.language(x, false)),
    [406, 406, 406, 406, 406, 406, 406, 406]);
  assert.equal(lenient.language('exg', false), 0);
  assert.deepEqual(['{lang=fr}texte', 'plain', '{lang=}x', '{lang=zz}x', '{lang=en'].map((x) => strict.localized(x, 250)), [0, 0, 406, 406, 406]);
});

test('identifiers: strict URI characters, lenient no whitespace', () => {
  assert.deepEqual(['obj1', 'urn:adl:lmsTest/OBJ01', 'http://x.org/a?b=1#c', 'a b', 'urn:', 'urn:adl:', '', 'a[b', '{x}'].map((x) => strict.identifier(x, 4000)),
    [0, 0, 0, 406, 406, 406, 406, 406, 406]);
  assert.deepEqual(['urn:scormdriver:Q%20one', 'a[b', 'urn:', 'a b'].map((x) => lenient.identifier(x, 4000)), [0, 0, 0, 406]);
});

test('interaction learner_response grammar per type', () => {
  const r = (type, v) => strict.interaction(v, type, false);
  assert.deepEqual(['true', 'false', 'True', '1', ''].map((v) => r('true-false', v)), [0, 0, 406, 406, 406]);
  assert.deepEqual(['a', 'a[,]b', '', 'a[,]a', '[,]', 'a[,]', 'a b'].map((v) => r('choice', v)), [0, 0, 0, 406, 406, 406, 406]);
  assert.deepEqual(['{lang=en}red[,]blue', 'x', '', '{case_matters=true}x'].map((v) => r('fill-in', v)), [0, 0, 0, 0]);
  assert.deepEqual(['a[.]b', 'a[.]b[,]c[.]d', 'a', 'a[.]', '[.]b'].map((v) => r('matching', v)), [0, 0, 406, 406, 406]);
  assert.deepEqual(['s1[.]ans', 's1[.]3.5', '[.]x', 's1[.]', '[.]', 'x'].map((v) => r('performance', v)), [0, 0, 0, 0, 406, 406]);
  assert.deepEqual(['a[,]b[,]c', 'a', '[,]'].map((v) => r('sequencing', v)), [0, 0, 406]);
  assert.deepEqual(['l3', 'l3[,]l4', ''].map((v) => r('likert', v)), [0, 406, 406]);
  assert.deepEqual(['3.5', '-1', '1[:]2', 'x'].map((v) => r('numeric', v)), [0, 0, 406, 406]);
  assert.deepEqual(['anything {at} all [,]', ''].map((v) => r('other', v)), [0, 0]);
  assert.deepEqual(['long text', '{lang=de}Text'].map((v) => r('long-fill-in', v)), [0, 0]);
  assert.equal(r('no-such-type', 'x'), 406);
});

test('interaction correct_responses pattern grammar per type', () => {
  const p = (type, v) => strict.interaction(v, type, true);
  assert.deepEqual(['1[:]2', '[:]2', '1[:]', '[:]', '2[:]1', '3', 'a[:]b'].map((v) => p('numeric', v)), [0, 0, 0, 0, 406, 406, 406]);
  assert.equal(lenient.interaction('3', 'numeric', true), 0);
  assert.deepEqual(['{case_matters=true}{order_matters=false}a[,]b', '{order_matters=false}{case_matters=true}a', '{case_matters=yes}a',
    '{case_matters=true}{case_matters=true}a', '{lang=en}{case_matters=true}a', '{lang=en}{case_matters=maybe}a'].map((v) => p('fill-in', v)),
  [0, 0, 406, 406, 0, 0]);
  assert.deepEqual(['{case_matters=true}x', '{order_matters=true}x'].map((v) => p('long-fill-in', v)), [0, 406]);
  assert.deepEqual(['{order_matters=false}s1[.]1[:]5[,]s2[.]b', 's1[.]5[:]1', '{case_matters=true}s1[.]a'].map((v) => p('performance', v)), [0, 406, 406]);
  assert.deepEqual(['{order_matters=false}a[,]b'].map((v) => p('choice', v)), [406]);
  assert.equal(p('choice', Array.from({ length: 37 }, (_, i) => 'c' + i).join('[,]')), 406);
  assert.equal(p('choice', Array.from({ length: 36 }, (_, i) => 'c' + i).join('[,]')), 0);
});

test('1.2 kinds: CMIDecimal, CMITimespan, CMITime, CMIIdentifier, CMISInteger, CMIFeedback', () => {
  assert.deepEqual(codes(strict, 'CMIBlankDecimal0to100', ['', '0', '100', '55.5', '-1', '100.01', 'x']), [0, 0, 0, 0, 406, 406, 406]);
  assert.deepEqual(codes(strict, 'CMITimespan', ['00:00:00', '0000:00:00.00', '9999:59:59.9', '0:00:00', '00:60:00', '00:00:00.123']), [0, 0, 0, 406, 406, 406]);
  assert.deepEqual(codes(strict, 'CMITime', ['23:59:59', '00:00:00.5', '24:00:00', '1:00:00']), [0, 0, 406, 406]);
  assert.deepEqual(codes(strict, 'CMIIdentifier', ['q1', 'a b', '', 'x'.repeat(256)]), [0, 406, 406, 406]);
  assert.deepEqual(codes(strict, 'CMIAudio', ['-1', '100', '101', '1.5']), [0, 0, 406, 406]);
  const f = (type, v) => strict.feedback12(v, type);
  assert.deepEqual([['true-false', 't'], ['true-false', 'x'], ['choice', 'a,b,c'], ['choice', '{a,b}'], ['choice', 'ab'], ['matching', '1.a,2.b'],
    ['matching', '1-a'], ['sequencing', 'a,b'], ['likert', ''], ['numeric', '3.5'], ['numeric', 'x'], ['fill-in', 'x'.repeat(255)],
    ['fill-in', 'x'.repeat(256)]].map(([t, v]) => f(t, v)), [0, 405, 0, 0, 405, 0, 405, 0, 0, 0, 405, 0, 405]);
  assert.equal(lenient.feedback12('x'.repeat(4096), 'fill-in'), 0);
  assert.equal(lenient.feedback12('x'.repeat(4097), 'fill-in'), 405);
});

test('strings: SPM counts characters, not UTF-16 units (2004 value_max)', () => {
  const a = api2004();
  a.Initialize('');
  const astral = '\u{1F600}'.repeat(1000); // 1000 characters, 2000 UTF-16 units
  assert.deepEqual(call(a, 'SetValue', 'cmi.location', astral), ['true', '0']);
  assert.equal(a.GetValue('cmi.location'), astral);
});
