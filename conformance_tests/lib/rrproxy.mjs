// SPDX-License-Identifier: Apache-2.0
// A small round-robin HTTP proxy for the two-node tests (issue 19): every request goes to the
// next node in turn, so consecutive requests of one client (also on one keep-alive connection)
// land on different nodes. The request body is read whole first; when a node refuses the
// connection (it was killed), the request goes to the next node instead: it never reached the
// dead one, so nothing is sent twice. A request a node accepted and then lost is answered 502.
//   const rr = await startRoundRobin(['http://127.0.0.1:A', 'http://127.0.0.1:B']);
//   rr.base, rr.counts (requests per node), await rr.close()
import http from 'node:http';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export function startRoundRobin(bases, { port = 0 } = {}) {
  const targets = bases.map((b) => new URL(b));
  const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: 256 }));
  const counts = targets.map(() => 0);
  let next = 0;

  function forward(req, res, body, tries) {
    const i = next++ % targets.length;
    const t = targets[i];
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    headers['content-length'] = String(body.length);
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers, agent: agents[i] }, (ur) => {
      counts[i]++;
      const h = {};
      for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) h[k] = v;
      res.writeHead(ur.statusCode, h);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
    });
    up.on('error', (e) => {
      if (res.headersSent) { res.destroy(); return; }
      // refused: the node is down and never saw the request; try the next one
      if (e.code === 'ECONNREFUSED' && tries + 1 < targets.length) { forward(req, res, body, tries + 1); return; }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`round robin: node ${t.host}: ${e.code || e.message}`);
    });
    up.end(body);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), 0));
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 30000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = server.address().port;
      resolve({
        base: `http://127.0.0.1:${p}`, port: p, counts,
        close: () => new Promise((r) => { for (const a of agents) a.destroy(); server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

// A standalone round robin (for the ADL suite and bench): node conformance_tests/lib/rrproxy.mjs
// PORT http://127.0.0.1:A http://127.0.0.1:B ...
if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, ...bases] = process.argv.slice(2);
  const rr = await startRoundRobin(bases, { port: Number(port) });
  console.log(`round robin on ${rr.base} -> ${bases.join(' ')}`);
}
