#!/bin/sh
# Build the Debian packages (debian/) from a copy of the tree, the way a
# clean checkout builds: `dpkg-buildpackage -us -uc -b`.  The copy holds
# the files git tracks plus new ones it does not ignore, so build
# directories and caches never leak into it.
#   scripts/build-packages.sh OUT_DIR [dpkg-buildpackage options...]
# Leaves the .deb files (and .changes, .buildinfo, build.log) in OUT_DIR.
# DEB_BUILD_OPTIONS is passed through: scripts/check.sh sets nocheck
# because it has run every test already.  Needs the Build-Depends
# (scripts/install-deps.sh installs them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-packages.sh OUT_DIR [dpkg-buildpackage options...]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/srptd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir "$work/srptd"
(cd "$top" && git ls-files -z -co --exclude-standard |
	xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$work/srptd"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
echo "build-packages.sh: dpkg-buildpackage -us -uc -b $* in $work/srptd"
if ! (cd "$work/srptd" && dpkg-buildpackage -us -uc -b "$@") >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "build-packages.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
ls "$out"/*.deb
