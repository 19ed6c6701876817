#!/bin/bash
# srptd's command line (src/main.c) against the built binary: --help,
# option and argument errors (exact exit status and message, srptd(8) EXIT
# STATUS), --log-level, and start-up failures, which a daemonizing start
# must report through its exit status (the daemon tells the waiting parent
# over a pipe).  The failures are provoked with a file descriptor limit
# (ulimit -n) so low that the pipe or the event loop cannot be created.
# srptd --systemd's notifications: test_notify.sh.
# Usage: test_cli.sh PATH/TO/srptd
set -u
SRPTD=${1:?usage: test_cli.sh SRPTD_BINARY}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-cli-test.XXXXXX")
. "$(dirname "$0")/../lib/shtest.sh"

trap 'rm -rf "$TMP"' EXIT

# expect NAME RC OUT ERR: the last run (run CMD...) exited RC, wrote
# exactly OUT to stdout ("" = nothing) and its stderr matches the
# extended regular expression ERR ("" = nothing on stderr).
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}
expect() {
	local why=""

	[ "$rc" = "$2" ] || why="exit $rc, not $2"
	if [ -z "$3" ]; then
		[ -s "$TMP/out" ] && why="$why; unexpected stdout"
	elif ! grep -qE -- "$3" "$TMP/out"; then
		why="$why; stdout lacks /$3/"
	fi
	if [ -z "$4" ]; then
		[ -s "$TMP/err" ] && why="$why; unexpected stderr"
	elif ! grep -qE -- "$4" "$TMP/err"; then
		why="$why; stderr lacks /$4/"
	fi
	if [ -z "$why" ]; then
		ok "$1"
	else
		fail "$1: $why"
		sed 's/^/  out: /' "$TMP/out"
		sed 's/^/  err: /' "$TMP/err"
	fi
}

# fd_limited LIMIT CMD...: CMD with only fds 0-2 open and RLIMIT_NOFILE
# LIMIT, so that its fds 3 .. LIMIT-1 are the only ones it can open.
fd_limited() {
	local limit=$1 f n

	shift
	(
		# Not redirected: bash would keep a copy of fd 2 above 2.
		for f in /proc/$BASHPID/fd/*; do
			n=${f##*/}
			[ "$n" -gt 2 ] && eval "exec $n>&-"
		done
		ulimit -n "$limit" && exec "$@"
	)
}

cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: { control_socket = "$TMP/srptd.sock"; }; # not the system's
devices = ( { name = "null0"; engine = "null"; size = "1G"; } );
targets = (
  { name = "tgt0";
    id_ext = "0x0002c90300a1b2c3";
    ioc_guid = "0x0002c90300a1b2c3";
    unknown_initiators = "default-map";
    lun_map = ( { lun = 0; device = "null0"; } );
  }
);
CONF
CONF_OK="^$TMP/srptd.conf: configuration OK \(1 device, 1 target\)$"

# --- options -----------------------------------------------------------
run "$SRPTD" --help
expect "--help: usage on stdout, exit 0" 0 "^Usage: srptd \[OPTIONS\]$" ""
run "$SRPTD" -h
expect "-h: usage on stdout, exit 0" 0 "^  -l, --log-level LVL" ""
run "$SRPTD" -l bogus -c "$TMP/srptd.conf"
expect "-l bogus exits 2 naming the level" 2 "" \
	"^srptd: invalid log level 'bogus' \(error, warning, notice, info, debug\)$"
run "$SRPTD" --log-level=debug --check-config -c "$TMP/srptd.conf"
expect "--log-level=debug accepted" 0 "$CONF_OK" ""
run "$SRPTD" -c "$TMP/srptd.conf" extra
expect "an unexpected argument exits 2 with usage" 2 "" \
	"^srptd: unexpected argument 'extra'$"
grep -q "^Usage: srptd" "$TMP/err" && ok "unexpected argument prints usage to stderr" ||
	fail "unexpected argument prints usage to stderr"
run "$SRPTD" --check-config "$TMP/srptd.conf" "$TMP/srptd.conf"
expect "--check-config takes one file, not two" 2 "" \
	"^srptd: unexpected argument '$TMP/srptd.conf'$"
run "$SRPTD" --check-config "$TMP/srptd.conf"
expect "--check-config FILE (positional)" 0 "$CONF_OK" ""
run "$SRPTD" --systemd --check-config -c "$TMP/srptd.conf"
expect "--systemd with --check-config only checks" 0 "$CONF_OK" ""
run "$SRPTD" -x
expect "unknown short option exits 2 with usage" 2 "" "^Usage: srptd"

# --- start-up failures ---------------------------------------------------
# 4 fds: the configuration is read through fd 3, then the start-up pipe
# needs two.
run fd_limited 4 "$SRPTD" -c "$TMP/srptd.conf"
expect "daemonizing start: no fd for the start-up pipe exits 1" 1 "" \
	"^srptd: pipe: Too many open files$"
# In the foreground the event loop needs epoll, timer and event fds.
run fd_limited 4 "$SRPTD" --foreground -c "$TMP/srptd.conf"
expect "foreground start-up failure exits 1 with the reason" 1 "" \
	"start-up failed: Too many open files$"
# The daemon (stdio on /dev/null) fails the same way; its parent must
# say so through its exit status.  6 fds: the pipe's two, then the loop
# runs out.
run fd_limited 6 "$SRPTD" -c "$TMP/srptd.conf"
expect "daemonizing start: the daemon's start-up failure exits 1" 1 "" ""
# The daemon reports the failure, then exits: give it 5 s to be gone.
for ((i = 0; i < 50; i++)); do
	pgrep -f -- "-c $TMP/srptd.conf" >/dev/null || break
	sleep 0.1
done
pgrep -f -- "-c $TMP/srptd.conf" >/dev/null &&
	fail "the daemon exits after a failed start" ||
	ok "the daemon exits after a failed start"

finish
