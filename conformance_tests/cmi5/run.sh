#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run ADL's cmi5 LMS test suite (CATAPULT lts/, 87 tests) against scolar through our adapter
# (lms.scolar.js). Not part of tools/test.sh: it needs a fetched copy of the suite (outside this
# repository) and its npm packages. docs/cmi5.md.
#
#   conformance_tests/cmi5/run.sh [CATAPULT_DIR] [jest arguments]   (default /work/ext/catapult)
#
# CATAPULT_DIR is a checkout of github.com/adlnet/CATAPULT (e.g. git clone, or the session's
# `fetch` tool then `git --git-dir=... --work-tree=DIR checkout -f HEAD`). The script installs
# lts/'s packages offline-friendly (PUPPETEER_SKIP_DOWNLOAD=1) when missing, builds the test
# packages (webpack 5 under Node >= 17 needs NODE_OPTIONS=--openssl-legacy-provider), and runs
# jest with Debian's chromium. With SCOLAR_URL, SCOLAR_KEY and SCOLAR_SECRET set it tests that
# server; otherwise it starts build-rel/lrs/scolar (or $SCOLAR_BIN) on free ports with a
# temporary data directory and stops it afterwards.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cat_dir=${CATAPULT_DIR:-/work/ext/catapult}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then cat_dir=$1; shift; fi
lts="$cat_dir/lts"
if [ ! -f "$lts/lib/lms.template.js" ]; then
    echo "no CATAPULT checkout at $cat_dir (expected lts/lib/lms.template.js)" >&2
    echo "get one: git clone https://github.com/adlnet/CATAPULT $cat_dir" >&2
    exit 2
fi
if [ ! -d "$lts/node_modules/jest" ]; then
    (cd "$lts" && PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
if [ ! -f "$lts/pkg/dist/001-essentials.zip" ]; then
    (cd "$lts/pkg" && NODE_OPTIONS=--openssl-legacy-provider npx webpack)
fi

server_pid=
data=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$data" ]; then rm -rf "$data"; fi
}
trap cleanup EXIT INT TERM
if [ -z "${SCOLAR_URL:-}" ]; then
    bin=${SCOLAR_BIN:-$root/build-rel/lrs/scolar}
    [ -x "$bin" ] || bin=$root/build/lrs/scolar
    data=$(mktemp -d /tmp/scolar-cmi5-XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    SCOLAR_KEY=cmi5-admin
    SCOLAR_SECRET=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    SCOLAR_ADMIN_KEY=$SCOLAR_KEY SCOLAR_ADMIN_SECRET=$SCOLAR_SECRET \
        "$bin" serve --data "$data" --listen "127.0.0.1:$port" --content-listen "127.0.0.1:$cport" \
        > "$data/serve.log" 2>&1 &
    server_pid=$!
    SCOLAR_URL=http://127.0.0.1:$port
    i=0
    until curl -fs "$SCOLAR_URL/healthz" > /dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "scolar did not start:" >&2; cat "$data/serve.log" >&2; exit 1; }
        sleep 0.1
    done
    export SCOLAR_KEY SCOLAR_SECRET
fi
export SCOLAR_URL
cd "$lts"
CATAPULT_LMS="$here/lms.scolar.js" CATAPULT_LTS_DIR="$lts" \
    JEST_PUPPETEER_CONFIG="$here/jest-puppeteer.config.cjs" \
    npx jest --runInBand "$@" 2>&1 | tee /tmp/cmi5-catapult-last.log | grep -E '^(Tests|Test Suites):|✕|●' || true
grep -E '^Tests:' /tmp/cmi5-catapult-last.log
