#!/usr/bin/env bash
# Test of the Debian package (issue 18): tools/deb/test.sh [SCOLAR_BINARY]
# Builds the .deb with tools/deb/build.sh (from SCOLAR_BINARY when given, as the meson test
# does), inspects it (files, control, conffiles, maintainer scripts, the man page renders,
# `systemd-analyze verify` of the unit), and, when run as root with CI=true or
# SCOLAR_TEST_DEB_INSTALL=1 on a machine with no scolar package, installs it, serves as the
# scolar user, reinstalls over it (upgrade path: conffile and data kept), purges it and checks
# what remains. Without systemd running the service is started by hand as its unit would.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    echo "ok - $what"
  else
    echo "not ok - $what"
    sed 's/^/#   /' "$tmp/out" | head -20
    fails=$((fails + 1))
  fi
}

deb=$("$root/tools/deb/build.sh" "$tmp/out-deb" ${bin:+--binary "$bin"}) || {
  echo "not ok - tools/deb/build.sh failed"
  exit 1
}
echo "# built $deb"
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
for f in ./usr/bin/scolar ./lib/systemd/system/scolar.service ./etc/scolar/scolar.conf \
  ./usr/share/man/man1/scolar.1.gz ./usr/share/scolar/runtime_js/player.html \
  ./usr/share/scolar/runtime_js/datamodel.json ./usr/share/scolar/demo/scolar-demo-2004.zip \
  ./usr/share/doc/scolar/copyright ./usr/share/doc/scolar/reverse-proxy.md \
  ./usr/lib/scolar/scolar-tls-libssl.so ./usr/lib/scolar/scolar-tls-libcrypto.so; do
  check "package holds $f" grep -qx "$f" "$tmp/files"
done
check "control: Package scolar, Depends on civetweb, lmdb, libzip, adduser" \
  sh -c "dpkg-deb -f '$deb' Package | grep -qx scolar && dpkg-deb -f '$deb' Depends |
    grep -q 'libcivetweb1' && dpkg-deb -f '$deb' Depends | grep -q 'liblmdb0' &&
    dpkg-deb -f '$deb' Depends | grep -q 'libzip4' && dpkg-deb -f '$deb' Depends | grep -q adduser"
mkdir -p "$tmp/x"
dpkg-deb -R "$deb" "$tmp/x"
check "the TLS libraries answer to libssl.so and libcrypto.so (lrs/lrs_tls_shim.c)" \
  sh -c "readelf -d '$tmp/x/usr/lib/scolar/scolar-tls-libssl.so' | grep -q 'soname: \[libssl.so\]' &&
    readelf -d '$tmp/x/usr/lib/scolar/scolar-tls-libcrypto.so' | grep -q 'soname: \[libcrypto.so\]'"
check "conffiles: /etc/scolar/scolar.conf" grep -qx /etc/scolar/scolar.conf "$tmp/x/DEBIAN/conffiles"
check "md5sums match the files" sh -c "cd '$tmp/x' && md5sum --quiet -c DEBIAN/md5sums"
check "maintainer scripts parse (sh -n)" sh -c "sh -n '$tmp/x/DEBIAN/postinst' &&
  sh -n '$tmp/x/DEBIAN/prerm' && sh -n '$tmp/x/DEBIAN/postrm'"
check "the man page renders without warnings" sh -c "! MANWIDTH=80 man --warnings -l \
  '$tmp/x/usr/share/man/man1/scolar.1.gz' 2>&1 >/dev/null | grep -q ."
check "the packaged config passes scolar config check" \
  "$tmp/x/usr/bin/scolar" config check --config "$tmp/x/etc/scolar/scolar.conf"
if command -v systemd-analyze >/dev/null; then
  # verify the unit as installed: its ExecStart binary and its man page in place
  mkdir -p "$tmp/unit" "$tmp/man/man1"
  cp "$tmp/x/usr/share/man/man1/scolar.1.gz" "$tmp/man/man1/"
  sed "s|/usr/bin/scolar|$tmp/x/usr/bin/scolar|g; s|/etc/scolar/|$tmp/x/etc/scolar/|g" \
    "$tmp/x/lib/systemd/system/scolar.service" >"$tmp/unit/scolar.service"
  check "systemd-analyze verify scolar.service" \
    env MANPATH="$tmp/man" systemd-analyze verify "$tmp/unit/scolar.service"
  check "the unit: dedicated user, ProtectSystem=strict, only the state directory writable" \
    sh -c "grep -qx 'User=scolar' '$tmp/unit/scolar.service' &&
      grep -qx 'ProtectSystem=strict' '$tmp/unit/scolar.service' &&
      grep -qx 'StateDirectory=scolar' '$tmp/unit/scolar.service' &&
      ! grep -q '^ReadWritePaths' '$tmp/unit/scolar.service'"
else
  echo "# systemd-analyze absent: unit not verified"
fi

if [ "$(id -u)" = 0 ] && { [ "${CI:-}" = true ] || [ "${SCOLAR_TEST_DEB_INSTALL:-}" = 1 ]; }; then
  if dpkg -s scolar >/dev/null 2>&1; then
    echo "not ok - a scolar package is installed already: not touching it"
    exit 1
  fi
  had_user=0
  getent passwd scolar >/dev/null && had_user=1
  had_data=0
  [ -e /var/lib/scolar ] && had_data=1
  check "dpkg -i installs" dpkg -i "$deb"
  check "the scolar system user exists" getent passwd scolar
  check "conffile root:scolar 0640" sh -c "[ \"\$(stat -c '%U:%G %a' /etc/scolar/scolar.conf)\" = 'root:scolar 640' ]"
  check "/usr/bin/scolar --version" sh -c "/usr/bin/scolar --version | grep -q '^scolar '"
  if [ -d /run/systemd/system ]; then
    check "systemctl is-active scolar" sh -c "sleep 2; systemctl is-active scolar"
  else
    # no systemd here: what the unit does, by hand (state directory, user, flags)
    install -d -o scolar -g scolar -m 0750 /var/lib/scolar
    port=$((20000 + RANDOM % 20000))
    # (a sanitizer build of the test run: its leak check's suppressions file may be unreadable
    # to the scolar user; the packaging is under test here, not leaks)
    runuser -u scolar -- env -u LSAN_OPTIONS ASAN_OPTIONS=detect_leaks=0 SCOLAR_LISTEN="127.0.0.1:$port" SCOLAR_CONTENT_LISTEN="127.0.0.1:$((port + 1))" \
      /usr/bin/scolar serve --config /etc/scolar/scolar.conf --data /var/lib/scolar \
      >"$tmp/serve.out" 2>"$tmp/serve.err" &
    spid=$!
    up=0
    for _ in $(seq 100); do
      curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && up=1 && break
      sleep 0.1
    done
    check "the installed server answers /healthz as the scolar user" test "$up" = 1
    check "the demo course imports over the admin API" sh -c "
      key=\$(sed -n 's/^  key: *//p' '$tmp/serve.out'); sec=\$(sed -n 's/^  secret: *//p' '$tmp/serve.out')
      curl -sf -u \"\$key:\$sec\" -H 'Content-Type: application/zip' \
        --data-binary @/usr/share/scolar/demo/scolar-demo-2004.zip \
        http://127.0.0.1:$port/api/courses | grep -q '\"course\"'"
    check "the player files come from /usr/share/scolar/runtime_js" sh -c "
      curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$((port + 1))/runtime/scorm-api.js | grep -qx 200"
    check "the logs are JSON lines (packaged log-format json)" sh -c "grep -v '^==' '$tmp/serve.err' |
      head -3 | python3 -c '
import json,sys
n=0
for l in sys.stdin: json.loads(l); n+=1
assert n > 0'"
    # SIGTERM to scolar itself (runuser's child), as systemd's KillSignal does
    kill -TERM "$(pgrep -P "$spid" -x scolar || echo "$spid")"
    wait "$spid"
    st=$?
    check "SIGTERM: a clean stop (exit 0, 'stopped cleanly' logged)" sh -c "[ $st = 0 ] && grep -q 'stopped cleanly' '$tmp/serve.err'"
    check "the data directory is owned by scolar" sh -c "[ \"\$(stat -c %U /var/lib/scolar/store.mdb)\" = scolar ]"
  fi
  echo "# local edit" >>/etc/scolar/scolar.conf
  check "reinstall over it (upgrade path)" dpkg -i "$deb"
  check "the conffile kept its local edit" grep -q '^# local edit' /etc/scolar/scolar.conf
  check "dpkg --purge removes it" dpkg --purge scolar
  check "/usr/bin/scolar is gone" test ! -e /usr/bin/scolar
  check "/etc/scolar/scolar.conf is gone after purge" test ! -e /etc/scolar/scolar.conf
  [ -d /run/systemd/system ] || check "the data directory is kept" test -e /var/lib/scolar/store.mdb
  # leave the machine as found
  [ "$had_data" = 1 ] || rm -rf /var/lib/scolar
  [ "$had_user" = 1 ] || { deluser --system scolar >/dev/null 2>&1 || userdel scolar; }
  rmdir /etc/scolar 2>/dev/null || true
else
  echo "# install, upgrade and purge not run (needs root and CI=true or SCOLAR_TEST_DEB_INSTALL=1)"
fi
if [ "$fails" -gt 0 ]; then
  echo "# $fails failed"
  exit 1
fi
exit 0
