# Target abstraction: the kernel's LIO ib_srpt (sourced by suite.sh/demo.sh).
#
# Every target script defines:
#   target_start   bring the target up; on return 0 it sets
#                    TGT_ID_EXT TGT_IOC_GUID   16 hex digits each
#                    TGT_ADDR TGT_PORT         RDMA/CM address and port
#                    TGT_LUN0_BYTES            size of LUN 0
#                    TGT_VENDOR                expected INQUIRY vendor id
#                    TGT_EXT_SG                1 if it fetches external
#                                              descriptor tables (optional)
#                    TGT_LUN0_WCE              WCE bit LUN 0 must report
#                                              in the caching mode page
#                  and on failure sets WHY and returns 1.
#   target_stop    tear it down (must work after a partial start).
#   target_extra_checks   target-specific checks run after the common ones.
# and optionally (suite.sh skips the checks that need them, saying so):
#   target_restart        stop and start the target, initiator logged in
#   target_reload_add_lun / target_reload_restore   add LUN $TGT_HOT_LUN
#                         ($TGT_HOT_LUN_BYTES) by a configuration reload,
#                         and go back to the original layout
#   target_final_checks   checks after target_stop (e.g. the target's log)
#
# LIO facts used here (tests/vm/README.md "Facts the rig relies on"):
# RDMA/CM listens only once discovery_auth/rdma_cm_port is set; ib_srpt
# wants the target port id to be srpt_service_guid twice; login needs a
# node ACL named by the initiator port id on the GID-named port; VPD pages
# need vpd_unit_serial set before the LUN is exported; rmdir the srpt tree
# before rmmod.

CFS=/sys/kernel/config
LIO=$CFS/target
LIO_DEV=$LIO/core/fileio_0/vmdisk0
LIO_DIR=/tmp/lio
TGT_LUN0_BYTES=$((256 * 1024 * 1024))
TGT_VENDOR=LIO-ORG
TGT_PORT=5555
TGT_EXT_SG=0 # ib_srpt does not fetch external tables

target_start() {
	for m in configfs target_core_mod target_core_file ib_srpt; do
		modprobe "$m" || fail "modprobe $m" || return 1
	done
	grep -q " $CFS configfs" /proc/mounts || mount -t configfs none $CFS ||
		fail "mount configfs" || return 1
	mkdir -p $LIO_DIR
	_g=$(cat /sys/module/ib_srpt/parameters/srpt_service_guid)
	_g=$(nocolon "${_g#0x}")
	TGT_ID_EXT=$_g
	TGT_IOC_GUID=$_g
	# multidev.sh: ib_srpt checks both halves of the target port id
	# against this one GUID on every HCA (probe, 6 Dec 2026).
	TGT_MD_GUID=$_g
	TGT_MD_GUID_WHY="ib_srpt accepts only srpt_service_guid ($_g) as ioc_guid on every HCA: a login through rxe1 with rxe1's node GUID is rejected (0x10003); its logins use srpt_service_guid"

	mkdir -p $LIO_DEV || fail "mkdir fileio backstore" || return 1
	echo "fd_dev_name=$LIO_DIR/vmdisk0,fd_dev_size=$TGT_LUN0_BYTES" \
		>$LIO_DEV/control || fail "fileio control" || return 1
	echo "VMRIG-LIO-0" >$LIO_DEV/wwn/vpd_unit_serial ||
		fail "vpd_unit_serial" || return 1
	echo 1 >$LIO_DEV/enable || fail "enable backstore" || return 1
	# the WCE bit the caching mode page must show (suite.sh mode-sense)
	TGT_LUN0_WCE=$(cat $LIO_DEV/attrib/emulate_write_cache) ||
		fail "read emulate_write_cache" || return 1

	# The fabric's configfs group appears on mkdir (LIO loads the fabric).
	mkdir -p $LIO/srpt || fail "mkdir $LIO/srpt" || return 1
	echo "$TGT_PORT" >$LIO/srpt/discovery_auth/rdma_cm_port ||
		fail "rdma_cm_port" || return 1

	# GID-named target port of rxe0: "0x" + 32 hex digits.
	LIO_PORT=$LIO/srpt/0x$(nocolon "$TGT_GID")
	_tpg=$LIO_PORT/tpgt_1
	mkdir -p $_tpg || fail "mkdir $_tpg" || return 1
	mkdir -p $_tpg/lun/lun_0 || fail "mkdir lun_0" || return 1
	ln -s $LIO_DEV $_tpg/lun/lun_0/vmdisk0 || fail "link lun_0" || return 1
	_acl=$_tpg/acls/0x$INI_PORT_ID
	mkdir -p $_acl/lun_0 || fail "mkdir acl" || return 1
	ln -s $_tpg/lun/lun_0 $_acl/lun_0/lun_0 || fail "map lun_0" || return 1
	echo 1 >$_tpg/enable || fail "enable tpg" || return 1
	wait_for 10 rdma_cm_listening "$TGT_PORT" ||
		fail "no RDMA/CM listener on port $TGT_PORT" || return 1
	return 0
}

target_stop() {
	[ -d $LIO/srpt ] || return 0
	for _tpg in $LIO/srpt/*/tpgt_*; do
		[ -d "$_tpg" ] || continue
		echo 0 >"$_tpg/enable" 2>/dev/null
		for _l in "$_tpg"/acls/*/lun_*/*; do
			[ -L "$_l" ] && rm -f "$_l"
		done
		rmdir "$_tpg"/acls/*/lun_* "$_tpg"/acls/* 2>/dev/null
		for _l in "$_tpg"/lun/lun_*/*; do
			[ -L "$_l" ] && rm -f "$_l"
		done
		rmdir "$_tpg"/lun/lun_* "$_tpg" 2>/dev/null
	done
	for _p in $LIO/srpt/0x* $LIO/srpt/*:*; do
		[ -d "$_p" ] && rmdir "$_p"
	done
	echo 0 >$LIO/srpt/discovery_auth/rdma_cm_port 2>/dev/null
	rmdir $LIO/srpt 2>/dev/null
	[ -d $LIO_DEV ] && rmdir $LIO_DEV
	rmdir $LIO/core/fileio_0 2>/dev/null
	rm -rf $LIO_DIR
	rmmod ib_srpt || fail "rmmod ib_srpt" || return 1
	return 0
}

target_extra_checks() {
	:
}

# multidev.sh: ib_srpt takes a login through another HCA port only on
# that port's own GID-named configfs port, with a node ACL for the
# initiator port id; the LUN is the same backstore.
target_md_allow() {
	_tpg=$LIO/srpt/0x$(nocolon "$(cat /sys/class/infiniband/$1/ports/1/gids/0)")/tpgt_1
	if ! [ -d $_tpg/lun/lun_0 ]; then
		mkdir -p $_tpg/lun/lun_0 || fail "mkdir $_tpg/lun/lun_0" || return 1
		ln -s $LIO_DEV $_tpg/lun/lun_0/vmdisk0 || fail "link lun_0 on $1" || return 1
		echo 1 >$_tpg/enable || fail "enable tpg on $1" || return 1
	fi
	_acl=$_tpg/acls/0x$2
	[ -d $_acl/lun_0 ] && return 0
	mkdir -p $_acl/lun_0 || fail "mkdir acl 0x$2" || return 1
	ln -s $_tpg/lun/lun_0 $_acl/lun_0/lun_0 || fail "map lun_0 for 0x$2" || return 1
}
