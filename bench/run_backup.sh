#!/usr/bin/env bash
# Backup under ingest (issue 18): a store of N statements (bench_store fills it), `scolar serve`
# on it with bench_http posting batches; the ingest rate over a window without a backup, then
# over the run of `scolar backup` (duration, size), read from /metrics (scolar_statements_stored).
# Appends to bench/results/backup.md.
#   bench/run_backup.sh [statements] [clients]
source "$(dirname "$0")/lib.sh"
n=${1:-1000000}
clients=${2:-8}
work=$(mktemp -d /tmp/scolar-bench-backup-XXXXXX)
port=18580; cport=18581
trap 'kill ${server_pid:-} ${lpid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
fill_t0=$(date +%s.%N)
build-release/bench/bench_store 0 0 "$n" "$work/data" >"$work/fill.txt"
fill_s=$(echo "$(date +%s.%N) - $fill_t0" | bc)
serve "$work/data" $port $cport
stored() {
  curl -s -u bench:bench http://127.0.0.1:$port/metrics | awk '$1 == "scolar_statements_stored" {print $2}'
}
"$load" --url http://127.0.0.1:$port/xapi --user bench --pass bench --mode post --clients "$clients" \
  --batch 100 --seconds 600 >"$work/load.txt" 2>&1 &
lpid=$!
sleep 5 # warm up
a=$(stored); t0=$(date +%s.%N)
sleep 10
b=$(stored); t1=$(date +%s.%N)
base=$(echo "($b - $a) / ($t1 - $t0)" | bc -l)
c=$(stored); t2=$(date +%s.%N)
"$bin" backup "$work/backup" --data "$work/data" >/dev/null
t3=$(date +%s.%N); d=$(stored)
during=$(echo "($d - $c) / ($t3 - $t2)" | bc -l)
dur=$(echo "$t3 - $t2" | bc -l)
kill $lpid 2>/dev/null || true
wait $lpid 2>/dev/null || true
src_mb=$(du -sm "$work/data/store.mdb" | cut -f1)
dst_mb=$(du -sm "$work/backup/store.mdb" | cut -f1)
kill $server_pid
wait $server_pid 2>/dev/null || true
"$bin" check --data "$work/backup" >"$work/check.txt" 2>&1 && chk=ok || chk=FAILED
in_backup=$(sed -n 's/^statements: \([0-9]*\) stored.*/\1/p' "$work/check.txt")
{
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%MZ) bench/run_backup.sh $n $clients ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| store filled by bench_store | $n statements in $(printf %.0f "$fill_s") s |"
  echo "| store.mdb / backup store.mdb | $src_mb MiB / $dst_mb MiB (compacted) |"
  printf '| scolar backup duration | %.1f s |\n' "$dur"
  printf '| ingest without backup (%d clients x 100) | %.0f statements/s |\n' "$clients" "$base"
  printf '| ingest during the backup | %.0f statements/s (%.0f%%) |\n' "$during" "$(echo "100 * $during / $base" | bc -l)"
  echo "| scolar check of the backup | $chk ($in_backup statements) |"
} | tee -a bench/results/backup.md
