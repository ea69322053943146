// SPDX-License-Identifier: Apache-2.0
// SCORM 2004 API: state machine (RTE 3.1.4/3.1.7) and every data-model error path.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { api2004, call, DATAMODEL, ScolarRuntime } = require('./helpers');

test('2004 state machine codes 103 104 112 113 122 123 132 133 142 143 201', () => {
  const a = api2004();
  assert.deepEqual(call(a, 'Terminate', ''), ['false', '112']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.location'), ['', '122']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.location', 'x'), ['false', '132']);
  assert.deepEqual(call(a, 'Commit', ''), ['false', '142']);
  assert.deepEqual(call(a, 'Initialize', 'x'), ['false', '201']);
  assert.deepEqual(call(a, 'Initialize', ''), ['true', '0']);
  assert.deepEqual(call(a, 'Initialize', ''), ['false', '103']);
  assert.deepEqual(call(a, 'Commit', 'x'), ['false', '201']);
  assert.deepEqual(call(a, 'Terminate', 'x'), ['false', '201']);
  assert.deepEqual(call(a, 'Commit', ''), ['true', '0']);
  assert.deepEqual(call(a, 'Terminate', ''), ['true', '0']);
  assert.deepEqual(call(a, 'Terminate', ''), ['false', '113']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.location'), ['', '123']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.location', 'x'), ['false', '133']);
  assert.deepEqual(call(a, 'Commit', ''), ['false', '143']);
  assert.deepEqual(call(a, 'Initialize', ''), ['false', '104']);
});

test('2004 GetLastError/GetErrorString/GetDiagnostic never change the error state', () => {
  const a = api2004();
  a.Initialize('');
  a.GetValue('cmi.bogus');
  assert.equal(a.GetLastError(), '401');
  assert.equal(a.GetErrorString('401'), 'Undefined Data Model Element');
  assert.equal(a.GetErrorString('999'), '');
  assert.equal(a.GetErrorString(''), '');
  assert.match(a.GetDiagnostic(''), /cmi\.bogus/);
  assert.ok(a.GetDiagnostic('').length <= 255);
  assert.equal(a.GetDiagnostic('001'), '');
  assert.equal(a.GetLastError(), '401');
  assert.equal(a.GetValue('cmi.mode'), 'normal');
  assert.equal(a.GetLastError(), '0');
});

test('2004 102 general initialization failure when the LMS refuses the session', () => {
  const a = api2004({ onInitialize: () => false });
  assert.deepEqual(call(a, 'Initialize', ''), ['false', '102']);
});

test('2004 111 and 391 when the server rejects the commit; data stays dirty', () => {
  let accept = false;
  const sent = [];
  const a = api2004({ commit: (c, m) => { sent.push([c, m]); return accept; } });
  a.Initialize('');
  a.SetValue('cmi.location', 'p1');
  assert.deepEqual(call(a, 'Commit', ''), ['false', '391']);
  assert.deepEqual(call(a, 'Terminate', ''), ['false', '111']);
  accept = true;
  assert.deepEqual(call(a, 'Terminate', ''), ['true', '0']);
  assert.deepEqual(sent.map((s) => [s[0], s[1].seq, s[1].final]), [
    [{ 'cmi.location': 'p1' }, 1, false],
    [{ 'cmi.location': 'p1' }, 2, true],
    [{ 'cmi.location': 'p1' }, 3, true]
  ]);
});

test('2004 101 general exception: a throwing value is caught, content sees "false"', () => {
  const a = api2004();
  a.Initialize('');
  const evil = { toString() { throw new Error('boom'); } };
  assert.deepEqual(call(a, 'SetValue', 'cmi.location', evil), ['false', '101']);
  assert.deepEqual(call(a, 'GetValue', evil), ['', '301']);
});

test('2004 301: no element, _children/_count on leaves, _version elsewhere, index beyond _count', () => {
  const a = api2004();
  a.Initialize('');
  assert.deepEqual(call(a, 'GetValue', ''), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.location._children'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.score._count'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.location._count'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.score._version'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.objectives.0.id'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.interactions.0.objectives._count'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi._version'), ['1.0', '0']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.score._children'), ['min,max,scaled,raw', '0']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.interactions._count'), ['0', '0']);
});

test('2004 351: order, uniqueness, write-once, SPM cap, full collection, duplicate choice pattern, empty element', () => {
  const a = api2004();
  a.Initialize('');
  assert.deepEqual(call(a, 'SetValue', '', 'x'), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.1.id', 'o2'), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.01.id', 'o2'), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.0.id', 'o1'), ['true', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.1.id', 'o1'), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.0.id', 'o9'), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.0.id', 'o1'), ['true', '0']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.objectives._count'), ['1', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.suspend_data', 'x'.repeat(262145)), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.suspend_data', 'x'.repeat(64000)), ['true', '0']);
  a.SetValue('cmi.interactions.0.id', 'q1');
  a.SetValue('cmi.interactions.0.type', 'choice');
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.correct_responses.0.pattern', 'a[,]b'), ['true', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.correct_responses.1.pattern', 'a[,]b'), ['false', '351']);
  a.SetValue('cmi.interactions.1.id', 'q2');
  a.SetValue('cmi.interactions.1.type', 'true-false');
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.1.correct_responses.0.pattern', 'true'), ['true', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.1.correct_responses.1.pattern', 'false'), ['false', '351']);
});

test('2004 401 undefined, 402 unimplemented, 403 not initialized, 404 read-only, 405 write-only', () => {
  const dm = JSON.parse(JSON.stringify(DATAMODEL));
  dm.models.scorm2004.elements['cmi.location'].unimplemented = true;
  const b = ScolarRuntime.createScorm2004Api({ datamodel: dm, strict: true });
  b.Initialize('');
  assert.deepEqual(call(b, 'GetValue', 'cmi.location'), ['', '402']);
  assert.deepEqual(call(b, 'SetValue', 'cmi.location', 'x'), ['false', '402']);

  const a = api2004();
  a.Initialize('');
  for (const el of ['cmi', 'cmi.bogus', 'cmi.interactions', 'adl.data', 'cmi.core.lesson_status', 'cmi.objectives.0.bogus', 'cmi..location']) {
    assert.deepEqual(call(a, 'GetValue', el), ['', '401'], el);
  }
  assert.deepEqual(call(a, 'SetValue', 'cmi.bogus', 'x'), ['false', '401']);
  for (const el of ['cmi.location', 'cmi.suspend_data', 'cmi.score.scaled', 'cmi.progress_measure', 'cmi.completion_threshold', 'cmi.scaled_passing_score', 'cmi.max_time_allowed', 'cmi.launch_data']) {
    assert.deepEqual(call(a, 'GetValue', el), ['', '403'], el);
  }
  for (const [el, v] of [['cmi._version', '1.1'], ['cmi.credit', 'no-credit'], ['cmi.entry', 'resume'], ['cmi.total_time', 'PT1S'],
    ['cmi.learner_id', 'x'], ['cmi.interactions._count', '1'], ['cmi.score._children', 'x'], ['adl.nav.request_valid.continue', 'true'],
    ['adl.nav.request_valid.choice.{target=a}', 'true'], ['cmi.comments_from_lms.0.comment', 'x']]) {
    assert.deepEqual(call(a, 'SetValue', el, v), ['false', '404'], el);
  }
  assert.deepEqual(call(a, 'GetValue', 'cmi.exit'), ['', '405']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.session_time'), ['', '405']);
});

test('2004 406 type mismatch and 407 out of range', () => {
  const a = api2004();
  a.Initialize('');
  const cases = [
    ['cmi.exit', 'quit', '406'], ['cmi.completion_status', 'done', '406'], ['cmi.success_status', 'passed ', '406'],
    ['cmi.score.scaled', 'abc', '406'], ['cmi.score.scaled', '1.5', '407'], ['cmi.score.scaled', '-1.0000001', '407'],
    ['cmi.progress_measure', '-0.1', '407'], ['cmi.learner_preference.audio_level', '-1', '407'],
    ['cmi.learner_preference.audio_captioning', '2', '406'], ['cmi.learner_preference.language', 'xx-YY', '406'],
    ['cmi.session_time', 'PT', '406'], ['cmi.session_time', 'P1DT', '406'], ['cmi.session_time', '12:00:00', '406'],
    ['cmi.comments_from_learner.0.timestamp', '2004-13-01', '406'], ['cmi.comments_from_learner.0.comment', '{lang=zz}x', '406'],
    ['adl.nav.request', 'jump', '406'], ['adl.nav.request', '{target=}choice', '406'], ['cmi.objectives.0.id', 'a b', '406'],
    ['cmi.objectives.0.id', 'urn:', '406'], ['cmi.objectives.0.id', '', '406']
  ];
  for (const [el, v, code] of cases) assert.deepEqual(call(a, 'SetValue', el, v), ['false', code], el + '=' + v);
  for (const [el, v] of [['cmi.exit', 'suspend'], ['cmi.score.scaled', '-1'], ['cmi.score.scaled', '0.5'], ['cmi.session_time', 'PT1H2M3.5S'],
    ['adl.nav.request', '{target=sco_2}choice'], ['adl.nav.request', 'suspendAll'], ['cmi.learner_preference.language', 'en-GB'],
    ['cmi.comments_from_learner.0.comment', '{lang=fr}bonjour'], ['cmi.comments_from_learner.0.timestamp', '2026-11-28T10:00:00.5Z']]) {
    assert.deepEqual(call(a, 'SetValue', el, v), ['true', '0'], el + '=' + v);
  }
});

test('2004 408 dependencies: interaction fields before id, pattern and response before type', () => {
  const a = api2004();
  a.Initialize('');
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.type', 'choice'), ['false', '408']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.objectives.0.id', 'o'), ['false', '408']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.objectives.0.score.raw', '5'), ['false', '408']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.interactions._count'), ['0', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.id', 'q1'), ['true', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.learner_response', 'a'), ['false', '408']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.correct_responses.0.pattern', 'a'), ['false', '408']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.type', 'choice'), ['true', '0']);
  assert.deepEqual(call(a, 'SetValue', 'cmi.interactions.0.learner_response', 'a[,]b'), ['true', '0']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.interactions.0.correct_responses._count'), ['0', '0']);
});

test('2004 collections: _children, _count, sequential indexes, defaults in new entries', () => {
  const a = api2004({ initial: { 'cmi.comments_from_lms.0.comment': 'hi', 'cmi.comments_from_lms.1.comment': 'there' } });
  a.Initialize('');
  assert.equal(a.GetValue('cmi.comments_from_lms._count'), '2');
  assert.equal(a.GetValue('cmi.comments_from_lms.1.comment'), 'there');
  assert.deepEqual(call(a, 'GetValue', 'cmi.comments_from_lms.1.location'), ['', '403']);
  assert.equal(a.GetValue('cmi.objectives._children'), 'success_status,progress_measure,description,id,completion_status,score');
  assert.equal(a.SetValue('cmi.objectives.0.id', 'obj1'), 'true');
  assert.equal(a.GetValue('cmi.objectives.0.success_status'), 'unknown');
  assert.equal(a.GetValue('cmi.objectives.0.completion_status'), 'unknown');
  assert.deepEqual(call(a, 'GetValue', 'cmi.objectives.0.score.scaled'), ['', '403']);
  assert.equal(a.SetValue('cmi.comments_from_learner.0.location', 'p3'), 'true');
  assert.equal(a.GetValue('cmi.comments_from_learner._count'), '1');
  assert.deepEqual(call(a, 'GetValue', 'cmi.comments_from_learner.0.comment'), ['', '403']);
});

test('2004 status evaluation against completion_threshold and scaled_passing_score (RTE 4.2.4, 4.2.22)', () => {
  const a = api2004({ initial: { 'cmi.completion_threshold': '0.8', 'cmi.scaled_passing_score': '0.5' } });
  a.Initialize('');
  a.SetValue('cmi.completion_status', 'completed');
  a.SetValue('cmi.success_status', 'passed');
  assert.equal(a.GetValue('cmi.completion_status'), 'unknown');
  assert.equal(a.GetValue('cmi.success_status'), 'unknown');
  a.SetValue('cmi.progress_measure', '0.79');
  a.SetValue('cmi.score.scaled', '0.49');
  assert.equal(a.GetValue('cmi.completion_status'), 'incomplete');
  assert.equal(a.GetValue('cmi.success_status'), 'failed');
  a.SetValue('cmi.progress_measure', '0.8');
  a.SetValue('cmi.score.scaled', '0.5');
  assert.equal(a.GetValue('cmi.completion_status'), 'completed');
  assert.equal(a.GetValue('cmi.success_status'), 'passed');
  const b = api2004();
  b.Initialize('');
  assert.equal(b.GetValue('cmi.completion_status'), 'unknown');
  b.SetValue('cmi.completion_status', 'incomplete');
  b.SetValue('cmi.progress_measure', '1');
  assert.equal(b.GetValue('cmi.completion_status'), 'incomplete');
});

test('2004 shared data adl.data: read/write flags, 403 until written, index checks', () => {
  const a = api2004({ initial: { 'adl.data': [{ id: 't1', store: 'v1' }, { id: 't2', read: false }, { id: 't3', write: false }, { id: 't4' }] } });
  a.Initialize('');
  assert.equal(a.GetValue('adl.data._count'), '4');
  assert.equal(a.GetValue('adl.data._children'), 'id,store');
  assert.equal(a.GetValue('adl.data.0.store'), 'v1');
  assert.deepEqual(call(a, 'GetValue', 'adl.data.1.store'), ['', '405']);
  assert.deepEqual(call(a, 'SetValue', 'adl.data.1.store', 'w'), ['true', '0']);
  assert.deepEqual(call(a, 'SetValue', 'adl.data.2.store', 'w'), ['false', '404']);
  assert.deepEqual(call(a, 'GetValue', 'adl.data.3.store'), ['', '403']);
  assert.deepEqual(call(a, 'SetValue', 'adl.data.4.store', 'w'), ['false', '351']);
  assert.deepEqual(call(a, 'SetValue', 'adl.data.0.id', 'x'), ['false', '404']);
  assert.deepEqual(call(a, 'GetValue', 'adl.data.9.id'), ['', '301']);
  a.SetValue('adl.data.0.store', '');
  assert.deepEqual(call(a, 'GetValue', 'adl.data.0.store'), ['', '403']);
});

test('2004 navigation: request hook, request_valid hook and stored values', () => {
  const seen = [];
  let ended = null;
  const a = api2004({
    initial: { 'adl.nav.request_valid.continue': 'true' },
    onNavRequest: (v) => seen.push(v),
    navRequestValid: (kind, target) => (kind === 'choice' && target === 'sco2' ? 'true' : kind === 'previous' ? false : 'unknown'),
    onTerminate: (info) => { ended = info; }
  });
  a.Initialize('');
  assert.equal(a.GetValue('adl.nav.request'), '_none_');
  assert.equal(a.GetValue('adl.nav.request_valid.continue'), 'true');
  assert.equal(a.GetValue('adl.nav.request_valid.previous'), 'false');
  assert.equal(a.GetValue('adl.nav.request_valid.choice.{target=sco2}'), 'true');
  assert.equal(a.GetValue('adl.nav.request_valid.jump.{target=sco2}'), 'unknown');
  assert.equal(a.SetValue('adl.nav.request', '{target=sco2}choice'), 'true');
  a.SetValue('cmi.exit', 'suspend');
  a.Terminate('');
  assert.deepEqual(seen, ['{target=sco2}choice']);
  assert.deepEqual(ended, { navRequest: '{target=sco2}choice', exit: 'suspend' });
});

test('2004 cmi itself: _version only; cmi._children and cmi._count are 301', () => {
  const a = api2004();
  a.Initialize('');
  assert.deepEqual(call(a, 'GetValue', 'cmi._children'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'cmi._count'), ['', '301']);
  assert.deepEqual(call(a, 'GetValue', 'adl._version'), ['', '401']);
  assert.deepEqual(call(a, 'GetValue', 'cmi.learner_preference._children'), ['language,delivery_speed,audio_captioning,audio_level', '0']);
});
