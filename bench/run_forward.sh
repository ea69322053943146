#!/usr/bin/env bash
# Forwarding benchmark (issue 17): ingest of 8 clients x batches of 100 into a scolar with no
# forwarder, then into a fresh one with one forwarder (no filter) to a second scolar on the
# same machine; the lag and queue while ingest runs, the time the forwarder needs to drain
# what is left, and forwarding throughput. Then `scolar migrate --from` the second server
# into a fresh directory. Writes bench/results/forward.md.
#   bench/run_forward.sh [seconds-of-ingest]
source "$(dirname "$0")/lib.sh"
secs=${1:-10}
out=bench/results/forward.md
d_plain=$(mktemp -d /tmp/scolar-fwd-XXXXXX); d_src=$(mktemp -d /tmp/scolar-fwd-XXXXXX)
d_dst=$(mktemp -d /tmp/scolar-fwd-XXXXXX); d_mig=$(mktemp -d /tmp/scolar-fwd-XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$d_plain" "$d_src" "$d_dst" "$d_mig"' EXIT

post() { "$load" --url http://127.0.0.1:"$1"/xapi --user bench --pass bench --mode post \
  --clients 8 --batch 100 --seconds "$secs"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
status() { curl -s -u bench:bench http://127.0.0.1:18491/api/forwarders/1; }

# 1. no forwarder; a forwarder that is paused (its outbox rows are written in each commit,
# nothing is sent); a forwarder to a sink that answers 200 at once (the sender's cost without a
# target's); each on a fresh server
node -e 'require("http").createServer((q, r) => { q.resume(); q.on("end", () => { r.writeHead(200); r.end("[]"); }); }).listen(18495, "127.0.0.1")' &
sink_pid=$!; pids+=("$sink_pid")
round() { # DIR PORT CPORT [forwarder JSON] [pause]
  local d; d=$(mktemp -d /tmp/scolar-fwd-XXXXXX)
  serve "$d" "$1" "$2"
  if [ -n "${3:-}" ]; then
    curl -sf -u bench:bench -H 'Content-Type: application/json' -d "$3" \
      http://127.0.0.1:"$1"/api/forwarders >/dev/null
    [ -n "${4:-}" ] && curl -sf -u bench:bench -X POST http://127.0.0.1:"$1"/api/forwarders/1/pause >/dev/null
  fi
  post "$1"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  rm -rf "$d"
}
plain=$(round 18490 18489)
paused=$(round 18496 18497 '{"url":"http://127.0.0.1:18495/xapi/"}' pause)
sink=$(round 18498 18499 '{"url":"http://127.0.0.1:18495/xapi/"}')

# 2. one forwarder to a second scolar
serve "$d_dst" 18492 18493; dst_pid=$server_pid; pids+=("$dst_pid")
serve "$d_src" 18491 18494; src_pid=$server_pid; pids+=("$src_pid")
curl -sf -u bench:bench -H 'Content-Type: application/json' -d \
  '{"url":"http://127.0.0.1:18492/xapi/","auth":{"key":"bench","secret":"bench"}}' \
  http://127.0.0.1:18491/api/forwarders >/dev/null
samples=$(mktemp)
( for _ in $(seq $((secs * 2))); do sleep 0.5; status | python3 -c \
    'import json,sys; s=json.load(sys.stdin)["status"]; print(s["queued"], s["lag_s"], s["sent"])'; done ) >"$samples" &
sampler=$!
t0=$(date +%s.%N)
fwd=$(post 18491)
t_ingest=$(date +%s.%N)
wait $sampler || true
stored=$(field "$fwd" statements)
for _ in $(seq 600); do
  q=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["queued"])')
  [ "$q" = 0 ] && break
  sleep 0.2
done
t_drained=$(date +%s.%N)
final=$(status)
max_lag=$(awk 'BEGIN{m=0} {if ($2 > m) m = $2} END{print m}' "$samples")
max_q=$(awk 'BEGIN{m=0} {if ($1 > m) m = $1} END{print m}' "$samples")
sent=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"]["sent"])' "$final")
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$src_pid"; wait "$src_pid" 2>/dev/null || true

# 3. migrate --from the second scolar (it holds what was forwarded)
m0=$(date +%s.%N)
"$bin" migrate --from http://127.0.0.1:18492/xapi/ --key bench --secret bench --data "$d_mig" \
  --no-documents 2>"$d_mig.log" || true
m1=$(date +%s.%N)
mig=$(tail -1 "$d_mig.log"); rm -f "$d_mig.log"

python3 - "$plain" "$fwd" "$paused" "$sink" "$t0" "$t_ingest" "$t_drained" "$sent" "$stored" "$max_lag" "$max_q" \
  "$secs" "$load_avg" "$m0" "$m1" "$mig" >"$out" <<'PY'
import json, sys
plain, fwd = json.loads(sys.argv[1]), json.loads(sys.argv[2])
paused, sink = json.loads(sys.argv[3]), json.loads(sys.argv[4])
del sys.argv[3:5]
t0, ti, td = map(float, sys.argv[3:6]); sent, stored = int(sys.argv[6]), int(sys.argv[7])
max_lag, max_q, secs, load = float(sys.argv[8]), int(sys.argv[9]), sys.argv[10], sys.argv[11]
m0, m1, mig = float(sys.argv[12]), float(sys.argv[13]), sys.argv[14]
def pct(x):
    return f"{100 * (x['stmts_per_s'] / max(plain['stmts_per_s'], 1) - 1):+.1f} %"
print("# Forwarding benchmark\n")
print(f"Command: `bench/run_forward.sh {secs}`, release build, two scolar servers on one machine "
      f"(2 cores shared with the load client and the target; load average at the end: {load}).\n")
print("| run (8 clients x batches of 100) | stmts/s | p50 / p99 ms | vs none |\n|---|---|---|---|")
print(f"| ingest, no forwarder | {plain['stmts_per_s']} | {plain['p50_ms']} / {plain['p99_ms']} | |")
print(f"| ingest, one forwarder paused (outbox rows only) | {paused['stmts_per_s']} | {paused['p50_ms']} / {paused['p99_ms']} | {pct(paused)} |")
print(f"| ingest, one forwarder to a sink answering 200 | {sink['stmts_per_s']} | {sink['p50_ms']} / {sink['p99_ms']} | {pct(sink)} |")
print(f"| ingest, one forwarder to a second scolar (same machine) | {fwd['stmts_per_s']} | {fwd['p50_ms']} / {fwd['p99_ms']} | {pct(fwd)} |")
print("\nThe second scolar ingests everything the first does on the same 2 cores: the last row "
      "measures the machine, the paused and sink rows the forwarder's own cost.\n")
print(f"Forwarder during ingest (sampled every 0.5 s): largest queue {max_q} statements, largest lag "
      f"{max_lag:.2f} s. After ingest stopped ({stored} statements stored), the queue was empty "
      f"{td - ti:.1f} s later; {sent} statements sent in {td - t0:.1f} s: "
      f"{sent / max(td - t0, 1e-9):.0f} statements/s forwarded (batches of 100, one connection).\n")
print(f"`scolar migrate --from` the target into a fresh directory ({m1 - m0:.1f} s):\n\n```\n{mig}\n```")
PY
cat "$out"
