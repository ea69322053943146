// SPDX-License-Identifier: Apache-2.0
// Three questions recorded as interactions (choice, true-false, numeric) with their correct
// patterns, learner responses, results and latency; the score and success follow (2 of 3 pass).
(function () {
  'use strict';
  const lms = window.demoLms;
  if (!lms.start()) return;
  const is2004 = lms.edition === '2004';
  const t0 = Date.now();
  const questions = [
    { id: 'q1-heavy-box', type: 'choice', correct: 'b', text: 'A box weighs about 30 kg' },
    { id: 'q2-twisting', type: 'true-false', correct: 'false', text: 'Twisting with a load' },
    { id: 'q3-help-weight', type: 'numeric', correct: '25', text: 'Weight to get help from' },
  ];
  let finished = false;
  function end() {
    if (!finished) {
      finished = true;
      lms.finish();
    }
  }
  if (!is2004 && lms.get('cmi.core.lesson_status') === 'not attempted') {
    lms.set('cmi.core.lesson_status', 'incomplete');
  }
  function latency(ms) { // ISO 8601 duration for 2004, HH:MM:SS for 1.2
    const s = Math.max(1, Math.round(ms / 1000));
    if (is2004) return 'PT' + s + 'S';
    const hh = String(Math.floor(s / 3600)).padStart(2, '0');
    const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
    return hh + ':' + mm + ':' + String(s % 60).padStart(2, '0');
  }
  document.getElementById('quiz').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const answers = [form.q1.value, form.q2.value, String(form.q3.value).trim()];
    let right = 0;
    questions.forEach((q, i) => {
      const n = 'cmi.interactions.' + i + '.';
      const correct = q.type === 'numeric' ? Number(answers[i]) === Number(q.correct) && answers[i] !== ''
        : answers[i] === q.correct;
      if (correct) right++;
      lms.set(n + 'id', q.id);
      lms.set(n + 'type', q.type);
      if (is2004) {
        lms.set(n + 'description', q.text);
        lms.set(n + 'correct_responses.0.pattern', q.type === 'numeric' ? q.correct + '[:]' + q.correct : q.correct);
        if (answers[i] !== '') lms.set(n + 'learner_response', answers[i]);
        lms.set(n + 'result', correct ? 'correct' : 'incorrect');
        lms.set(n + 'latency', latency(Date.now() - t0));
      } else {
        lms.set(n + 'correct_responses.0.pattern', q.type === 'true-false' ? q.correct.charAt(0) : q.correct);
        if (answers[i] !== '') {
          lms.set(n + 'student_response', q.type === 'true-false' ? answers[i].charAt(0) : answers[i]);
        }
        lms.set(n + 'result', correct ? 'correct' : 'wrong');
        lms.set(n + 'latency', latency(Date.now() - t0));
      }
    });
    const scaled = right / questions.length;
    const passed = right >= 2;
    if (is2004) {
      lms.set('cmi.score.raw', right);
      lms.set('cmi.score.min', 0);
      lms.set('cmi.score.max', questions.length);
      lms.set('cmi.score.scaled', scaled.toFixed(4));
      lms.set('cmi.success_status', passed ? 'passed' : 'failed');
      lms.set('cmi.completion_status', 'completed');
      lms.set('cmi.session_time', latency(Date.now() - t0));
      lms.set('cmi.exit', 'normal');
    } else {
      lms.set('cmi.core.score.raw', Math.round(scaled * 100));
      lms.set('cmi.core.score.min', 0);
      lms.set('cmi.core.score.max', 100);
      lms.set('cmi.core.lesson_status', passed ? 'passed' : 'failed');
      lms.set('cmi.core.session_time', latency(Date.now() - t0));
    }
    lms.commit();
    const out = document.getElementById('result');
    out.hidden = false;
    out.className = 'result ' + (passed ? 'passed' : 'failed');
    out.textContent = right + ' of ' + questions.length + ' right: ' +
      (passed ? 'passed. Well done.' : 'not passed yet. Read the basics again and retry.');
    document.getElementById('submit').disabled = true;
    document.getElementById('exit').hidden = false;
  });
  document.getElementById('exit').addEventListener('click', () => {
    if (is2004) lms.set('adl.nav.request', 'exitAll');
    end();
  });
  window.addEventListener('pagehide', end);
})();
