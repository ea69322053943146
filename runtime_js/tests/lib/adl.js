// SPDX-License-Identifier: Apache-2.0
//
// ADL SCORM 2004 4th ed. conformance-suite script reader and a minimal LMS model used only by
// the tests: it plays the server's part between SCO sessions (entry/resume, total_time
// accumulation, attempts, shared data, manifest-derived values). The real server is scorm/.
'use strict';

const fs = require('fs');
const path = require('path');

// Java java.util.Properties.load semantics: '#'/'!' comments, continuation with an odd number of
// trailing backslashes (leading whitespace of the next line dropped), key ends at the first
// unescaped '=', ':' or whitespace, escapes \uXXXX \t \n \r \f and \x -> x.
function parseProperties(text) {
  const lines = text.split(/\r\n|\n|\r/);
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i].replace(/^[ \t\f]+/, '');
    if (l === '' || l[0] === '#' || l[0] === '!') continue;
    let logical = '';
    for (;;) {
      const m = /(\\+)$/.exec(l);
      if (m && m[1].length % 2 === 1 && i + 1 < lines.length) {
        logical += l.slice(0, -1);
        i++;
        l = lines[i].replace(/^[ \t\f]+/, '');
        continue;
      }
      logical += l;
      break;
    }
    let k = 0;
    let key = '';
    while (k < logical.length) {
      const c = logical[k];
      if (c === '\\') { key += logical.slice(k, k + 2); k += 2; continue; }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      k++;
    }
    while (k < logical.length && /[ \t\f]/.test(logical[k])) k++;
    if (k < logical.length && (logical[k] === '=' || logical[k] === ':')) k++;
    while (k < logical.length && /[ \t\f]/.test(logical[k])) k++;
    out.push([unescape(key), unescape(logical.slice(k))]);
  }
  return out;
}

function unescape(s) {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (m, g) => {
    if (g[0] === 'u' && g.length === 5) return String.fromCharCode(parseInt(g.slice(1), 16));
    return { t: '\t', n: '\n', r: '\r', f: '\f' }[g] || g;
  });
}

// Commands.properties -> token map (I=doInitialize, c=cmi, X.s=suspend, tar={target=%s} ...).
function loadTokens(file) {
  const map = new Map();
  for (const [k, v] of parseProperties(fs.readFileSync(file, 'latin1'))) map.set(k, v);
  return map;
}

// Test case script -> [{act, visit, label, steps: [{n, raw, method, arg, expected, code}], cui}]
// in file order (the order of ActNVm blocks is the delivery order).
function loadScript(file) {
  const visits = [];
  const byLabel = new Map();
  const malformed = [];
  for (const [k, v] of parseProperties(fs.readFileSync(file, 'latin1'))) {
    const m = /^Act(\w+?)V(\d+)\.(commands\.(\d+)|CUI)$/.exec(k);
    if (!m) continue;
    const label = 'Act' + m[1] + 'V' + m[2];
    let vis = byLabel.get(label);
    if (!vis) {
      vis = { act: m[1], visit: +m[2], label, steps: [], cui: null };
      byLabel.set(label, vis);
      visits.push(vis);
    }
    if (m[3] === 'CUI') { vis.cui = v; continue; }
    const step = parseCommand(v);
    step.n = +m[4];
    step.raw = v;
    if (step.malformed) malformed.push(label + '.commands.' + m[4]);
    vis.steps.push(step);
  }
  for (const v of visits) v.steps.sort((a, b) => a.n - b.n);
  return { visits, malformed };
}

const METHODS = new Set(['I', 'T', 'C', 'GET', 'SET', 'GES', 'GLE', 'GeDi']);

// METHOD->arg->expected->code ; the arg may itself contain '->' only inside SET values.
function parseCommand(v) {
  const first = v.indexOf('->');
  const method = first < 0 ? v : v.slice(0, first);
  if (!METHODS.has(method)) return { method, malformed: true };
  const last = v.lastIndexOf('->');
  const code = v.slice(last + 2);
  const mid = v.slice(first + 2, last);
  let arg, expected;
  if (method === 'SET' || method === 'I' || method === 'T' || method === 'C') {
    const e = mid.lastIndexOf('->');
    arg = mid.slice(0, e);
    expected = mid.slice(e + 2);
    // a SET value ends at the first '->' after its '!' as the suite reads it (DDM's tarID_2
    // line carries a stray "->0" after the value, and the later GET expects it without)
    const bang = arg.indexOf('!');
    const cut = method === 'SET' && bang >= 0 ? arg.indexOf('->', bang) : -1;
    if (cut >= 0) arg = arg.slice(0, cut);
  } else {
    const e = mid.indexOf('->');
    arg = mid.slice(0, e);
    expected = mid.slice(e + 2);
  }
  return { method, arg, expected, code };
}

// Token expansion. Element: tokens joined by '.', 'tar~X' -> '{target=X}', '&ID&' -> adl.data
// index of that target (resolved by the caller). Value: tokens concatenated.
function expandElement(s, tokens, resolveData) {
  const parts = s.split('~');
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === 'tar') { out.push('{target=' + parts[++i] + '}'); continue; }
    const dm = /^&(.+)&$/.exec(p);
    if (dm) { out.push(String(resolveData(dm[1]))); continue; }
    out.push(tokens.has(p) ? tokens.get(p) : p);
  }
  return out.join('.');
}

function expandValue(s, tokens) {
  if (s.indexOf('~') >= 0) {
    const parts = s.split('~');
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p === 'tar') { out += '{target=' + parts[++i] + '}'; continue; }
      out += tokens.has(p) ? tokens.get(p) : p;
    }
    return out;
  }
  return tokens.has(s) ? tokens.get(s) : s;
}

// Manifest facts per item that the LMS turns into run-time data (CAM 3.4, RTE 4.2).
function readManifest(file) {
  const xml = fs.readFileSync(file, 'utf8');
  const items = new Map();
  const re = /<item\b([^>]*)>([\s\S]*?)<\/item>/g;
  let m;
  while ((m = re.exec(xml))) {
    const attrs = m[1], body = m[2];
    const id = /identifier\s*=\s*"([^"]+)"/.exec(attrs)[1];
    const params = (/parameters\s*=\s*"([^"]*)"/.exec(attrs) || [])[1] || '';
    const act = (/act=(\w+)/.exec(params) || [])[1];
    const it = { id, act, dataFromLMS: undefined, timeLimitAction: undefined, completionThreshold: undefined,
      scaledPassingScore: undefined, maxTimeAllowed: undefined, data: [] };
    const d = /<adlcp:dataFromLMS>([\s\S]*?)<\/adlcp:dataFromLMS>/.exec(body);
    if (d) it.dataFromLMS = d[1];
    const t = /<adlcp:timeLimitAction>([^<]*)</.exec(body);
    if (t) it.timeLimitAction = t[1].trim();
    const ct = /<adlcp:completionThreshold\b([^>]*)\/?>/.exec(body);
    if (ct && /completedByMeasure\s*=\s*"true"/.test(ct[1])) {
      const mp = /minProgressMeasure\s*=\s*"([^"]+)"/.exec(ct[1]);
      it.completionThreshold = mp ? mp[1] : '1.0';
    }
    const po = /<imsss:primaryObjective\b([^>]*?)(\/>|>([\s\S]*?)<\/imsss:primaryObjective>)/.exec(body);
    if (po && /satisfiedByMeasure\s*=\s*"true"/.test(po[1])) {
      const mn = /<imsss:minNormalizedMeasure>([^<]*)</.exec(po[3] || '');
      it.scaledPassingScore = mn ? mn[1].trim() : '1.0';
    }
    const lc = /attemptAbsoluteDurationLimit\s*=\s*"([^"]+)"/.exec(body);
    if (lc) it.maxTimeAllowed = lc[1];
    const mapRe = /<adlcp:map\b([^>]*)\/>/g;
    let mp;
    while ((mp = mapRe.exec(body))) {
      it.data.push({
        id: /targetID\s*=\s*"([^"]+)"/.exec(mp[1])[1],
        read: !/readSharedData\s*=\s*"false"/.test(mp[1]),
        write: !/writeSharedData\s*=\s*"false"/.test(mp[1])
      });
    }
    items.set(act || id, it);
  }
  items.flow = /<imsss:controlMode\b[^>]*\bflow\s*=\s*"true"/.test(xml);
  return items;
}

// The LMS side between sessions (test model only; the real rules live in the C server).
class LmsModel {
  constructor(items, learner, time) {
    this.items = items;
    this.learner = learner;
    this.time = time; // ScolarRuntime.time
    this.records = new Map();
    this.shared = new Map(); // targetID -> store (shared across the course, sharedDataGlobalToSystem)
    this.flow = items.flow === true;
  }

  launch(act) {
    const it = this.items.get(act);
    let rec = this.records.get(act);
    const initial = {};
    if (rec && rec.suspended) {
      Object.assign(initial, rec.values);
      initial['cmi.entry'] = 'resume';
    } else {
      rec = { values: {}, totalCs: 0, suspended: false };
      this.records.set(act, rec);
      initial['cmi.entry'] = 'ab-initio';
    }
    initial['cmi.learner_id'] = this.learner.id;
    initial['cmi.learner_name'] = this.learner.name;
    initial['cmi.credit'] = 'credit';
    initial['cmi.mode'] = 'normal';
    initial['cmi.total_time'] = this.time.csToDuration(rec.totalCs);
    if (it.dataFromLMS !== undefined) initial['cmi.launch_data'] = it.dataFromLMS;
    if (it.timeLimitAction !== undefined) initial['cmi.time_limit_action'] = it.timeLimitAction;
    if (it.completionThreshold !== undefined) initial['cmi.completion_threshold'] = it.completionThreshold;
    if (it.scaledPassingScore !== undefined) initial['cmi.scaled_passing_score'] = it.scaledPassingScore;
    if (it.maxTimeAllowed !== undefined) initial['cmi.max_time_allowed'] = it.maxTimeAllowed;
    initial['adl.data'] = it.data.map((d) => ({ id: d.id, read: d.read, write: d.write, store: this.shared.get(d.id) }));
    rec.session = { seq: 0, changes: {} };
    return initial;
  }

  // The commit callback given to the shim: applies changes idempotently by seq.
  committer(act) {
    return (changes, meta) => {
      const rec = this.records.get(act);
      if (meta.seq <= rec.session.seq) return true; // stale or duplicate: ignored
      rec.session.seq = meta.seq;
      Object.assign(rec.session.changes, changes);
      if (meta.final) this.finish(act);
      return true;
    };
  }

  finish(act) {
    const rec = this.records.get(act);
    const it = this.items.get(act);
    const ch = rec.session.changes;
    for (const k of Object.keys(ch)) {
      const m = /^adl\.data\.(\d+)\.store$/.exec(k);
      if (m) {
        // "" empties the store (the server deletes it: GetValue answers 403 again)
        if (ch[k] === '') this.shared.delete(it.data[+m[1]].id);
        else this.shared.set(it.data[+m[1]].id, ch[k]);
        continue;
      }
      if (k === 'cmi.session_time' || k === 'cmi.exit' || k === 'adl.nav.request') continue;
      rec.values[k] = ch[k];
    }
    const st = ch['cmi.session_time'];
    if (st !== undefined) rec.totalCs += this.time.durationToCs(st);
    const exit = ch['cmi.exit'] || '';
    const nav = ch['adl.nav.request'] || '_none_';
    rec.suspended = exit === 'suspend' || nav === 'suspendAll';
    if (!rec.suspended) rec.values = {}; // attempt over: the next launch starts a new one
  }

  // adl.nav.request_valid.* as a sequencer would answer for these packages: no <imsss:sequencing>
  // control modes, so the defaults apply (choice=true, flow=false: SN 3.2, CAM 5.1.2).
  navValid(kind, target) {
    if (kind === 'continue' || kind === 'previous') return this.flow ? 'unknown' : 'false';
    return [...this.items.values()].some((it) => it.id === target) ? 'true' : 'false';
  }

  dataIndex(act, target) {
    return this.items.get(act).data.findIndex((d) => d.id === target);
  }
}

module.exports = { parseProperties, loadTokens, loadScript, parseCommand, expandElement, expandValue, readManifest, LmsModel };
