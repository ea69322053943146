/* SPDX-License-Identifier: Apache-2.0
 *
 * scolar SCORM player (plain ES2017, no framework, no build step). Served on the content
 * origin at /player/<registration>?token=T together with scorm-api.js (ScolarRuntime).
 *
 * - fetches /runtime/datamodel.json and the registration's state (/player/<reg>/state);
 * - draws the table of contents and previous / next / exit (hidden where the item's
 *   adlnav:presentation hideLMSUI says so);
 * - per launch: POST /player/<reg>/launch {token, sco} -> session, initial CMI values; creates
 *   a fresh API object (window.API for SCORM 1.2, window.API_1484_11 for 2004) BEFORE the SCO
 *   frame gets its src (scorm-runtime.md §2);
 * - commits: synchronous XHR to /player/<reg>/commit/<session> (Commit returns the server's
 *   answer), navigator.sendBeacon / fetch keepalive on page dismissal (scorm-runtime.md §9),
 *   autosave every 5 s after a SetValue;
 * - 2004 navigation: adl.nav.request continue / previous / choice / jump / exit are followed
 *   in tree order after Terminate (flow and choice only: no sequencing engine yet);
 *   adl.nav.request_valid.* answer from the same order.
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

  function renderToc() {
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
    $('toc').hidden = order.length < 2 && !$('toc').dataset.forced;
    updateControls();
  }

  function updateControls() {
    var it = current ? itemById(current) : null;
    var hide = (it && it.hide) || [];
    var i = indexOf(current);
    var multi = order.length > 1;
    $('prev').hidden = !multi || hide.indexOf('previous') >= 0;
    $('next').hidden = !multi || hide.indexOf('continue') >= 0;
    $('exit').hidden = hide.indexOf('exit') >= 0 && hide.indexOf('exitAll') >= 0;
    $('prev').disabled = ended || i <= 0;
    $('next').disabled = ended || i < 0 || i >= order.length - 1;
    $('exit').disabled = ended;
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
      var m = meta;
      if (unloading && !meta.beacon) m = Object.assign({}, meta, { beacon: true });
      try {
        return http(changes, m);
      } catch (e) {
        /* sync XHR refused (page dismissal): send it as a beacon instead */
        return http(changes, Object.assign({}, meta, { beacon: true }));
      }
    };
  }

  function navValid(kind, target) {
    var i = indexOf(current);
    if (kind === 'continue') return i >= 0 && i < order.length - 1;
    if (kind === 'previous') return i > 0;
    return indexOf(target) >= 0;
  }

  function onTerminate(info) {
    var nav = info && info.navRequest;
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

  function launch(id) {
    var it = itemById(id);
    if (!it || !it.launchable) return Promise.resolve();
    if (!it.sco) {
      /* an asset: no API, no session */
      current = id;
      api = null;
      $('sco').src = state.content_base + it.href;
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
      renderToc();
      $('sco').src = state.content_base + L.href;
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
    $('prev').addEventListener('click', function () { var i = indexOf(current); if (i > 0) go(order[i - 1]); });
    $('next').addEventListener('click', function () { var i = indexOf(current); if (i >= 0 && i < order.length - 1) go(order[i + 1]); });
    $('exit').addEventListener('click', function () { finish(false); });
    $('toc-toggle').addEventListener('click', function () {
      var t = $('toc');
      t.hidden = !t.hidden;
      t.dataset.forced = t.hidden ? '' : '1';
      $('toc-toggle').setAttribute('aria-expanded', String(!t.hidden));
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
      getJSON(base + '/state?token=' + encodeURIComponent(token))
    ]).then(function (r) {
      datamodel = r[0];
      state = r[1];
      document.title = state.title;
      $('title').textContent = state.title;
      order = state.items.filter(function (it) { return it.launchable; }).map(function (it) { return it.id; });
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
    exit: function () { finish(false); },
    get current() { return current; },
    get api() { return api; },
    get state() { return state; }
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
