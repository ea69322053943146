#!/usr/bin/env bash
# Install what is missing, build a release build, and start `scolar serve` on ./scolar-data
# with a demo course, printing the URLs and the admin credential.
#   tools/run.sh [extra serve flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
if [ ! -d build-release ]; then
  meson setup build-release -Dbuildtype=release >/dev/null
fi
ninja -C build-release >/dev/null
bin=build-release/lrs/scolar
data=${SCOLAR_DATA:-./scolar-data}
demo=../shared/scorm-packages/golf-2004v3-RuntimeBasicCalls
if [ ! -f "$data/store.mdb" ] && [ -d "$demo" ] && "$bin" import --help >/dev/null 2>&1; then
  tmpzip=$(mktemp --suffix=.zip)
  rm -f "$tmpzip"
  (cd "$demo" && zip -qr "$tmpzip" .)
  if "$bin" import --data "$data" "$tmpzip" >/dev/null 2>&1; then
    echo "tools/run.sh: imported the demo course from $demo"
  fi
  rm -f "$tmpzip"
fi
# The demo keeps its admin credential in the data dir (mode 0600) so every start can print it.
cred="$data/admin-credential.json"
if [ ! -f "$cred" ]; then
  mkdir -p "$data"
  (umask 077 && "$bin" creds create --data "$data" --name demo-admin --scopes all,admin > "$cred")
fi
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$cred")
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$cred")
listen=${SCOLAR_LISTEN:-127.0.0.1:8080}
echo "tools/run.sh: admin credential (from $cred)"
echo "  key:    $key"
echo "  secret: $secret"
echo "  try:    curl -u $key:$secret http://$listen/xapi/about"
exec "$bin" serve --data "$data" "$@"
