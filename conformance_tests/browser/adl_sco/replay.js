/* SPDX-License-Identifier: Apache-2.0
 *
 * A small SCO that replays one visit of an ADL SCORM 2004 4th ed. LMS test script
 * (Courses/TestCases/<group>.properties) in place of the suite's applet. Served inside a test
 * package built by conformance_tests/browser/test_adl_scripts.mjs, launched as
 * sco.html?tc=<group>&act=<n> (the item's parameters, CAM 3.4.1.10).
 *
 * - the visit number of this activity is counted in localStorage ("scolar-adl:<tc>:<act>"), so
 *   the n-th delivery of activity <act> replays steps/Act<act>V<n>.json;
 * - the steps file is {"label", "calls": [[method, arg...], ...]}: every API call of the visit
 *   in order, element names and values already expanded by the test (runtime_js/tests/lib/adl.js);
 * - API_1484_11 is found by the search of SCORM 2004 RTE 3.3.6.1 / the ADL sample code: this
 *   window and its parents (at most 500 levels), then the opener and its parents;
 * - each call's return value is recorded with GetLastError() and GetDiagnostic("") right after
 *   it (both leave the error state alone, RTE 3.1.4.4), batched in the page; the test compares;
 * - the results go to window.scolarAdlReport (a binding the test exposes) or, outside the test,
 *   into the page; then, like the ADL SCO, the session ends with Terminate("") when the script
 *   left it open, and a second report {done, closing: [Terminate's answer, error] or null}
 *   follows.
 */
(function () {
  'use strict';

  function findIn(win) {
    var n = 0;
    while (win && !win.API_1484_11 && win.parent && win.parent !== win && n < 500) {
      n++;
      win = win.parent;
    }
    return (win && win.API_1484_11) || null;
  }

  function findApi() {
    var api = findIn(window);
    if (!api && window.opener) api = findIn(window.opener);
    if (!api && window.top && window.top.opener) api = findIn(window.top.opener);
    return api;
  }

  function show(text) {
    var s = document.getElementById('status');
    if (s) s.textContent = text;
  }

  function nextVisit(tc, act) {
    var key = 'scolar-adl:' + tc + ':' + act;
    var n = parseInt(window.localStorage.getItem(key) || '0', 10) + 1;
    window.localStorage.setItem(key, String(n));
    return n;
  }

  function run(steps, api) {
    var out = [];
    var open = false;
    for (var i = 0; i < steps.calls.length; i++) {
      var c = steps.calls[i];
      var r;
      try {
        if (!api) throw new Error('API_1484_11 not found');
        var ret = api[c[0]].apply(api, c.slice(1));
        r = [ret, api.GetLastError(), api.GetDiagnostic('')];
        if (c[0] === 'Initialize' && ret === 'true') open = true;
        if (c[0] === 'Terminate' && ret === 'true') open = false;
      } catch (e) {
        r = [null, null, 'threw: ' + (e && e.message)];
      }
      out.push(r);
    }
    return { results: out, open: open };
  }

  function report(payload) {
    if (typeof window.scolarAdlReport === 'function') return window.scolarAdlReport(payload);
    var pre = document.createElement('pre');
    pre.textContent = JSON.stringify(payload, null, 1);
    document.body.appendChild(pre);
    return Promise.resolve();
  }

  function start() {
    var q = new URLSearchParams(location.search);
    var tc = q.get('tc') || '';
    var act = q.get('act') || '';
    var label = 'Act' + act + 'V' + nextVisit(tc, act);
    var api = findApi();
    show(label + ': running');
    fetch('steps/' + label + '.json', { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('steps/' + label + '.json: HTTP ' + r.status);
      return r.json();
    }).then(function (steps) {
      var t0 = Date.now();
      var res = run(steps, api);
      var payload = { tc: tc, act: act, label: label, api: !!api, results: res.results, ms: Date.now() - t0 };
      return report(payload).then(function () {
        show(label + ': ' + res.results.length + ' calls replayed');
        /* the ADL SCO closes a session the script left open (lmsrtefunctions.js callTerminate) */
        var closing = null;
        if (res.open) closing = [api.Terminate(''), api.GetLastError()];
        report({ tc: tc, act: act, label: label, done: true, closing: closing });
      });
    }).catch(function (e) {
      show(label + ': ' + e.message);
      report({ tc: tc, act: act, label: label, error: String(e && e.message) });
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
