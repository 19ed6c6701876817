#!/bin/bash
# `cmake --install` puts the daemon, the systemd unit, the man pages, the
# modules-load file and the example config where a package would, and the
# installed unit and config are usable (install_checks.sh, shared with the
# Debian package test test_packages.sh).
# Usage: test_install.sh BUILD_DIR
set -u
BUILD=${1:?usage: test_install.sh BUILD_DIR}
DEST=$(mktemp -d "${TMPDIR:-/tmp}/srptd-install-test.XXXXXX")
trap 'rm -rf "$DEST"' EXIT
here=$(dirname "$0")
. "$here/../lib/shtest.sh"
. "$here/install_checks.sh"

PREFIX=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
UNITDIR=$(sed -n 's/^SRPTD_SYSTEMD_UNITDIR:PATH=//p' "$BUILD/CMakeCache.txt")
case $UNITDIR in /*) ;; *) UNITDIR=$PREFIX/$UNITDIR ;; esac
DESTDIR=$DEST cmake --install "$BUILD" >"$DEST.log" 2>&1 ||
	{ cat "$DEST.log"; rm -f "$DEST.log"; fail "cmake --install"; finish; }
rm -f "$DEST.log"

check_installed "$DEST" "$PREFIX" "$UNITDIR/srptd.service"
# A second install succeeds and keeps an admin's edited /etc/srptd.conf.
echo "# edited" >>"$DEST/etc/srptd.conf"
check "reinstall over an existing install succeeds" \
	env DESTDIR="$DEST" cmake --install "$BUILD"
check "reinstall keeps an edited /etc/srptd.conf" grep -qx "# edited" "$DEST/etc/srptd.conf"

finish
