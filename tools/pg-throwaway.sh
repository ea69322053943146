#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks (issue 19), from Debian's
# `postgresql` package (tools/deps.sh --test installs it):
#   tools/pg-throwaway.sh start   prints the connection URL of a new cluster on stdout
#   tools/pg-throwaway.sh stop URL stops that cluster and removes its folder
#   tools/pg-throwaway.sh newdb URL prints the URL of a new, empty database on URL's cluster
#                                   (each test server of a suite on PostgreSQL gets its own)
# The cluster lives in a new temporary folder (initdb there), listens on its unix socket in
# that folder only (no TCP), on a port number no other server here uses, with trust
# authentication for its one role "scolar" and database "scolar". PostgreSQL refuses to run as
# root, so as root the server runs as the unprivileged user "nobody" (runuser). Durable
# settings are left as they are (fsync, synchronous_commit on): the tests check durability.
# SCOLAR_PG_SERVER_OPTS adds server options to the start (benchmarks: e.g. "-c
# shared_preload_libraries=pg_stat_statements" to count round trips; word-split, no quotes).
# Exit status: 0, or 1 with the reason on stderr (no PostgreSQL installed, initdb failed ...).
set -euo pipefail

pgbin() { # the newest installed server's bin folder (SCOLAR_PG_BIN overrides: tests of absence)
  local d
  d=${SCOLAR_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
  [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "pg-throwaway: no PostgreSQL server (apt-get install postgresql)" >&2; return 1; }
  echo "$d"
}

as_owner() { # run a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local bin dir port
  bin=$(pgbin) || exit 1
  dir=$(mktemp -d /tmp/scolar-pg-XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
  port=$(free_port)
  if ! as_owner "$bin/initdb" -D "$dir/data" -U scolar --auth=trust -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1; then
    echo "pg-throwaway: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1
  fi
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -p $port -c max_connections=200 ${SCOLAR_PG_SERVER_OPTS:-}" start >/dev/null; then
    echo "pg-throwaway: the server did not start:" >&2; tail -5 "$dir/server.log" >&2
    rm -rf "$dir"; exit 1
  fi
  if ! "$bin/psql" -qAt -h "$dir" -p "$port" -U scolar -d postgres \
      -c "CREATE DATABASE scolar" >/dev/null; then
    echo "pg-throwaway: CREATE DATABASE failed" >&2; stop_dir "$dir"; exit 1
  fi
  echo "postgresql://scolar@/scolar?host=$dir&port=$port"
}

stop_dir() {
  local dir=$1 bin
  case "$dir" in /tmp/scolar-pg-*) ;; *) echo "pg-throwaway: $dir is not a throwaway cluster" >&2; exit 1;; esac
  bin=$(pgbin) || true
  if [ -n "$bin" ] && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

newdb() { # a new database beside the one of URL (postgresql://user@/db?host=DIR&port=N)
  local url=$1 bin name base query
  bin=$(pgbin) || exit 1
  name="scolar_$(date +%s%N | tail -c 10)_$$_${RANDOM}"
  base=${url%%\?*}
  query=${url#"$base"}
  "$bin/psql" -qAt -d "$url" -c "CREATE DATABASE $name" >/dev/null ||
    { echo "pg-throwaway: CREATE DATABASE $name failed" >&2; exit 1; }
  echo "${base%/*}/$name$query"
}

case "${1:-}" in
  start) start ;;
  newdb) newdb "${2:?usage: pg-throwaway.sh newdb URL}" ;;
  stop)
    url=${2:?usage: pg-throwaway.sh stop URL}
    dir=$(printf '%s' "$url" | sed -n 's/.*[?&]host=\([^&]*\).*/\1/p')
    stop_dir "$dir" ;;
  *) echo "usage: $0 start | stop URL | newdb URL" >&2; exit 2 ;;
esac
