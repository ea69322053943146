// SPDX-License-Identifier: Apache-2.0
// Time to interactive of the console's pages at scale (issue 13 "Speed": the courses page and
// a course page with 10,000 courses and 100,000 registrations stored; target <= 300 ms).
//   node bench/bench_console_pages.mjs [courses=10000] [registrations=100000] [samples=30]
// Builds the store as bench/bench_console.mjs does (a one-SCO package uploaded `courses` times
// with ?id=bench-N; half the registrations on bench-1, the rest over the first 1,000 courses,
// 20,000 learners), signs in once in headless Chromium, then loads each page `samples` times
// (a full page load each time: HTML, modules, session check, the page's API calls, render).
// "Interactive" is the moment the page's list is shown (its rows, or its "no match" line) and
// <main> is no longer aria-busy,
// taken with performance.now() (milliseconds since the navigation started). Prints p50/p95/max
// per page and writes bench/results/console_pages.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.SCOLAR_BIN ||= join(root, 'build-release/lrs/scolar');
const { startServer, tempDir, ADMIN_KEY, ADMIN_SECRET } = await import('../conformance_tests/lib/server.mjs');
const { CHROMIUM, CHROMIUM_ARGS } = await import('../conformance_tests/lib/browser.mjs');
const { chromium } = await import(pathToFileURL(join(root, 'conformance_tests/node_modules/playwright-core/index.mjs')).href);

const nCourses = Number(process.argv[2] || 10000);
const nRegs = Number(process.argv[3] || 100000);
const samples = Number(process.argv[4] || 30);
const work = tempDir('scolar-bench-pages-');
const src = join(work, 'pkg');
mkdirSync(src);
writeFileSync(join(src, 'index.html'), '<!doctype html><title>SCO</title>');
writeFileSync(join(src, 'imsmanifest.xml'), `<?xml version="1.0"?>
<manifest identifier="bench_course" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Bench course</title>
    <item identifier="i" identifierref="r"><title>SCO</title></item></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>`);
const zip = join(work, 'bench.zip');
execFileSync('zip', ['-qr', zip, '.'], { cwd: src });
const body = readFileSync(zip);

async function pool(n, width, fn) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const s = await startServer({ env: { SCOLAR_LOG_LEVEL: 'warn' } });
let browser;
const rows = [];
try {
  let t0 = Date.now();
  await pool(nCourses, 4, async (i) => {
    const r = await s.req('POST', `/api/courses?id=bench-${i + 1}`, { body, headers: { 'Content-Type': 'application/zip' } });
    if (r.status !== 201) throw new Error(`import ${i}: ${r.status} ${r.text}`);
  });
  console.log(`${nCourses} courses in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  await pool(nRegs, 16, async (i) => {
    const course = i % 2 === 0 ? 'bench-1' : `bench-${1 + (i % Math.min(1000, nCourses))}`;
    const r = await s.req('POST', '/api/registrations', { body: { course, learner: { id: `learner-${i % 20000}`, name: `Learner ${i % 20000}` } } });
    if (r.status !== 201) throw new Error(`registration ${i}: ${r.status} ${r.text}`);
  });
  console.log(`${nRegs} registrations in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(s.base + '/');
  await page.getByRole('textbox', { name: 'Key', exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('Secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();

  const pages = [
    ['courses page (first 50 of all courses)', '#/courses'],
    ['courses page, search', '#/courses?q=bench-999'],
    ['course page (bench-1: half of all registrations)', '#/courses/bench-1'],
    ['learners page', '#/learners'],
    ['learner page', '#/learners/learner-1'],
  ];
  for (const [name, hash] of pages) {
    const times = [];
    for (let i = 0; i < samples + 2; i++) {
      await page.goto('about:blank');
      await page.goto(`${s.base}/${hash}`);
      const ms = await page.evaluate(() => new Promise((resolve) => {
        const ready = () => !document.getElementById('main').hasAttribute('aria-busy') &&
          document.querySelector('main .list-box table.list tbody tr, main .list-box p.empty');
        if (ready()) return resolve(performance.now());
        const mo = new MutationObserver(() => {
          if (ready()) {
            mo.disconnect();
            resolve(performance.now());
          }
        });
        mo.observe(document.documentElement, { subtree: true, childList: true, attributes: true });
      }));
      if (i >= 2) times.push(ms); // the first loads warm the HTTP cache and the server
    }
    times.sort((a, b) => a - b);
    const row = { name, p50: pct(times, 50), p95: pct(times, 95), max: times.at(-1) };
    rows.push(row);
    console.log(`${name}: p50 ${row.p50.toFixed(0)} ms, p95 ${row.p95.toFixed(0)} ms, max ${row.max.toFixed(0)} ms`);
  }
} catch (e) {
  console.error(`${e.message}\nscolar's log (last lines):\n${s.stderr.slice(-4000)}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await s.stop();
}

if (process.exitCode) process.exit(1);
const out = `# Console pages at scale: time to interactive\n\n${nCourses} courses, ${nRegs} registrations ` +
  `(half on one course), 20,000 learners; headless Chromium, a full page load per sample ` +
  `(${samples} samples after 2 warm-up loads; modules from the HTTP cache as a returning user has them). ` +
  'Interactive = the list is shown (rows or its empty line) and <main> is not aria-busy (performance.now() from the navigation start). ' +
  'Target <= 300 ms.\n\n| page | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|\n' +
  rows.map((r) => `| ${r.name} | ${r.p50.toFixed(0)} | ${r.p95.toFixed(0)} | ${r.max.toFixed(0)} |`).join('\n') +
  `\n\nRun: \`node bench/bench_console_pages.mjs ${nCourses} ${nRegs} ${samples}\` (${new Date().toISOString().slice(0, 10)}).\n`;
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'console_pages.md'), out);
console.log(out);
