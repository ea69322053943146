// SPDX-License-Identifier: Apache-2.0
// SCORM 1.2 API (RTE 1.2 ch. 3): state machine, error codes 101..405, data model, leniency.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { api12, call } = require('./helpers');

test('1.2 state machine: 301 before LMSInitialize, 101 after LMSFinish or on double init, 201 arguments', () => {
  const a = api12();
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.student_id'), ['', '301']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.lesson_location', 'x'), ['false', '301']);
  assert.deepEqual(call(a, 'LMSCommit', ''), ['false', '301']);
  assert.deepEqual(call(a, 'LMSFinish', ''), ['false', '301']);
  assert.deepEqual(call(a, 'LMSInitialize', 'x'), ['false', '201']);
  assert.deepEqual(call(a, 'LMSInitialize', ''), ['true', '0']);
  assert.deepEqual(call(a, 'LMSInitialize', ''), ['false', '101']);
  assert.deepEqual(call(a, 'LMSCommit', 'x'), ['false', '201']);
  assert.deepEqual(call(a, 'LMSFinish', ''), ['true', '0']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.student_id'), ['', '101']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.lesson_location', 'x'), ['false', '101']);
  assert.deepEqual(call(a, 'LMSCommit', ''), ['false', '101']);
  assert.deepEqual(call(a, 'LMSFinish', ''), ['false', '101']);
  assert.equal(a.LMSGetErrorString('101'), 'General exception');
  assert.equal(a.LMSGetErrorString('408'), '');
});

test('1.2 data model errors 201 202 203 401 402 403 404 405', () => {
  const a = api12({ initial: { 'cmi.core.student_id': 'u1', 'cmi.core.student_name': 'Doe, Jane' } });
  a.LMSInitialize('');
  assert.deepEqual(call(a, 'LMSGetValue', ''), ['', '201']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.student_id._children'), ['', '202']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core._count'), ['', '203']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.bogus'), ['', '401']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core._children', 'x'), ['false', '402']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.objectives._count', '3'), ['false', '402']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.student_id', 'u2'), ['false', '403']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.total_time', '0000:00:01'), ['false', '403']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.exit'), ['', '404']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.session_time'), ['', '404']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.interactions.0.id'), ['', '404']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.lesson_status', 'not attempted'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.lesson_status', 'done'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.exit', 'normal'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.score.raw', '101'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.score.raw', 'ten'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.session_time', '1:00:00'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.core.session_time', '00:60:00'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.student_preference.audio', '101'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.student_preference.text', '2'), ['false', '405']);
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.objectives.1.id', 'o2'), ['false', '201']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.objectives.0.id'), ['', '201']);
});

test('1.2 values, defaults, _children and _count', () => {
  const a = api12({ initial: { 'cmi.core.student_id': 'u1', 'cmi.core.entry': 'ab-initio', 'cmi.launch_data': 'ld' } });
  a.LMSInitialize('');
  assert.equal(a.LMSGetValue('cmi._version'), '3.4');
  assert.equal(a.LMSGetValue('cmi.core._children'), 'student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time');
  assert.equal(a.LMSGetValue('cmi.core.lesson_status'), 'not attempted');
  assert.equal(a.LMSGetValue('cmi.core.total_time'), '0000:00:00.00');
  assert.equal(a.LMSGetValue('cmi.core.lesson_mode'), 'normal');
  assert.equal(a.LMSGetValue('cmi.core.credit'), 'credit');
  assert.equal(a.LMSGetValue('cmi.core.entry'), 'ab-initio');
  assert.equal(a.LMSGetValue('cmi.launch_data'), 'ld');
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.lesson_location'), ['', '0']);
  assert.deepEqual(call(a, 'LMSGetValue', 'cmi.core.score.raw'), ['', '0']);
  assert.equal(a.LMSSetValue('cmi.core.score.raw', '85.5'), 'true');
  assert.equal(a.LMSSetValue('cmi.core.score.min', ''), 'true');
  assert.equal(a.LMSSetValue('cmi.core.lesson_status', 'passed'), 'true');
  assert.equal(a.LMSSetValue('cmi.core.session_time', '0001:02:03.5'), 'true');
  assert.equal(a.LMSSetValue('cmi.core.exit', 'suspend'), 'true');
  assert.equal(a.LMSSetValue('cmi.objectives.0.id', 'obj-1'), 'true');
  assert.equal(a.LMSSetValue('cmi.objectives.0.status', 'completed'), 'true');
  assert.equal(a.LMSGetValue('cmi.objectives._count'), '1');
  assert.equal(a.LMSGetValue('cmi.objectives.0.score._children'), 'raw,min,max');
  assert.equal(a.LMSSetValue('cmi.interactions.0.id', 'q1'), 'true');
  assert.equal(a.LMSSetValue('cmi.interactions.0.type', 'choice'), 'true');
  assert.equal(a.LMSSetValue('cmi.interactions.0.student_response', 'a,b'), 'true');
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.interactions.0.student_response', 'abc'), ['false', '405']);
  assert.equal(a.LMSSetValue('cmi.interactions.0.result', 'wrong'), 'true');
  assert.deepEqual(call(a, 'LMSSetValue', 'cmi.interactions.0.result', 'incorrect'), ['false', '405']);
  assert.equal(a.LMSSetValue('cmi.interactions.0.time', '13:05:00'), 'true');
  assert.equal(a.LMSSetValue('cmi.interactions.0.latency', '0000:00:12.25'), 'true');
  assert.equal(a.LMSSetValue('cmi.interactions.0.objectives.0.id', 'obj-1'), 'true');
  assert.equal(a.LMSSetValue('cmi.interactions.0.correct_responses.0.pattern', 'b'), 'true');
  assert.equal(a.LMSGetValue('cmi.interactions._count'), '1');
  assert.equal(a.LMSGetValue('cmi.interactions.0.objectives._count'), '1');
  assert.equal(a.LMSGetValue('cmi.interactions.0.correct_responses._count'), '1');
  assert.equal(a.LMSFinish(''), 'true');
  assert.deepEqual(a.commits.map((c) => c.meta.final), [true]);
  assert.deepEqual(a.commits[0].changes, {
    'cmi.core.score.raw': '85.5', 'cmi.core.score.min': '', 'cmi.core.lesson_status': 'passed', 'cmi.core.session_time': '0001:02:03.5',
    'cmi.core.exit': 'suspend', 'cmi.objectives.0.id': 'obj-1', 'cmi.objectives.0.status': 'completed', 'cmi.interactions.0.id': 'q1',
    'cmi.interactions.0.type': 'choice', 'cmi.interactions.0.student_response': 'a,b', 'cmi.interactions.0.result': 'wrong',
    'cmi.interactions.0.time': '13:05:00', 'cmi.interactions.0.latency': '0000:00:12.25', 'cmi.interactions.0.objectives.0.id': 'obj-1',
    'cmi.interactions.0.correct_responses.0.pattern': 'b'
  });
});

test('1.2 strict limits vs lenient defaults (documented leniencies)', () => {
  const s = api12({ strict: true });
  s.LMSInitialize('');
  assert.deepEqual(call(s, 'LMSSetValue', 'cmi.suspend_data', 'x'.repeat(4096)), ['true', '0']);
  assert.deepEqual(call(s, 'LMSSetValue', 'cmi.suspend_data', 'x'.repeat(4097)), ['false', '405']);
  assert.deepEqual(call(s, 'LMSSetValue', 'cmi.core.lesson_location', 'x'.repeat(256)), ['false', '405']);
  assert.deepEqual(call(s, 'LMSSetValue', 'cmi.core.score.raw', '150'), ['false', '405']);
  const l = api12({ strict: false });
  l.LMSInitialize('');
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.suspend_data', 'x'.repeat(64000)), ['true', '0']);
  assert.equal(l.LMSGetValue('cmi.suspend_data').length, 64000);
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.suspend_data', 'x'.repeat(64001)), ['false', '405']);
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.core.lesson_location', 'x'.repeat(4096)), ['true', '0']);
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.core.score.raw', '150'), ['true', '0']);
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.core.score.raw', 'abc'), ['false', '405']);
  l.LMSSetValue('cmi.interactions.0.id', 'Scene 1 Slide 3');
  l.LMSSetValue('cmi.interactions.0.type', 'choice');
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.interactions.0.student_response', 'urn:scormdriver:Answer%20ten'), ['true', '0']);
  assert.deepEqual(call(s, 'LMSSetValue', 'cmi.interactions.0.id', 'Scene 1'), ['false', '405']);
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.interactions.1.id', 'x'.repeat(256)), ['false', '405']);
  assert.deepEqual(call(l, 'LMSSetValue', 'cmi.interactions.1.id', 'x'.repeat(255)), ['true', '0']);
});
