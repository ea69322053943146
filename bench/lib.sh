# Shared by the bench/run_*.sh scripts (sourced, not run): the release build, the scolar
# server and load client paths, and helpers to start a server, read its memory and wait for
# its indexes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/deps.sh >/dev/null
[ -d build-release ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release >/dev/null
bin=${SCOLAR_BIN:-build-release/lrs/scolar} # SCOLAR_BIN: another binary (A/B)
load=build-release/bench/bench_http

# serve DATA PORT CPORT: start `scolar serve` (credential bench:bench; its stderr to $SERVE_LOG
# when set) in the background, set $server_pid, return once /healthz answers.
serve() {
  SCOLAR_ADMIN_KEY=bench SCOLAR_ADMIN_SECRET=bench SCOLAR_LOG_LEVEL=warn \
    "$bin" serve --data "$1" --listen 127.0.0.1:"$2" --content-listen 127.0.0.1:"$3" \
    >/dev/null 2>>"${SERVE_LOG:-/dev/null}" &
  server_pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:"$2"/healthz >/dev/null && return 0; sleep 0.1; done
  return 1
}

# kb FIELD PID: a field of /proc/PID/status in KiB (RssAnon, VmRSS, ...).
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$2/status"; }

# wait_folded PORT: wait (up to 120 s) until X-Experience-API-Consistent-Through of the server
# on PORT reaches the present, i.e. every statement is folded into the indexes. Sets $ct to
# the last header value and $folded to yes or no.
wait_folded() {
  folded=no
  for _ in $(seq 120); do
    ct=$(curl -s -D - -o /dev/null -u bench:bench -H 'X-Experience-API-Version: 1.0.3' \
      "http://127.0.0.1:$1/xapi/statements?limit=1" | tr -d '\r' |
      awk 'tolower($1) == "x-experience-api-consistent-through:" {print $2}')
    if [[ "${ct:0:19}" > "$(date -u -d '-2 seconds' +%Y-%m-%dT%H:%M:%S)" ]]; then
      folded=yes
      return 0
    fi
    sleep 1
  done
}

# ingest PORT [bench_http options]: one 10 s round of 8 clients x batches of 100; prints the
# number of statements stored.
ingest() {
  local port=$1; shift
  local post
  post=$("$load" --url http://127.0.0.1:"$port"/xapi --user bench --pass bench --mode post \
    --clients 8 --batch 100 --seconds 10 "$@")
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])["statements"])' "$post"
}
