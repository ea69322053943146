// SPDX-License-Identifier: Apache-2.0
// Course import over HTTP (/api/courses) and the CLI (scolar import), issue 5.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli, tempDir, contentHas, contentCourses } from '../lib/server.mjs';

// scolar's own demo course (tools/demo-course; no corpus needed: issue 18)
const work = tempDir('scolar-courses-');
const MAKE = new URL('../../tools/demo-course/make-zip.sh', import.meta.url).pathname;
function zipOf(edition) {
  const out = join(work, `demo-${edition}.zip`);
  if (!existsSync(out)) execFileSync(MAKE, [edition, out]);
  return readFileSync(out);
}

let s;
before(async () => { s = await startServer({ env: { SCOLAR_MAX_UPLOAD: String(8 * 1024 * 1024) } }); });
after(async () => { await s.stop(); rmSync(work, { recursive: true, force: true }); });

test('upload a zip body: 201 with the import JSON; list, get with tree, re-import adds a version, delete', async () => {
  const zip = zipOf('12');
  let r = await s.req('POST', '/api/courses?id=demo12', { body: zip, headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.course, 'demo12');
  assert.equal(r.json.version, 'scorm12');
  assert.equal(r.json.scos, 2);
  assert.equal(r.json.course_version, 1);
  assert.ok(Array.isArray(r.json.warnings));
  // files under DATA/content/ on LMDB, rows of the database on PostgreSQL (lib/server.mjs)
  assert.ok(contentHas(s, 'demo12', 1, 'imsmanifest.xml'), 'files extracted');

  r = await s.req('GET', '/api/courses');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.items.map((c) => c.id), ['demo12']);
  assert.equal(r.json.total, 1);
  r = await s.req('GET', '/api/courses/demo12');
  assert.equal(r.status, 200);
  assert.ok(r.json.tree, 'the parsed tree is returned');
  assert.match(JSON.stringify(r.json.tree), /Safe lifting \(scolar demo, SCORM 1\.2\)/);

  r = await s.req('POST', '/api/courses?course=demo12', { body: zip, headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 201);
  assert.equal(r.json.course_version, 2);
  assert.ok(contentHas(s, 'demo12', 2));

  r = await s.req('DELETE', '/api/courses/demo12');
  assert.equal(r.status, 204);
  assert.equal((await s.req('GET', '/api/courses/demo12')).status, 404);
  assert.equal(contentHas(s, 'demo12'), false, 'files removed');
});

test('multipart/form-data upload of a 2004 package', async () => {
  const zip = zipOf('2004');
  const fd = new FormData();
  fd.append('file', new Blob([zip], { type: 'application/zip' }), 'course.zip');
  const res = await fetch(`${s.base}/api/courses`, { method: 'POST', body: fd, headers: { Authorization: (await import('../lib/server.mjs')).ADMIN_AUTH } });
  const j = await res.json();
  assert.equal(res.status, 201, JSON.stringify(j));
  assert.equal(j.version, 'scorm2004-4th');
});

test('bad uploads: clear errors, nothing stored', async () => {
  const before = (await s.req('GET', '/api/courses')).json.total;
  const contentBefore = contentCourses(s);
  let r = await s.req('POST', '/api/courses', { body: Buffer.from('this is not a zip'), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /zip/i);
  r = await s.req('POST', '/api/courses', { body: Buffer.alloc(0), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 400);
  r = await s.req('POST', '/api/courses', { body: Buffer.alloc(9 * 1024 * 1024), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 413);
  r = await s.req('POST', '/api/courses', { body: 'x', headers: { 'Content-Type': 'text/html' } });
  assert.equal(r.status, 415);
  const malformed = join(work, 'malformed.zip');
  const mdir = join(work, 'malformed');
  mkdirSync(mdir, { recursive: true });
  // an element closed by another's end tag on line 4
  writeFileSync(join(mdir, 'imsmanifest.xml'), '<?xml version="1.0"?>\n<manifest identifier="m">\n  <organizations>\n  </resources>\n</manifest>\n');
  execFileSync('zip', ['-qr', malformed, '.'], { cwd: mdir });
  r = await s.req('POST', '/api/courses', { body: readFileSync(malformed), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /imsmanifest\.xml line \d+/, 'names the file and the line');
  assert.equal((await s.req('GET', '/api/courses')).json.total, before);
  const contentAfter = contentCourses(s);
  assert.deepEqual(contentAfter, contentBefore, 'no files left behind');
  r = await fetch(`${s.base}/api/courses`);
  assert.equal(r.status, 401);
});

test('scolar import CLI: JSON on success, exit 1 with the reason on failure', () => {
  const dir = tempDir();
  try {
    const zip = join(work, 'demo-2004.zip');
    zipOf('2004');
    let r = cli(['import', '--data', dir, zip]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.version, 'scorm2004-4th');
    assert.equal(j.scos, 2);
    r = cli(['import', '--data', dir, join(work, 'nope.zip')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^scolar: import of .*nope\.zip failed/);
    r = cli(['import', '--data', dir]);
    assert.equal(r.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an absolute launch URL: imported with a warning that names the item, launched as that URL', async () => {
  const dir = join(work, 'external');
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('sh', ['-c', `cat > ${dir}/imsmanifest.xml <<'X'
<?xml version="1.0"?>
<manifest identifier="ext-test" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>External</title>
    <item identifier="local" identifierref="r1"><title>Local</title></item>
    <item identifier="remote" identifierref="r2"><title>Remote</title></item></organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="asset" href="https://example.com/page.html?x=1"/>
  </resources>
</manifest>
X
echo '<!doctype html><title>x</title>' > ${dir}/index.html`]);
  const zip = join(work, 'external.zip');
  execFileSync('zip', ['-qr', zip, '.'], { cwd: dir });
  const r = await s.req('POST', '/api/courses', { body: readFileSync(zip), headers: { 'Content-Type': 'application/zip' } });
  assert.equal(r.status, 201, r.text);
  const w = r.json.warnings.filter((x) => /absolute URL/.test(typeof x === 'string' ? x : x.message));
  assert.equal(w.length, 1, JSON.stringify(r.json.warnings));
  assert.match(JSON.stringify(w[0]), /item 'remote' launches the absolute URL 'https:\/\/example\.com\/page\.html\?x=1'/);
  // the player's state gives the href as it is (the player opens an absolute one directly)
  const reg = await s.req('POST', '/api/registrations', { body: { course: r.json.course, learner: { id: 'ext-1', name: 'E' } } });
  assert.equal(reg.status, 201, reg.text);
  const st = await fetch(`${s.content}/player/${reg.json.registration}/state?token=${reg.json.token}`);
  assert.equal(st.status, 200);
  const j = await st.json();
  const remote = JSON.stringify(j).match(/"href":"(https:[^"]*)"/);
  assert.ok(remote, `absolute href in the player state: ${JSON.stringify(j).slice(0, 400)}`);
  assert.equal(remote[1], 'https://example.com/page.html?x=1');
});
