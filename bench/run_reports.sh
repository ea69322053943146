#!/usr/bin/env bash
# Reports and export benchmark (issue 14): a generated store of N statements (default
# 1,000,000: 1,000 activities, 10,000 actors, bench/bench_stmt_gen.h, written by bench_store
# with the report bookkeeping on), then against `scolar serve` on it: activity report latency
# (object activities, the 20 course activities every statement has as parent, the program
# activity every statement has as grouping), course report latency over R registrations,
# export JSONL and CSV rate and server memory. Prints a markdown section (bench/results/
# reports.md holds the recorded runs).
#   [REUSE=1] [KEEP=1] bench/run_reports.sh [statements=1000000] [registrations=300]
# (KEEP=1 leaves the generated store in /tmp/scolar-bench-reports, REUSE=1 starts from it)
source "$(dirname "$0")/lib.sh"
n=${1:-1000000}
nreg=${2:-300}
dir=/tmp/scolar-bench-reports
port=18580; cport=18581
work=bench/work
mkdir -p "$work"

echo "## store: $n statements (bench_store $n 1000 0, with the report bookkeeping)"
echo
if [ -n "${REUSE:-}" ] && [ -f "$dir/store.mdb" ]; then
  echo "(reusing the store in $dir)"
else
  STORE_KEEP=1 build-release/bench/bench_store "$n" 1000 0 "$dir" | grep -E '^\| (8|32)|lag|RssAnon' | head -6
fi
echo

serve "$dir" $port $cport
trap 'kill $server_pid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
wait_folded $port
base=http://127.0.0.1:$port
auth=(-u bench:bench)

# latencies of a list of URLs over one keep-alive connection: "p50 p95 max" in ms
lat() {
  local args=()
  for u in "$@"; do args+=(-o /dev/null "$u"); done
  curl -s "${auth[@]}" -w '%{time_total}\n' "${args[@]}" |
    python3 -c 'import sys; v=sorted(float(x)*1000 for x in sys.stdin); n=len(v); print("%.2f %.2f %.2f %d" % (v[n//2], v[min(n-1, int(n*0.95))], v[-1], n))'
}
enc() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

urls() { # PATTERN-KIND: print URLs, one per line (one python for all of them)
  python3 - "$base" "$1" <<'PY'
import sys, urllib.parse
base, kind = sys.argv[1], sys.argv[2]
q = lambda s: urllib.parse.quote(s, safe="")
if kind == "object":
    for i in range(500):
        a = (i * 7919) % 1000
        print(f"{base}/api/reports/activity?activity={q(f'http://courses.example.org/course-{a // 50}/activity-{a}')}")
elif kind == "course":
    for r in range(5):
        for c in range(20):
            print(f"{base}/api/reports/activity?activity={q(f'http://courses.example.org/course-{c}')}")
elif kind == "program":
    for r in range(20):
        print(f"{base}/api/reports/activity?activity={q('http://courses.example.org/program')}")
else:
    import datetime
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    for r in range(20):
        print(f"{base}/api/reports/activity?activity={q('http://courses.example.org/program')}&since=2026-01-01T00:00:00Z&until={now}")
PY
}
mapfile -t u < <(urls object)
read -r p50 p95 max cnt < <(lat "${u[@]}")
echo "| activity report, object activities (~1,000 statements each) | $cnt | $p50 | $p95 | $max |" > "$work/reports-lat.md"
mapfile -t u < <(urls course)
read -r p50 p95 max cnt < <(lat "${u[@]}")
echo "| activity report, course activities (~$((n / 20)) statements each, as parent) | $cnt | $p50 | $p95 | $max |" >> "$work/reports-lat.md"
mapfile -t u < <(urls program)
read -r p50 p95 max cnt < <(lat "${u[@]}")
echo "| activity report, the program activity (all $n statements, as grouping) | $cnt | $p50 | $p95 | $max |" >> "$work/reports-lat.md"
mapfile -t u < <(urls window)
read -r p50 p95 max cnt < <(lat "${u[@]}")
echo "| activity report, program activity with since/until (day bitmaps of 10,000 actors) | $cnt | $p50 | $p95 | $max |" >> "$work/reports-lat.md"

# course report over nreg registrations, each with one commit (score, time, an interaction)
zipdir=$(mktemp -d)
(cd ../shared/scorm-packages/golf-2004v3-RuntimeBasicCalls && zip -qr "$zipdir/p.zip" .)
course=$(curl -s "${auth[@]}" -H 'Content-Type: application/zip' --data-binary @"$zipdir/p.zip" "$base/api/courses" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["course"])')
rm -rf "$zipdir"
python3 - "$base" "$course" "$nreg" "$cport" <<'PY'
import json, sys, urllib.request, base64, random
base, course, n, cport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
auth = 'Basic ' + base64.b64encode(b'bench:bench').decode()
def req(url, body, headers):
    r = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method='POST')
    return json.load(urllib.request.urlopen(r))
rnd = random.Random(1)
for i in range(n):
    reg = req(base + '/api/registrations', {'course': course, 'learner': {'id': 'b%d' % i}},
              {'Authorization': auth, 'Content-Type': 'application/json'})
    c = 'http://127.0.0.1:%s' % cport
    L = req('%s/player/%s/launch' % (c, reg['registration']), {'token': reg['token'], 'sco': 'item_1'}, {'Content-Type': 'text/plain'})
    s = rnd.randint(0, 100)
    ch = {'cmi.completion_status': 'completed' if s > 30 else 'incomplete', 'cmi.score.scaled': str(s / 100),
          'cmi.success_status': 'passed' if s >= 50 else 'failed', 'cmi.session_time': 'PT%dS' % rnd.randint(10, 900),
          'cmi.interactions.0.id': 'q1', 'cmi.interactions.0.type': 'choice', 'cmi.interactions.0.learner_response': rnd.choice('abc'),
          'cmi.interactions.0.correct_responses.0.pattern': 'a', 'cmi.interactions.0.result': 'correct' if s >= 50 else 'incorrect',
          'cmi.interactions.0.latency': 'PT%dS' % rnd.randint(2, 40), 'cmi.exit': 'normal'}
    req('%s/player/%s/commit/%s' % (c, reg['registration'], L['session']), {'token': reg['token'], 'seq': 1, 'final': True, 'changes': ch}, {'Content-Type': 'text/plain'})
PY
urls=()
for r in $(seq 20); do urls+=("$base/api/reports/course?course=$course"); done
read -r p50 p95 max cnt < <(lat "${urls[@]}")
echo "| course report, $nreg registrations | $cnt | $p50 | $p95 | $max |" >> "$work/reports-lat.md"

echo "## report latency (sequential requests over one keep-alive connection, curl time_total)"
echo
echo "| request | runs | p50 ms | p95 ms | max ms |"
echo "|---|---|---|---|---|"
cat "$work/reports-lat.md"
echo

# export: statements/s through curl | wc -l, and the server's memory while it streams
export_run() {
  local fmt=$1 anon0 rss0 t0 t1 lines
  anon0=$(kb RssAnon "$server_pid"); rss0=$(kb VmRSS "$server_pid")
  ( while kill -0 "$server_pid" 2>/dev/null; do echo "$(kb RssAnon "$server_pid") $(kb VmRSS "$server_pid")"; sleep 0.2; done ) > "$work/rss-$fmt.txt" &
  local sampler=$!
  t0=$(date +%s.%N)
  lines=$(curl -s "${auth[@]}" "$base/api/export/statements?format=$fmt" | wc -l)
  t1=$(date +%s.%N)
  kill $sampler 2>/dev/null || true
  python3 - "$lines" "$t0" "$t1" "$anon0" "$rss0" "$fmt" "$work/rss-$fmt.txt" <<'PY'
import sys
l, t0, t1, a0, r0, fmt, f = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
s = [tuple(map(int, x.split())) for x in open(f) if len(x.split()) == 2]
pa = max([a for a, _ in s] + [a0]); pr = max([r for _, r in s] + [r0])
rows = l - (1 if fmt == 'csv' else 0)
print('| %s | %d | %.1f s | %d/s | %d MiB | %d MiB | %+.1f MiB | %d MiB -> %d MiB |' % (fmt, rows, t1 - t0, rows / (t1 - t0), a0 // 1024, pa // 1024, (pa - a0) / 1024, r0 // 1024, pr // 1024))
PY
}
echo "## export (GET /api/export/statements, curl | wc -l)"
echo
echo "RssAnon: the server's memory outside the LMDB map; VmRSS also counts the map pages the"
echo "export reads (file-backed page cache, shared and reclaimable)."
echo
echo "| format | statements | time | statements/s | RssAnon before | RssAnon peak | growth | VmRSS before -> peak |"
echo "|---|---|---|---|---|---|---|---|"
export_run jsonl
export_run csv
