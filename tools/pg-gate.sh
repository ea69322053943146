#!/bin/sh
# Runs a test that needs PostgreSQL (issue 19), or reports it as not run:
#   tools/pg-gate.sh exitcode|tap COMMAND [ARGS...]
# tools/test.sh starts a throwaway cluster (tools/pg-throwaway.sh) and exports its URL as
# SCOLAR_TEST_PG. Without it the test is skipped the way its meson protocol says (exit 77, or
# the TAP plan "1..0 # SKIP"), so that tools/test.sh names it among the skipped; with CI=true
# PostgreSQL is required and its absence fails the test.
proto=$1
shift
if [ -n "${SCOLAR_TEST_PG:-}" ]; then
  exec "$@"
fi
if [ "${CI:-}" = true ]; then
  echo "no PostgreSQL (SCOLAR_TEST_PG unset), and CI=true requires it" >&2
  [ "$proto" = tap ] && echo "1..1" && echo "not ok 1 - PostgreSQL available (CI=true)"
  exit 1
fi
if [ "$proto" = tap ]; then
  echo "1..0 # SKIP needs PostgreSQL (SCOLAR_TEST_PG; tools/test.sh starts one)"
  exit 0
fi
echo "not run: needs PostgreSQL (SCOLAR_TEST_PG)"
exit 77
