#!/usr/bin/env bash
# Migration benchmark (issue 17): a scolar source holding N statements (default 100,000,
# posted by 8 clients in batches of 100), then `scolar migrate --from` it into a fresh data
# directory, R times (default 3), each into a new directory. Prints the summary lines and the
# statements/s of each run (copy the output into bench/results/forward.md).
#   bench/run_migrate.sh [statements] [runs]
source "$(dirname "$0")/lib.sh"
want=${1:-100000}
runs=${2:-3}
d_src=$(mktemp -d /tmp/scolar-mig-XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$d_src" /tmp/scolar-mig-dst-$$-*' EXIT

serve "$d_src" 18482 18483; pids+=("$server_pid")
have=0
while [ "$have" -lt "$want" ]; do # bench_http counts the statements the server acknowledged
  out=$("$load" --url http://127.0.0.1:18482/xapi --user bench --pass bench --mode post \
    --clients 8 --batch 100 --seconds 3)
  have=$((have + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["statements"])' "$out")))
done
echo "source: $have statements; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# MIGRATE_AB=/path/to/another/scolar: each run migrates with both binaries, alternating which
# goes first (the source server stays this tree's)
for i in $(seq "$runs"); do
  order=("$bin")
  if [ -n "${MIGRATE_AB:-}" ]; then
    if [ $((i % 2)) = 1 ]; then order=("$bin" "$MIGRATE_AB"); else order=("$MIGRATE_AB" "$bin"); fi
  fi
  for b in "${order[@]}"; do
    d=/tmp/scolar-mig-dst-$$-$i
    mkdir -p "$d"
    echo -n "$b: "
    ${MIGRATE_WRAP:-} "$b" migrate --from http://127.0.0.1:18482/xapi/ --key bench --secret bench \
      --data "$d" --no-documents 2>&1 | tail -"${MIGRATE_TAIL:-1}"
    rm -rf "$d"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
