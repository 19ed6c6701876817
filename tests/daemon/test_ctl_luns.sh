#!/bin/bash
# srptadm device add/remove/resize and lun map/unmap against a running
# srptd (no RDMA device needed): each change is applied like a reload and
# answered with the change report; refusals (unknown names, a device still
# mapped, a LUN mapped twice) change nothing; runtime changes are not
# written to the configuration file, so a reload drops them.
# Usage: test_ctl_luns.sh PATH/TO/srptd PATH/TO/srptadm
set -u
SRPTD=${1:?usage: test_ctl_luns.sh SRPTD SRPTADM}
SRPTADM=${2:?usage: test_ctl_luns.sh SRPTD SRPTADM}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-luns-test.XXXXXX")
SOCK=$TMP/srptd.sock
PID=""
SHTEST_LOG=$TMP/log
. "$(dirname "$0")/../lib/shtest.sh"
. "$(dirname "$0")/../lib/srptadm_check.sh"

cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip_all "python3 not installed"

cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: { log_level = "info"; include_dir = ""; control_socket = "$SOCK"; };
devices = ( { name = "null0"; engine = "null"; size = "1G"; } );
targets = (
  { name = "tgt0";
    id_ext = "0x0002c90300a1b2c3";
    ioc_guid = "0x0002c90300a1b2c3";
    unknown_initiators = "default-map";
    lun_map = ( { lun = 0; device = "null0"; } );
    groups = ( { name = "db";
                 initiators = [ "fe80:0000:0000:0000:0002:c903:000f:1367" ];
                 lun_map = ( { lun = 0; device = "null0"; } ); } );
  }
);
CONF

"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
PID=$!
wait_for "ready (configuration generation" "$TMP/log" 10 || { fail "srptd starts"; finish; }

run device add hot0 --size 64M
check "device add: opened" 0 "device hot0: opened \(67108864 bytes\)"
run device add hot0 --size 64M
check "device add twice: refused" 1 "" "exists already"
run device add bad0
check "device add: a null device needs a size" 1 "" "needs a size"
run device add bad1 --path "$TMP/no-such.img"
check "device add: a path that does not exist is refused" 1 "" \
	"device bad1: $TMP/no-such.img: No such file or directory"
run devices bad1
check "device add: the refused device was not added" 1 "" "no device \"bad1\""
run lun map tgt0 2 hot0
check "lun map: applied" 0 "generation [0-9]+ applied"
run lun map tgt0 2 null0
check "lun map: LUN taken" 1 "" "mapped already"
run lun map tgt9 0 null0
check "lun map: unknown target" 1 "" "no target \"tgt9\""
run lun map tgt0 3 hot0 --group db --read-only
check "lun map into a group, read-only" 0 "applied"
run lun map tgt0 4 hot0 --group nope
check "lun map: unknown group" 1 "" "no group \"nope\""
run device remove hot0
check "device remove: refused while mapped" 1 "" "still mapped \(LUN 2 of target tgt0\)"
run device resize hot0 128M
check "device resize: live" 0 "device hot0: resized live from 67108864 to 134217728 bytes"
run --json lun unmap tgt0 2
check "lun unmap --json" 0 '"report"'
grep -q '"configuration generation' "$TMP/out" && ok "lun unmap --json: report lines" ||
	fail "lun unmap --json: no report line: $out"
run lun unmap tgt0 2
check "lun unmap: not mapped any more" 1 "" "LUN 2 is not mapped there"
run lun unmap tgt0 3 --group db
check "lun unmap from a group" 0 "applied"
run device remove hot0
check "device remove: unmapped" 0 "device hot0: removed from the configuration"
run lun map tgt0
check "lun map: usage" 2 "" "usage"
run lun map tgt0 99999 null0
check "lun map: LUN out of range is a usage error" 2 "" "usage"

# Not written to the file: a reload goes back to the file's devices.
run device add hot1 --size 1M
check "device add hot1" 0 "opened"
kill -HUP "$PID"
wait_for "reload: device hot1: removed from the configuration" "$TMP/log" 10 &&
	ok "a reload drops runtime changes (the file is not written)" ||
	fail "a reload drops runtime changes: $(tail -n 5 "$TMP/log")"
grep -q "hot1" "$TMP/srptd.conf" && fail "the config file was written" ||
	ok "the config file is untouched"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=""
[ "$rc" = 0 ] && ok "srptd exits 0" || fail "srptd exit status $rc"
finish
