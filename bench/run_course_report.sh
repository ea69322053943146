#!/usr/bin/env bash
# Course report benchmark (issue 14): the report the run-time keeps in its write transactions
# (scorm/scorm_rt_report_keep.c) read over a growing number of registrations of scolar's own
# demo course (tools/demo-course, SCORM 2004, two SCOs), each registration with one launch and
# one final commit of its quiz SCO (status, score, time, an objective, an interaction). At each
# size: the report's latency (20 sequential requests over one keep-alive connection, curl
# time_total, so HTTP included) and the commit latency while the registrations were made.
#   bench/run_course_report.sh [sizes="300 1000 3000"] [threads=4]
source "$(dirname "$0")/lib.sh"
sizes=${1:-300 1000 3000}
threads=${2:-4}
dir=$(mktemp -d /tmp/scolar-bench-course-XXXXXX)
port=18590; cport=18591
serve "$dir" $port $cport
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
base=http://127.0.0.1:$port
zip=$dir/demo.zip
tools/demo-course/make-zip.sh 2004 "$zip"
course=$(curl -s -u bench:bench -H 'Content-Type: application/zip' --data-binary @"$zip" "$base/api/courses" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["course"])')

echo "| registrations | report runs | report p50 ms | report p95 ms | report max ms | commit p50 ms | commit p95 ms |"
echo "|---|---|---|---|---|---|---|"
made=0
for size in $sizes; do
  read -r cp50 cp95 _ < <(python3 bench/course_regs.py "$base" "http://127.0.0.1:$cport" "$course" quiz \
    $((size - made)) "$threads" "$made")
  made=$size
  args=()
  for _ in $(seq 20); do args+=(-o /dev/null "$base/api/reports/course?course=$course"); done
  read -r p50 p95 max cnt < <(curl -s -u bench:bench -w '%{time_total}\n' "${args[@]}" |
    python3 -c 'import sys; v=sorted(float(x)*1000 for x in sys.stdin); n=len(v); print("%.2f %.2f %.2f %d" % (v[n//2], v[min(n-1, int(n*0.95))], v[-1], n))')
  echo "| $size | $cnt | $p50 | $p95 | $max | $cp50 | $cp95 |"
done
regs=$(curl -s -u bench:bench "$base/api/reports/course?course=$course" | python3 -c 'import json,sys; print(json.load(sys.stdin)["registrations"])')
echo
echo "(the report counted $regs registrations)"
