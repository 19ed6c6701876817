#!/bin/bash
# `cmake --install` puts the daemon, the systemd unit, the man pages, the
# modules-load file and the example config where a package would, and the
# installed unit and config are usable.
# Usage: test_install.sh BUILD_DIR
set -u
BUILD=${1:?usage: test_install.sh BUILD_DIR}
DEST=$(mktemp -d "${TMPDIR:-/tmp}/srptd-install-test.XXXXXX")
trap 'rm -rf "$DEST"' EXIT
passed=0
failed=0
check() { # description, command...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "PASS $what"
		passed=$((passed + 1))
	else
		echo "FAIL $what"
		failed=$((failed + 1))
	fi
}

PREFIX=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
SBIN=$PREFIX/sbin
DESTDIR=$DEST cmake --install "$BUILD" >"$DEST.log" 2>&1 ||
	{ cat "$DEST.log"; echo "0 passed, 1 failed"; exit 1; }
rm -f "$DEST.log"

check "daemon installed in sbin" test -x "$DEST$SBIN/srptd"
unit=$DEST$PREFIX/lib/systemd/system/srptd.service
check "systemd unit installed" test -f "$unit"
check "unit is Type=notify" grep -qx "Type=notify" "$unit"
check "unit runs the installed binary" grep -qx \
	"ExecStart=$SBIN/srptd --systemd -c /etc/srptd.conf" "$unit"
check "unit validates before start" grep -q "^ExecStartPre=$SBIN/srptd --check-config" "$unit"
check "unit reloads with SIGHUP" grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
check "unit raises LimitMEMLOCK" grep -qx "LimitMEMLOCK=infinity" "$unit"
check "srptd(8) installed" test -f "$DEST$PREFIX/share/man/man8/srptd.8"
check "srptd.conf(5) installed" test -f "$DEST$PREFIX/share/man/man5/srptd.conf.5"
check "example config installed as /etc/srptd.conf" test -f "$DEST/etc/srptd.conf"
check "drop-in directory created" test -d "$DEST/etc/srptd.d"
check "rdma modules-load file installed" grep -qx rdma_ucm "$DEST/etc/rdma/modules/srptd.conf"
check "installed config validates" "$DEST$SBIN/srptd" --check-config "$DEST/etc/srptd.conf"
# A second install succeeds and keeps an admin's edited /etc/srptd.conf.
echo "# edited" >>"$DEST/etc/srptd.conf"
check "reinstall over an existing install succeeds" \
	env DESTDIR="$DEST" cmake --install "$BUILD"
check "reinstall keeps an edited /etc/srptd.conf" grep -qx "# edited" "$DEST/etc/srptd.conf"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
