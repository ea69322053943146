#!/usr/bin/env bash
# Forwarding lag during sustained ingest (issue 17): a scolar source with one forwarder (no
# filter) to a second scolar on the same machine; 8 clients post batches of 100 to the source
# for S seconds (default 30) while GET /api/forwarders/1 is sampled every second (queued,
# lag_s, sent); then the time until the queue is empty. Prints the samples and a summary line.
#   bench/run_forward_lag.sh [seconds] [forwarder JSON options, e.g. '"concurrency":1']
source "$(dirname "$0")/lib.sh"
secs=${1:-30}
extra=${2:-}
d_src=$(mktemp -d /tmp/scolar-lag-XXXXXX); d_dst=$(mktemp -d /tmp/scolar-lag-XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$d_src" "$d_dst"' EXIT
status() { curl -s -u bench:bench http://127.0.0.1:18471/api/forwarders/1; }

serve "$d_dst" 18472 18473; dst_pid=$server_pid; pids+=("$server_pid")
serve "$d_src" 18471 18474; src_pid=$server_pid; pids+=("$src_pid")
cpu() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$1/stat"; } # user+system seconds
curl -sf -u bench:bench -H 'Content-Type: application/json' -d \
  "{\"url\":\"http://127.0.0.1:18472/xapi/\",\"auth\":{\"key\":\"bench\",\"secret\":\"bench\"}${extra:+,$extra}}" \
  http://127.0.0.1:18471/api/forwarders >/dev/null
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
post=$("$load" --url http://127.0.0.1:18471/xapi --user bench --pass bench --mode post \
  --clients 8 --batch 100 --seconds "$secs")
t_ingest=$(date +%s.%N)
rm -f "$flag"
wait $sampler || true
t_drained=$(date +%s.%N)
echo "t_s queued lag_s sent phase"
cat "$samples"
python3 - "$samples" "$post" "$t_ingest" "$t_drained" "$secs" "${extra:-default options}" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ing = [(float(r[0]), int(r[1]), float(r[2])) for r in rows if r[4] == "ingest"]
post = json.loads(sys.argv[2]); ti, td = float(sys.argv[3]), float(sys.argv[4])
win = {}
for t, q, lag in ing:
    k = int(t // 5)
    win[k] = max(win.get(k, 0), lag)
print(f"forwarder ({sys.argv[6]}): ingest {post['stmts_per_s']:.0f} statements/s for {sys.argv[5]} s "
      f"({post['statements']} statements); during ingest: max lag {max(l for _, _, l in ing):.2f} s, "
      f"max queue {max(q for _, q, _ in ing)}, max lag per 5 s: "
      + " ".join(f"{win[k]:.1f}" for k in sorted(win))
      + f"; queue empty {td - ti:.1f} s after ingest stopped")
PY
rm -f "$samples" "$flag"
echo "CPU seconds (user+system): source $(cpu "$src_pid"), target $(cpu "$dst_pid")"
curl -s -u bench:bench http://127.0.0.1:18471/metrics | grep -E '^scolar_forward_(ingest|backpressure)' || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
