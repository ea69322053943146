#!/usr/bin/env bash
# Ingest and query benchmark (issue 3): scolar and the runnable peer (Learning Locker's
# `xapi-statements` from npm, in-memory mode) on the same machine in the same run, plus the
# raw-LMDB and in-process store benchmarks. Writes bench/results/ingest.md.
#   bench/run_ingest.sh [seconds-per-run]
source "$(dirname "$0")/lib.sh"
secs=${1:-15}
work=bench/work
mkdir -p "$work"
data=$(mktemp -d /tmp/scolar-bench-XXXXXX)
port=18480; cport=18481; peer_port=18482
out=bench/results/ingest.md

SCOLAR_ADMIN_KEY=bench SCOLAR_ADMIN_SECRET=bench SCOLAR_LOG_LEVEL=warn \
  "$bin" serve --data "$data" --listen 127.0.0.1:$port --content-listen 127.0.0.1:$cport \
  >/dev/null 2>"$work/scolar.log" &
spid=$!
trap 'kill $spid ${ppid:-} 2>/dev/null || true; rm -rf "$data"' EXIT
for i in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

# The peer: never committed; installed into bench/work (gitignored).
if [ ! -d "$work/peer/node_modules/xapi-statements" ]; then
  mkdir -p "$work/peer"
  (cd "$work/peer" && npm init -y >/dev/null && npm install --no-audit --no-fund xapi-statements@5.0.1 >/dev/null 2>&1)
fi
(cd "$work/peer" && AUTH_REPO=test EVENTS_REPO=test MODELS_REPO=memory STORAGE_REPO=local \
   EXPRESS_PORT=$peer_port exec node node_modules/xapi-statements/dist/index.js >peer.log 2>&1) &
ppid=$!
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$peer_port/xAPI/about && break; sleep 0.2; done

run() { "$load" --url "$1" --user bench --pass bench "${@:2}" --seconds "$secs"; }
s_batch=$(run http://127.0.0.1:$port/xapi --mode post --clients 8 --batch 100)
p_batch=$(run http://127.0.0.1:$peer_port/xAPI --mode post --clients 8 --batch 100)
s_single=$(run http://127.0.0.1:$port/xapi --mode post --clients 32 --batch 1)
p_single=$(run http://127.0.0.1:$peer_port/xAPI --mode post --clients 32 --batch 1)
agent=$(python3 -c 'import urllib.parse,json;print(urllib.parse.quote(json.dumps({"mbox":"mailto:learner7@example.com"})))')
q="agent=$agent&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fv7&limit=100"
s_query=$(run http://127.0.0.1:$port/xapi --mode get --clients 8 --query "$q")
p_query=$(run http://127.0.0.1:$peer_port/xAPI --mode get --clients 8 --query "$q")
rss_kb=$(awk '/VmRSS/{print $2}' /proc/$spid/status)
anon_kb=$(awk '/RssAnon/{print $2}' /proc/$spid/status)
load=$(cut -d' ' -f1-3 /proc/loadavg)

raw=""
# the raw-LMDB limit: same records and index entries, batches of 100, straight into LMDB
[ -x build-release/bench/bench_lmdb_raw ] && raw=$(build-release/bench/bench_lmdb_raw 100000 2>&1 | tail -5 || true)

rate() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
sb=$(rate "$s_batch" stmts_per_s); pb=$(rate "$p_batch" stmts_per_s)
ss=$(rate "$s_single" stmts_per_s); ps=$(rate "$p_single" stmts_per_s)
ratio_b=$(python3 -c "print(round($sb/max($pb,1),1))"); ratio_s=$(python3 -c "print(round($ss/max($ps,1),1))")
{
  echo "# Ingest and query benchmark"
  echo
  echo "Command: \`bench/run_ingest.sh $secs\` on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), release build."
  echo "scolar: durable (fsync per group commit), default configuration (512 workers per origin); data"
  echo "dir in /tmp (ext4, virtio disk). Load average when the runs ended: $load. Peer: xapi-statements 5.0.1,"
  echo "in-memory models (no durability), same machine, same load client (\`bench/bench_http.c\`)."
  echo
  echo "| run | scolar stmts/s | peer stmts/s | scolar / peer | scolar p50 / p99 ms | peer p50 / p99 ms |"
  echo "|---|---|---|---|---|---|"
  echo "| POST batches of 100, 8 clients | $sb | $pb | ${ratio_b}x | $(rate "$s_batch" p50_ms) / $(rate "$s_batch" p99_ms) | $(rate "$p_batch" p50_ms) / $(rate "$p_batch" p99_ms) |"
  echo "| POST single statements, 32 clients | $ss | $ps | ${ratio_s}x | $(rate "$s_single" p50_ms) / $(rate "$s_single" p99_ms) | $(rate "$p_single" p50_ms) / $(rate "$p_single" p99_ms) |"
  echo "| GET agent+verb limit 100, 8 clients (req/s) | $(rate "$s_query" req_per_s) | $(rate "$p_query" req_per_s) | | $(rate "$s_query" p50_ms) / $(rate "$s_query" p99_ms) | $(rate "$p_query" p50_ms) / $(rate "$p_query" p99_ms) |"
  echo
  echo "scolar after the runs: RSS $((rss_kb / 1024)) MiB, of which outside the LMDB map (RssAnon) $((anon_kb / 1024)) MiB."
  echo
  echo "Raw JSON lines:"
  echo '```'
  echo "scolar batch  $s_batch"; echo "peer   batch  $p_batch"
  echo "scolar single $s_single"; echo "peer   single $p_single"
  echo "scolar query  $s_query"; echo "peer   query  $p_query"
  echo '```'
  if [ -n "$raw" ]; then echo; echo "Raw LMDB limit (\`build-release/bench/bench_lmdb_raw\`):"; echo '```'; echo "$raw"; echo '```'; fi
  echo
  echo "The in-process store benchmark with 1,000,000 statements stored (query p50/p99, memory)"
  echo "is in bench/results/store.md (\`build-release/bench/bench_store 200000 20000 1000000\`)."
} > "$out"
cat "$out"
