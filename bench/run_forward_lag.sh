#!/usr/bin/env bash
# Forwarding lag during sustained ingest (issue 17): a scolar source with one forwarder (no
# filter) to a second scolar on the same machine; 8 clients post batches of 100 to the source
# for S seconds (default 30) while GET /api/forwarders/1 is sampled every second (queued,
# lag_s, sent); then the time until the queue is empty. One round per mode: "on" (back-pressure
# with the defaults: ingest waits while the forwarder's lag is over 2 s, lrs/fwd_admit.c) and
# "off" (SCOLAR_FORWARD_MAX_LAG_MS=0: ingest never waits). Prints the samples, a summary line
# per round with the source's ingest rate, and the CPU time of both servers.
#   bench/run_forward_lag.sh [seconds] [forwarder JSON options, e.g. '"concurrency":1'] [modes]
source "$(dirname "$0")/lib.sh"
secs=${1:-30}
extra=${2:-}
modes=${3:-on off}
status() { curl -s -u bench:bench http://127.0.0.1:18471/api/forwarders/1; }
cpu() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$1/stat"; } # user+system seconds

pids=(); dirs=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; rm -rf "${dirs[@]}"; pids=(); dirs=(); }
trap cleanup EXIT

round() {
  local mode=$1 d_src d_dst samples flag post t_ingest t_drained sampler
  d_src=$(mktemp -d /tmp/scolar-lag-XXXXXX); d_dst=$(mktemp -d /tmp/scolar-lag-XXXXXX)
  dirs+=("$d_src" "$d_dst")
  serve "$d_dst" 18472 18473; dst_pid=$server_pid; pids+=("$server_pid")
  if [ "$mode" = off ]; then
    SCOLAR_FORWARD_MAX_LAG_MS=0 serve "$d_src" 18471 18474
  else
    serve "$d_src" 18471 18474
  fi
  src_pid=$server_pid; pids+=("$src_pid")
  local before; before=$(ls /proc/"$src_pid"/task | sort)
  curl -sf -u bench:bench -H 'Content-Type: application/json' -d \
    "{\"url\":\"http://127.0.0.1:18472/xapi/\",\"auth\":{\"key\":\"bench\",\"secret\":\"bench\"}${extra:+,$extra}}" \
    http://127.0.0.1:18471/api/forwarders >/dev/null
  # the threads the forwarder started: its sender and the flusher of delivered rows
  fwd_tids=$(comm -13 <(echo "$before") <(ls /proc/"$src_pid"/task | sort) | tr '\n' ' ')
  samples=$(mktemp); flag=$(mktemp)
  # sampler: every second until ingest is over ($flag removed) and the queue is empty
  ( t0=$(date +%s.%N)
    while :; do
      sleep 1
      phase=drain; [ -e "$flag" ] && phase=ingest
      line=$(status | python3 -c 'import json,sys,time; t0=float(sys.argv[1]); s=json.load(sys.stdin)["status"]; print("%.1f" % (time.time() - t0), s["queued"], s["lag_s"], s["sent"])' "$t0")
      echo "$line $phase"
      [ "$phase" = drain ] && [ "$(echo "$line" | cut -d' ' -f2)" = 0 ] && break
      [ "${line%% *}" \> 900 ] && break
    done ) >"$samples" &
  sampler=$!
  echo "load average before the round ($mode): $(cut -d' ' -f1-3 /proc/loadavg)"
  post=$("$load" --url http://127.0.0.1:18471/xapi --user bench --pass bench --mode post \
    --clients 8 --batch 100 --seconds "$secs")
  t_ingest=$(date +%s.%N)
  rm -f "$flag"
  wait $sampler || true
  t_drained=$(date +%s.%N)
  echo "t_s queued lag_s sent phase"
  cat "$samples"
  python3 - "$samples" "$post" "$t_ingest" "$t_drained" "$secs" "${extra:-default options}" "$mode" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ing = [(float(r[0]), int(r[1]), float(r[2])) for r in rows if r[4] == "ingest"]
post = json.loads(sys.argv[2]); ti, td = float(sys.argv[3]), float(sys.argv[4])
win = {}
for t, q, lag in ing:
    k = int(t // 5)
    win[k] = max(win.get(k, 0), lag)
print(f"back-pressure {sys.argv[7]}, forwarder ({sys.argv[6]}): ingest {post['stmts_per_s']:.0f} "
      f"statements/s for {sys.argv[5]} s ({post['statements']} statements, p50/p99 "
      f"{post.get('p50_ms', 0):.0f}/{post.get('p99_ms', 0):.0f} ms); during ingest: max lag "
      f"{max(l for _, _, l in ing):.2f} s, max queue {max(q for _, q, _ in ing)}, max lag per 5 s: "
      + " ".join(f"{win[k]:.1f}" for k in sorted(win))
      + f"; queue empty {td - ti:.1f} s after ingest stopped")
PY
  rm -f "$samples" "$flag"
  echo "CPU seconds (user+system): source $(cpu "$src_pid"), target $(cpu "$dst_pid")"
  local fwd_s=0 tid sent
  for tid in $fwd_tids; do
    fwd_s=$(awk -v a="$fwd_s" '{printf "%.2f", a + ($14 + $15) / 100}' "/proc/$src_pid/task/$tid/stat")
  done
  sent=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["sent"])')
  echo "forwarder threads (sender, flusher): $fwd_s s CPU for $sent statements sent:" \
    "$(python3 -c "import sys; print('%.2f' % ($fwd_s * 1e6 / max($sent, 1)))") us per statement"
  curl -s -u bench:bench http://127.0.0.1:18471/metrics | grep -E '^scolar_forward_ingest' || true
  echo "load average after the round ($mode): $(cut -d' ' -f1-3 /proc/loadavg)"
  cleanup
}

for m in $modes; do round "$m"; done
