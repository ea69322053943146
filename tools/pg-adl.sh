#!/usr/bin/env bash
# The ADL LRS conformance suite on PostgreSQL (issue 19 "Done when"): against one node, then
# against two nodes on one database behind the round robin of conformance_tests/lib/rrproxy.mjs,
# for each xAPI version given. The suite is checked out and installed outside the project
#   (git clone https://github.com/adlnet/lrs-conformance-test-suite DIR && cd DIR && npm install)
#   tools/pg-adl.sh DIR [BUILD] [VERSION...]     e.g. tools/pg-adl.sh /work/ext/lrs-conformance build-rel 1.0.3 2.0.0
# Starts a throwaway cluster (tools/pg-throwaway.sh) and a new database per run; prints one
# summary line per run ({"total","passed","failed","version"} as the suite prints it) and
# exits 1 when a run has a failure or no summary.
set -uo pipefail
cd "$(dirname "$0")/.."
suite=${1:?usage: tools/pg-adl.sh SUITE_DIR [BUILD] [VERSION...]}
build=${2:-build-rel}
shift $(( $# >= 2 ? 2 : 1 ))
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(1.0.3 2.0.0)
bin=$(pwd)/$build/lrs/scolar
rr=$(pwd)/conformance_tests/lib/rrproxy.mjs
[ -x "$bin" ] || { echo "pg-adl: no $bin (ninja -C $build)" >&2; exit 1; }
work=$(mktemp -d /tmp/scolar-adl-XXXXXX)
pg=$(tools/pg-throwaway.sh start) || exit 1
stop_all() { # every process this script started (pids file), then wait for them
  [ -f "$work/pids" ] && while read -r p; do kill "$p" 2>/dev/null; done <"$work/pids"
  rm -f "$work/pids"
  wait 2>/dev/null
}
trap 'stop_all; tools/pg-throwaway.sh stop "$pg"; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_node() { # start_node DIR STORE: start a node, print its base URL
  local p c
  p=$(port); c=$(port)
  SCOLAR_LOG_LEVEL=warn SCOLAR_ADMIN_KEY=adl SCOLAR_ADMIN_SECRET=adl-secret \
    "$bin" serve --store "$2" --data "$1" --listen 127.0.0.1:"$p" --content-listen 127.0.0.1:"$c" \
    >"$1.log" 2>&1 &
  echo $! >>"$work/pids"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
  echo "http://127.0.0.1:$p"
}

fail=0
for v in "${versions[@]}"; do
  for n in 1 2; do
    db=$(tools/pg-throwaway.sh newdb "$pg")
    a=$(start_node "$work/a-$v-$n" "$db")
    url=$a
    if [ "$n" = 2 ]; then
      b=$(start_node "$work/b-$v-$n" "$db")
      rp=$(port)
      node "$rr" "$rp" "$a" "$b" >"$work/rr.log" 2>&1 &
      echo $! >>"$work/pids"
      sleep 1
      url=http://127.0.0.1:$rp
    fi
    log=$work/adl-$v-$n.log
    (cd "$suite" && timeout 1200 node bin/console_runner.js -e "$url/xapi" -a -u adl -p adl-secret -x "$v" >"$log" 2>&1)
    sum=$(grep '^{"total"' "$log" | tail -1)
    took=$(grep -o 'Tests completed in [0-9.]* seconds' "$log")
    echo "xAPI $v, $n node(s) on PostgreSQL: ${sum:-no summary} ${took}"
    case "$sum" in *'"failed":0'*) ;; *) fail=1; tail -20 "$log" ;; esac
    stop_all
  done
done
exit $fail
