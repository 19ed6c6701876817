#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# dm_stock_tools.sh BUILD_DIR: Debian's unmodified ibsrpdm and srp_daemon
# (srptools) discover srptd's Device Management agent over the simulated
# subnet of tests/lib/umadsim (README.md there): the agent
# (src/fabric/dm/, run by tests/lib/umadsim/dm_host.c) on LID 2, the
# tools on LID 3, the subnet administrator on LID 1.  Each tool must
# print exactly the login lines the slots imply (doc/discovery.md), over
# both SA query paths, and nothing when the port has no DM agent or no
# controller.
set -u
. "$(dirname "$0")/../../lib/shtest.sh"

build=${1:?usage: $0 BUILD_DIR}
lib=$build/tests/lib
for t in ibsrpdm srp_daemon; do
	command -v "$t" >/dev/null ||
		PATH=$PATH:/usr/sbin:/sbin
done
command -v ibsrpdm >/dev/null || { echo "FAIL ibsrpdm not installed (srptools)"; exit 1; }
command -v srp_daemon >/dev/null || { echo "FAIL srp_daemon not installed (srptools)"; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/umadsim.XXXXXX")
sm_pid=
host_pid=
cleanup() {
	[ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
	[ -n "$sm_pid" ] && kill "$sm_pid" 2>/dev/null && wait "$sm_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# The target: node GUID ...b1c2, port GUID ...b1c3, LID 2, IsDM set
# (PortInfo CapabilityMask bit 19, IBA 14.2.5.6).
t_node=0002c90300a0b1c2
t_port=0002c90300a0b1c3
t_node_env=simt0,0x$t_node,0x$t_port,2,0x00080000
# The initiator: LID 3, no capabilities.
i_node_env=simi0,0x0011223344556601,0x0011223344556602,3,0

# The sysfs files srp_daemon reads for its own port (SYSFS_PATH).
sys=$dir/sys
mkdir -p "$sys/class/infiniband_mad/umad0" "$sys/class/scsi_host" \
	"$sys/class/infiniband/simi0/ports/1/gids"
echo simi0 >"$sys/class/infiniband_mad/umad0/ibdev"
echo 1 >"$sys/class/infiniband_mad/umad0/port"
p=$sys/class/infiniband/simi0/ports/1
echo InfiniBand >"$p/link_layer"
echo 0x1 >"$p/sm_lid"
echo 0x3 >"$p/lid"
echo fe80:0000:0000:0000:0011:2233:4455:6602 >"$p/gids/0"

# An ASan-built host needs its runtime first in LD_PRELOAD; the stock
# tools get libumadsim.so alone (it is never sanitized).
host_preload=$lib/libumadsim.so
asan=$(ldd "$lib/umadsim_dm_host" | awk '/libasan/ { print $3 }')
[ -n "$asan" ] && host_preload="$asan $host_preload"

start() { # start SM_ARGS -- HOST_ARGS...
	local sm_args=$1
	shift
	"$lib/umadsim_sm" "$dir" $sm_args &
	sm_pid=$!
	for _ in $(seq 50); do
		[ -S "$dir/sm.sock" ] && break
		sleep 0.1
	done
	SRPTD_UMADSIM_DIR=$dir SRPTD_UMADSIM_NODE=$t_node_env \
		LD_PRELOAD=$host_preload "$lib/umadsim_dm_host" simt0 "$@" \
		>"$dir/host.log" 2>&1 &
	host_pid=$!
	for _ in $(seq 50); do
		grep -q '^ready' "$dir/host.log" && return 0
		sleep 0.1
	done
	cat "$dir/host.log"
	return 1
}

stop() {
	kill "$host_pid" "$sm_pid" 2>/dev/null
	wait "$host_pid" 2>/dev/null
	host_status=$?
	wait "$sm_pid" 2>/dev/null
	host_pid=
	sm_pid=
	rm -f "$dir/sm.sock"
}

tool() { # tool CMD...: its standard output
	SYSFS_PATH=$sys SRPTD_UMADSIM_DIR=$dir SRPTD_UMADSIM_NODE=$i_node_env \
		LD_PRELOAD=$lib/libumadsim.so timeout 60 "$@" 2>"$dir/tool.err"
}

check() { # check NAME EXPECTED CMD...
	local name=$1 want=$2 got
	shift 2
	got=$(tool "$@")
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		fail "$name"
		echo "expected:"; echo "$want"
		echo "got:"; echo "$got"
		echo "stderr:"; cat "$dir/tool.err"
	fi
}

# Two targets: id_ext and ioc_guid as srptd gives them for ioc_guid
# "auto" (the HCA's node GUID) and for explicit values; the IB/CM
# service ids srptd listens on (0x13F0000 | port, doc/discovery.md).
slots="$t_node:$t_node:13f0001 5e1f0000000000aa:5e1f0000000000bb:13f0002"
dgid=fe80000000000000$t_port
want="id_ext=$t_node,ioc_guid=$t_node,dgid=$dgid,pkey=ffff,service_id=00000000013f0001
id_ext=5e1f0000000000aa,ioc_guid=5e1f0000000000bb,dgid=$dgid,pkey=ffff,service_id=00000000013f0002"

for sa in mask-match no-mask-match; do
	sm_args=
	[ $sa = no-mask-match ] && sm_args=--no-mask-match
	if ! start "$sm_args" $slots; then
		fail "$sa: start the agent"
		stop
		continue
	fi
	check "$sa: ibsrpdm -c prints both targets" "$want" \
		ibsrpdm -c -d /dev/infiniband/umad0
	check "$sa: srp_daemon -o -c prints both targets" "$want" \
		srp_daemon -o -c -d /dev/infiniband/umad0
	# Without -d both take the first HCA (umad_get_ca(NULL)).
	check "$sa: ibsrpdm -c, default port" "$want" ibsrpdm -c
	stop
	if [ "$host_status" = 0 ]; then
		ok "$sa: the agent stops cleanly"
	else
		fail "$sa: the agent stops cleanly (status $host_status)"
		cat "$dir/host.log"
	fi
done

# The port is on the subnet with IsDM but nothing answers class 0x06:
# the MAD layer rejects the query and the tools print no target.
if start "" --no-agent; then
	check "no agent: ibsrpdm -c prints nothing" "" \
		ibsrpdm -c -d /dev/infiniband/umad0
	check "no agent: srp_daemon -o -c prints nothing" "" \
		srp_daemon -o -c -d /dev/infiniband/umad0
else
	fail "no agent: start the port"
fi
stop

# An agent with no controller: IOUnitInfo lists none.
if start ""; then
	check "no targets: ibsrpdm -c prints nothing" "" \
		ibsrpdm -c -d /dev/infiniband/umad0
else
	fail "no targets: start the agent"
fi
stop

finish
