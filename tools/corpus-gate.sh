#!/bin/sh
# Runs a test that needs the third-party SCORM corpus (../shared/scorm-packages, an extended
# suite: issue 18), or reports it as not run when the corpus is absent:
#   tools/corpus-gate.sh exitcode|tap COMMAND [ARGS...]
# With the corpus (SHARED_DIR/scorm-packages a directory) it runs COMMAND. Without it the test
# is skipped the way its meson protocol says (exit 77, or the TAP plan "1..0 # SKIP"), so that
# tools/test.sh lists it by name in the final line's "skipped" count; when CI=true the corpus is
# required and its absence fails the test.
proto=$1
shift
corpus=${SHARED_DIR:-../shared}/scorm-packages
if [ -d "$corpus" ]; then
  exec "$@"
fi
if [ "${CI:-}" = true ]; then
  echo "the SCORM corpus $corpus is missing, and CI=true requires it" >&2
  [ "$proto" = tap ] && echo "1..1" && echo "not ok 1 - corpus $corpus present (CI=true)"
  exit 1
fi
if [ "$proto" = tap ]; then
  echo "1..0 # SKIP needs the third-party SCORM corpus $corpus"
  exit 0
fi
echo "not run: needs the third-party SCORM corpus $corpus"
exit 77
