#!/usr/bin/env bash
# Course content on both backends (issue 19 step 6, bench/bench_content.c): import, re-import
# of the same package, delete, and reads through scorm_content, LMDB in a fresh folder and
# PostgreSQL in a fresh throwaway cluster (tools/pg-throwaway.sh; fsync and synchronous_commit
# on), same machine.
#   bench/run_content.sh [BUILD_DIR] [N]     (default build-rel, 5 rounds)
# Prints a Markdown table (bench/results/content.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
n=${2:-5}
ninja -C "$build" bench/bench_content >/dev/null
dir=$(mktemp -d /tmp/scolar-bench-content-XXXXXX)
url=$(tools/pg-throwaway.sh start)
trap 'tools/pg-throwaway.sh stop "$url"; rm -rf "$dir"' EXIT
echo "Package: 200 files of 100 KB + one 20 MB file (incompressible, stored), $n rounds, medians."
echo
echo "| backend | import ms | re-import (no new blob) ms | delete ms | open + read 100 KB ms | open + read 20 MB ms | 20 MB: filling the node cache / from it ms |"
echo "|---|---|---|---|---|---|---|"
"$build/bench/bench_content" "$dir/lmdb" "$n"
"$build/bench/bench_content" "$url" "$n"
