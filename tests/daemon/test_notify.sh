#!/bin/bash
# srptd --systemd's sd_notify(3) messages, read from NOTIFY_SOCKET by a
# python3 listener: READY=1 after start-up with a STATUS= summary naming
# targets, LUNs and the configuration generation; on SIGHUP RELOADING=1
# (with MONOTONIC_USEC) then READY=1, for a good and for a broken
# configuration alike; WATCHDOG=1 pings at half of WATCHDOG_USEC and none
# without it; STOPPING=1 on SIGTERM and exit 0.  Exits 77 (skipped,
# doc/testing.md) when python3 is missing.
# Usage: test_notify.sh PATH/TO/srptd
set -u
SRPTD=${1:?usage: test_notify.sh SRPTD_BINARY}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-notify-test.XXXXXX")
PID=""
LPID=""
. "$(dirname "$0")/../lib/shtest.sh"

cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	[ -n "$LPID" ] && kill -9 "$LPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

PY=$(command -v python3) || skip_all "python3 not installed (reads NOTIFY_SOCKET)"

write_conf() { # LUNS: a config with one target and LUNS null devices
	local i sep="" devs="" luns=""

	for ((i = 0; i < $1; i++)); do
		devs="$devs$sep{ name = \"null$i\"; engine = \"null\"; size = \"1G\"; }"
		luns="$luns$sep{ lun = $i; device = \"null$i\"; }"
		sep=", "
	done
	cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: { control_socket = "$TMP/srptd.sock"; }; # not the system's
devices = ( $devs );
targets = (
  { name = "tgt0";
    id_ext = "0x0002c90300a1b2c3";
    ioc_guid = "0x0002c90300a1b2c3";
    unknown_initiators = "default-map";
    lun_map = ( $luns );
  }
);
CONF
}

# start_daemon [VAR=VALUE...]: a listener on $TMP/notify that writes
# every field of every datagram as "N FIELD" (N counts datagrams) to
# $TMP/notes until it has seen STOPPING=1 or 30 s passed, then srptd
# --systemd with NOTIFY_SOCKET and the given environment.
start_daemon() {
	rm -f "$TMP/notify" "$TMP/notes"
	: >"$TMP/notes"
	"$PY" - "$TMP/notify" >"$TMP/notes" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
n = 0
while True:
    fields = s.recv(4096).decode().split("\n")
    n += 1
    for f in fields:
        if f:
            print(n, f, flush=True)
    if "STOPPING=1" in fields:
        break
PY
	LPID=$!
	for ((i = 0; i < 50; i++)); do
		[ -S "$TMP/notify" ] && break
		sleep 0.1
	done
	env NOTIFY_SOCKET="$TMP/notify" "$@" "$SRPTD" --systemd \
		-c "$TMP/srptd.conf" >"$TMP/out" 2>"$TMP/err" &
	PID=$!
}

# wait_note AFTER REGEX: wait up to 30 s (ASan on a loaded machine) for a
# field matching REGEX in a datagram numbered above AFTER; prints that
# datagram's number.
wait_note() {
	local n

	for ((i = 0; i < 300; i++)); do
		n=$(awk -v a="$1" -v re="$2" \
			'$1 > a && substr($0, index($0, " ") + 1) ~ re { print $1; exit }' \
			"$TMP/notes")
		[ -n "$n" ] && echo "$n" && return 0
		sleep 0.1
	done
	return 1
}
last_note() { tail -n 1 "$TMP/notes" | cut -d' ' -f1; }
notes() { tr '\n' '|' <"$TMP/notes"; }

# stop_daemon: SIGTERM; sets rc to srptd's exit status (124: still up
# after 10 s) and waits for the listener.
stop_daemon() {
	kill -TERM "$PID" 2>/dev/null
	rc=124
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$PID" 2>/dev/null; then
			wait "$PID"
			rc=$?
			break
		fi
		sleep 0.1
	done
	PID=""
	# The listener ends at STOPPING=1; if none came, do not wait 30 s.
	sleep 0.2
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=""
}

# --- start-up, reload, watchdog, stop -----------------------------------
write_conf 3
# 200 ms: srptd pings every 100 ms (sd_watchdog_enabled(3)).
start_daemon WATCHDOG_USEC=200000
if r=$(wait_note 0 '^READY=1$') && kill -0 "$PID" 2>/dev/null; then
	ok "READY=1 after start-up"
else
	fail "READY=1 after start-up: [$(notes)] $(cat "$TMP/err")"
fi
st="^STATUS=waiting for RDMA devices; 1 target, 3 LUNs; config generation 1$"
wait_note 0 "$st" >/dev/null && ok "STATUS= counts targets and LUNs" ||
	fail "STATUS= counts targets and LUNs: [$(notes)]"

sleep 2
w=$(grep -c " WATCHDOG=1$" "$TMP/notes")
# About 20 in two seconds; 5 leaves room for a loaded machine.
[ "$w" -ge 5 ] && ok "WATCHDOG=1 every WATCHDOG_USEC/2 ($w in 2 s)" ||
	fail "WATCHDOG=1 every WATCHDOG_USEC/2 ($w in 2 s)"

# A good reload: RELOADING=1 with the request's time, then READY=1 and
# the new generation's summary.
write_conf 2
n0=$(last_note)
kill -HUP "$PID"
if r1=$(wait_note "$n0" '^RELOADING=1$') && r2=$(wait_note "$r1" '^READY=1$'); then
	ok "SIGHUP: RELOADING=1, then READY=1"
else
	fail "SIGHUP: RELOADING=1, then READY=1: [$(notes)]"
	r1=$n0
fi
grep -qE "^$r1 MONOTONIC_USEC=[0-9]+$" "$TMP/notes" &&
	ok "RELOADING=1 carries MONOTONIC_USEC" ||
	fail "RELOADING=1 carries MONOTONIC_USEC: [$(notes)]"
wait_note "$n0" "^STATUS=.*1 target, 2 LUNs; config generation 2$" >/dev/null &&
	ok "STATUS= after a reload: new LUN count and generation" ||
	fail "STATUS= after a reload: new LUN count and generation: [$(notes)]"

# A broken configuration: still RELOADING=1 then READY=1 (sd_notify(3):
# every RELOADING=1 ends with READY=1), and STATUS= says it failed.
echo "this is not libconfig" >>"$TMP/srptd.conf"
n0=$(last_note)
kill -HUP "$PID"
if r1=$(wait_note "$n0" '^RELOADING=1$') && r2=$(wait_note "$r1" '^READY=1$'); then
	ok "failed reload: RELOADING=1, then READY=1"
else
	fail "failed reload: RELOADING=1, then READY=1: [$(notes)]"
fi
wait_note "$n0" "^STATUS=reload failed \(1 errors\); running generation 2$" \
	>/dev/null && ok "failed reload: STATUS= says so" ||
	fail "failed reload: STATUS= says so: [$(notes)]"
kill -0 "$PID" 2>/dev/null && ok "failed reload: still running" ||
	fail "failed reload: still running"

stop_daemon
[ "$rc" = 0 ] && ok "SIGTERM exits 0" || fail "SIGTERM exits 0 (rc=$rc)"
s=$(grep " STOPPING=1$" "$TMP/notes" | cut -d' ' -f1)
[ -n "$s" ] && ok "STOPPING=1 on SIGTERM" ||
	fail "STOPPING=1 on SIGTERM: [$(notes)]"
grep -qE "^$s STATUS=stopping \(SIGTERM\): logging out 0 session\(s\)$" \
	"$TMP/notes" && ok "STOPPING=1 comes with a STATUS= saying why" ||
	fail "STOPPING=1 comes with a STATUS= saying why: [$(notes)]"
# The journal sink: stderr lines with sd-daemon(3) priority prefixes,
# which the journal parses (notice = <5>).
grep -qx "<5>ready (configuration generation 1)" "$TMP/err" &&
	! grep -qv "^<[0-7]>" "$TMP/err" &&
	ok "log lines carry journal priority prefixes" ||
	fail "log lines carry journal priority prefixes: $(cat "$TMP/err")"

# --- no watchdog unless the service manager asks for one ----------------
write_conf 1
start_daemon
wait_note 0 '^READY=1$' >/dev/null
sleep 0.5
stop_daemon
grep -q " STOPPING=1$" "$TMP/notes" && ! grep -q " WATCHDOG=1$" "$TMP/notes" &&
	ok "no WATCHDOG_USEC: no WATCHDOG=1" ||
	fail "no WATCHDOG_USEC: no WATCHDOG=1: [$(notes)]"

finish
