#!/bin/bash
# Daemon lifecycle test: srptd --foreground with a temp config; SIGHUP with
# a broken config (still running, old config kept, file:line errors
# logged), SIGHUP with a good one (applied), SIGTERM (exit 0 within 5 s, no
# fd leaked across reloads or open at exit); the daemonizing start path;
# --check-config results.
# With "fds-at-exit" as second argument it runs, instead, srptd under
# valgrind --track-fds through a reload and a SIGTERM: no fd may be open at
# exit.  That mode exits 77 (skipped, doc/testing.md) when valgrind is
# missing or the binary is built with a sanitizer, which valgrind cannot run.
# Usage: test_daemon.sh PATH/TO/srptd [fds-at-exit]
set -u
SRPTD=${1:?usage: test_daemon.sh SRPTD_BINARY [fds-at-exit]}
MODE=${2:-lifecycle}
SRC=${SRPTD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-daemon-test.XXXXXX")
PID=""
SHTEST_LOG=$TMP/log
. "$(dirname "$0")/../lib/shtest.sh"

cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# running PID: the process exists and has not exited.  A daemon that
# exited stays a zombie until its new parent (PID 1, or a subreaper) reaps
# it, which some container inits do only every few seconds; kill -0
# succeeds on a zombie, so it cannot tell.
running() {
	local st

	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

fd_list() {
	# Targets of the daemon's open fds, sorted (sockets/pipes by inode).
	for f in /proc/"$1"/fd/*; do readlink "$f"; done | sort
}

mkdir -p "$TMP/conf.d"
write_good() { # $1: extra device name or ""
	cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: {
  log_level = "info";
  include_dir = "$TMP/conf.d";
  control_socket = "$TMP/srptd.sock"; # not the system's (parallel tests)
};
devices = (
  { name = "null0"; engine = "null"; size = "1G"; }$( [ -n "$1" ] && printf ',\n  { name = "%s"; engine = "null"; size = "2G"; },\n  { name = "gone"; path = "%s/absent.img"; engine = "sync"; }' "$1" "$TMP")
);
targets = (
  { name = "tgt0";
    id_ext = "0x0002c90300a1b2c3";
    ioc_guid = "0x0002c90300a1b2c3";
    unknown_initiators = "default-map";
    lun_map = ( { lun = 0; device = "null0"; } );
  }
);
CONF
}

write_bad() {
	cat >"$TMP/srptd.conf" <<'CONF'
version = 1;
daemon: {
  no_such_key = 1;
};
devices = (
  { name = "null0"; engine = "null"; size = "1G"; }
);
CONF
}

# --- fds open at exit (valgrind) ---------------------------------------
if [ "$MODE" = fds-at-exit ]; then
	command -v valgrind >/dev/null || skip_all "valgrind not installed"
	nm "$SRPTD" 2>/dev/null | grep -qE '__(asan|tsan)_init' &&
		skip_all "$SRPTD is a sanitizer build; valgrind cannot run it"
	write_good ""
	valgrind -q --track-fds=yes --log-file="$TMP/vg" \
		"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
	PID=$!
	if wait_for "ready (configuration generation 1)" "$TMP/log" 60; then
		ok "valgrind run reaches ready"
	else
		fail "valgrind run reaches ready"
		finish
	fi
	write_good "null1"
	kill -HUP "$PID"
	if wait_for "configuration generation 2 applied" "$TMP/log" 30; then
		ok "reload applied under valgrind"
	else
		fail "reload applied under valgrind"
	fi
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=""
	# valgrind lists every fd still open at exit; apart from 0-2 only
	# those inherited from the test harness may remain.
	extra=$(awk '/Open (file descriptor|AF_)/ { if (fd != "") print fd;
			fd = $0; if ($0 ~ /descriptor [012]:/) fd = "" ; next }
		/inherited from parent/ { fd = ""; next }
		END { if (fd != "") print fd }' "$TMP/vg")
	if [ "$rc" = 0 ] && [ -z "$extra" ]; then
		ok "no fds open at exit (valgrind --track-fds)"
	else
		fail "no fds open at exit (rc=$rc): $extra"
	fi
	finish
fi

# --- --check-config ---------------------------------------------------
if "$SRPTD" --check-config -c "$SRC/conf/srptd.conf" >"$TMP/out" 2>&1; then
	ok "check-config accepts conf/srptd.conf"
else
	fail "check-config accepts conf/srptd.conf: $(cat "$TMP/out")"
fi
write_bad
if "$SRPTD" --check-config "$TMP/srptd.conf" >"$TMP/out" 2>&1; then
	fail "check-config rejects a broken config (exit 0)"
elif grep -q "^$TMP/srptd.conf:3: " "$TMP/out"; then
	ok "check-config rejects a broken config with file:line"
else
	fail "check-config rejects a broken config with file:line: $(cat "$TMP/out")"
fi
"$SRPTD" --check-config -c "$TMP/missing.conf" >"$TMP/out" 2>&1
rc=$?
# Exactly 1 (srptd(8) EXIT STATUS): a crash or an abort is non-zero too.
if [ "$rc" = 1 ]; then
	ok "check-config on a missing file exits 1"
else
	fail "check-config on a missing file exits 1 (rc=$rc): $(cat "$TMP/out")"
fi
"$SRPTD" --version | grep -q '^srptd [0-9]' && ok "--version" ||
	fail "--version"
if "$SRPTD" --bogus >/dev/null 2>&1; then fail "unknown option exits 2"
else [ $? = 2 ] && ok "unknown option exits 2" || fail "unknown option exits 2"; fi

# --- foreground lifecycle ---------------------------------------------
write_good ""
"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
PID=$!
if wait_for "ready (configuration generation 1)" "$TMP/log" 10; then
	ok "foreground start reaches ready"
else
	fail "foreground start reaches ready"
fi
grep -qE "waiting for RDMA devices|RDMA devices present" "$TMP/log" &&
	ok "reports RDMA device state" || fail "reports RDMA device state"
fds_before=$(fd_list "$PID")

write_bad
kill -HUP "$PID"
if wait_for "reload failed" "$TMP/log" 10 && kill -0 "$PID" 2>/dev/null; then
	ok "broken reload rejected, daemon still running"
else
	fail "broken reload rejected, daemon still running"
fi
grep -q "$TMP/srptd.conf:3: " "$TMP/log" &&
	ok "broken reload logs file:line" || fail "broken reload logs file:line"
grep -q "keeping configuration generation 1" "$TMP/log" &&
	ok "broken reload keeps the old config" ||
	fail "broken reload keeps the old config"

write_good "null1"
kill -HUP "$PID"
if wait_for "configuration generation 2 applied" "$TMP/log" 10; then
	ok "good reload applied"
else
	fail "good reload applied"
fi
grep -q "reload: devices +2 -0" "$TMP/log" && ok "reload reports the diff" ||
	fail "reload reports the diff"
grep -q "device null1: online: (no backing store) engine null, 2147483648 bytes" "$TMP/log" &&
	ok "reload opens the new device" || fail "reload opens the new device"
grep -q "device gone: cannot open $TMP/absent.img (engine sync): No such file or directory; device stays offline" "$TMP/log" &&
	grep -q "devices: 1 opened, 0 closed, 1 offline after errors" "$TMP/log" &&
	kill -0 "$PID" && ok "a device that cannot open stays offline, daemon serves on" ||
	fail "a device that cannot open stays offline, daemon serves on"
fds_after=$(fd_list "$PID")
if [ "$fds_before" = "$fds_after" ]; then
	ok "no fd leaked across reloads"
else
	fail "no fd leaked across reloads: before [$fds_before] after [$fds_after]"
fi

t0=$(date +%s%N)
kill -TERM "$PID"
rc=124
for ((i = 0; i < 50; i++)); do
	if ! kill -0 "$PID" 2>/dev/null; then
		wait "$PID"
		rc=$?
		break
	fi
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" = 0 ]; then
	ok "SIGTERM: exit 0 in ${ms} ms"
else
	fail "SIGTERM: exit 0 within 5 s (rc=$rc after ${ms} ms)"
	kill -9 "$PID" 2>/dev/null
fi
PID=""
grep -q "stopped" "$TMP/log" && grep -q "device null1: closed" "$TMP/log" &&
	ok "orderly stop closes devices" || fail "orderly stop closes devices"

# --- daemonizing start ------------------------------------------------
"$SRPTD" -c "$TMP/srptd.conf" >"$TMP/out" 2>&1
rc=$?
DPID=$(pgrep -f -- "-c $TMP/srptd.conf" | head -n1)
if [ "$rc" = 0 ] && [ -n "$DPID" ]; then
	ok "daemonizes and reports start-up success"
	kill -TERM "$DPID"
	for ((i = 0; i < 50; i++)); do running "$DPID" || break; sleep 0.1; done
	running "$DPID" && { fail "daemon stops on SIGTERM"; kill -9 "$DPID"; } ||
		ok "daemon stops on SIGTERM"
else
	fail "daemonizes and reports start-up success (rc=$rc): $(cat "$TMP/out")"
fi
write_bad
if "$SRPTD" -c "$TMP/srptd.conf" >"$TMP/out" 2>&1; then
	fail "daemon start with a broken config exits 1"
else
	grep -q "$TMP/srptd.conf:3: " "$TMP/out" &&
		ok "daemon start with a broken config exits 1 with file:line" ||
		fail "daemon start with a broken config: $(cat "$TMP/out")"
fi

finish
