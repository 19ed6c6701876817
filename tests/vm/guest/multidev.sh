# Check group "multidev" (sourced by suite.sh, dash): the target serves
# every RDMA device and every address.  Both rxe devices get an IPv6
# address beside their IPv4 one; the initiator logs in through each
# device to each of its addresses with that device's own node GUID as
# ioc_guid (what srp_daemon builds per HCA port from device management,
# doc/srp-protocol.md 2), writes and verifies a few MiB, and logs out of
# that path only; a login naming a foreign ioc_guid must be rejected.
#
# ib_srp creates its QP on the device of its SRP host, and RDMA/CM
# resolves a local address to the device that owns it, so a path is
# (srp-rxeN-1, an address of rxeN's netdev) (README.md "Topology").
#
# Target hooks (optional, target-*.sh):
#   target_md_allow DEV INI_PORT_ID   let that initiator port in through
#                                     DEV (LIO: GID-named port + ACL)
#   target_md_cleanup                 undo target_md_allow
#   target_md_log_checks              checks on the target's own log
# TGT_MD_GUID: "own" (default) = each device's node GUID as ioc_guid, or
# a fixed GUID the target needs on every device (with the reason in
# TGT_MD_GUID_WHY, reported as a SKIP of the own-GUID logins).

VETH0_ADDR6=fd00:5352::1
VETH1_ADDR6=fd00:5352::2
MD_FOREIGN_GUID=0002c9030000dead

# md_addr6 NETDEV RXE ADDR: ADDR on NETDEV (no duplicate address
# detection: the veth pair would see its own probes) and in RXE's GID
# table (rxe adds the RoCE GIDs from a netdev notifier, asynchronously).
md_addr6() {
	ip -6 addr show dev "$1" | grep -q "$3/" ||
		ip addr add "$3/64" dev "$1" nodad ||
		fail "cannot add $3 to $1" || return 1
	# fd00:5352::N -> fd00:5352:0000:...:000N as sysfs prints GIDs
	_hex=$(printf 'fd00:5352:0000:0000:0000:0000:0000:%04x' "0x${3##*:}")
	wait_for 10 sh -c "cat /sys/class/infiniband/$2/ports/1/gids/* 2>/dev/null | grep -q '^$_hex\$'" ||
		fail "$3 not in $2's GID table after 10 s" || return 1
}

md_setup() {
	md_addr6 veth0 rxe0 $VETH0_ADDR6 || return 1
	md_addr6 veth1 rxe1 $VETH1_ADDR6 || return 1
	MD_GUID0=$(nocolon "$(cat /sys/class/infiniband/rxe0/node_guid)")
	MD_GUID1=$(nocolon "$(cat /sys/class/infiniband/rxe1/node_guid)")
	echo "vmrig: multidev: rxe0 $MD_GUID0 $VETH0_ADDR $VETH0_ADDR6, rxe1 $MD_GUID1 $VETH1_ADDR $VETH1_ADDR6"
}

# md_ini_port_id DEV EXT: the initiator port id ib_srp sends through DEV
# with initiator_ext EXT (16 hex digits): EXT || interface id of GID 0.
md_ini_port_id() {
	echo "$2$(nocolon "$(cat /sys/class/infiniband/$1/ports/1/gids/0)" | cut -c17-32)"
}

# md_add DEV DEST GUID EXT: add_target through srp-DEV-1; sets MD_HOST
# to the new SCSI host, or returns 1 with WHY.
md_add() {
	_opts="id_ext=$TGT_ID_EXT,ioc_guid=$3,dest=$2:$TGT_PORT,initiator_ext=$4"
	_before=$(echo /sys/class/srp_remote_ports/port-*)
	_d0=$(dmesg | wc -l)
	echo "vmrig: add_target via srp-$1-1: $_opts"
	if ! timeout 60 sh -c "echo '$_opts' >/sys/class/infiniband_srp/srp-$1-1/add_target"; then
		MD_DMESG=$(dmesg | tail -n +$((_d0 + 1)) | grep -v 'receiving failed' | tail -n 4 | tr '\n' ' ')
		fail "add_target '$_opts' via srp-$1-1 failed: $MD_DMESG"
		return 1
	fi
	MD_HOST=
	for _p in /sys/class/srp_remote_ports/port-*; do
		[ -e "$_p" ] || continue
		case " $_before " in *" $_p "*) continue ;; esac
		MD_HOST=${_p##*port-}
		MD_HOST=${MD_HOST%%:*}
	done
	[ -n "$MD_HOST" ] || fail "add_target accepted but no new remote port" || return 1
}

# md_del HOST: log that one path out (the suite's own login stays).
md_del() {
	timeout 60 sh -c "echo 1 >/sys/class/srp_remote_ports/port-$1:1/delete" ||
		fail "delete of remote port $1 failed" || return 1
	wait_for 30 sh -c "! test -e /sys/class/scsi_host/host$1" ||
		fail "scsi host$1 still present 30 s after logout" || return 1
}

# chk_md_path DEV ADDR GUID N: log in through DEV to ADDR with ioc_guid
# GUID (initiator_ext N), verified write of 4 MiB at a place of its own
# on LUN 0, log out.
chk_md_path() {
	_ext=$(printf '%016x' $((0x4d00 + $4)))
	if command -v target_md_allow >/dev/null 2>&1; then
		target_md_allow "$1" "$(md_ini_port_id "$1" "$_ext")" || return 1
	fi
	_dest=$2
	case $2 in *:*) _dest="[$2]" ;; esac
	md_add "$1" "$_dest" "$3" "$_ext" || return 1
	_h=$MD_HOST
	if ! wait_for 20 sh -c "ls /sys/class/scsi_host/host$_h/device/target$_h:0:0/$_h:0:0:0/block/"; then
		md_del "$_h"
		fail "logged in via $1 to $2 but no disk for LUN 0 within 20 s"
		return 1
	fi
	_d=$(ls "/sys/class/scsi_host/host$_h/device/target$_h:0:0/$_h:0:0:0/block/" | head -n 1)
	wait_for 10 test -b "/dev/$_d" || { md_del "$_h"; fail "/dev/$_d missing"; return 1; }
	timeout 120 fio --name="md$4" --filename="/dev/$_d" --allow_file_create=0 \
		--direct=1 --ioengine=libaio --rw=randwrite --bs=16k --iodepth=8 \
		--size=4M --offset=$((224 + 4 * $4))M --verify=crc32c \
		--verify_fatal=1 --do_verify=1 >/tmp/fio-md$4.out 2>&1
	_rc=$?
	cat /tmp/fio-md$4.out
	md_del "$_h" || return 1
	[ $_rc = 0 ] || fail "fio write+verify via $1 to $2 failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-md$4.out)"
}

# chk_md_foreign DEV ADDR: ioc_guid naming no HCA of the target is
# rejected (SRP_LOGIN_REJ, doc/srp-protocol.md 2) and leaves nothing.
chk_md_foreign() {
	_ext=$(printf '%016x' $((0x4dff)))
	if command -v target_md_allow >/dev/null 2>&1; then
		target_md_allow "$1" "$(md_ini_port_id "$1" "$_ext")" || return 1
	fi
	if md_add "$1" "$2" $MD_FOREIGN_GUID "$_ext"; then
		md_del "$MD_HOST"
		fail "login with ioc_guid $MD_FOREIGN_GUID via $1 accepted"
		return 1
	fi
	echo "$MD_DMESG" | grep -q "REJ" ||
		fail "add_target failed without a REJ: $MD_DMESG" || return 1
	WHY=
}

# The issue's own setup, as a hot add: a third device named like the
# reporter's (rig0p_rxe) on a new veth pair with an IPv6 address only,
# created while the target runs.  The target must bring it up by itself
# (srptd logs it up with its address and the target's add_target string
# for it), take a login through it to its IPv6 address with its own node
# GUID, and let it go again (rdma link delete returns within 30 s).
MD_HOT_DEV=rig0p_rxe
MD_HOT_ADDR6=fd00:5352::3
md_hot_remove() {
	if rdma link show "$MD_HOT_DEV/1" >/dev/null 2>&1; then
		timeout 30 rdma link delete "$MD_HOT_DEV" ||
			fail "rdma link delete $MD_HOT_DEV blocked or failed" || return 1
	fi
	ip link del veth2 2>/dev/null
	return 0
}

chk_md_hot_add() {
	ip link add veth2 address 02:53:52:50:00:03 type veth \
		peer name veth3 address 02:53:52:50:00:04 || fail "veth2 pair" || return 1
	ip addr add $MD_HOT_ADDR6/64 dev veth2 nodad
	ip link set veth2 up
	ip link set veth3 up
	rdma link add $MD_HOT_DEV type rxe netdev veth2 || fail "rdma link add $MD_HOT_DEV" || return 1
	wait_for 20 sh -c "ibv_devinfo -d $MD_HOT_DEV | grep -q PORT_ACTIVE" ||
		fail "$MD_HOT_DEV port not ACTIVE after 20 s" || return 1
	_g=$(nocolon "$(cat /sys/class/infiniband/$MD_HOT_DEV/node_guid)")
	_hex=$(printf 'fd00:5352:0000:0000:0000:0000:0000:%04x' "0x${MD_HOT_ADDR6##*:}")
	wait_for 10 sh -c "cat /sys/class/infiniband/$MD_HOT_DEV/ports/1/gids/* 2>/dev/null | grep -q '^$_hex\$'" ||
		fail "$MD_HOT_ADDR6 not in $MD_HOT_DEV's GID table" || return 1
	if command -v target_md_hot_logged >/dev/null 2>&1; then
		target_md_hot_logged $MD_HOT_DEV "$_g" $MD_HOT_ADDR6 || return 1
	fi
	wait_for 10 test -e /sys/class/infiniband_srp/srp-$MD_HOT_DEV-1 ||
		fail "ib_srp has no srp-$MD_HOT_DEV-1" || return 1
	chk_md_path $MD_HOT_DEV $MD_HOT_ADDR6 "$_g" 4 || return 1
	md_hot_remove
}

md_checks() {
	run_check multidev/setup md_setup
	[ "$CHECK_OK" = 1 ] || return 0
	_own=1
	_g0=$MD_GUID0
	_g1=$MD_GUID1
	if [ "${TGT_MD_GUID:-own}" != own ]; then
		_own=0
		_g0=$TGT_MD_GUID
		_g1=$TGT_MD_GUID
		report "SKIP ${PFX}multidev/own-node-guid: $TGT_MD_GUID_WHY"
	fi
	run_check multidev/rxe0-ipv4 chk_md_path rxe0 $VETH0_ADDR $_g0 0
	run_check multidev/rxe0-ipv6 chk_md_path rxe0 $VETH0_ADDR6 $_g0 1
	run_check multidev/rxe1-ipv4 chk_md_path rxe1 $VETH1_ADDR $_g1 2
	run_check multidev/rxe1-ipv6 chk_md_path rxe1 $VETH1_ADDR6 $_g1 3
	run_check multidev/foreign-ioc-guid-rejected chk_md_foreign rxe1 $VETH1_ADDR
	if command -v target_md_hot_logged >/dev/null 2>&1; then
		run_check multidev/hot-added-ipv6-only-device chk_md_hot_add
		md_hot_remove
	fi
	if command -v target_md_log_checks >/dev/null 2>&1; then
		target_md_log_checks
	fi
	if command -v target_md_cleanup >/dev/null 2>&1; then
		target_md_cleanup
	fi
}
