// SPDX-License-Identifier: Apache-2.0
// The demo course's link to the LMS: finds API_1484_11 (SCORM 2004) or API (SCORM 1.2) by the
// standard search (the window's parents, then the opener's), and offers one small interface to
// the pages of both editions. Every call's result is checked; a failure is shown on the page.
(function () {
  'use strict';
  function find(win, name) {
    for (let n = 0; win && n < 500; n++) {
      try {
        if (win[name]) return win[name];
      } catch (e) { /* another origin: keep looking */ }
      if (!win.parent || win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  function search(name) {
    return find(window, name) || (window.opener ? find(window.opener, name) : null);
  }
  const api2004 = search('API_1484_11');
  const api12 = api2004 ? null : search('API');
  const lms = {
    edition: api2004 ? '2004' : api12 ? '1.2' : null,
    error: null,
    start() {
      if (!lms.edition) return fail('no SCORM API found: open this course from its launch link');
      return api2004 ? ok(api2004.Initialize(''), 'Initialize') : ok(api12.LMSInitialize(''), 'LMSInitialize');
    },
    get(el) {
      return api2004 ? api2004.GetValue(el) : api12.LMSGetValue(el);
    },
    set(el, v) {
      return api2004 ? ok(api2004.SetValue(el, String(v)), 'SetValue ' + el)
        : ok(api12.LMSSetValue(el, String(v)), 'LMSSetValue ' + el);
    },
    commit() {
      return api2004 ? ok(api2004.Commit(''), 'Commit') : ok(api12.LMSCommit(''), 'LMSCommit');
    },
    finish() {
      return api2004 ? ok(api2004.Terminate(''), 'Terminate') : ok(api12.LMSFinish(''), 'LMSFinish');
    },
    // Ask the LMS for the next activity (SCORM 2004 navigation); 1.2 leaves it to the player.
    next() {
      if (api2004) api2004.SetValue('adl.nav.request', 'continue');
    },
  };
  function ok(result, what) {
    if (result === 'true') return true;
    const code = api2004 ? api2004.GetLastError() : api12.LMSGetLastError();
    return fail(what + ' failed (error ' + code + ')');
  }
  function fail(msg) {
    lms.error = msg;
    const box = document.getElementById('lms-error');
    if (box) {
      box.textContent = msg;
      box.hidden = false;
    }
    return false;
  }
  window.demoLms = lms;
})();
