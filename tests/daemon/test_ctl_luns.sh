#!/bin/bash
# srptadm device add/remove/resize and lun map/unmap against a running
# srptd (no RDMA device needed): each change is applied like a reload and
# answered with the change report; refusals (unknown names, a device still
# mapped, a LUN mapped twice) change nothing; runtime changes are not
# written to the configuration file, so a reload drops them.
# With "rbd" (under tests/lib/ceph-cluster.sh run --image rbd/hot0:64M,
# label ceph) the device added is that RBD image instead of a null
# device, and device add's rbd keys and refusals are checked too: a
# missing image or cluster and bad keys are errors that add nothing.
# Usage: test_ctl_luns.sh PATH/TO/srptd PATH/TO/srptadm [rbd]
set -u
SRPTD=${1:?usage: test_ctl_luns.sh SRPTD SRPTADM [rbd]}
SRPTADM=${2:?usage: test_ctl_luns.sh SRPTD SRPTADM [rbd]}
MODE=${3:-null}
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
# hot0: a 64 MiB null device, or the 64 MiB image of the cluster.
HOT0=(--size 64M)
if [ "$MODE" = rbd ]; then
	[ -n "${CEPH_CONF:-}" ] ||
		skip_all "rbd mode runs under tests/lib/ceph-cluster.sh run"
	HOT0=(--rbd-image rbd/hot0 --ceph-conf "$CEPH_CONF"
		--ceph-timeout 10 --write-cache false)
fi

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

# device add over rbd: the keys as srptd.conf(5) names them, what
# `devices` shows, and the refusals, each leaving the daemon serving.
rbd_checks() {
	local conf=$CEPH_CONF
	run devices hot0
	check "rbd: devices shows the image" 0 \
		"hot0 +online +rbd .*rw +rbd:rbd/hot0"
	run --json devices hot0
	check "rbd: devices --json: rbd_image" 0 '"rbd_image": ?"rbd/hot0"'
	grep -qE '"ceph_client": ?"admin"' "$TMP/out" &&
		ok "rbd: devices --json: ceph_client" ||
		fail "rbd: devices --json: no ceph_client: $out"
	run device add nope --engine rbd --rbd-image rbd/nope --ceph-conf "$conf"
	check "rbd: a missing image is an error" 1 "" \
		"device nope: cannot open rbd image rbd/nope as client.admin \($conf\): No such file or directory; not added"
	run devices nope
	check "rbd: the missing image was not added" 1 "" "no device \"nope\""
	run device add nopool --engine rbd --rbd-image nopool/img \
		--ceph-conf "$conf"
	check "rbd: a missing pool is an error" 1 "" \
		"cannot open rbd image nopool/img .*: No such file or directory; not added"
	run device add noconf --engine rbd --rbd-image rbd/hot0 \
		--ceph-conf "$TMP/none/ceph.conf"
	check "rbd: a missing ceph.conf is an error" 1 "" \
		"cannot open rbd image rbd/hot0 as client.admin \($TMP/none/ceph.conf\): No such file"
	# A cluster nobody answers for: a mon address where none listens.
	printf '[global]\nmon host = v2:127.0.0.1:9\nauth client required = none\n' \
		>"$TMP/dead.conf"
	run device add dead --engine rbd --rbd-image rbd/hot0 \
		--ceph-conf "$TMP/dead.conf" --ceph-timeout 2
	check "rbd: an unreachable cluster is an error" 1 "" \
		"cannot open rbd image rbd/hot0 .*\($TMP/dead.conf\): .*; not added"
	run device add bad2 --engine sync --path "$TMP/srptd.conf" \
		--rbd-image rbd/hot0
	check "rbd: rbd_image with another engine" 1 "" \
		"rbd_image: only for engine \"rbd\""
	run device add bad3 --engine rbd
	check "rbd: engine rbd without rbd_image" 1 "" \
		"engine \"rbd\" needs rbd_image"
	run device add bad4 --engine rbd --rbd-image hot0
	check "rbd: rbd_image is pool/image" 1 "" \
		"\"hot0\" is not pool/image or pool/namespace/image"
	run device add bad5 --engine rbd --rbd-image rbd/hot0 --ceph-timeout 9999
	check "rbd: ceph_timeout out of range" 1 "" \
		"ceph_timeout: 9999 is out of range \(0..3600\)"
	run device add bad6 --engine rbd --rbd-image rbd/hot0 --ceph-conf ceph.conf
	check "rbd: ceph_conf must be absolute" 1 "" "not an absolute path"
	run device add bad7 --engine rbd --rbd-image rbd/hot0 --path "$TMP/x"
	check "rbd: a path with engine rbd" 1 "" \
		"path: engine \"rbd\" takes rbd_image"
	run device add bad8 --engine rbd --rbd-image rbd/hot0 --ceph-client "a b"
	check "rbd: ceph_client is a name" 1 "" "ceph_client: .*a b"
	run devices
	check "rbd: the daemon still serves after the refusals" 0 "hot0 +online"
	grep -qE "bad[0-9]|nope|nopool|noconf|dead" "$TMP/out" &&
		fail "rbd: a refused device is listed: $out" ||
		ok "rbd: no refused device is listed"
}

"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
PID=$!
wait_for "ready (configuration generation" "$TMP/log" 10 || { fail "srptd starts"; finish; }

run device add hot0 "${HOT0[@]}"
check "device add: opened" 0 "device hot0: opened \(67108864 bytes\)"
run device add hot0 "${HOT0[@]}"
check "device add twice: refused" 1 "" "exists already"
[ "$MODE" = rbd ] && rbd_checks
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
