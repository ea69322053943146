#!/usr/bin/env bash
# Build the Debian package of scolar with dpkg-deb (issue 18):
#   tools/deb/build.sh OUT_DIR [--binary PATH]
# Without --binary it makes a release build (build-deb/, prefix /usr, the player files looked up
# in /usr/share/scolar/runtime_js). Dependencies come from dpkg-shlibdeps on the binary.
# Prints the path of the .deb. Layout: /usr/bin/scolar, /usr/lib/scolar/ (TLS),
# /lib/systemd/system/scolar.service,
# /etc/scolar/scolar.conf (conffile, root:scolar 0640), /usr/share/scolar/{runtime_js,demo},
# /usr/share/man/man1/scolar.1.gz, /usr/share/doc/scolar/. The data directory /var/lib/scolar
# is created by systemd (StateDirectory) and kept on remove and purge.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: tools/deb/build.sh OUT_DIR [--binary PATH]}
shift
bin=
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) bin=$2; shift 2 ;;
    *) echo "tools/deb/build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$root/meson.build" | head -1)
arch=$(dpkg --print-architecture)
if [ -z "$bin" ]; then
  bdir=$root/build-deb
  if [ -d "$bdir" ]; then
    meson setup --reconfigure "$bdir" --prefix=/usr -Dbuildtype=release \
      -Druntime_dir=/usr/share/scolar/runtime_js >/dev/null
  else
    meson setup "$bdir" --prefix=/usr -Dbuildtype=release \
      -Druntime_dir=/usr/share/scolar/runtime_js >/dev/null
  fi
  ninja -C "$bdir" lrs/scolar lrs/scolar-tls-libssl.so lrs/scolar-tls-libcrypto.so >/dev/null
  bin=$bdir/lrs/scolar
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/pkg
install -D -m 0755 "$bin" "$pkg/usr/bin/scolar"
strip --strip-unneeded "$pkg/usr/bin/scolar" 2>/dev/null || true
# HTTPS: the two libraries that let Debian's civetweb load OpenSSL 3 (lrs/lrs_tls_shim.c), built
# beside the binary; scolar looks for them in ../lib/scolar from itself
for l in scolar-tls-libssl.so scolar-tls-libcrypto.so; do
  [ -f "$(dirname "$bin")/$l" ] || { echo "tools/deb/build.sh: $l not found beside $bin" >&2; exit 1; }
  install -D -m 0644 "$(dirname "$bin")/$l" "$pkg/usr/lib/scolar/$l"
  strip --strip-unneeded "$pkg/usr/lib/scolar/$l" 2>/dev/null || true
done
for f in player.html player.js player.css scorm-api.js datamodel.json; do
  install -D -m 0644 "$root/runtime_js/$f" "$pkg/usr/share/scolar/runtime_js/$f"
done
mkdir -p "$pkg/usr/share/scolar/demo"
"$root/tools/demo-course/make-zip.sh" 2004 "$pkg/usr/share/scolar/demo/scolar-demo-2004.zip"
"$root/tools/demo-course/make-zip.sh" 12 "$pkg/usr/share/scolar/demo/scolar-demo-12.zip"
install -D -m 0644 "$root/tools/systemd/scolar.service" "$pkg/lib/systemd/system/scolar.service"
install -D -m 0640 "$root/tools/deb/scolar.conf" "$pkg/etc/scolar/scolar.conf"
install -d "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/scolar"
gzip -9n <"$root/docs/scolar.1" >"$pkg/usr/share/man/man1/scolar.1.gz"
for d in configuration.md reverse-proxy.md api.md quickstart.md; do
  [ -f "$root/docs/$d" ] && install -m 0644 "$root/docs/$d" "$pkg/usr/share/doc/scolar/$d"
done
cat >"$pkg/usr/share/doc/scolar/copyright" <<'C'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: scolar
Files: *
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
C

# run-time dependencies of the binary (dpkg-shlibdeps wants a debian/control beside it)
sd=$stage/shlibs
mkdir -p "$sd/debian"
printf 'Source: scolar\n\nPackage: scolar\nArchitecture: any\n' >"$sd/debian/control"
depends=$(cd "$sd" && dpkg-shlibdeps -O "$pkg/usr/bin/scolar" "$pkg"/usr/lib/scolar/*.so 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "tools/deb/build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# (libssl3 comes from the TLS libraries' dependencies); adduser makes the service user
depends="$depends, adduser"

install -d "$pkg/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<C
Package: scolar
Version: $version-1
Architecture: $arch
Maintainer: scolar developers <scolar@localhost>
Installed-Size: $size
Depends: $depends
Section: web
Priority: optional
Description: SCORM 1.2/2004 player and xAPI learning record store
 One program that plays SCORM courses in the browser and stores their
 results as xAPI statements (a conformant xAPI 1.0.3 and 2.0 LRS), with a
 web console, reports, backups and Prometheus metrics. Runs as the scolar
 user under systemd with /var/lib/scolar its only writable directory.
C
echo /etc/scolar/scolar.conf >"$pkg/DEBIAN/conffiles"
install -m 0755 "$root/tools/deb/postinst" "$pkg/DEBIAN/postinst"
install -m 0755 "$root/tools/deb/prerm" "$pkg/DEBIAN/prerm"
install -m 0755 "$root/tools/deb/postrm" "$pkg/DEBIAN/postrm"
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$pkg/DEBIAN/md5sums"
deb=$out/scolar_${version}-1_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
