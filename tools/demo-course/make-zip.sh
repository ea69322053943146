#!/usr/bin/env bash
# Build a zip of scolar's own demo course: tools/demo-course/make-zip.sh 2004|12 OUT.zip
# The pages are shared by both editions; each edition has its own imsmanifest.xml.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
  2004) manifest=$here/scorm2004/imsmanifest.xml ;;
  12) manifest=$here/scorm12/imsmanifest.xml ;;
  *) echo "usage: $0 2004|12 OUT.zip" >&2; exit 2 ;;
esac
out=${2:?usage: $0 2004|12 OUT.zip}
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$manifest" "$here"/*.html "$here"/*.js "$here"/*.css "$tmp"/
rm -f "$out"
(cd "$tmp" && zip -qX -r "$out" .)
