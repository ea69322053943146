/* SPDX-License-Identifier: Apache-2.0
 *
 * scolar SCORM player (plain ES2017, no framework, no build step). Served on the content
 * origin at /player/<registration>?token=T together with scorm-api.js (ScolarRuntime).
 *
 * - fetches /runtime/datamodel.json and the registration's state (/player/<reg>/state);
 * - draws the table of contents and previous / next / suspend / exit (each hidden where the
 *   current item's adlnav:presentation hideLMSUI lists its request: previous, continue,
 *   suspendAll, exitAll; SCORM CAM 4th 5.2.1.1);
 * - per launch: POST /player/<reg>/launch {token, sco} -> session, initial CMI values, strict;
 *   creates a fresh API object (window.API for SCORM 1.2, window.API_1484_11 for 2004; strict
 *   when the registration is) BEFORE the SCO frame gets its src (scorm-runtime.md §2);
 * - commits: synchronous XHR to /player/<reg>/commit/<session> (Commit returns the server's
 *   answer), navigator.sendBeacon / fetch keepalive on page dismissal (scorm-runtime.md §9),
 *   autosave every 5 s after a SetValue;
 * - SCORM 2004 (with imsss:sequencing, or without it: then the SN defaults apply, choice
 *   only, no flow, so previous / next stay disabled): the server's sequencing engine decides (SN 4th OP.1 via
 *   POST /player/<reg>/nav {token, request, target?, session?, commit_seq?},
 *   docs/sequencing.md "In the player"). The SCO's data reaches the engine through its
 *   commits only: the server derives the sequencing tracking from each commit in the commit's
 *   transaction (issue 15); a request names the SCO's session and last commit seq so that the
 *   server applies that commit first. On open "launch" (resumeAll when suspended, else start);
 *   at the SCO's Terminate its adl.nav.request (or "report" when it asked nothing); the
 *   buttons and the table of contents send continue / previous / choice, Suspend sends
 *   suspendAll (the learner comes back to where they left: resumeAll) and Exit sends exitAll
 *   (the attempt on the course ends; the next open starts a new one), after the SCO was
 *   unloaded; each Commit is followed by "report" so the table and the buttons follow what
 *   the SCO set. The table shows the engine's "toc" (hidden items left
 *   out, disabled ones not clickable); previous / next are enabled when the engine says those
 *   requests are valid; adl.nav.request_valid.* answer from the last answer.
 * - SCORM 1.2 (the server answers {"sequencing": false}):
 *   adl.nav.request continue / previous / choice / jump / exit are followed in tree order after
 *   Terminate; adl.nav.request_valid.* answer from the same order. There is no course attempt
 *   to suspend or end here (each SCO says with cmi.exit / cmi.core.exit whether it resumes):
 *   Suspend is not shown and Exit unloads the SCO and saves.
 */
(function () {
  'use strict';

  var parts = location.pathname.split('/');
  var reg = decodeURIComponent(parts[2] || '');
  var token = new URLSearchParams(location.search).get('token') || '';
  var base = '/player/' + encodeURIComponent(reg);

  var datamodel = null;
  var state = null;
  var order = [];      /* launchable items in tree order */
  var current = null;  /* item id */
  var api = null;      /* the API object of the running SCO */
  var unloading = false;
  var busy = false;
  var ended = false;
  var seqMode = false;  /* the server's sequencing engine drives delivery */
  var seqAnswer = null; /* its last answer: toc, valid, current */
  var lastRequest = ''; /* the last navigation request sent */
  var pending = null;   /* a learner's request made while another one was under way */
  var session = null;   /* the running SCO's session */

  function $(id) { return document.getElementById(id); }

  function message(text) {
    var m = $('message');
    m.textContent = text;
    m.hidden = !text;
  }

  function getJSON(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j && j.message) || ('HTTP ' + r.status));
        return j;
      });
    });
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j && j.message) || ('HTTP ' + r.status));
        return j;
      });
    });
  }

  function itemById(id) {
    for (var i = 0; i < state.items.length; i++) if (state.items[i].id === id) return state.items[i];
    return null;
  }

  function indexOf(id) { return order.indexOf(id); }

  function statusText(it) {
    if (it.success === 'passed' || it.success === 'failed') return it.success;
    return it.completion === 'not attempted' ? '' : it.completion;
  }

  /* ---- sequencing (SCORM 2004 with imsss) ------------------------------------------------ */

  function tocEntry(id) {
    var toc = (seqAnswer && seqAnswer.toc) || [];
    for (var i = 0; i < toc.length; i++) if (toc[i].item === id) return toc[i];
    return null;
  }

  /* the running SCO's session and the last commit seq sent in it: the server applies that
   * commit before the request even when it arrives later (a beacon on unload) */
  function ordering() {
    if (!session || !api || !api._runtime) return null;
    return { session: session, commit_seq: api._runtime.seq || 0 };
  }

  function seqAsk(request, target, ord) {
    var body = { token: token, request: request };
    if (target) body.target = target;
    if (ord) { body.session = ord.session; body.commit_seq = ord.commit_seq; }
    return postJSON(base + '/nav', body).then(function (a) {
      if (a.sequencing) { seqAnswer = a; if (seqMode) renderToc(); }
      return a;
    });
  }

  /* deliver what the engine answered (SN 4th 4.4: the LMS launches the delivered activity) */
  function seqDeliver(a) {
    if (a.deliver) {
      if (a.deliver === current && api && api._runtime && api._runtime.state === 1) return Promise.resolve();
      return (current ? leaveCurrent() : Promise.resolve()).then(function () {
        current = null; api = null;
        return launch(a.deliver);
      });
    }
    if (a.ended) {
      return (current ? leaveCurrent() : Promise.resolve()).then(function () {
        ended = true; api = null; current = null;
        updateControls();
        message(lastRequest === 'suspendAll' ? 'Your progress is saved. You can close this window.'
          : 'The course has ended. Your progress is saved. You can close this window.');
      });
    }
    if (a.exception) message('That is not available now (' + a.exception + '). Choose an activity from the table of contents.');
    else if (!current || !(api && api._runtime && api._runtime.state === 1)) message('Choose an activity from the table of contents.');
    return Promise.resolve();
  }

  /* the request under way is answered: the controls follow, and a learner's request made
   * meanwhile (a click while the terminated SCO's data was still travelling) runs now */
  function seqSettle() {
    busy = false;
    updateControls();
    refreshState();
    if (pending && !ended) {
      var p = pending;
      pending = null;
      seqRequest(p.request, p.target);
    }
  }

  /* a request of the learner (buttons, table of contents): unload the SCO (it Terminates),
   * then the request goes with its data */
  function seqRequest(request, target) {
    if (ended) return;
    if (busy) { pending = { request: request, target: target }; return; }
    busy = true;
    message('');
    leaveCurrent().then(function () {
      var ord = ordering();
      current = null; /* the SCO is unloaded */
      api = null;
      session = null;
      lastRequest = request;
      return seqAsk(request, target, ord);
    }).then(seqDeliver)
      .catch(function (e) { message('Navigation failed: ' + e.message); })
      .then(seqSettle);
  }

  /* the SCO terminated by itself: its adl.nav.request (SN 4th 4.4.1), else only its data */
  function seqTerminated(navReq) {
    if (busy || ended) return; /* the learner's own request is under way */
    var m, req = 'report', target = null;
    if (navReq && navReq !== '_none_') {
      if ((m = /^\{target=([^}]+)\}(choice|jump)$/.exec(navReq))) { req = m[2]; target = m[1]; }
      else req = navReq;
    }
    var ord = ordering();
    if (req === 'report' && !ord) return;
    busy = true;
    lastRequest = req;
    seqAsk(req, target, ord).then(function (a) {
      /* cmi.exit "time-out" / "logout": the server processed exitAll (RTE 4th 4.2.8) */
      if (req === 'report' && !a.ended) return null;
      return seqDeliver(a);
    }).catch(function (e) { message('Navigation failed: ' + e.message); })
      .then(seqSettle);
  }

  /* a phone-sized window: the table of contents starts closed and overlays the course */
  function narrow() {
    return !!(window.matchMedia && window.matchMedia('(max-width: 600px)').matches);
  }
  /* the learner's own choice (the toggle) wins; else shown when there is something to choose */
  function tocHidden(entries) {
    var f = $('toc').dataset.forced;
    if (f === 'open' || f === 'closed') return f === 'closed';
    return entries < 2 || narrow();
  }

  function renderSeqToc() {
    var ol = $('toc-list');
    ol.textContent = '';
    var leaves = 0;
    seqAnswer.toc.forEach(function (it) {
      if (it.leaf) leaves++;
      if (it.hidden) return;
      var li = document.createElement('li');
      li.dataset.id = it.item;
      li.className = (it.item === current ? 'current ' : '') + (it.completion === 'completed' ? 'completed ' : '') +
        (it.success === 'failed' ? 'failed ' : '') + (it.disabled ? 'disabled' : '') + (it.depth ? '' : ' course');
      /* the root (depth 0) is the course: its status shows, it is not chosen from here */
      var el = document.createElement(it.disabled || !it.depth ? 'span' : 'a');
      el.style.paddingLeft = (0.75 + (it.depth || 0) * 1) + 'rem';
      el.textContent = it.title;
      if (it.disabled) el.setAttribute('aria-disabled', 'true');
      else if (it.depth) {
        el.href = '#';
        el.addEventListener('click', function (e) { e.preventDefault(); seqRequest('choice', it.item); });
      }
      var st = document.createElement('span');
      st.className = 'status';
      st.textContent = it.success === 'passed' || it.success === 'failed' ? it.success : (it.completion === 'unknown' || it.completion === 'not attempted' ? '' : it.completion);
      el.appendChild(st);
      li.appendChild(el);
      ol.appendChild(li);
    });
    $('toc').hidden = tocHidden(leaves);
    $('toc-toggle').setAttribute('aria-expanded', String(!$('toc').hidden));
    updateControls();
  }

  function renderToc() {
    if (seqMode && seqAnswer) { renderSeqToc(); return; }
    var ol = $('toc-list');
    ol.textContent = '';
    state.items.forEach(function (it) {
      if (!it.isvisible) return;
      var li = document.createElement('li');
      li.dataset.id = it.id;
      li.className = (it.id === current ? 'current ' : '') + (it.completion === 'completed' ? 'completed ' : '') +
        (it.success === 'failed' ? 'failed' : '');
      var el = document.createElement(it.launchable ? 'a' : 'span');
      el.style.paddingLeft = (0.75 + it.depth * 1) + 'rem';
      el.textContent = it.title;
      if (it.launchable) {
        el.href = '#';
        el.addEventListener('click', function (e) { e.preventDefault(); go(it.id); });
      }
      var st = document.createElement('span');
      st.className = 'status';
      st.textContent = statusText(it);
      el.appendChild(st);
      li.appendChild(el);
      ol.appendChild(li);
    });
    $('toc').hidden = tocHidden(order.length);
    $('toc-toggle').setAttribute('aria-expanded', String(!$('toc').hidden));
    updateControls();
  }

  function updateControls() {
    var it = current ? itemById(current) : null;
    var hide = (it && it.hide) || [];
    var i = indexOf(current);
    var multi = order.length > 1;
    $('prev').hidden = !multi || hide.indexOf('previous') >= 0;
    $('next').hidden = !multi || hide.indexOf('continue') >= 0;
    if (seqMode) {
      /* the buttons send suspendAll / exitAll: hidden when the item hides that request */
      $('suspend').hidden = hide.indexOf('suspendAll') >= 0;
      $('exit').hidden = hide.indexOf('exitAll') >= 0;
    } else {
      $('suspend').hidden = true;
      $('exit').hidden = hide.indexOf('exit') >= 0 && hide.indexOf('exitAll') >= 0;
    }
    if (seqMode) {
      var valid = (seqAnswer && seqAnswer.valid) || {};
      $('prev').disabled = ended || busy || !valid.previous;
      $('next').disabled = ended || busy || !valid.continue;
    } else {
      $('prev').disabled = ended || i <= 0;
      $('next').disabled = ended || i < 0 || i >= order.length - 1;
    }
    $('exit').disabled = ended || (seqMode && busy);
    $('suspend').disabled = ended || busy;
  }

  function refreshState() {
    return getJSON(base + '/state?token=' + encodeURIComponent(token)).then(function (s) {
      state = s;
      renderToc();
    }).catch(function () { /* keep the old table */ });
  }

  /* The commit callback of the shim: sync XHR normally, beacon when the page goes away. */
  function committer(session) {
    var http = ScolarRuntime.httpCommitter({ url: base + '/commit/' + session, token: token, sync: true });
    return function (changes, meta) {
      var m = meta, r;
      if (unloading && !meta.beacon) m = Object.assign({}, meta, { beacon: true });
      try {
        r = http(changes, m);
      } catch (e) {
        /* sync XHR refused (page dismissal): send it as a beacon instead */
        return http(changes, Object.assign({}, meta, { beacon: true }));
      }
      /* a Commit: the server derived the sequencing tracking from it (in the commit's own
       * transaction), so the table and the buttons follow what the SCO set */
      if (seqMode && !m.beacon && !m.final && !busy && !ended && api && !api._runtime.is12)
        seqAsk('report', null, null).catch(function () { /* the next one will do */ });
      return r;
    };
  }

  function navValid(kind, target) {
    if (seqMode) {
      var valid = (seqAnswer && seqAnswer.valid) || {};
      if (kind === 'continue' || kind === 'previous') return !!valid[kind];
      var t = tocEntry(target);
      return !!t && !t.disabled && !t.hidden;
    }
    var i = indexOf(current);
    if (kind === 'continue') return i >= 0 && i < order.length - 1;
    if (kind === 'previous') return i > 0;
    return indexOf(target) >= 0;
  }

  function onTerminate(info) {
    var nav = info && info.navRequest;
    if (seqMode && unloading && !busy) {
      /* the page is going away: the data travels in the final commit (a beacon), which
       * updates the sequencing tracking; this "report" only lets a cmi.exit "time-out" /
       * "logout" end the course attempt (RTE 4th 4.2.8); the request waits for the next
       * launch (resumeAll / start) */
      var ord = ordering();
      if (ord && navigator.sendBeacon) {
        navigator.sendBeacon(base + '/nav', new Blob([JSON.stringify({ token: token, request: 'report',
          session: ord.session, commit_seq: ord.commit_seq })],
          { type: 'text/plain;charset=UTF-8' }));
      }
      return;
    }
    if (seqMode) { setTimeout(function () { seqTerminated(nav); }, 0); return; }
    setTimeout(function () {
      refreshState();
      if (!nav || nav === '_none_') return;
      var i = indexOf(current), m;
      if (nav === 'continue' && i < order.length - 1) go(order[i + 1], true);
      else if (nav === 'previous' && i > 0) go(order[i - 1], true);
      else if ((m = /^\{target=([^}]+)\}(choice|jump)$/.exec(nav)) && indexOf(m[1]) >= 0) go(m[1], true);
      else if (/^(exit|exitAll|suspendAll|abandon|abandonAll)$/.test(nav)) finish(true);
    }, 0);
  }

  /* Unload the running SCO: let its own unload handlers Terminate, then flush what is left. */
  function leaveCurrent() {
    var frame = $('sco');
    return new Promise(function (resolve) {
      var done = false;
      function fin() {
        if (done) return;
        done = true;
        if (api && api._runtime && api._runtime.state === 1) {
          try { api._runtime.flush(false, false); } catch (e) { /* nothing */ }
        }
        resolve();
      }
      if (!current) { fin(); return; }
      frame.addEventListener('load', fin, { once: true });
      frame.src = 'about:blank';
      setTimeout(fin, 3000);
    });
  }

  /* a launch href is relative to the package's folder on the content origin, unless the
   * manifest gave an absolute http(s) URL (import warns about it): then it is that URL */
  function scoUrl(href) {
    return /^https?:\/\//i.test(href) ? href : state.content_base + href;
  }

  function launch(id) {
    var it = itemById(id);
    if (!it || !it.launchable) return Promise.resolve();
    if (!it.sco) {
      /* an asset: no API, no session */
      current = id;
      api = null;
      $('sco').src = scoUrl(it.href);
      updateControls();
      renderToc();
      return Promise.resolve();
    }
    return postJSON(base + '/launch', { token: token, sco: id }).then(function (L) {
      var is12 = L.scorm_version === 'scorm12';
      var opts = {
        datamodel: datamodel,
        initial: L.initial,
        seq: L.seq || 0,
        /* spec-exact validation when the registration asks for it ("strict": true): the
         * server's commit check uses the same flag (docs/api.md, registrations) */
        strict: L.strict === true,
        commit: committer(L.session),
        autosaveMs: 5000,
        onTerminate: onTerminate,
        navRequestValid: navValid,
        /* the session's start statement (initialized / resumed) is stated when the SCO calls
         * Initialize; a first commit states it too when this request is late */
        onInitialize: function () {
          postJSON(base + '/initialized/' + L.session, { token: token }).catch(function () { /* later */ });
          return true;
        }
      };
      api = is12 ? ScolarRuntime.createScorm12Api(opts) : ScolarRuntime.createScorm2004Api(opts);
      /* expose only the API of the package's version (scorm-runtime.md §2) */
      if (is12) { window.API = api; try { delete window.API_1484_11; } catch (e) { window.API_1484_11 = undefined; } }
      else { window.API_1484_11 = api; try { delete window.API; } catch (e) { window.API = undefined; } }
      current = id;
      session = L.session;
      renderToc();
      $('sco').src = scoUrl(L.href);
    });
  }

  function go(id, fromTerminate) {
    if (busy || ended) return;
    busy = true;
    message('');
    (fromTerminate ? Promise.resolve().then(leaveCurrent) : leaveCurrent())
      .then(function () { return launch(id); })
      .catch(function (e) { message('Cannot launch: ' + e.message); })
      .then(function () { busy = false; refreshState(); });
  }

  function finish(fromTerminate) {
    if (ended) return;
    (fromTerminate ? Promise.resolve().then(leaveCurrent) : leaveCurrent()).then(function () {
      ended = true;
      api = null;
      current = null;
      updateControls();
      return refreshState();
    }).then(function () {
      message('Your progress is saved. You can close this window.');
      setTimeout(refreshState, 1000); /* a final commit sent as a beacon lands a little later */
    });
  }

  function start() {
    $('prev').addEventListener('click', function () {
      if (seqMode) { seqRequest('previous'); return; }
      var i = indexOf(current); if (i > 0) go(order[i - 1]);
    });
    $('next').addEventListener('click', function () {
      if (seqMode) { seqRequest('continue'); return; }
      var i = indexOf(current); if (i >= 0 && i < order.length - 1) go(order[i + 1]);
    });
    $('suspend').addEventListener('click', function () {
      /* SN 4th 4.4.1: suspendAll keeps the attempt; the next open resumes it (resumeAll) */
      if (seqMode) seqRequest('suspendAll');
    });
    $('exit').addEventListener('click', function () {
      /* SN 4th 4.4.1: exitAll ends the attempt on the course; the next open starts anew */
      if (seqMode) { seqRequest('exitAll'); return; }
      finish(false);
    });
    $('toc-toggle').addEventListener('click', function () {
      var t = $('toc');
      t.hidden = !t.hidden;
      t.dataset.forced = t.hidden ? 'closed' : 'open';
      $('toc-toggle').setAttribute('aria-expanded', String(!t.hidden));
    });
    /* on a phone the table of contents overlays the course: a choice made in it closes it */
    $('toc').addEventListener('click', function (e) {
      if (narrow() && e.target.closest && e.target.closest('a')) {
        $('toc').hidden = true;
        $('toc').dataset.forced = '';
        $('toc-toggle').setAttribute('aria-expanded', 'false');
      }
    });
    /* the page is going away: from here on commits travel as beacons (Chrome refuses or
     * aborts synchronous XHR during dismissal; the SCO's own unload handlers Terminate after
     * this one ran). If the learner stays (beforeunload cancelled) normal commits resume. */
    window.addEventListener('beforeunload', function () {
      unloading = true;
      setTimeout(function () { unloading = false; }, 2000);
    });
    /* never rely on unload alone: pagehide and visibilitychange flush with a beacon */
    window.addEventListener('pagehide', function () {
      unloading = true;
      if (api && api._runtime) { try { api._runtime.unload(); } catch (e) { /* nothing */ } }
    });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden' && api && api._runtime) {
        try { api._runtime.unload(); } catch (e) { /* nothing */ }
      }
    });
    Promise.all([
      getJSON('/runtime/datamodel.json'),
      getJSON(base + '/state?token=' + encodeURIComponent(token)),
      seqAsk('launch')
    ]).then(function (r) {
      datamodel = r[0];
      state = r[1];
      document.title = state.title;
      $('title').textContent = state.title;
      order = state.items.filter(function (it) { return it.launchable; }).map(function (it) { return it.id; });
      if (r[2].sequencing) {
        seqMode = true;
        seqAnswer = r[2];
        renderToc();
        /* A course with one activity whose start delivers nothing (2004 without sequencing:
         * the default flow=false stops start, SN 4th SB.2.5 / SB.2.2-1) opens that activity:
         * choosing it is the only request the learner could make, and the LMS may issue
         * navigation requests for the learner (SN 4th 4.3). Courses with several activities
         * open on the table of contents, as the SN defaults say. */
        var only = order.length === 1 && seqAnswer.toc && seqAnswer.toc.filter(function (t) {
          return t.item === order[0] && !t.hidden && !t.disabled;
        }).length === 1;
        if (!r[2].deliver && !r[2].ended && only) {
          seqRequest('choice', order[0]);
          return null;
        }
        busy = true;
        return seqDeliver(r[2]).then(seqSettle);
      }
      renderToc();
      var first = state.resume || order[0];
      if (!first) { message('This course has nothing to launch.'); return null; }
      busy = true;
      return launch(first).then(function () { busy = false; });
    }).catch(function (e) {
      busy = false;
      message('Cannot start the course: ' + e.message);
    });
  }

  /* exposed for tests and embedding pages */
  window.ScolarPlayer = {
    go: go,
    exit: function () { if (seqMode) seqRequest('exitAll'); else finish(false); },
    suspend: function () { if (seqMode) seqRequest('suspendAll'); },
    get current() { return current; },
    get sequencing() { return seqMode; },
    get nav() { return seqAnswer; },
    request: seqRequest,
    get api() { return api; },
    get state() { return state; }
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
