// SPDX-License-Identifier: Apache-2.0
// cmi5 package files on two nodes of one PostgreSQL database (issue 19 step 6): a cmi5 zip
// imported through node A is served by node B's content origin (/cmi5/content/<course>/<file>)
// byte-identical from the content rows (scorm/cmi5_content.c), with the same strong ETag on both
// nodes (If-None-Match: 304), Range (206, 416); A keeps no DATA/cmi5/ folder; after the delete
// through B neither node serves the files. Runs under tools/pg-gate.sh (SCOLAR_TEST_PG).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startNodes, tempDir } from '../lib/server.mjs';
import { writeCmi5Course } from '../lib/cmi5.mjs';

test('a cmi5 package imported through A is served by B, and deleted through B is gone on A', async () => {
  const work = tempDir('scolar-cmi5-nodes-');
  const dir = writeCmi5Course(join(work, 'pkg'), 'prepost');
  mkdirSync(join(dir, 'media'), { recursive: true });
  const big = randomBytes(600 * 1024); // more than two 256 KiB chunk rows
  writeFileSync(join(dir, 'media', 'clip.bin'), big);
  const zipPath = join(work, 'pkg.zip');
  execFileSync('zip', ['-qr', zipPath, '.'], { cwd: dir });
  const { nodes: [a, b], stop } = await startNodes(2);
  try {
    const imp = await a.req('POST', '/api/courses', { body: readFileSync(zipPath), headers: { 'Content-Type': 'application/zip' } });
    assert.equal(imp.status, 201, imp.text);
    const id = imp.json.id;
    assert.equal(existsSync(join(a.dataDir, 'cmi5', id)), false, 'no DATA/cmi5/ folder on A: the files are rows');
    const files = ['cmi5.xml', 'index.html', 'pre1.html', 'post2.html', 'media/clip.bin'];
    const etags = {};
    for (const f of files) {
      const want = readFileSync(join(dir, f));
      for (const [name, n] of [['B', b], ['A', a]]) {
        const r = await fetch(`${n.content}/cmi5/content/${id}/${f}`);
        assert.equal(r.status, 200, `${f} through ${name}`);
        const got = Buffer.from(await r.arrayBuffer());
        assert.ok(got.equals(want), `${f} through ${name}: byte-identical (${got.length} of ${want.length})`);
        const et = r.headers.get('etag');
        assert.match(et, /^"[0-9a-f]{64}"$/, `${f}: the content's SHA-256 as strong ETag`);
        if (etags[f]) assert.equal(et, etags[f], `${f}: the same ETag on both nodes`);
        etags[f] = et;
      }
    }
    assert.equal((await fetch(`${a.content}/cmi5/content/${id}/index.html`)).headers.get('content-type'), 'text/html; charset=utf-8');
    const nm = await fetch(`${a.content}/cmi5/content/${id}/index.html`, { headers: { 'If-None-Match': etags['index.html'] } });
    assert.equal(nm.status, 304, 'If-None-Match with B\'s ETag on A');
    const rg = await fetch(`${b.content}/cmi5/content/${id}/media/clip.bin`, { headers: { Range: 'bytes=262000-262999' } });
    assert.equal(rg.status, 206);
    assert.equal(rg.headers.get('content-range'), `bytes 262000-262999/${big.length}`);
    assert.ok(Buffer.from(await rg.arrayBuffer()).equals(big.subarray(262000, 263000)), 'a range across a chunk boundary');
    const bad = await fetch(`${b.content}/cmi5/content/${id}/media/clip.bin`, { headers: { Range: `bytes=${big.length}-` } });
    assert.equal(bad.status, 416);
    await bad.arrayBuffer();
    const none = await fetch(`${b.content}/cmi5/content/${id}/nope.html`);
    assert.equal(none.status, 404);
    assert.match(await none.text(), /no file nope\.html in course/);
    const del = await b.req('DELETE', `/api/courses/${id}`);
    assert.equal(del.status, 204, del.text);
    for (const n of [a, b]) {
      const r = await fetch(`${n.content}/cmi5/content/${id}/index.html`);
      assert.equal(r.status, 404, 'deleted through B: served by no node');
      await r.arrayBuffer();
    }
  } finally {
    await stop();
    rmSync(work, { recursive: true, force: true });
  }
});
