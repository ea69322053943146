/* SPDX-License-Identifier: Apache-2.0
 *
 * scolar SCORM run-time API shim (SCORM 1.2 `API` and SCORM 2004 `API_1484_11`).
 * Plain ES2017 browser script, no build step; also require()/import-able from Node.
 *
 * Spec references: SCORM 1.2 RTE ch. 3 (API, CMI data model, error codes);
 * SCORM 2004 4th ed. RTE 3.1 (API, state model, error codes, table 3.1.7a) and
 * RTE 4.2 (data model, one subsection per element); IEEE 1484.11.1/.11.2.
 * The data model itself (elements, types, access, SPMs, collections, dependencies)
 * is NOT in this file: it is read from datamodel.json (opts.datamodel), which the
 * C server uses too. See runtime_js/README.md for the options and the commit payload.
 *
 * Every API method catches everything and answers a string: content never sees a throw.
 */
(function (root, factory) {
  'use strict';
  var lib = factory();
  if (typeof module === 'object' && module && module.exports) module.exports = lib;
  if (root) root.ScolarRuntime = lib;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  /* ------------------------------------------------------------------ */
  /* Value validators (one per datamodel.json type kind).                 */
  /* Each returns 0 when valid, else the 2004 code (406 type, 407 range,  */
  /* 351 SPM exceeded); the 1.2 API maps any of these to 405.             */
  /* ------------------------------------------------------------------ */

  var RE_REAL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;
  var RE_DEC12 = /^-?(\d+(\.\d+)?|\.\d+)$/;
  var RE_INT12 = /^-?\d+$/;
  var RE_TIMESPAN12 = /^(\d{2,4}):(\d{2}):(\d{2})(\.\d{1,2})?$/;
  var RE_TIME12 = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,2})?$/;
  var RE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,2})(Z|[+-](\d{2})(?::(\d{2}))?)?)?)?)?)?)?)?$/;
  var RE_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
  /* RFC 3986 characters (unreserved, reserved except the IP-literal brackets, '%'). */
  var RE_URI_STRICT = /^[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$/;
  var RE_URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s]+$/i;
  var RE_NOSPACE = /^\S+$/;
  var RE_LANG_SYNTAX = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
  var RE_SUBTAG = /^[A-Za-z0-9]{1,8}$/;
  var RE_TARGET_REQ = /^\{target=([^{}\s]+)\}(choice|jump)$/;

  /* Character count in code points (SPMs count characters, not UTF-16 units). */
  function charLen(s) {
    var n = s.length;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) n--;
    }
    return n;
  }

  function daysIn(y, m) {
    return [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  }

  /* RTE 4.2 time(second,10,0): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years 1970..2038. */
  function checkTime(v) {
    var m = RE_TIME.exec(v);
    if (!m) return 406;
    var y = +m[1];
    if (y < 1970 || y > 2038) return 406;
    if (m[2] !== undefined && (+m[2] < 1 || +m[2] > 12)) return 406;
    if (m[3] !== undefined && (+m[3] < 1 || +m[3] > daysIn(y, +m[2]))) return 406;
    if (m[4] !== undefined && +m[4] > 23) return 406;
    if (m[5] !== undefined && +m[5] > 59) return 406;
    if (m[6] !== undefined && +m[6] > 59) return 406;
    if (m[9] !== undefined && +m[9] > 23) return 406;
    if (m[10] !== undefined && +m[10] > 59) return 406;
    return 0;
  }

  /* RTE 4.2 timeinterval(second,10,2): ISO 8601 duration. */
  function checkDuration(v, strict) {
    var m = RE_DURATION.exec(v);
    if (!m) return 406;
    var hasDate = m[1] !== undefined || m[2] !== undefined || m[3] !== undefined;
    var hasTime = m[4] !== undefined || m[5] !== undefined || m[6] !== undefined;
    if (!hasDate && !hasTime) return 406;
    if (v.indexOf('T') >= 0 && !hasTime) return 406;
    if (strict && m[6] !== undefined && /\.\d{3,}/.test(m[6])) return 406;
    return 0;
  }

  /* Duration <-> centiseconds (Y = 365 d, M = 30 d: the fixed conversion the server uses too). */
  function durationToCs(v) {
    var m = RE_DURATION.exec(v);
    if (!m) return NaN;
    var d = (+(m[1] || 0)) * 365 + (+(m[2] || 0)) * 30 + (+(m[3] || 0));
    var s = d * 86400 + (+(m[4] || 0)) * 3600 + (+(m[5] || 0)) * 60;
    return s * 100 + Math.round(parseFloat(m[6] || '0') * 100);
  }
  function csToDuration(cs) {
    if (!(cs > 0)) return 'PT0H0M0S';
    var s = Math.floor(cs / 100), f = cs % 100;
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var mi = Math.floor(s / 60); s -= mi * 60;
    var out = 'P' + (d ? d + 'D' : '');
    var t = (h ? h + 'H' : '') + (mi ? mi + 'M' : '') + (s || f ? s + (f ? '.' + (f < 10 ? '0' : '') + f : '') + 'S' : '');
    return t ? out + 'T' + t : out;
  }
  function timespan12ToCs(v) {
    var m = RE_TIMESPAN12.exec(v);
    if (!m) return NaN;
    return ((+m[1]) * 3600 + (+m[2]) * 60 + (+m[3])) * 100 + Math.round(parseFloat(m[4] || '0') * 100);
  }
  function csToTimespan12(cs) {
    var s = Math.floor(cs / 100), f = cs % 100;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var mi = Math.floor(s / 60); s -= mi * 60;
    function p(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; }
    return p(h, 4) + ':' + p(mi, 2) + ':' + p(s, 2) + '.' + p(f, 2);
  }

  function Validator(dm, strict) {
    this.dm = dm;
    this.strict = !!strict;
    var v = dm.vocabularies || {};
    this.iso1 = new Set((v.iso639_1 || []).map(function (x) { return x.toLowerCase(); }));
    this.iso2 = new Set((v.iso639_2 || []).map(function (x) { return x.toLowerCase(); }));
  }

  Validator.prototype.language = function (v, allowEmpty) {
    if (v === '') return allowEmpty ? 0 : 406;
    if (!this.strict) return RE_LANG_SYNTAX.test(v) ? 0 : 406;
    var parts = v.split('-');
    var p = parts[0].toLowerCase();
    var ok = p === 'i' || p === 'x' || (p.length === 2 && this.iso1.has(p)) || (p.length === 3 && this.iso2.has(p));
    if (!ok) return 406;
    for (var i = 1; i < parts.length; i++) if (!RE_SUBTAG.test(parts[i])) return 406;
    return 0;
  };

  Validator.prototype.identifier = function (v, spm) {
    if (v === '') return 406;
    if (this.strict) {
      if (!RE_URI_STRICT.test(v)) return 406;
      if (/^urn:/i.test(v) && !RE_URN.test(v)) return 406;
    } else if (!RE_NOSPACE.test(v)) return 406;
    return 0;
  };

  /* localized_string_type: optional {lang=...} prefix, then characterstring. */
  Validator.prototype.localized = function (v, spm) {
    var text = v;
    if (v.lastIndexOf('{lang=', 0) === 0) {
      var end = v.indexOf('}');
      if (end < 0) return 406;
      if (this.language(v.slice(6, end), false)) return 406;
      text = v.slice(end + 1);
    }
    return 0;
  };

  Validator.prototype.real = function (v, t) {
    if (!RE_REAL.test(v)) return 406;
    var x = parseFloat(v);
    if (t && ((t.min !== undefined && x < t.min) || (t.max !== undefined && x > t.max))) return 407;
    return 0;
  };

  /* Interaction response / pattern grammar (RTE 4.2.9.1, 4.2.9.2). */
  Validator.prototype.interaction = function (v, itype, isPattern) {
    var g = this.dm.interaction_types[itype];
    if (!g) return 406;
    var strict = this.strict;
    var rest = v;
    var seen = {};
    var allowed = isPattern ? g.pattern_prefixes || [] : [];
    var lang = '';
    /* leading delimiters in any order; {lang=} belongs to the first localized item */
    for (;;) {
      var m = /^\{(case_matters|order_matters|lang)=([^}]*)\}/.exec(rest);
      if (!m) break;
      if (m[1] === 'lang') {
        if (g.item !== 'localized_string' || lang) break;
        lang = m[0];
      } else if (allowed.indexOf(m[1]) < 0 || seen[m[1]] || (m[2] !== 'true' && m[2] !== 'false')) {
        if (lang || !isPattern) break; /* after {lang=}, and in responses, it is the item's text */
        return 406;
      }
      seen[m[1]] = true;
      rest = rest.slice(m[0].length);
    }
    rest = lang + rest;
    if (g.pattern_kind === 'range' && isPattern) {
      if (!strict && RE_REAL.test(rest)) return 0;
      var r = rest.split('[:]');
      if (r.length !== 2) return 406;
      if (r[0] !== '' && !RE_REAL.test(r[0])) return 406;
      if (r[1] !== '' && !RE_REAL.test(r[1])) return 406;
      if (r[0] !== '' && r[1] !== '' && parseFloat(r[0]) > parseFloat(r[1])) return 406;
      return 0;
    }
    if (rest === '') return g.allow_empty || !strict ? 0 : 406;
    var items = g.separator ? rest.split(g.separator) : [rest];
    if (strict && items.length > g.items_max) return 406;
    if (!g.separator && g.items_max === 1 && g.item !== 'localized_string' && g.item !== 'string') {
      /* single-item types: the delimiters may not appear */
      if (rest.indexOf('[,]') >= 0) return 406;
    }
    var set = g.unique_items && strict ? new Set() : null;
    for (var i = 0; i < items.length; i++) {
      var it = items[i], c = 0;
      switch (g.item) {
        case 'boolean':
          c = it === 'true' || it === 'false' ? 0 : 406;
          break;
        case 'short_identifier':
          c = this.identifier(it, 250);
          if (!c && strict && it.indexOf('[.]') >= 0) c = 406;
          break;
        case 'localized_string':
          c = this.localized(it, g.item_spm);
          break;
        case 'pair':
          var pr = it.split('[.]');
          c = pr.length !== 2 ? 406 : this.identifier(pr[0], 250) || this.identifier(pr[1], 250);
          break;
        case 'step':
          var st = it.split('[.]');
          if (st.length !== 2 || (st[0] === '' && st[1] === '')) { c = 406; break; }
          if (st[0] !== '') c = this.identifier(st[0], 250);
          if (!c && st[1] !== '') {
            if (isPattern && st[1].indexOf('[:]') >= 0) {
              var rr = st[1].split('[:]');
              c = rr.length === 2 && (rr[0] === '' || RE_REAL.test(rr[0])) && (rr[1] === '' || RE_REAL.test(rr[1])) &&
                (rr[0] === '' || rr[1] === '' || parseFloat(rr[0]) <= parseFloat(rr[1])) ? 0 : 406;
            }
          }
          break;
        case 'real':
          c = RE_REAL.test(it) ? 0 : 406;
          break;
        case 'string':
          c = 0;
          break;
        default:
          c = 406;
      }
      if (c) return c;
      if (set) {
        if (set.has(it)) return 406;
        set.add(it);
      }
    }
    return 0;
  };

  /* SCORM 1.2 CMIFeedback (RTE 1.2 3.4.2) by interaction type. */
  Validator.prototype.feedback12 = function (v, itype) {
    var g = this.dm.interaction_types_12 || {};
    if (!this.strict || !itype || !g[itype]) return charLen(v) <= ((g._lenient && g._lenient.spm) || 4096) ? 0 : 405;
    var t = g[itype];
    if (t.regex && !new RegExp(t.regex).test(v)) return 405;
    if (t.decimal && !RE_DEC12.test(v)) return 405;
    if (t.spm && charLen(v) > t.spm) return 405;
    return 0;
  };

  /* Validate value v against type t (an object from datamodel.json types). ctx: {el, itype}. */
  Validator.prototype.check = function (t, v, spm, ctx) {
    var strict = this.strict;
    switch (t.kind) {
      case 'string':
        return 0; /* length handled by the caller (SPM / lenient_max) */
      case 'vocab':
        return t.values.indexOf(v) >= 0 ? 0 : 406;
      case 'real':
        return this.real(v, t);
      case 'vocab_or_real':
        if (t.values.indexOf(v) >= 0) return 0;
        return t.real_kind === 'decimal12' ? (RE_DEC12.test(v) ? 0 : 406) : (RE_REAL.test(v) ? 0 : 406);
      case 'long_identifier':
      case 'short_identifier':
        return this.identifier(v, spm || t.spm);
      case 'localized_string':
        return this.localized(v, spm || t.spm);
      case 'language':
        return this.language(v, t.allow_empty);
      case 'time':
        return checkTime(v);
      case 'timeinterval':
        return checkDuration(v, strict);
      case 'response':
      case 'pattern':
        return this.interaction(v, ctx.itype, t.kind === 'pattern');
      case 'nav_request':
        if (t.values.indexOf(v) >= 0) return 0;
        return RE_TARGET_REQ.test(v) ? 0 : 406;
      /* SCORM 1.2 kinds */
      case 'identifier12':
        if (!strict) return v !== '' ? 0 : 406;
        return /^[^\s]{1,255}$/.test(v) ? 0 : 406;
      case 'decimal12':
        if (v === '' && t.blank_ok) return 0;
        if (!RE_DEC12.test(v)) return 406;
        var x = parseFloat(v);
        if ((t.min !== undefined && x < t.min) || (t.max !== undefined && x > t.max)) return 406;
        return 0;
      case 'integer12':
        if (!RE_INT12.test(v)) return 406;
        var n = parseInt(v, 10);
        return n < t.min || n > t.max ? 406 : 0;
      case 'timespan12':
        var ts = RE_TIMESPAN12.exec(v);
        return ts && +ts[2] < 60 && +ts[3] < 60 ? 0 : 406;
      case 'time12':
        var tm = RE_TIME12.exec(v);
        return tm && +tm[1] < 24 && +tm[2] < 60 && +tm[3] < 60 ? 0 : 406;
      case 'response12':
      case 'pattern12':
        return this.feedback12(v, ctx.itype) ? 406 : 0;
      default:
        return 406;
    }
  };

  /* ------------------------------------------------------------------ */
  /* Compiled data model                                                 */
  /* ------------------------------------------------------------------ */

  var compiledCache = typeof WeakMap !== 'undefined' ? new WeakMap() : null;

  function compileModel(dm, name) {
    var key = compiledCache && compiledCache.get(dm);
    if (key && key[name]) return key[name];
    var m = dm.models && dm.models[name];
    if (!m) throw new Error('datamodel.json: models.' + name + ' missing');
    var elements = new Map(), containers = new Map();
    Object.keys(m.elements).forEach(function (p) {
      var e = m.elements[p];
      var t = dm.types[e.type];
      if (!t) throw new Error('datamodel.json: models.' + name + '.elements["' + p + '"].type "' + e.type + '" is not in types');
      var lt = e.lenient_type ? dm.types[e.lenient_type] : null;
      var segs = p.split('.');
      elements.set(p, {
        path: p, access: e.access, type: t, lenientType: lt, spm: e.spm || t.spm || 0,
        lenientMax: e.lenient_max || 0, def: e.default, depends: e.depends || null, unique: !!e.unique,
        writeOnce: !!e.write_once, emptyUnset: !!e.empty_is_unset, unimplemented: !!e.unimplemented, forbidden: e.sco_forbidden || null, evalRule: e.eval || null,
        leaf: segs[segs.length - 1]
      });
    });
    Object.keys(m.containers).forEach(function (p) { containers.set(p, m.containers[p]); });
    var out = { name: name, version: m.version, valueMax: m.value_max || 0, errors: m.errors, elements: elements, containers: containers };
    if (compiledCache) {
      if (!key) { key = {}; compiledCache.set(dm, key); }
      key[name] = out;
    }
    return out;
  }

  var RE_INDEX = /^(0|[1-9]\d*)$/;
  var NAV_VALID_PREFIX = 'adl.nav.request_valid.';

  /* Parse a concrete element path: template with 'n' per index, the indexes and the
   * concrete prefixes of each collection level. Returns null if a segment is malformed. */
  function parsePath(path) {
    if (path.lastIndexOf(NAV_VALID_PREFIX, 0) === 0) {
      var rest = path.slice(NAV_VALID_PREFIX.length);
      var mm = /^(choice|jump)\.\{target=([^{}]*)\}$/.exec(rest);
      if (mm) return { tpl: NAV_VALID_PREFIX + mm[1] + '.{target=}', idx: [], coll: [], target: mm[2], kw: null };
    }
    var segs = path.split('.');
    var tpl = [], idx = [], coll = [];
    for (var i = 0; i < segs.length; i++) {
      var s = segs[i];
      if (s === '') return null;
      var c = s.charCodeAt(0);
      if (c >= 48 && c <= 57) {
        if (!RE_INDEX.test(s)) return { bad: true };
        idx.push(+s);
        coll.push(segs.slice(0, i).join('.'));
        tpl.push('n');
      } else tpl.push(s);
    }
    var last = tpl[tpl.length - 1];
    var kw = last === '_children' || last === '_count' || last === '_version' ? last : null;
    if (kw) tpl.pop();
    return { tpl: tpl.join('.'), idx: idx, coll: coll, kw: kw, target: null };
  }

  /* ------------------------------------------------------------------ */
  /* The API object                                                      */
  /* ------------------------------------------------------------------ */

  var NOT_INIT = 0, RUNNING = 1, TERMINATED = 2;

  function Runtime(kind, opts) {
    opts = opts || {};
    if (!opts.datamodel || !opts.datamodel.models) throw new Error('createScorm' + (kind === 'scorm12' ? '12' : '2004') + 'Api: opts.datamodel (the parsed datamodel.json) is required');
    this.kind = kind;
    this.is12 = kind === 'scorm12';
    this.model = compileModel(opts.datamodel, kind);
    this.strict = !!opts.strict;
    this.v = new Validator(opts.datamodel, this.strict);
    this.opts = opts;
    this.state = NOT_INIT;
    this.lastError = 0;
    this.diag = '';
    this.values = new Map();
    this.counts = new Map();
    this.dirty = new Map();
    this.seq = opts.seq || 0;
    this.timer = null;
    this.pending = null;
    this.sharedData = [];
    this.log = typeof opts.log === 'function' ? opts.log : null;
    this.cache = new Map();
    this.load(opts.initial || {});
  }

  /* initial: flat {element: value} as the server sends it, e.g. {"cmi.learner_id": "u1",
   * "cmi.interactions.0.id": "q1", ...}; _count values are derived from the indexes.
   * 2004 shared data: initial["adl.data"] = [{id, store, read, write}] (store undefined = never written). */
  Runtime.prototype.load = function (initial) {
    var self = this;
    Object.keys(initial).forEach(function (k) {
      if (k === 'adl.data') return;
      var val = initial[k];
      if (val === null || val === undefined) return;
      var p = parsePath(k);
      if (!p || p.bad || p.kw) return;
      self.values.set(k, String(val));
      for (var i = 0; i < p.idx.length; i++) {
        var ck = p.coll[i];
        if ((self.counts.get(ck) || 0) <= p.idx[i]) self.counts.set(ck, p.idx[i] + 1);
      }
    });
    if (Array.isArray(initial['adl.data'])) {
      initial['adl.data'].forEach(function (d, i) {
        self.sharedData.push({ id: String(d.id), read: d.read !== false, write: d.write !== false });
        self.values.set('adl.data.' + i + '.id', String(d.id));
        if (d.store !== undefined && d.store !== null) self.values.set('adl.data.' + i + '.store', String(d.store));
      });
      this.counts.set('adl.data', initial['adl.data'].length);
    }
  };

  Runtime.prototype.err = function (code, diag) {
    this.lastError = code;
    this.diag = diag || '';
    if (this.log && code) this.log('debug', 'scorm ' + code + ': ' + this.diag);
    return code;
  };

  /* Map a 2004 condition code to 1.2 (RTE 1.2 3.3.3). */
  var MAP12 = { 122: 301, 132: 301, 142: 301, 123: 101, 133: 101, 143: 101, 103: 101, 104: 101, 112: 301, 113: 101,
    301: 201, 351: 201, 401: 401, 402: 401, 403: 0, 404: 403, 405: 404, 406: 405, 407: 405, 408: 201, 391: 101, 201: 201 };

  Runtime.prototype.fail = function (code, diag, ret) {
    if (this.is12) code = MAP12[code] !== undefined ? MAP12[code] : code;
    this.err(code, diag);
    return ret;
  };

  Runtime.prototype.parse = function (path) {
    var p = this.cache.get(path);
    if (p === undefined) {
      p = parsePath(path);
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(path, p);
    }
    return p;
  };

  Runtime.prototype.containerOf = function (tpl) {
    return this.model.containers.get(tpl);
  };

  Runtime.prototype.isKnownPrefix = function (tpl) {
    return this.model.containers.has(tpl) || this.model.elements.has(tpl);
  };

  /* Check the indexes of a parsed path against the collections. For get: every index < count.
   * For set: index <= count, and at most one level may be a new entry (the last created). */
  Runtime.prototype.indexState = function (p) {
    var created = -1, levels = 0;
    for (var i = 0; i < p.idx.length; i++) {
      var n = created >= 0 ? 0 : this.counts.get(p.coll[i]) || 0;
      if (p.idx[i] > n) return { bad: i };
      if (p.idx[i] === n) {
        if (created < 0) created = i;
        levels++;
      }
    }
    return { created: created, levels: levels };
  };

  Runtime.prototype.effective = function (el, path) {
    var v = this.values.get(path);
    if (el.evalRule && !this.is12) {
      var r = el.evalRule;
      var th = this.values.get(r.threshold);
      if (th !== undefined && th !== '') {
        var me = this.values.get(r.measure);
        if (me === undefined || me === '') return 'unknown';
        return parseFloat(me) >= parseFloat(th) ? r.pass : r.fail;
      }
    }
    if (v === undefined) return el.def;
    return v;
  };

  Runtime.prototype.getValue = function (path) {
    var is12 = this.is12;
    if (this.state === NOT_INIT) return this.fail(122, 'GetValue before Initialize (RTE 3.1.4.3)', '');
    if (this.state === TERMINATED) return this.fail(123, 'GetValue after Terminate (RTE 3.1.4.3)', '');
    if (typeof path !== 'string' || path === '') return this.fail(301, 'GetValue: no data model element given', '');
    var p = this.parse(path);
    if (!p) return this.fail(401, 'GetValue: "' + path + '" is not a data model element', '');
    if (p.bad) return this.fail(is12 ? 201 : 301, 'GetValue: "' + path + '": collection index is not a canonical integer', '');
    var c;
    if (p.kw) {
      if (p.kw === '_version') {
        if (p.tpl === 'cmi') { this.err(0); return this.model.version; }
        if (!this.isKnownPrefix(p.tpl)) return this.fail(401, 'GetValue: "' + path + '" is not defined', '');
        return this.fail(is12 ? 401 : 301, 'GetValue: _version exists only on cmi (RTE 4.2.1)', '');
      }
      c = this.containerOf(p.tpl);
      if (p.kw === '_children') {
        if (c && c.children) {
          var ix = this.indexState(p);
          if (ix.bad !== undefined || ix.created >= 0) return this.fail(301, 'GetValue: "' + path + '": index beyond _count', '');
          this.err(0);
          return c.children;
        }
        if (c || this.model.elements.has(p.tpl)) return this.fail(is12 ? 202 : 301, 'GetValue: "' + p.tpl + '" has no _children', '');
        return this.fail(401, 'GetValue: "' + path + '" is not defined', '');
      }
      /* _count */
      if (c && c.collection) {
        var ic = this.indexState(p);
        if (ic.bad !== undefined || ic.created >= 0) return this.fail(301, 'GetValue: "' + path + '": parent index beyond _count', '');
        this.err(0);
        return String(this.counts.get(path.slice(0, path.length - 7)) || 0);
      }
      if (c || this.model.elements.has(p.tpl)) return this.fail(is12 ? 203 : 301, 'GetValue: "' + p.tpl + '" is not a collection, it has no _count', '');
      return this.fail(401, 'GetValue: "' + path + '" is not defined', '');
    }
    var el = this.model.elements.get(p.tpl);
    if (!el) return this.fail(401, 'GetValue: "' + path + '" is not a data model element (RTE 4.2)', '');
    if (el.unimplemented) return this.fail(402, 'GetValue: "' + path + '" is not implemented by this LMS', '');
    if (el.access === 'WO') return this.fail(405, 'GetValue: "' + path + '" is write-only', '');
    if (p.idx.length) {
      for (var i = 0; i < p.idx.length; i++) {
        if (p.idx[i] >= (this.counts.get(p.coll[i]) || 0)) return this.fail(301, 'GetValue: "' + path + '": index ' + p.idx[i] + ' is not below ' + p.coll[i] + '._count', '');
      }
      if (p.tpl === 'adl.data.n.store') {
        var sd = this.sharedData[p.idx[0]];
        if (sd && !sd.read) return this.fail(405, 'GetValue: adl.data "' + sd.id + '" has readSharedData=false', '');
      }
    }
    if (p.target !== null) {
      var hook = this.opts.navRequestValid;
      var kindName = p.tpl.indexOf('.choice.') > 0 ? 'choice' : 'jump';
      var r = this.values.get(path);
      if (r === undefined && typeof hook === 'function') {
        try { r = hook(kindName, p.target); } catch (e) { r = undefined; }
      }
      this.err(0);
      return r === 'true' || r === 'false' ? r : r === true ? 'true' : r === false ? 'false' : 'unknown';
    }
    if ((p.tpl === 'adl.nav.request_valid.continue' || p.tpl === 'adl.nav.request_valid.previous') &&
      !this.values.has(path) && typeof this.opts.navRequestValid === 'function') {
      var rv;
      try { rv = this.opts.navRequestValid(p.tpl.slice(NAV_VALID_PREFIX.length), null); } catch (e) { rv = undefined; }
      this.err(0);
      return rv === true || rv === 'true' ? 'true' : rv === false || rv === 'false' ? 'false' : 'unknown';
    }
    var v = this.effective(el, path);
    if (v === undefined) {
      if (is12) { this.err(0); return ''; }
      return this.fail(403, 'GetValue: "' + path + '" has no value yet (RTE 3.1.7.6, 403)', '');
    }
    this.err(0);
    return v;
  };

  Runtime.prototype.setValue = function (path, value) {
    var is12 = this.is12;
    if (this.state === NOT_INIT) return this.fail(132, 'SetValue before Initialize', 'false');
    if (this.state === TERMINATED) return this.fail(133, 'SetValue after Terminate', 'false');
    if (typeof path !== 'string' || path === '') return this.fail(is12 ? 201 : 351, 'SetValue: no data model element given', 'false');
    if (value === null || value === undefined) value = '';
    value = typeof value === 'string' ? value : String(value);
    var p = this.parse(path);
    if (!p) return this.fail(401, 'SetValue: "' + path + '" is not a data model element', 'false');
    if (p.bad) return this.fail(351, 'SetValue: "' + path + '": collection index is not a canonical integer', 'false');
    if (p.kw) {
      if (this.isKnownPrefix(p.tpl) || (p.kw === '_version' && p.tpl === 'cmi')) {
        return is12 ? (this.err(402, 'SetValue: "' + path + '" is a keyword'), 'false') : this.fail(404, 'SetValue: "' + path + '" is a keyword and read-only', 'false');
      }
      return this.fail(401, 'SetValue: "' + path + '" is not defined', 'false');
    }
    var el = this.model.elements.get(p.tpl);
    if (!el || p.target !== null) {
      if (p.target !== null && el) return this.fail(404, 'SetValue: "' + path + '" is read-only', 'false');
      return this.fail(401, 'SetValue: "' + path + '" is not a data model element (RTE 4.2)', 'false');
    }
    if (el.unimplemented) return this.fail(402, 'SetValue: "' + path + '" is not implemented by this LMS', 'false');
    if (el.access === 'RO') return this.fail(404, 'SetValue: "' + path + '" is read-only', 'false');
    var created = -1;
    if (p.idx.length) {
      var ix = this.indexState(p);
      if (ix.bad !== undefined) return this.fail(351, 'SetValue: "' + path + '": index ' + p.idx[ix.bad] + ' is beyond ' + p.coll[ix.bad] + '._count (collections are filled in order, RTE 4.1.3)', 'false');
      created = ix.created;
      if (ix.levels > 1 && !el.depends) return this.fail(351, 'SetValue: "' + path + '": ' + p.coll[created] + '.' + p.idx[created] + ' does not exist', 'false');
      if (p.tpl === 'adl.data.n.store') {
        var sd = this.sharedData[p.idx[0]];
        if (created >= 0 || !sd) return this.fail(351, 'SetValue: adl.data index ' + p.idx[0] + ' does not exist', 'false');
        if (!sd.write) return this.fail(404, 'SetValue: adl.data "' + sd.id + '" has writeSharedData=false', 'false');
      }
      if (created >= 0) {
        var ct = this.containerOf(p.coll[created].replace(/\.\d+(?=\.|$)/g, '.n'));
        var max = ct ? (this.strict ? ct.max : ct.lenient_max || ct.max) : 0;
        if (ct && ct.max_by_type) {
          var tyv = this.values.get(p.coll[created].slice(0, p.coll[created].lastIndexOf('.')) + '.type');
          var g = tyv && this.opts.datamodel.interaction_types[tyv];
          max = g ? (this.strict ? g.patterns_max : g.patterns_max * 10) : 0;
        }
        if (max && p.idx[created] >= max) return this.fail(351, 'SetValue: "' + path + '": collection ' + p.coll[created] + ' is full (' + max + ' entries)', 'false');
      }
    }
    /* dependencies (2004 RTE 4.2.9: 408) */
    var itype;
    if (el.depends && !is12) {
      for (var d = 0; d < el.depends.length; d++) {
        var dep = el.depends[d], up = dep.charCodeAt(0) === 94; /* '^' = parent entry */
        var name = up ? dep.slice(1) : dep;
        var lvl = p.idx.length - (up ? 2 : 1);
        var base = lvl >= 0 ? p.coll[lvl] + '.' + p.idx[lvl] + '.' : '';
        var dv = this.values.get(base + name);
        if (dv === undefined) return this.fail(408, 'SetValue: "' + path + '" needs ' + base + name + ' first (RTE 4.2.9, 408)', 'false');
        if (name === 'type') itype = dv;
      }
    }
    if (itype === undefined && (el.type.kind === 'response12' || el.type.kind === 'pattern12' || el.type.kind === 'response' || el.type.kind === 'pattern')) {
      var ibase = p.coll[0] + '.' + p.idx[0] + '.type';
      itype = this.values.get(ibase);
    }
    /* type, range */
    var t = !this.strict && el.lenientType ? el.lenientType : el.type;
    if (el.forbidden && el.forbidden.indexOf(value) >= 0) return this.fail(406, 'SetValue: the SCO may not set "' + path + '" to "' + value + '"', 'false');
    var code = this.v.check(t, value, el.spm, { itype: itype });
    if (code) {
      var msg = code === 407 ? 'is out of range' : code === 351 ? 'exceeds the SPM' : 'does not match ' + (el.type.kind === 'vocab' ? 'the vocabulary' : 'type ' + el.type.kind);
      return this.fail(code, 'SetValue: "' + path + '" value ' + msg + ' (datamodel.json, RTE 4.2)', 'false');
    }
    /* length. 1.2: the limits are maximums (strict: spm, lenient: lenient_max). 2004: SPMs are
     * minimums (RTE 4.1.1.5): stored in full up to value_max, beyond that 351. */
    var lim = is12 ? (this.strict ? el.spm : el.lenientMax || el.spm) : Math.max(el.spm, this.model.valueMax);
    if (lim && value.length > lim && charLen(value) > lim) {
      return this.fail(is12 ? 406 : 351, 'SetValue: "' + path + '" has ' + charLen(value) + ' characters, limit ' + lim, 'false');
    }
    if (el.spm && value.length > el.spm && this.log && charLen(value) > el.spm) this.log('warn', path + ' is longer than its SPM ' + el.spm + ' (stored in full)');
    if (el.unique && !is12) {
      var lv = p.idx.length - 1, prefix = p.coll[lv] + '.', n = this.counts.get(p.coll[lv]) || 0;
      for (var k = 0; k < n; k++) {
        if (k !== p.idx[lv] && this.values.get(prefix + k + '.' + el.leaf) === value) return this.fail(351, 'SetValue: "' + path + '": "' + value + '" is already used in ' + p.coll[lv] + ' (identifiers are unique, RTE 4.2.17)', 'false');
      }
    }
    if (itype && !is12 && el.type.kind === 'pattern') {
      var gi = this.opts.datamodel.interaction_types[itype];
      if (gi && gi.unique_patterns) {
        var cl = p.coll[p.coll.length - 1], cn = this.counts.get(cl) || 0, me = p.idx[p.idx.length - 1];
        for (var q = 0; q < cn; q++) {
          if (q !== me && this.values.get(cl + '.' + q + '.pattern') === value) return this.fail(351, 'SetValue: "' + path + '": the same correct response already exists for this ' + itype + ' interaction (RTE 4.2.9.1)', 'false');
        }
      }
    }
    if (el.writeOnce && !is12) {
      var old = this.values.get(path);
      if (old !== undefined && old !== value) return this.fail(351, 'SetValue: "' + path + '" is already "' + old + '" and may not change (RTE 4.2.17.1)', 'false');
    }
    if (value === '' && el.emptyUnset) this.values.delete(path);
    else this.values.set(path, value);
    if (created >= 0) this.counts.set(p.coll[created], p.idx[created] + 1);
    this.dirty.set(path, value);
    this.err(0);
    if (p.tpl === 'adl.nav.request' && typeof this.opts.onNavRequest === 'function') {
      try { this.opts.onNavRequest(value); } catch (e) { /* hooks never break content */ }
    }
    this.schedule();
    return 'true';
  };

  /* ---------------- persistence ---------------- */

  Runtime.prototype.schedule = function () {
    var ms = this.opts.autosaveMs;
    if (!ms || this.timer || typeof setTimeout !== 'function') return;
    var self = this;
    this.timer = setTimeout(function () {
      self.timer = null;
      if (self.state === RUNNING && self.dirty.size) self.flush(false, false);
    }, ms);
    if (this.timer && typeof this.timer.unref === 'function') this.timer.unref();
  };

  /* Send the dirty elements as one payload. Returns true/false synchronously when the commit
   * callback answers synchronously (boolean or {ok}), true (optimistic) when it returns a Promise.
   * Failed changes stay dirty (unless overwritten since) and go with the next commit. */
  Runtime.prototype.flush = function (final, beacon) {
    var commit = this.opts.commit;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (typeof commit !== 'function') { this.dirty.clear(); return true; }
    var changes = {};
    this.dirty.forEach(function (v, k) { changes[k] = v; });
    var sent = this.dirty;
    this.dirty = new Map();
    this.seq += 1;
    var meta = { seq: this.seq, final: !!final, beacon: !!beacon };
    var self = this;
    function restore() {
      sent.forEach(function (v, k) { if (!self.dirty.has(k)) self.dirty.set(k, v); });
    }
    var r;
    try { r = commit(changes, meta); } catch (e) { restore(); return false; }
    if (r && typeof r.then === 'function') {
      this.pending = r;
      r.then(function (res) {
        if (res === false || (res && res.ok === false)) restore();
      }, function () { restore(); });
      return true;
    }
    if (r === false || (r && r.ok === false)) { restore(); return false; }
    return true;
  };

  /* Page dismissal: send what is dirty with the beacon transport (RTE 3.1, scorm-runtime.md 9). */
  Runtime.prototype.unload = function () {
    if (this.state !== RUNNING) return false;
    if (!this.dirty.size) return true;
    return this.flush(false, true);
  };

  /* ---------------- session methods ---------------- */

  Runtime.prototype.initialize = function (arg) {
    if (arg !== '' && arg !== undefined && arg !== null) return this.fail(201, 'Initialize: the argument must be "" (RTE 3.1.4.1)', 'false');
    if (this.state === RUNNING) return this.fail(103, 'Initialize: already initialized', 'false');
    if (this.state === TERMINATED) return this.fail(104, 'Initialize: this instance has terminated; relaunch needs a new API instance', 'false');
    if (typeof this.opts.onInitialize === 'function') {
      var ok;
      try { ok = this.opts.onInitialize(); } catch (e) { ok = false; }
      if (ok === false) return this.fail(102, 'Initialize: the LMS refused the session (registration closed or token revoked)', 'false');
    }
    this.state = RUNNING;
    this.err(0);
    return 'true';
  };

  Runtime.prototype.terminate = function (arg) {
    if (arg !== '' && arg !== undefined && arg !== null) return this.fail(201, 'Terminate: the argument must be ""', 'false');
    if (this.state === NOT_INIT) return this.fail(112, 'Terminate before Initialize', 'false');
    if (this.state === TERMINATED) return this.fail(113, 'Terminate after Terminate', 'false');
    var ok = this.flush(true, !!this.opts.beaconOnTerminate);
    if (!ok) return this.fail(111, 'Terminate: the final commit failed', 'false');
    this.state = TERMINATED;
    this.err(0);
    if (typeof this.opts.onTerminate === 'function') {
      var nav = this.is12 ? null : this.values.get('adl.nav.request') || '_none_';
      try { this.opts.onTerminate({ navRequest: nav, exit: this.values.get(this.is12 ? 'cmi.core.exit' : 'cmi.exit') }); } catch (e) { /* ignore */ }
    }
    return 'true';
  };

  Runtime.prototype.commitCall = function (arg) {
    if (arg !== '' && arg !== undefined && arg !== null) return this.fail(201, 'Commit: the argument must be ""', 'false');
    if (this.state === NOT_INIT) return this.fail(142, 'Commit before Initialize', 'false');
    if (this.state === TERMINATED) return this.fail(143, 'Commit after Terminate', 'false');
    if (!this.flush(false, false)) return this.fail(391, 'Commit: the server did not accept the data', 'false');
    this.err(0);
    return 'true';
  };

  Runtime.prototype.errorString = function (code) {
    var c = String(code === undefined || code === null ? '' : code);
    if (c === '') return '';
    var s = this.model.errors[c];
    return s === undefined ? '' : s;
  };

  Runtime.prototype.diagnostic = function (code) {
    var c = String(code === undefined || code === null ? '' : code);
    var d;
    if (c === '' || c === String(this.lastError)) d = this.lastError ? this.diag || this.errorString(this.lastError) : this.errorString(c === '' ? '0' : c);
    else d = this.errorString(c);
    return d.length > 255 ? d.slice(0, 252) + '...' : d;
  };

  function guard(rt, fn, failRet) {
    return function () {
      try {
        return fn.apply(rt, arguments);
      } catch (e) {
        try { rt.err(rt.is12 ? 101 : 101, 'internal error: ' + (e && e.message)); } catch (e2) { /* nothing */ }
        return failRet;
      }
    };
  }

  function createScorm2004Api(opts) {
    var rt = new Runtime('scorm2004', opts);
    var api = {
      Initialize: guard(rt, rt.initialize, 'false'),
      Terminate: guard(rt, rt.terminate, 'false'),
      GetValue: guard(rt, rt.getValue, ''),
      SetValue: guard(rt, rt.setValue, 'false'),
      Commit: guard(rt, rt.commitCall, 'false'),
      GetLastError: guard(rt, function () { return String(rt.lastError); }, '101'),
      GetErrorString: guard(rt, rt.errorString, ''),
      GetDiagnostic: guard(rt, rt.diagnostic, ''),
      version: '1.0'
    };
    Object.defineProperty(api, '_runtime', { value: rt, enumerable: false });
    return api;
  }

  function createScorm12Api(opts) {
    var rt = new Runtime('scorm12', opts);
    var api = {
      LMSInitialize: guard(rt, rt.initialize, 'false'),
      LMSFinish: guard(rt, rt.terminate, 'false'),
      LMSGetValue: guard(rt, rt.getValue, ''),
      LMSSetValue: guard(rt, rt.setValue, 'false'),
      LMSCommit: guard(rt, rt.commitCall, 'false'),
      LMSGetLastError: guard(rt, function () { return String(rt.lastError); }, '101'),
      LMSGetErrorString: guard(rt, rt.errorString, ''),
      LMSGetDiagnostic: guard(rt, rt.diagnostic, '')
    };
    Object.defineProperty(api, '_runtime', { value: rt, enumerable: false });
    return api;
  }

  /* ------------------------------------------------------------------ */
  /* Browser transport helpers (the player wires these; optional).       */
  /* ------------------------------------------------------------------ */

  /* httpCommitter({url, token, sync}) -> commit(changes, meta) callback.
   * Body: JSON {token, seq, final, changes}, Content-Type text/plain (no CORS preflight,
   * the same body works for sendBeacon). meta.beacon: navigator.sendBeacon, else fetch keepalive.
   * sync=true: synchronous XMLHttpRequest so Commit returns the server's real answer. */
  function httpCommitter(cfg) {
    return function (changes, meta) {
      var body = JSON.stringify({ token: cfg.token, seq: meta.seq, final: meta.final, changes: changes });
      var g = typeof globalThis !== 'undefined' ? globalThis : {};
      if (meta.beacon) {
        if (g.navigator && typeof g.navigator.sendBeacon === 'function' && body.length < 65000) {
          return g.navigator.sendBeacon(cfg.url, new g.Blob([body], { type: 'text/plain;charset=UTF-8' }));
        }
        if (typeof g.fetch === 'function') {
          return g.fetch(cfg.url, { method: 'POST', body: body, keepalive: body.length < 65000, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })
            .then(function (r) { return { ok: r.ok }; });
        }
      }
      if (cfg.sync && typeof g.XMLHttpRequest === 'function') {
        var x = new g.XMLHttpRequest();
        x.open('POST', cfg.url, false);
        x.setRequestHeader('Content-Type', 'text/plain;charset=UTF-8');
        x.send(body);
        return { ok: x.status >= 200 && x.status < 300 };
      }
      return g.fetch(cfg.url, { method: 'POST', body: body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })
        .then(function (r) { return { ok: r.ok }; });
    };
  }

  /* Flush on pagehide and on visibilitychange→hidden (never rely on unload alone). */
  function installUnloadHandlers(api, win) {
    var rt = api._runtime;
    function go() { try { rt.unload(); } catch (e) { /* nothing */ } }
    win.addEventListener('pagehide', go);
    win.addEventListener('visibilitychange', function () {
      if (win.document && win.document.visibilityState === 'hidden') go();
    });
    return go;
  }

  return {
    createScorm12Api: createScorm12Api,
    createScorm2004Api: createScorm2004Api,
    httpCommitter: httpCommitter,
    installUnloadHandlers: installUnloadHandlers,
    Validator: Validator,
    time: {
      durationToCs: durationToCs, csToDuration: csToDuration,
      timespan12ToCs: timespan12ToCs, csToTimespan12: csToTimespan12,
      checkTime: checkTime, checkDuration: checkDuration
    }
  };
});
