#!/usr/bin/env bash
# Instructions per SCORM commit (work, not time: the machine is shared): bench/bench_commit.mjs
# against `scolar serve` of the release build under valgrind --tool=callgrind, LEARNERS learners
# each sending COMMITS commits back to back (BENCH_COMMITS), counters zeroed after the setup and
# dumped after the phase. Prints instructions per commit of the whole server (every thread; the
# kernel's work, fsync included, is not counted) and leaves the profile in OUT.1
# (callgrind_annotate shows where they go).
#   [BIN=path/to/scolar] bench/run_commit_instr.sh [learners=20] [commits=20] [out]
source "$(dirname "$0")/lib.sh"
learners=${1:-20}
commits=${2:-20}
out=${3:-/tmp/scolar-commit-callgrind.out}
server=$(realpath "${BIN:-$bin}")
rm -f "$out" "$out".*
wrap=$(mktemp /tmp/scolar-cg-XXXXXX.sh)
mark=$wrap.on
trap 'rm -f "$wrap" "$mark"' EXIT
# plain until bench_commit.mjs creates $mark; 64 workers: valgrind runs at most 500 threads
printf '#!/bin/sh\n[ -e %s ] || exec %s "$@"\nSCOLAR_THREADS=64 exec valgrind --tool=callgrind --callgrind-out-file=%s %s "$@" 2>/dev/null\n' \
  "$mark" "$server" "$out" "$server" >"$wrap"
chmod +x "$wrap"
SCOLAR_BIN=$wrap BENCH_COMMITS=$commits BENCH_CALLGRIND=$mark node bench/bench_commit.mjs "$learners" 600 0 |
  head -1
dump=$(ls "$out".* | sort -t. -k2 -n | head -1)
ir=$(awk '/^summary:/{print $2}' "$dump")
n=$((learners * commits))
echo "profile $dump: $ir instructions for $n commits: $((ir / n)) per commit"
