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

serve "$d_dst" 18472 18473; pids+=("$server_pid")
serve "$d_src" 18471 18474; src_pid=$server_pid; pids+=("$src_pid")
curl -sf -u bench:bench -H 'Content-Type: application/json' -d \
  "{\"url\":\"http://127.0.0.1:18472/xapi/\",\"auth\":{\"key\":\"bench\",\"secret\":\"bench\"}${extra:+,$extra}}" \
  http://127.0.0.1:18471/api/forwarders >/dev/null
samples=$(mktemp)
( t0=$(date +%s.%N)
  for _ in $(seq "$secs"); do
    sleep 1
    status | python3 -c 'import json,sys,time; t0=float(sys.argv[1]); s=json.load(sys.stdin)["status"]; print("%.0f" % (time.time() - t0), s["queued"], s["lag_s"], s["sent"])' "$t0"
  done ) >"$samples" &
sampler=$!
post=$("$load" --url http://127.0.0.1:18471/xapi --user bench --pass bench --mode post \
  --clients 8 --batch 100 --seconds "$secs")
t_ingest=$(date +%s.%N)
wait $sampler || true
for _ in $(seq 1200); do
  q=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["queued"])')
  [ "$q" = 0 ] && break
  sleep 0.1
done
t_drained=$(date +%s.%N)
echo "t_s queued lag_s sent"
cat "$samples"
python3 - "$samples" "$post" "$t_ingest" "$t_drained" "$secs" "${extra:-default options}" <<'PY'
import json, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
post = json.loads(sys.argv[2]); ti, td = float(sys.argv[3]), float(sys.argv[4])
half = rows[len(rows) // 2:]
lags = [r[2] for r in rows]
print(f"forwarder ({sys.argv[6]}): ingest {post['stmts_per_s']:.0f} statements/s for {sys.argv[5]} s "
      f"({post['statements']} statements); max lag {max(lags):.2f} s, mean lag {sum(lags) / len(lags):.2f} s; "
      f"lag in the second half: max {max(r[2] for r in half):.2f} s, last {rows[-1][2]:.2f} s; "
      f"max queue {max(r[1] for r in rows):.0f}; queue empty {td - ti:.1f} s after ingest stopped")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$samples"
