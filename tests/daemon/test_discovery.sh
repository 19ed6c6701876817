#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# test_discovery.sh SRPTD LIBUMADSIM UMADSIM_SM: Debian's unmodified
# ibsrpdm and srp_daemon (srptools) find the real srptd daemon over the
# simulated InfiniBand subnet of tests/lib/umadsim (README.md there).
# srptd runs --foreground under libumadsim.so as port simt0:1 (LID 2,
# IsDM set) on a host whose MAD stack works but where no verbs device
# opens, so its Device Management agent serves what the configuration
# says with no verbs fabric (doc/discovery.md); the tools run on LID 3,
# the subnet administrator is LID 1.  Checked, over both SA query paths:
# the tools print exactly the login lines the configuration implies,
# field by field; fabric.dm_agent = false plus SIGHUP silences both and
# true brings the lines back; a target added by reload appears and
# changes the IOUnitInfo change ID; no target, no line; srptd logs no
# error or warning and exits 0 on SIGTERM.
set -u
SRPTD=${1:?usage: $0 SRPTD LIBUMADSIM UMADSIM_SM}
LIBSIM=${2:?usage: $0 SRPTD LIBUMADSIM UMADSIM_SM}
SM=${3:?usage: $0 SRPTD LIBUMADSIM UMADSIM_SM}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-discovery.XXXXXX")
SHTEST_LOG=$TMP/srptd.log
. "$(dirname "$0")/../lib/shtest.sh"

PATH=$PATH:/usr/sbin:/sbin
for t in ibsrpdm srp_daemon; do
	command -v $t >/dev/null || { echo "FAIL $t not installed (srptools)"; exit 1; }
done

PID=
SM_PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	[ -n "$SM_PID" ] && kill "$SM_PID" 2>/dev/null && wait "$SM_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# srptd's port: node GUID ...b1c2, port GUID ...b1c3, LID 2, PortInfo
# CapabilityMask IsDM (bit 19, IBA 14.2.5.6).  The tools' port: LID 3.
T_NODE=0002c90300a0b1c2
T_PORT=0002c90300a0b1c3
T_ENV=simt0,0x$T_NODE,0x$T_PORT,2,0x00080000
I_ENV=simi0,0x0011223344556601,0x0011223344556602,3,0
DGID=fe80000000000000$T_PORT
# IB/CM service id 0x13F0000 | port of the first listen address.
SID=00000000013f1388

# The sysfs files srp_daemon reads for its own port (SYSFS_PATH).
sys=$TMP/sys
mkdir -p "$sys/class/infiniband_mad/umad0" "$sys/class/scsi_host" \
	"$sys/class/infiniband/simi0/ports/1/gids"
echo simi0 >"$sys/class/infiniband_mad/umad0/ibdev"
echo 1 >"$sys/class/infiniband_mad/umad0/port"
p=$sys/class/infiniband/simi0/ports/1
echo InfiniBand >"$p/link_layer"
echo 0x1 >"$p/sm_lid"
echo 0x3 >"$p/lid"
echo fe80:0000:0000:0000:0011:2233:4455:6602 >"$p/gids/0"

# An ASan-built srptd needs its runtime first in LD_PRELOAD; the stock
# tools get libumadsim.so alone (it is never sanitized).
preload=$LIBSIM
asan=$(ldd "$SRPTD" | awk '/libasan/ { print $3 }')
[ -n "$asan" ] && preload="$asan $LIBSIM"

# write_conf DM_AGENT TARGETS...: each target NAME:ID_EXT:IOC_GUID
# ("auto" allowed), all mapping the null device at LUN 0.
write_conf() {
	local dm=$1 sep= t name id ioc
	shift
	{
		cat <<CONF
version = 1;
daemon: { log_level = "info"; control_socket = "$TMP/srptd.sock"; }; # not the system's
fabric: {
  dm_agent = $dm;
  dm_id_string = "srptd discovery test";
  rdma_cm: { listen = [ "0.0.0.0:5000" ]; };
};
devices = ( { name = "null0"; engine = "null"; size = "1G"; } );
targets = (
CONF
		for t in "$@"; do
			IFS=: read -r name id ioc <<<"$t"
			[ "$id" = auto ] || id=0x$id
			[ "$ioc" = auto ] || ioc=0x$ioc
			printf '%s  { name = "%s"; id_ext = "%s"; ioc_guid = "%s";\n    unknown_initiators = "default-map";\n    lun_map = ( { lun = 0; device = "null0"; } ); }\n' \
				"$sep" "$name" "$id" "$ioc"
			sep=,
		done
		echo ");"
	} >"$TMP/srptd.conf"
}

# line ID_EXT IOC_GUID: the login line the tools print for a target.
line() {
	echo "id_ext=$1,ioc_guid=$2,dgid=$DGID,pkey=ffff,service_id=$SID"
}

tool() { # tool CMD...: its standard output
	SYSFS_PATH=$sys SRPTD_UMADSIM_DIR=$TMP SRPTD_UMADSIM_NODE=$I_ENV \
		LD_PRELOAD=$LIBSIM timeout 60 "$@" 2>"$TMP/tool.err"
}

# fields LINE: "key value" per comma-separated field, in order.
fields() {
	tr ',' '\n' <<<"$1" | sed 's/=/ /'
}

# check NAME EXPECTED CMD...: CMD prints the EXPECTED lines, in any
# order; each differing field is named.
check() {
	local name=$1 want=$2 got w g id bad=
	shift 2
	got=$(tool "$@")
	if [ "$(sort <<<"$got")" = "$(sort <<<"$want")" ]; then
		ok "$name"
		return
	fi
	[ "$(grep -c . <<<"$got")" = "$(grep -c . <<<"$want")" ] ||
		bad="$bad; $(grep -c . <<<"$got") line(s), expected $(grep -c . <<<"$want")"
	while read -r w; do
		[ -n "$w" ] || continue
		id=${w%%,*}
		g=$(grep -F -- "$id," <<<"$got" | head -1)
		if [ -z "$g" ]; then
			bad="$bad; no line with $id"
			continue
		fi
		bad="$bad$(diff <(fields "$w") <(fields "$g") |
			awk -v id="$id" '/^</ { k[$2] = $3 } /^>/ { v[$2] = $3 }
			     END { for (f in k) printf "; %s: %s %s, expected %s",
					id, f, (f in v) ? v[f] : "(none)", k[f] }')"
	done <<<"$want"
	fail "$name$bad"
	echo "expected:"; echo "$want"
	echo "got:"; echo "$got"
	echo "stderr:"; cat "$TMP/tool.err"
}

# both NAME EXPECTED: ibsrpdm -c and srp_daemon -o -c on the tools' port.
both() {
	check "$1: ibsrpdm -c" "$2" ibsrpdm -c -d /dev/infiniband/umad0
	check "$1: srp_daemon -o -c" "$2" srp_daemon -o -c -d /dev/infiniband/umad0
}

# change_id: the IOUnitInfo change ID ibsrpdm -v reports.
change_id() {
	tool ibsrpdm -v -d /dev/infiniband/umad0 |
		awk '/change ID:/ { print $3; exit }'
}

gen=1
# reload WHAT: SIGHUP, then wait for the next generation to apply.
reload() {
	gen=$((gen + 1))
	kill -HUP "$PID"
	if wait_for "configuration generation $gen applied" "$TMP/srptd.log" 10; then
		ok "reload: $1"
	else
		fail "reload: $1"
	fi
}

# start SM_ARGS: the subnet, then srptd on it until the agent serves.
start() {
	"$SM" "$TMP" $1 &
	SM_PID=$!
	for _ in $(seq 50); do
		[ -S "$TMP/sm.sock" ] && break
		sleep 0.1
	done
	: >"$TMP/srptd.log"
	gen=1
	SRPTD_UMADSIM_NO_VERBS=1 SRPTD_UMADSIM_DIR=$TMP \
		SRPTD_UMADSIM_NODE=$T_ENV LD_PRELOAD=$preload \
		"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/srptd.log" &
	PID=$!
	wait_for "ready (configuration generation 1)" "$TMP/srptd.log" 30 &&
		wait_for "Device Management agent: serving simt0:1 (no verbs fabric" \
			"$TMP/srptd.log" 5
}

# stop NAME: SIGTERM; srptd exits 0 and logged no error or warning.
stop() {
	local rc bad
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=
	kill "$SM_PID" 2>/dev/null
	wait "$SM_PID" 2>/dev/null
	SM_PID=
	rm -f "$TMP/sm.sock"
	[ "$rc" = 0 ] && ok "$1: srptd exits 0 on SIGTERM" ||
		fail "$1: srptd exits 0 on SIGTERM (status $rc)"
	bad=$(grep -E ' (emerg|alert|crit|error|warning):' "$TMP/srptd.log")
	[ -z "$bad" ] && ok "$1: srptd logs no error or warning" ||
		fail "$1: srptd logs no error or warning: $bad"
}

T0="tgt0:auto:auto"
T1="tgt1:5e1f0000000000aa:5e1f0000000000bb"
T2="tgt2:5e1f0000000000cc:auto"
# "auto" id_ext and ioc_guid: the node GUID of the port's HCA.
want2="$(line $T_NODE $T_NODE)
$(line 5e1f0000000000aa 5e1f0000000000bb)"
want3="$want2
$(line 5e1f0000000000cc $T_NODE)"

# --- the SA matches capability masks ----------------------------------
write_conf true "$T0" "$T1"
if start ""; then
	ok "srptd serves the DM agent with no verbs fabric"
else
	fail "srptd serves the DM agent with no verbs fabric"
	finish
fi
grep -q "no RDMA devices found; waiting for RDMA devices" "$TMP/srptd.log" &&
	ok "srptd reports no verbs device" || fail "srptd reports no verbs device"
both "two targets" "$want2"
# Without -d both take the first HCA (umad_get_ca(NULL)).
check "two targets: ibsrpdm -c, default port" "$want2" ibsrpdm -c

write_conf false "$T0" "$T1"
reload "dm_agent = false"
grep -q "Device Management agent off" "$TMP/srptd.log" &&
	ok "dm_agent = false stops the agent" ||
	fail "dm_agent = false stops the agent"
both "dm_agent = false" ""
# Not because the port left the subnet: its MAD layer rejects the query.
tool ibsrpdm -v -d /dev/infiniband/umad0 >"$TMP/v.out"
cat "$TMP/tool.err" >>"$TMP/v.out"
grep -q "IO Unit Info query returned status 0x000c" "$TMP/v.out" &&
	ok "dm_agent = false: the port rejects DM queries (status 0x000c)" ||
	fail "dm_agent = false: the port rejects DM queries: $(cat "$TMP/v.out")"

write_conf true "$T0" "$T1"
reload "dm_agent = true again"
both "dm_agent = true again" "$want2"
id_before=$(change_id)
[ -n "$id_before" ] && ok "ibsrpdm -v shows the change ID ($id_before)" ||
	fail "ibsrpdm -v shows the change ID"

write_conf true "$T0" "$T1" "$T2"
reload "a third target"
both "three targets" "$want3"
id_after=$(change_id)
if [ -n "$id_after" ] && [ "$id_after" != "$id_before" ]; then
	ok "a target added by reload changes the change ID ($id_before -> $id_after)"
else
	fail "a target added by reload changes the change ID ($id_before -> $id_after)"
fi

write_conf true
reload "no target"
both "no target" ""
stop "mask matching"

# --- the SA without capability-mask matching (NodeRecord table, then a
# PortInfoRecord per LID) ---------------------------------------------
write_conf true "$T0" "$T1"
if start --no-mask-match; then
	ok "no mask matching: srptd serves"
	both "no mask matching" "$want2"
else
	fail "no mask matching: srptd serves"
fi
stop "no mask matching"

finish
