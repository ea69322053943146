#!/usr/bin/env bash
# Install what is missing, build with ASan+UBSan and warnings as errors, run every suite
# (unit, statements, scorm, http, browser, fuzz replay), check formatting, and end with one
# line "N passed, M failed, K skipped". Exit non-zero on any failure.
#   tools/test.sh [meson test args...]   e.g. tools/test.sh --suite unit
# The suites that need the third-party SCORM corpus (../shared/scorm-packages; run through
# tools/corpus-gate.sh) are an extended suite: without the corpus they are skipped and named
# below the final line's counts; with CI=true the corpus is required (its absence fails them).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${SCOLAR_TEST_BUILD:-build-test}

tools/deps.sh --test || { echo "tools/test.sh: dependency install failed"; echo "0 passed, 1 failed"; exit 1; }
# npm ci when node_modules is missing or older than the lock file (a merge that added a package)
if [ -f conformance_tests/package.json ] && { [ ! -d conformance_tests/node_modules ] ||
  [ conformance_tests/package-lock.json -nt conformance_tests/node_modules/.package-lock.json ]; }; then
  (cd conformance_tests && npm ci --no-audit --no-fund --loglevel=error) ||
    { echo "tools/test.sh: npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi

t0=$(date +%s)
if [ -d "$build" ]; then
  meson setup --reconfigure "$build" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dwerror_tests=true -Dbuildtype=debug >/dev/null
else
  meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror_tests=true \
    -Dbuildtype=debug >/dev/null
fi || { echo "tools/test.sh: meson setup failed"; echo "0 passed, 1 failed"; exit 1; }
if ! ninja -C "$build"; then
  echo "tools/test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
t1=$(date +%s)
echo "tools/test.sh: build took $((t1 - t0)) s"

if [ ! -d "$root/../shared/scorm-packages" ]; then
  if [ "${CI:-}" = true ]; then
    echo "tools/test.sh: CI=true and the SCORM corpus ../shared/scorm-packages is missing: its suites fail"
  else
    echo "tools/test.sh: no ../shared/scorm-packages: the corpus suites are reported as not run"
  fi
fi
# A throwaway PostgreSQL cluster for the tests of the PostgreSQL backend (issue 19): its URL in
# SCOLAR_TEST_PG, stopped and removed when this script ends; each test makes its own databases
# on it. Every suite that touches the store runs on it too, as <name>_pg (docs/postgresql.md,
# "Tests"); with the *_nodes, *_2nodes and copy tests they are the suite 'pg'
# (`tools/test.sh --suite pg`). When it cannot start, those tests are skipped by name
# (tools/pg-gate.sh), or fail with CI=true.
if [ -z "${SCOLAR_TEST_PG:-}" ]; then
  if pg_url=$(tools/pg-throwaway.sh start 2>/tmp/scolar-pg-start.$$); then
    export SCOLAR_TEST_PG=$pg_url
    trap 'tools/pg-throwaway.sh stop "$SCOLAR_TEST_PG"' EXIT
    echo "tools/test.sh: throwaway PostgreSQL at $SCOLAR_TEST_PG"
  else
    echo "tools/test.sh: no PostgreSQL ($(tail -1 /tmp/scolar-pg-start.$$)): its tests are reported as not run"
  fi
  rm -f /tmp/scolar-pg-start.$$
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$root/tools/lsan.supp:print_suppressions=0
# Two tests at a time (a 2-core CI machine): the unit tests and the http/browser suites marked
# parallel in conformance_tests/meson.build run beside each other; the serial ones run alone, last.
meson test -C "$build" --num-processes "${SCOLAR_TEST_JOBS:-2}" --print-errorlogs "$@"
t2=$(date +%s)
echo "tools/test.sh: tests took $((t2 - t1)) s"

fmt_fail=0
files=$(git ls-files '*.c' '*.h')
if [ -n "$files" ] && ! clang-format --dry-run --Werror $files >/dev/null 2>&1; then
  echo "tools/test.sh: clang-format check failed on:"
  for f in $files; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "  $f"; done
  fmt_fail=1
fi

python3 - "$build/meson-logs/testlog.json" "$fmt_fail" <<'PY'
import json, sys
passed = failed = 0
skipped = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    try:
        r = json.loads(line)
    except ValueError:
        failed += 1
        print("FAILED: unreadable test log line:", line[:80])
        continue
    if r.get("result") == "SKIP":
        skipped.append(r.get("name"))
    elif r.get("result") in ("OK", "EXPECTEDFAIL"):
        passed += 1
    else:
        failed += 1
        print("FAILED:", r.get("name"), r.get("result"))
if sys.argv[2] == "1":
    failed += 1
else:
    passed += 1  # the format check
for name in skipped:
    print("NOT RUN:", name)
print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
sys.exit(1 if failed else 0)
PY
