// SPDX-License-Identifier: Apache-2.0
'use strict';
const fs = require('fs');
const path = require('path');
const ScolarRuntime = require('../scorm-api.js');

const DATAMODEL = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'datamodel.json'), 'utf8'));

function api2004(extra) {
  const commits = [];
  const opts = Object.assign({ datamodel: DATAMODEL, strict: true, commit: (c, m) => { commits.push({ changes: c, meta: m }); return true; } }, extra || {});
  const api = ScolarRuntime.createScorm2004Api(opts);
  api.commits = commits;
  return api;
}

function api12(extra) {
  const commits = [];
  const opts = Object.assign({ datamodel: DATAMODEL, strict: true, commit: (c, m) => { commits.push({ changes: c, meta: m }); return true; } }, extra || {});
  const api = ScolarRuntime.createScorm12Api(opts);
  api.commits = commits;
  return api;
}

// [returned value, last error] of one call
function call(api, name, ...args) {
  const r = api[name](...args);
  const e = api[name.startsWith('LMS') ? 'LMSGetLastError' : 'GetLastError']();
  return [r, e];
}

module.exports = { ScolarRuntime, DATAMODEL, api2004, api12, call };
