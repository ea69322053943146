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
# scolar's own demo course (tools/demo-course: SCORM 2004 4th edition, and a 1.2 edition),
# imported once into a new data directory.
if [ ! -f "$data/store.mdb" ] && "$bin" import --help >/dev/null 2>&1; then
  tmpzip=$(mktemp --suffix=.zip)
  tools/demo-course/make-zip.sh 2004 "$tmpzip"
  if imported=$("$bin" import --data "$data" "$tmpzip" 2>/dev/null); then
    echo "tools/run.sh: imported the demo course (tools/demo-course, SCORM 2004)"
    course=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["course"])' "$imported")
    # A demo learner registered once; every start prints a fresh launch link for it, so
    # progress and resume carry over from one start to the next.
    if reg=$("$bin" registration create --data "$data" --course "$course" \
      --learner-id demo-learner --learner-name "Demo Learner"); then
      python3 -c 'import json,sys; print(json.loads(sys.argv[1])["registration"])' "$reg" \
        >"$data/demo-registration"
    fi
  fi
  tools/demo-course/make-zip.sh 12 "$tmpzip"
  "$bin" import --data "$data" "$tmpzip" >/dev/null 2>&1 &&
    echo "tools/run.sh: imported the demo course's SCORM 1.2 edition"
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
echo "  console: open http://$listen/ in a browser and sign in with the key and secret above"
echo "  try:    curl -u $key:$secret http://$listen/xapi/about"
if [ -s "$data/demo-registration" ]; then
  reg=$(cat "$data/demo-registration")
  if tok=$("$bin" registration token --data "$data" --registration "$reg"); then
    echo "tools/run.sh: the demo course for a demo learner (registration $reg); open in a browser:"
    echo "  $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["launch_url"])' "$tok")"
  fi
fi
exec "$bin" serve --data "$data" "$@"
