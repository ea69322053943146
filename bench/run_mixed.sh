#!/usr/bin/env bash
# Mixed load (issue 12): GET agent+verb latency while 8 clients ingest batches of 100 at full
# speed, the ingest rate meanwhile, and the time from acknowledgement to visibility in
# queries (probes: POST one statement, then at once GET it by its own verb; a probe that does
# not find it retries every 1 ms and records how long it took). Writes bench/results/mixed.md.
#   bench/run_mixed.sh [seconds]
#   SCOLAR_BENCH_BIN=path: another scolar binary (e.g. an older build, for comparison)
source "$(dirname "$0")/lib.sh"
bin=${SCOLAR_BENCH_BIN:-$bin}
secs=${1:-15}
data=$(mktemp -d /tmp/scolar-bench-XXXXXX)
port=18490; cport=18491
out=${SCOLAR_BENCH_OUT:-bench/results/mixed.md}
# a previous run's server may still be finishing its requests on these ports
for _ in $(seq 100); do ss -ltn | grep -q ":$port " || break; sleep 0.2; done
serve "$data" $port $cport
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true; rm -rf "$data"' EXIT

url=http://127.0.0.1:$port/xapi
run() { "$load" --url "$url" --user bench --pass bench "$@" --seconds "$secs"; }
agent=$(python3 -c 'import urllib.parse,json;print(urllib.parse.quote(json.dumps({"mbox":"mailto:learner7@example.com"})))')
q="agent=$agent&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fv7&limit=100"

# 1. queries alone (a warm store: one round of ingest first)
ingest_alone=$(run --mode post --clients 8 --batch 100)
alone=$(run --mode get --clients 2 --query "$q")
# 2. the same queries while 8 clients ingest, and the visibility probes
tmp=$(mktemp -d)
run --mode post --clients 8 --batch 100 >"$tmp/post" &
ingest_pid=$!
run --mode get --clients 2 --query "$q" >"$tmp/get" &
get_pid=$!
python3 - "$url" "$secs" >"$tmp/probe" <<'EOF'
import base64, json, sys, time, urllib.parse, urllib.request, uuid
url, secs = sys.argv[1], float(sys.argv[2])
auth = 'Basic ' + base64.b64encode(b'bench:bench').decode()
hdr = {'Authorization': auth, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json'}
def req(method, path, body=None):
    r = urllib.request.Request(url + path, method=method, headers=hdr,
                               data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(r) as f:
        return json.loads(f.read() or b'null')
first, waits, end = 0, [], time.time() + secs - 1
while time.time() < end:
    verb = 'http://example.com/probe/' + str(uuid.uuid4())
    ids = req('POST', '/statements', {'actor': {'mbox': 'mailto:probe@example.com'},
              'verb': {'id': verb}, 'object': {'id': 'http://example.com/probe'}})
    t0, tries = time.time(), 0
    while True:
        got = req('GET', '/statements?verb=' + urllib.parse.quote(verb, safe=''))
        tries += 1
        if [s['id'] for s in got['statements']] == ids:
            break
        time.sleep(0.001)
    first += tries == 1
    waits.append((time.time() - t0) * 1000 if tries > 1 else 0.0)
waits.sort()
print(json.dumps({'probes': len(waits), 'found_at_first_query': first,
                  'max_wait_ms': round(waits[-1], 3) if waits else None}))
EOF
wait $ingest_pid $get_pid
post=$(cat "$tmp/post"); get=$(cat "$tmp/get"); probe=$(cat "$tmp/probe")
rm -rf "$tmp"
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
rate() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
{
  echo "# Mixed load: queries while 8 clients ingest"
  echo
  echo "Command: \`${SCOLAR_BENCH_BIN:+SCOLAR_BENCH_BIN=$SCOLAR_BENCH_BIN }bench/run_mixed.sh $secs\` on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), release build,"
  echo "durable (fsync per group commit), default configuration. Load average at the end: $loadavg."
  echo "Queries: GET agent+verb (learner7, v7), limit 100, 2 clients (\`bench/bench_http.c\`);"
  echo "the ingest: 8 clients, batches of 100, at full speed, at the same time."
  echo
  echo "| run | req/s or stmts/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|"
  echo "| the ingest alone, before (stmts/s; latency per batch) | $(rate "$ingest_alone" stmts_per_s) | $(rate "$ingest_alone" p50_ms) | $(rate "$ingest_alone" p99_ms) |"
  echo "| GET agent+verb alone (req/s) | $(rate "$alone" req_per_s) | $(rate "$alone" p50_ms) | $(rate "$alone" p99_ms) |"
  echo "| GET agent+verb during the ingest (req/s) | $(rate "$get" req_per_s) | $(rate "$get" p50_ms) | $(rate "$get" p99_ms) |"
  echo "| the ingest meanwhile (stmts/s; latency per batch) | $(rate "$post" stmts_per_s) | $(rate "$post" p50_ms) | $(rate "$post" p99_ms) |"
  echo
  echo "Acknowledgement to visibility (one client: POST a statement with a new verb, then GET by"
  echo "that verb at once, retrying every 1 ms if absent), during the same ingest: \`$probe\`."
  echo
  echo "Raw JSON lines:"
  echo '```'
  echo "post alone  $ingest_alone"
  echo "get alone   $alone"
  echo "get mixed   $get"
  echo "post mixed  $post"
  echo "probe       $probe"
  echo '```'
} >"$out"
cat "$out"
