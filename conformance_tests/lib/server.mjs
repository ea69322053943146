// SPDX-License-Identifier: Apache-2.0
// Test harness: starts `scolar serve` on free ports with a temporary data dir and the admin
// credential from the environment, waits for /healthz, and stops it after.
// PostgreSQL (issue 19): startServer({store: URL}) serves a PostgreSQL store (--store), and
// newPgStore() makes a new empty database on the throwaway cluster of tools/test.sh
// (SCOLAR_TEST_PG). With SCOLAR_TEST_BACKEND=pg a whole suite runs on PostgreSQL unchanged: each
// data directory a test uses (startServer, cli(['...', '--data', DIR])) gets a database of
// its own, the same one every time for the same directory (so a restart finds its store).
// startNodes(n) starts n servers on one database, and lib/rrproxy.mjs puts a round robin in
// front of them. With SCOLAR_TEST_NODES=2 as well, every startServer is two nodes on one database
// behind two round robins (API and content origins, the nodes' public and content URLs), so a
// suite's requests, the browser's included, alternate between the nodes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRoundRobin } from './rrproxy.mjs';

export const BIN = process.env.SCOLAR_BIN || new URL('../../build/lrs/scolar', import.meta.url).pathname;
export const SHARED = process.env.SHARED_DIR || new URL('../../../shared', import.meta.url).pathname;
export const ADMIN_KEY = 'test-admin';
export const ADMIN_SECRET = 'test-secret-with:colon';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'scolar-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const PG_URL = process.env.SCOLAR_TEST_PG || '';
export const ON_PG = process.env.SCOLAR_TEST_BACKEND === 'pg';
const PG_TOOL = fileURLToPath(new URL('../../tools/pg-throwaway.sh', import.meta.url));

// The URL of a new, empty database on the cluster of SCOLAR_TEST_PG.
export function newPgStore() {
  if (!PG_URL) throw new Error('no PostgreSQL: SCOLAR_TEST_PG is unset (tools/test.sh starts a cluster)');
  const t0 = Date.now();
  const r = spawnSync(PG_TOOL, ['newdb', PG_URL], { encoding: 'utf8', timeout: 30000 });
  afterBlocking(t0);
  if (r.status !== 0) throw new Error(`pg-throwaway.sh newdb: ${r.stderr}`);
  return r.stdout.trim();
}

// SCOLAR_TEST_BACKEND=pg: the database of a data directory (made at its first use).
const pgStores = new Map();
export function storeFor(dataDir) {
  if (!pgStores.has(dataDir)) pgStores.set(dataDir, newPgStore());
  return pgStores.get(dataDir);
}

// One SQL statement on a PostgreSQL store (psql of Debian's postgresql-client): its rows, one a
// line, fields joined by '|' (psql -At). Throws with psql's message on an error.
export function psql(url, sql) {
  const t0 = Date.now();
  const r = spawnSync('psql', ['-qAt', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    { encoding: 'utf8', timeout: 30000 });
  afterBlocking(t0);
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}

// Where a server keeps course content (scorm/scorm_content.h): the files under
// DATA/content/<course>/<version>/ of an LMDB data directory, rows of the table `content` of a
// PostgreSQL store, keyed "<course>\x1f<version>\x1f<path>" (scorm_content_db.c).
// contentHas(srv, course[, version[, path]]): that course (version, file) has content.
export function contentHas(srv, course, version, path) {
  if (!srv.store) {
    const parts = [srv.dataDir, 'content', course];
    if (version !== undefined) parts.push(String(version));
    if (path !== undefined) parts.push(path);
    return existsSync(join(...parts));
  }
  let key = `${course}\x1f`;
  if (version !== undefined) key += `${version}\x1f`;
  if (path !== undefined) key += path;
  const hex = Buffer.from(key).toString('hex');
  const cond = path !== undefined ? `k = '\\x${hex}'::bytea`
    : `substring(k from 1 for ${hex.length / 2}) = '\\x${hex}'::bytea`;
  return Number(psql(srv.store, `SELECT count(*) FROM scolar_kv WHERE tbl = 'content' AND ${cond}`)) > 0;
}

// The courses with content, sorted.
export function contentCourses(srv) {
  if (!srv.store) {
    const d = join(srv.dataDir, 'content');
    return existsSync(d) ? readdirSync(d).filter((n) => !n.startsWith('.')).sort() : [];
  }
  const out = psql(srv.store, "SELECT DISTINCT convert_from(substring(k from 1 for position('\\x1f'::bytea in k) - 1), 'UTF8') " +
    "FROM scolar_kv WHERE tbl = 'content'");
  return out ? out.split('\n').sort() : [];
}

export function basic(key, secret) {
  return 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');
}

export const ADMIN_AUTH = basic(ADMIN_KEY, ADMIN_SECRET);

// A synchronous child process blocks the event loop: a keep-alive connection that the server
// closed meanwhile (civetweb's 5 s keep-alive; fetch's own idle timer of 4 s could not run) is
// still in fetch's pool, and the next request on it fails with "other side closed". After a
// call that blocked for a while, fetch gets a new pool (the old one closes its idle sockets).
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');
function afterBlocking(t0) {
  const d = globalThis[DISPATCHER];
  if (Date.now() - t0 >= 500 && d && typeof d.constructor === 'function') globalThis[DISPATCHER] = new d.constructor();
}

// Run the CLI synchronously; returns {status, stdout, stderr}.
export function cli(args, opts = {}) {
  const extra = {};
  const d = args.indexOf('--data');
  if (ON_PG && d >= 0 && args[d + 1] && !args.includes('--store')) extra.SCOLAR_STORE = storeFor(args[d + 1]);
  const t0 = Date.now();
  const r = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ...extra, ...(opts.env || {}) },
    input: opts.input,
    timeout: opts.timeout || 60000,
  });
  afterBlocking(t0);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

// fetch over HTTPS trusting only the certificate authority `ca` (PEM): Node's fetch takes no CA
// option. Resolves to what the tests read of a fetch Response: status, headers (a Headers), text().
export function httpsFetch(url, { method = 'GET', headers = {}, body } = {}, ca) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: h, ok: res.statusCode < 300, tls: res.socket.getProtocol?.(),
          text: async () => buf.toString('utf8'), json: async () => JSON.parse(buf.toString('utf8')) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitHealthy(base, proc, ms = 20000, fetch = globalThis.fetch) {
  const t0 = Date.now();
  let exited = null;
  proc.once('exit', (code) => { exited = code; });
  while (Date.now() - t0 < ms) {
    if (exited !== null) throw new Error(`scolar serve exited with ${exited} before it was healthy`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('scolar serve did not become healthy in time');
}

// Start a server. opts: {dataDir, store, env, args, keepData, tlsCa}; with tlsCa (PEM of the CA
// that signed the --tls-cert in args) both origins are https and srv.fetch trusts that CA only;
// with store (a PostgreSQL URL) the store is that database and dataDir the node's own folder.
export async function startServer(opts = {}) {
  if (ON_PG && process.env.SCOLAR_TEST_NODES === '2' && !opts.node) return startPair(opts);
  // A free port can be taken by another process (a test running beside this one, a client's
  // ephemeral port) between freePort() and scolar's bind: start again on other ports then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      if (attempt >= 4 || !/scolar: cannot listen on 127\.0\.0\.1:\d+/.test(e.message)) throw e;
    }
  }
}

async function startOnce(opts) {
  const dataDir = opts.dataDir || tempDir();
  const store = opts.store || (ON_PG ? storeFor(dataDir) : '');
  const port = await freePort();
  const cport = await freePort();
  const env = {
    ...process.env,
    SCOLAR_ADMIN_KEY: ADMIN_KEY,
    SCOLAR_ADMIN_SECRET: ADMIN_SECRET,
    ...(opts.env || {}),
  };
  const args = ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`,
    '--content-listen', `127.0.0.1:${cport}`, ...(store ? ['--store', store] : []),
    ...(opts.args || [])];
  const proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', closed = false;
  proc.once('close', () => { closed = true; });
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const scheme = opts.tlsCa ? 'https' : 'http';
  const base = `${scheme}://127.0.0.1:${port}`;
  const content = `${scheme}://127.0.0.1:${cport}`;
  const fetch = opts.tlsCa ? (url, o) => httpsFetch(url, o, opts.tlsCa) : globalThis.fetch;
  try {
    await waitHealthy(base, proc, 20000, fetch);
  } catch (e) {
    proc.kill('SIGKILL');
    // all of its output (the reason it exited) before the error is made of it
    if (!closed) await new Promise((r) => { proc.once('close', r); setTimeout(r, 2000); });
    throw new Error(`${e.message}\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  const srv = {
    base, content, port, cport, dataDir, store, proc, fetch,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    // Stop with a signal and resolve with the exit code (or the signal name).
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          if (proc.exitCode !== 0 && proc.signalCode !== 'SIGKILL') console.error(`scolar serve had exited with ${proc.exitCode ?? proc.signalCode}; its stderr:\n${stderr.slice(-20000)}`);
          resolve(proc.exitCode ?? proc.signalCode);
          return;
        }
        proc.once('exit', (code, sig) => {
          if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
          // a crash or sanitizer report: show the server's stderr with the failing test
          if (code !== 0 && signal !== 'SIGKILL') console.error(`scolar serve exited with ${code ?? sig}; its stderr:\n${stderr.slice(-20000)}`);
          resolve(code ?? sig);
        });
        proc.kill(signal);
      });
    },
    req: makeReq(base, fetch),
  };
  return srv;
}

// fetch relative to the API origin base with admin auth and the xAPI version header by default
function makeReq(base, fetch) {
  return async function req(method, path, { body, headers = {}, auth = ADMIN_AUTH, version = '1.0.3', raw = false } = {}) {
      const h = { ...headers };
      if (auth) h.Authorization = auth;
      if (version && path.startsWith('/xapi/')) h['X-Experience-API-Version'] = version;
      let payload = body;
      if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array) && !Buffer.isBuffer(body)) {
        payload = JSON.stringify(body);
        if (!h['Content-Type']) h['Content-Type'] = 'application/json';
      }
      const r = await fetch(base + path, { method, headers: h, body: payload });
      const text = raw ? null : await r.text();
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: r.status, headers: r.headers, text, json, res: r };
  };
}

// SCOLAR_TEST_NODES=2: two nodes on the data directory's database, node A with the data
// directory as its folder, behind a round robin on each origin; the nodes' public and content
// URLs are the round robins', so launch links and the player's requests go through them too.
async function startPair(opts) {
  const dataDir = opts.dataDir || tempDir();
  const store = opts.store || storeFor(dataDir);
  const papi = await freePort(), pcontent = await freePort();
  const urls = ['--public-url', `http://127.0.0.1:${papi}`, '--content-url', `http://127.0.0.1:${pcontent}`];
  const a = await startServer({ ...opts, dataDir, store, node: true, keepData: true, args: [...(opts.args || []), ...urls] });
  let b;
  try {
    b = await startServer({ ...opts, dataDir: undefined, store, node: true, args: [...(opts.args || []), ...urls] });
  } catch (e) {
    await a.stop('SIGKILL');
    throw e;
  }
  const rapi = await startRoundRobin([a.base, b.base], { port: papi });
  const rcontent = await startRoundRobin([a.content, b.content], { port: pcontent });
  return {
    base: rapi.base, content: rcontent.base, port: papi, cport: pcontent, dataDir, store, proc: a.proc,
    fetch: globalThis.fetch, nodes: [a, b], counts: [rapi.counts, rcontent.counts],
    get stdout() { return a.stdout + b.stdout; },
    get stderr() { return a.stderr + b.stderr; },
    async stop(signal = 'SIGTERM') {
      console.log(`two nodes: requests per node: API origin ${rapi.counts.join(' / ')}, content origin ${rcontent.counts.join(' / ')}`);
      await rapi.close();
      await rcontent.close();
      const [ra] = await Promise.all([a.stop(signal), b.stop(signal)]);
      if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return ra;
    },
    req: makeReq(rapi.base, globalThis.fetch),
  };
}

// n servers on one PostgreSQL database (opts.store, or a new one), each with its own folder,
// started one after the other (the first creates the admin credential). Resolves to
// {store, nodes, stop()}.
export async function startNodes(n = 2, opts = {}) {
  const store = opts.store || newPgStore();
  const nodes = [];
  try {
    for (let i = 0; i < n; i++) nodes.push(await startServer({ ...opts, store, dataDir: undefined, node: true }));
  } catch (e) {
    await Promise.all(nodes.map((s) => s.stop('SIGKILL')));
    throw e;
  }
  return { store, nodes, stop: (signal) => Promise.all(nodes.map((s) => s.stop(signal))) };
}
