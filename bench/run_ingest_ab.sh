#!/usr/bin/env bash
# Ingest with and without the report bookkeeping (issue 14: "ingest figures do not drop more
# than 10%"): the scolar half of bench/run_ingest.sh (same load client and workloads: POST
# batches of 100 from 8 clients, single statements from 32 clients, GET agent+verb) against
# two release binaries, interleaved ROUNDS times so that the shared machine's load falls on
# both alike. BASE is a release build of the commit before the bookkeeping.
#   BASE=/path/to/base/scolar bench/run_ingest_ab.sh [seconds-per-run=10] [rounds=2]
# LABEL_BASE / LABEL_NEW name the two builds in the table (other A/B comparisons).
source "$(dirname "$0")/lib.sh"
secs=${1:-10}
rounds=${2:-2}
base_bin=${BASE:?set BASE to the scolar binary without the bookkeeping}
port=18590; cport=18591
agent=$(python3 -c 'import urllib.parse,json;print(urllib.parse.quote(json.dumps({"mbox":"mailto:learner7@example.com"})))')
q="agent=$agent&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fv7&limit=100"
rate() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
one() { # LABEL BINARY
  local data pid b s g
  data=$(mktemp -d /tmp/scolar-ab-XXXXXX)
  SCOLAR_ADMIN_KEY=bench SCOLAR_ADMIN_SECRET=bench SCOLAR_LOG_LEVEL=warn \
    "$2" serve --data "$data" --listen 127.0.0.1:$port --content-listen 127.0.0.1:$cport >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  b=$("$load" --url http://127.0.0.1:$port/xapi --user bench --pass bench --mode post --clients 8 --batch 100 --seconds "$secs")
  s=$("$load" --url http://127.0.0.1:$port/xapi --user bench --pass bench --mode post --clients 32 --batch 1 --seconds "$secs")
  g=$("$load" --url http://127.0.0.1:$port/xapi --user bench --pass bench --mode get --clients 8 --query "$q" --seconds "$secs")
  echo "| $1 | $(rate "$b" stmts_per_s) | $(rate "$s" stmts_per_s) | $(rate "$g" req_per_s) | $(( $(kb RssAnon $pid) / 1024 )) MiB |"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$data"
}
echo "| build | POST batches of 100, 8 clients (stmts/s) | POST single, 32 clients (stmts/s) | GET agent+verb, 8 clients (req/s) | RssAnon after |"
echo "|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  one "${LABEL_BASE:-without reports} (round $r)" "$base_bin"
  one "${LABEL_NEW:-with reports} (round $r)" "$bin"
done
