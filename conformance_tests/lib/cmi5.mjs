// SPDX-License-Identifier: Apache-2.0
// cmi5 courses written by the project (issue 18: tests that need no ../shared): a course
// structure (cmi5 spec section 13, CourseStructure.xsd namespace) and one small AU page that
// runs the launch sequence of cmi5 section 8 in a browser (fetch URL, LMS.LaunchData,
// initialized, completed/passed with the moveOn category, terminated). Shapes of the corpus
// courses test_cmi5 used: 'mastery' (one AU, masteryScore 0.3), 'single' (one AU), 'prepost'
// (two blocks of pre-test, content, post-test), 'multi' (eight AUs at the root) and
// 'responsive' (a second one-AU course).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NS = 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd';
const BASE = 'https://example.com/scolar-tests/cmi5';

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const text = (title) => `<title><langstring lang="en-US">${esc(title)}</langstring></title>` +
  `<description><langstring lang="en-US">${esc(title)}, written by scolar's tests</langstring></description>`;
const au = (id, title, url, attrs = '') => `<au id="${BASE}/${id}"${attrs}>${text(title)}<url>${esc(url)}</url></au>`;

// The AU: reads the launch parameters (8.1), POSTs the fetch URL once for its token (8.2),
// reads LMS.LaunchData (10.2.1), then sends initialized, the statement its moveOn needs and
// terminated (9.3), each with the context template and the registration.
const PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>scolar test AU</title></head>
<body><h1 id="title">scolar test AU</h1><p id="status">starting</p>
<script>
(async () => {
  const p = new URLSearchParams(location.search);
  const say = (s) => { document.getElementById('status').textContent = s; };
  try {
    const tok = (await (await fetch(p.get('fetch'), { method: 'POST' })).json())['auth-token'];
    const h = { Authorization: 'Basic ' + tok, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' };
    const ep = p.get('endpoint').replace(/\\/$/, '');
    const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: p.get('activityId'), agent: p.get('actor'), registration: p.get('registration') });
    const ld = await (await fetch(ep + '/activities/state?' + q, { headers: h })).json();
    const send = async (verb, result, moveOn) => {
      const ctx = JSON.parse(JSON.stringify(ld.contextTemplate));
      ctx.registration = p.get('registration');
      ctx.contextActivities = ctx.contextActivities || {};
      ctx.contextActivities.category = [{ id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5' }]
        .concat(moveOn ? [{ id: 'https://w3id.org/xapi/cmi5/context/categories/moveon' }] : []);
      const st = { actor: JSON.parse(p.get('actor')), verb: { id: 'http://adlnet.gov/expapi/verbs/' + verb },
        object: { id: p.get('activityId') }, context: ctx, timestamp: new Date().toISOString() };
      if (result) st.result = result;
      const r = await fetch(ep + '/statements', { method: 'POST', headers: h, body: JSON.stringify(st) });
      if (r.status !== 200) throw new Error(verb + ': ' + r.status + ' ' + (await r.text()));
    };
    await send('initialized');
    if (ld.launchMode === 'Normal') {
      if (ld.masteryScore !== undefined) await send('passed', { success: true, score: { scaled: 1 }, duration: 'PT1S' }, true);
      else await send('completed', { completion: true, duration: 'PT1S' }, true);
    }
    await send('terminated', { duration: 'PT2S' });
    say('done');
  } catch (e) { say('error: ' + e.message); }
})();
</script></body></html>
`;

// Writes course `kind` into the new directory `dir` (cmi5.xml and its pages); returns dir.
export function writeCmi5Course(dir, kind) {
  let body;
  const pages = ['index.html'];
  if (kind === 'mastery') {
    body = au('mastery/1', 'Mastery', 'index.html', ' moveOn="CompletedOrPassed" masteryScore="0.3" launchMethod="OwnWindow"');
  } else if (kind === 'single' || kind === 'responsive') {
    body = au(`${kind}/1`, 'Single', 'index.html', ' moveOn="CompletedOrPassed"');
  } else if (kind === 'prepost') {
    body = [1, 2].map((b) => `<block id="${BASE}/preposttest/block${b}">${text(`Block ${b}`)}` +
      au(`preposttest/block${b}/pre`, `Pre-test ${b}`, `pre${b}.html`, ' moveOn="Passed"') +
      au(`preposttest/block${b}/content`, `Content ${b}`, `index.html?pages=${b}`, ' moveOn="CompletedOrPassed"') +
      au(`preposttest/block${b}/post`, `Post-test ${b}`, `post${b}.html`, ' moveOn="Passed"') + '</block>').join('');
    pages.push('pre1.html', 'pre2.html', 'post1.html', 'post2.html');
  } else if (kind === 'multi') {
    body = Array.from({ length: 8 }, (_, i) => au(`multi/${i + 1}`, `Lesson ${i + 1}`, `index.html?pages=${i + 1}&complete=launch`, ' moveOn="CompletedOrPassed"')).join('');
  } else {
    throw new Error(`unknown cmi5 course ${kind}`);
  }
  const id = kind === 'prepost' ? 'preposttest' : kind;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cmi5.xml'), `<?xml version="1.0" encoding="utf-8"?>\n<courseStructure xmlns="${NS}">` +
    `<course id="${BASE}/${id}">${text(`scolar test course ${kind}`)}</course>${body}</courseStructure>\n`);
  for (const p of pages) writeFileSync(join(dir, p), PAGE);
  return dir;
}
