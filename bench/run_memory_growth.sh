#!/usr/bin/env bash
# Does memory outside the LMDB map stay flat as the store grows? (issue 3: "process memory
# outside the LMDB map <= 100 MB" with 1,000,000 statements; the fold epochs are meant to bound
# it by the epoch size, not the store size.) Ingests the varied data shape of run_memory.sh
# (10,000 agents, 1,000 activities, 5,000 registrations) over HTTP with 8 clients x batches of
# 100 into one `scolar serve`, and after each further million statements waits until every
# statement is folded (Consistent-Through reaches the present) and reads RssAnon from /proc.
# Writes bench/results/memory_growth.md.
#   bench/run_memory_growth.sh [millions]     (default 3; about 1 GiB of disk per million)
source "$(dirname "$0")/lib.sh"
millions=${1:-3}
port=18494; cport=18495
out=bench/results/memory_growth.md
data=$(mktemp -d /tmp/scolar-bench-growth-XXXXXX)
serve "$data" $port $cport
pid=$server_pid
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
rows=()
n=0
for m in $(seq "$millions"); do
  t0=$(date +%s)
  while [ "$n" -lt $((m * 1000000)) ]; do
    n=$((n + $(ingest $port --agents 10000 --activities 1000 --regs 625)))
    sleep 1 # new generator seed (ids are derived from the time in seconds)
  done
  secs=$(($(date +%s) - t0))
  wait_folded $port
  rows+=("| $n | $(((n - (m - 1) * 1000000) / (secs > 0 ? secs : 1))) | $folded | $(($(kb RssAnon $pid) / 1024)) MiB | $(($(kb VmRSS $pid) / 1024)) MiB | $(du -sm "$data" | cut -f1) MiB |")
done
# Restart on the full store: time until /healthz answers (polled every 0.1 s), and memory.
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
t0=$(date +%s%N)
serve "$data" $port $cport
pid=$server_pid
restart_ms=$((($(date +%s%N) - t0) / 1000000))
restart_anon=$(($(kb RssAnon $pid) / 1024))

{
  echo "# Memory outside the LMDB map as the store grows"
  echo
  echo "Command: \`bench/run_memory_growth.sh $millions\` on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), release"
  echo "build, default configuration (fold epochs of 65,536 statements), data dir in /tmp. One"
  echo "\`scolar serve\`; statements of 10,000 agents, 1,000 activities and 5,000 registrations"
  echo "from \`bench/bench_http.c\`, 8 clients x batches of 100; each row after every statement"
  echo "was folded. Target (issue 3): RssAnon <= 100 MB with 1,000,000 statements."
  echo
  echo "| statements stored | ingest statements/s (incl. 1 s pauses) | all folded | RssAnon (outside the map) | VmRSS | data dir |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Restart (SIGTERM, then \`scolar serve\` on the same data dir): /healthz answers after"
  echo "$restart_ms ms (polled every 100 ms); RssAnon then $restart_anon MiB."
  echo
  echo "RssAnon holds the largest fold's dirty pages (kept by LMDB 0.9.24), bounded by one epoch's"
  echo "index, and the open epoch's 128 KiB Bloom filter (closed epochs' filters are read from the"
  echo "map). VmRSS is mostly the map's pages in the page cache (shared, file-backed, reclaimable)."
} >"$out"
cat "$out"
