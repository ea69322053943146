#!/usr/bin/env bash
# Instructions per statement (work, not time: the machine is shared): `scolar serve` of the
# release build under valgrind --tool=callgrind, counters zeroed once /healthz answers, then a
# fixed workload from bench_http (CLIENTS clients x REQUESTS requests x BATCH statements), then
# the counters dumped. Prints instructions per statement of the whole server (every thread:
# HTTP, validation, writer, fsync calls; the kernel's work is not counted) and writes the
# profile to OUT (callgrind_annotate OUT shows where they go).
#   [BIN=path/to/scolar] bench/run_ingest_instr.sh [batch=100] [clients=8] [requests=25] [out]
source "$(dirname "$0")/lib.sh"
batch=${1:-100}
clients=${2:-8}
requests=${3:-25}
out=${4:-/tmp/scolar-callgrind.out}
server=${BIN:-$bin}
port=18790; cport=18791
data=$(mktemp -d /tmp/scolar-instr-XXXXXX)
rm -f "$out" "$out".*
SCOLAR_ADMIN_KEY=bench SCOLAR_ADMIN_SECRET=bench SCOLAR_LOG_LEVEL=warn SCOLAR_THREADS=64 \
  valgrind --tool=callgrind --callgrind-out-file="$out" "$server" serve --data "$data" \
  --listen 127.0.0.1:$port --content-listen 127.0.0.1:$cport >/dev/null 2>"$data.vg" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data" "$data.vg"' EXIT
for _ in $(seq 600); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
# one request first so the credential check's PBKDF2 and first-use caches are not counted
"$load" --url http://127.0.0.1:$port/xapi --user bench --pass bench --mode post --clients 1 \
  --batch "$batch" --requests 1 --seconds 600 >/dev/null
callgrind_control -z $pid >/dev/null
r=$("$load" --url http://127.0.0.1:$port/xapi --user bench --pass bench --mode post \
  --clients "$clients" --batch "$batch" --requests "$requests" --seconds 3600)
callgrind_control -d $pid >/dev/null
kill $pid; wait $pid 2>/dev/null || true
stm=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["statements"])' "$r")
dump=$(ls -t "$out".* 2>/dev/null | head -1)
ir=$(awk '/^summary:/{print $2}' "$dump")
echo "$r"
echo "profile $dump: $ir instructions for $stm statements: $((ir / stm)) per statement"
