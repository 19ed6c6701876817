# Demo mode (tests/vm/run.sh --demo): bring up Soft-RoCE and the first
# target of VMRIG_TARGETS, log in, and show what the initiator sees.  The
# output goes to the results channel, which run.sh prints as it is.
. /vm/lib.sh

out() {
	echo "$*" >/dev/ttyS1
	echo "$*"
}

# show CMD...: print "$ CMD" and its output on the results channel
show() {
	out ""
	out "\$ $*"
	timeout 120 "$@" >/tmp/show.out 2>&1
	cat /tmp/show.out >/dev/ttyS1
	cat /tmp/show.out
}

T=${VMRIG_TARGETS%%,*}
setup_fabric || {
	out "FAIL demo: Soft-RoCE setup: $WHY"
	exit 0
}
show rdma link
show ibv_devices
. "/vm/target-$T.sh"
if ! target_start; then
	out "FAIL demo: target $T did not start: $WHY"
	target_stop
	exit 0
fi
out "target $T: id_ext=$TGT_ID_EXT ioc_guid=$TGT_IOC_GUID dest=$TGT_ADDR:$TGT_PORT"
show rdma resource show cm_id
if ! srp_login; then
	out "FAIL demo: login: $WHY"
	target_stop
	exit 0
fi
wait_for 20 test -n "$(srp_disk 0)"
DEV=$(srp_disk 0)
wait_for 10 test -b "/dev/$DEV"
out "initiator: logged in, scsi host$SRP_HOST, LUN 0 = /dev/$DEV"
show sh -c 'ls /sys/class/srp_remote_ports/; cat /sys/class/scsi_host/host*/ch_count'
show lsscsi -s
show sg_inq "/dev/$DEV"
show sg_readcap -l "/dev/$DEV"
show sg_vpd -p 0x83 "/dev/$DEV"
show fio --name=demo-randread --filename="/dev/$DEV" --direct=1 \
	--ioengine=libaio --rw=randread --bs=4k --iodepth=32 --time_based \
	--runtime=10 --size=64M --group_reporting
show sh -c 'dmesg | grep -i srp | tail -n 8'
srp_logout || out "logout: $WHY"
target_stop || out "target stop: $WHY"
out "PASS demo: logged in and showed the disk"
