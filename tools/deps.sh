#!/usr/bin/env bash
# Install what scolar needs to build and test on Debian 12, skipping what is already there.
# Usage: tools/deps.sh [--test]   (--test adds what the test suites need)
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc libcivetweb-dev libcjson-dev liblmdb-dev libxml2-dev
      libzip-dev libcurl4-openssl-dev libssl-dev zip libpq-dev)
if [ "${1:-}" = "--test" ]; then
  # postgresql: the throwaway cluster of the PostgreSQL backend's tests (tools/pg-throwaway.sh)
  pkgs+=(clang-format nodejs npm zip unzip lmdb-utils chromium postgresql)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian on some images: accept any working node >= 18.
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  missing=("${missing[@]/nodejs}")
  command -v npm >/dev/null 2>&1 && missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "tools/deps.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
