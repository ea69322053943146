#!/usr/bin/env bash
# stmt_db.h on both backends (issue 19): put/get/scan throughput, commit latency, grouped
# commits from 8 threads (bench/bench_kv.c), LMDB in a fresh folder and PostgreSQL in a fresh
# throwaway cluster (tools/pg-throwaway.sh; fsync and synchronous_commit on), same machine.
#   bench/run_kv.sh [BUILD_DIR] [N]     (default build-rel, 20000 rows)
# Prints a Markdown table (bench/results/pg.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
n=${2:-20000}
ninja -C "$build" bench/bench_kv >/dev/null
dir=$(mktemp -d /tmp/scolar-bench-kv-XXXXXX)
url=$(tools/pg-throwaway.sh start)
trap 'tools/pg-throwaway.sh stop "$url"; rm -rf "$dir" /tmp/scolar-bench-kv-local' EXIT
echo "| backend | rows | put rows/s (100 per txn) | get/s (100 per read txn) | scan rows/s | one-put commit p50 / p99 ms | grouped commits/s (8 threads) | cursor next rows/s | cursor prev rows/s | seeks of 10 rows/s | range count rows/s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
"$build/bench/bench_kv" "$dir/lmdb" "$n"
"$build/bench/bench_kv" "$url" "$n"
