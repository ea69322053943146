/* SPDX-License-Identifier: Apache-2.0
 *
 * Runs in content.html (nested frame or popup) and talks to the LMS only through the
 * @gamestdio/scorm wrapper (exports.scorm): initialize (the wrapper finds the API by its own
 * parent / top.opener search and picks the version from what it finds), set and read back
 * values, commit, terminate. Every answer of the wrapper is recorded and handed to the test
 * (window.scolarWrapperReport, a Playwright binding) or shown in the page.
 */
(function () {
  'use strict';
  var scorm = exports.scorm;
  var mode = new URLSearchParams(location.search).get('mode');
  var log = { mode: mode, sets: {}, gets: {} };

  function set(k, v) { log.sets[k] = scorm.set(k, v); }
  function get(k) { log.gets[k] = scorm.get(k); }

  function run() {
    log.initialize = scorm.initialize();
    log.version = scorm.version || null;
    log.lastError = scorm.getLastError();
    if (log.version === '1.2') {
      get('cmi.core.student_id');
      get('cmi.core.student_name');
      get('cmi.core.entry');
      get('cmi.core.lesson_status');  /* the wrapper made it "incomplete" at initialize */
      set('cmi.core.lesson_location', 'page-' + mode);
      set('cmi.suspend_data', 'wrapper:' + mode + ';step=3');
      set('cmi.core.score.min', '0');
      set('cmi.core.score.max', '100');
      set('cmi.core.score.raw', mode === 'frame' ? '87' : '64');
      set('cmi.interactions.0.id', 'q-' + mode);
      set('cmi.interactions.0.type', 'choice');
      set('cmi.interactions.0.student_response', 'b');
      set('cmi.interactions.0.result', 'correct');
      set('cmi.core.session_time', '0000:01:02.50');
      set('cmi.core.lesson_status', 'passed');
      get('cmi.core.lesson_location');
      get('cmi.suspend_data');
      get('cmi.core.score.raw');
      get('cmi.core.lesson_status');
      log.badSet = scorm.set('cmi.core.lesson_status', 'finished');
      log.badSetError = scorm.getLastError();
    } else if (log.version === '2004') {
      get('cmi.learner_id');
      get('cmi.learner_name');
      get('cmi.entry');
      get('cmi.completion_status');  /* the wrapper made it "incomplete" at initialize */
      set('cmi.location', 'page-' + mode);
      set('cmi.suspend_data', 'wrapper:' + mode + ';step=3');
      set('cmi.score.min', '0');
      set('cmi.score.max', '100');
      set('cmi.score.raw', mode === 'frame' ? '87' : '64');
      set('cmi.score.scaled', mode === 'frame' ? '0.87' : '0.64');
      set('cmi.interactions.0.id', 'q-' + mode);
      set('cmi.interactions.0.type', 'choice');
      set('cmi.interactions.0.learner_response', 'b');
      set('cmi.interactions.0.result', 'correct');
      set('cmi.session_time', 'PT1M2.5S');
      set('cmi.success_status', 'passed');
      set('cmi.completion_status', 'completed');
      get('cmi.location');
      get('cmi.suspend_data');
      get('cmi.score.scaled');
      get('cmi.completion_status');
      log.badSet = scorm.set('cmi.completion_status', 'finished');
      log.badSetError = scorm.getLastError();
    }
    log.commit = scorm.commit();
    log.terminate = scorm.terminate();
    log.activeAfter = scorm.isActive;
    document.getElementById('log').textContent = JSON.stringify(log, null, 1);
    if (typeof window.scolarWrapperReport === 'function') {
      window.scolarWrapperReport(log).then(function () {
        if (mode === 'popup') window.close();
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
  else run();
})();
