#!/usr/bin/env bash
# Ingest and query on PostgreSQL (issue 19 "Speed"): batches of 100 statements from 8 clients
# and agent+verb queries, on LMDB, on one node on PostgreSQL and on two nodes on one database
# (each client sends its requests to the two nodes in turn: bench_http --url2), in the same
# run. PostgreSQL is a throwaway cluster on this machine (tools/pg-throwaway.sh, unix socket,
# fsync and synchronous_commit on). Writes bench/results/pg_ingest.md.
#   bench/run_pg_ingest.sh [seconds-per-run]
# SCOLAR_BENCH_BUILD=DIR uses another build directory (default build-release, built here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${SCOLAR_BENCH_BUILD:-build-release}
[ -d "$build" ] || meson setup "$build" -Dbuildtype=release >/dev/null
ninja -C "$build" -j2 >/dev/null
bin=${SCOLAR_BIN:-$build/lrs/scolar}
load=$build/bench/bench_http
secs=${1:-15}
out=bench/results/pg_ingest.md
work=$(mktemp -d /tmp/scolar-pgbench-XXXXXX)
pids=()
pg=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$pg" ] && tools/pg-throwaway.sh stop "$pg"
  rm -rf "$work"
}
trap cleanup EXIT
pg=$(tools/pg-throwaway.sh start)

# node NAME PORT [--store URL]: a server with its own folder under $work
node() {
  local name=$1 port=$2
  shift 2
  SCOLAR_ADMIN_KEY=bench SCOLAR_ADMIN_SECRET=bench SCOLAR_LOG_LEVEL=warn \
    "$bin" serve --data "$work/$name" --listen 127.0.0.1:"$port" \
    --content-listen 127.0.0.1:$((port + 1)) "$@" >/dev/null 2>>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do curl -sf http://127.0.0.1:"$port"/healthz >/dev/null && return 0; sleep 0.1; done
  echo "run_pg_ingest.sh: node $name did not start:" >&2
  tail -5 "$work/$name.log" >&2
  return 1
}

agent=$(python3 -c 'import urllib.parse,json;print(urllib.parse.quote(json.dumps({"mbox":"mailto:learner7@example.com"})))')
q="agent=$agent&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fv7&limit=100"
# measure LABEL URL [URL2]: one batch run and one query run; appends a table row
rows=""
raw=""
measure() {
  local label=$1 u=$2 u2=${3:-}
  local extra=()
  [ -n "$u2" ] && extra=(--url2 "$u2")
  local b qr
  b=$("$load" --url "$u" "${extra[@]}" --user bench --pass bench --mode post --clients 8 \
    --batch 100 --seconds "$secs")
  qr=$("$load" --url "$u" "${extra[@]}" --user bench --pass bench --mode get --clients 8 \
    --seconds "$secs" --query "$q")
  rows+=$(python3 - "$label" "$b" "$qr" <<'PY'
import json, sys
label, b, q = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"| {label} | {b['stmts_per_s']:.0f} | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} | {b['errors']} "
      f"| {q['req_per_s']:.0f} | {q['p50_ms']:.2f} / {q['p99_ms']:.2f} | {q['errors']} |")
PY
)$'\n'
  raw+="$label batch $b"$'\n'"$label query $qr"$'\n'
}

node lmdb 18600
measure "LMDB, one node" http://127.0.0.1:18600/xapi
db1=$(tools/pg-throwaway.sh newdb "$pg")
node pg1 18610 --store "$db1"
measure "PostgreSQL, one node" http://127.0.0.1:18610/xapi
db2=$(tools/pg-throwaway.sh newdb "$pg")
node pga 18620 --store "$db2"
node pgb 18630 --store "$db2"
measure "PostgreSQL, two nodes (clients alternate)" http://127.0.0.1:18620/xapi http://127.0.0.1:18630/xapi
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
pgv=$("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version)

{
  echo "# Ingest and query on PostgreSQL, one and two nodes (issue 19)"
  echo
  echo "Command: \`bench/run_pg_ingest.sh $secs\` on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), build $build;"
  echo "$pgv, a throwaway cluster on the same machine (unix socket, fsync and synchronous_commit"
  echo "on). Each row: 8 clients posting batches of 100 statements for $secs s, then 8 clients"
  echo "querying agent+verb (limit 100) for $secs s, on a store that starts empty. Two nodes: two"
  echo "\`scolar serve --store\` on one database, each client sending its requests to the two in"
  echo "turn. Load average when the runs ended: $loadavg (the machine is shared: figures are noisy)."
  echo
  echo "| store | batches: stmts/s | batch p50 / p99 ms | errors | queries: req/s | query p50 / p99 ms | errors |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$rows"
  echo
  echo "Target (issue 19): >= 10,000 stmt/s in batches on PostgreSQL."
  echo
  echo "Raw JSON lines (bench/bench_http.c):"
  echo '```'
  printf '%s' "$raw"
  echo '```'
} >"$out"
cat "$out"
