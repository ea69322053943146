// SPDX-License-Identifier: Apache-2.0
// Two scolar nodes on one PostgreSQL database behind a round robin on each origin (lib/server.mjs
// startServer with SCOLAR_TEST_BACKEND=pg SCOLAR_TEST_NODES=2), for running ADL's cmi5 LMS test
// suite against them (docs/cmi5.md):
//   SCOLAR_TEST_PG=URL node conformance_tests/cmi5/nodes.mjs > urls.env &   (prints the
//   SCOLAR_URL/KEY/SECRET lines once healthy; SIGTERM stops the nodes and prints each node's
//   request counts on stderr), then conformance_tests/cmi5/run.sh with those variables.
process.env.SCOLAR_TEST_BACKEND = 'pg';
process.env.SCOLAR_TEST_NODES = '2';
const { startServer, ADMIN_KEY, ADMIN_SECRET } = await import('../lib/server.mjs');
const s = await startServer();
process.stdout.write(`SCOLAR_URL=${s.base}\nSCOLAR_KEY=${ADMIN_KEY}\nSCOLAR_SECRET='${ADMIN_SECRET}'\n`);
const stop = async () => {
  const log = console.log;
  console.log = (...a) => console.error(...a); // the request counts, on stderr
  await s.stop();
  console.log = log;
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
