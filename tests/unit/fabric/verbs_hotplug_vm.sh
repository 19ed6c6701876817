# Guest side: device hot removal and hot add under verbs_srp_target (the
# SRP engine on the verbs fabric), with the Linux ib_srp initiator (dash).
#   tests/vm/run.sh --srptd BUILD/tests/unit/fabric/verbs_srp_target \
#       --exec tests/unit/fabric/verbs_hotplug_vm.sh --timeout 600
# rxe's driver cannot disassociate user contexts: "rdma link delete" waits
# until every process has closed the device, so the fabric must notice the
# device vanished and release everything it holds on it.
. /vm/lib.sh
PFX=verbs_hotplug/
TGT_ID_EXT=5352505444564d31
TGT_BIN=/usr/sbin/srptd
TGT_OUT=/tmp/verbs_srp_target.log
DEV=

setup() {
	setup_fabric || return 1
	TGT_IOC_GUID=$TGT_NODE_GUID
	$TGT_BIN -v "$TGT_ADDR" "$TGT_PORT" $TGT_ID_EXT "$TGT_IOC_GUID" \
		/tmp/disk0.img 64 >$TGT_OUT 2>&1 &
	TGT_PID=$!
	wait_for 15 rdma_cm_listening "$TGT_PORT" ||
		fail "no listener: $(tail -n 3 $TGT_OUT | tr '\n' ' ')"
}

# link_delete DEV: must return within 30 s (the kernel waits for us).
link_delete() {
	timeout 30 rdma link delete "$1" &
	_p=$!
	_n=0
	while kill -0 $_p 2>/dev/null && [ $_n -lt 150 ]; do
		sleep 0.2
		_n=$((_n + 1))
	done
	if kill -0 $_p 2>/dev/null; then
		echo "vmrig: --- diagnostics: link delete $1 blocked"
		ls -l /proc/$TGT_PID/fd | grep -E 'infiniband|rdma'
		rdma resource show
		for _q in /proc/[0-9]*; do
			[ "$(cat $_q/comm 2>/dev/null)" = rdma ] && cat $_q/stack
		done
		grep -E 'scan|rxe0|listen' $TGT_OUT | tail -n 30
		fail "rdma link delete $1 still blocked after 30 s"
		return 1
	fi
	wait $_p || fail "rdma link delete $1 failed"
}

target_alive() {
	kill -0 $TGT_PID 2>/dev/null || fail "target died: $(tail -n 5 $TGT_OUT | tr '\n' ' ')"
}

login_io() {
	srp_login || return 1
	wait_for 15 sh -c "[ -n \"\$(ls /sys/class/scsi_host/host$SRP_HOST/device/target$SRP_HOST:0:0/$SRP_HOST:0:0:0/block 2>/dev/null)\" ]" ||
		fail "no disk after login" || return 1
	DEV=$(srp_disk 0)
	dd if=/dev/urandom of=/tmp/pat bs=1M count=4 2>/dev/null
	dd if=/tmp/pat of=/dev/$DEV bs=1M oflag=direct 2>/dev/null ||
		fail "dd write failed" || return 1
	dd if=/dev/$DEV of=/tmp/back bs=1M count=4 iflag=direct 2>/dev/null ||
		fail "dd read failed" || return 1
	cmp /tmp/pat /tmp/back || fail "data read back differs" || return 1
	srp_logout
}

rxe0_login() {
	srp_login || return 1
	wait_for 15 sh -c "[ -n \"\$(ls /sys/class/scsi_host/host$SRP_HOST/device/target$SRP_HOST:0:0/$SRP_HOST:0:0:0/block 2>/dev/null)\" ]" ||
		fail "no disk after login"
}

port_events() {
	ip link set veth1 down
	wait_for 10 grep -q 'rxe1: port 1 port error' $TGT_OUT ||
		fail "no PORT_ERR logged for rxe1" || return 1
	ip link set veth1 up
	wait_for 20 grep -q 'rxe1: port 1 port active' $TGT_OUT ||
		fail "no PORT_ACTIVE logged for rxe1"
}

readd_rxe0() {
	rdma link add rxe0 type rxe netdev veth0 || fail "rdma link add rxe0" || return 1
	wait_for 20 sh -c "ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE" ||
		fail "rxe0 not active" || return 1
	# the listener is re-created within the retry period (5 s)
	wait_for 20 rdma_cm_listening "$TGT_PORT" ||
		fail "no listener after re-adding rxe0: $(tail -n 3 $TGT_OUT | tr '\n' ' ')"
}

stop_target() {
	kill -TERM $TGT_PID
	_n=0
	while kill -0 $TGT_PID 2>/dev/null && [ $_n -lt 150 ]; do
		sleep 0.2
		_n=$((_n + 1))
	done
	wait $TGT_PID
	_rc=$?
	[ $_rc = 0 ] || fail "target exit status $_rc: $(grep -m3 -E 'ERROR|Sanitizer|runtime error' $TGT_OUT | tr '\n' ' ')"
}

run_check setup setup
# rxe0 carries the listener and a live login (the initiator is on rxe0
# too and goes away with it).  rxe1 stays, so this is not the last device
# (see verbs.h: librdmacm cannot close the last device's context).  An
# initiator on rxe1 cannot reach rxe0's address in one network namespace
# (address resolution fails), so removal under a surviving peer is not
# exercised here.
run_check login rxe0_login
run_check delete_rxe0_live link_delete rxe0
run_check alive_1 target_alive
run_check readd_rxe0 readd_rxe0
run_check login_io_after_readd login_io
# Port state changes reach the target as async events (logged).
run_check port_events port_events
# rxe1 carries nothing: only the periodic scan sees it go.
run_check delete_idle_rxe1 link_delete rxe1
run_check alive_2 target_alive
run_check login_io_rxe0_again login_io
# With VERBS_SRP_SRQ (verbs_vm_tests.sh's second pass): the SRQ part of
# the first rxe0 and of the re-added one were created.
srq_parts() {
	_n=$(grep -c "shared receive queue: $VERBS_SRP_SRQ receives" $TGT_OUT)
	[ "$_n" -ge 2 ] || fail "$_n SRQ parts created, expected >= 2 (rxe0, re-added rxe0)"
}
[ -n "${VERBS_SRP_SRQ:-}" ] && run_check srq_parts srq_parts
run_check target_stop stop_target
echo "----- target log -----"
grep -v ' debug: ' $TGT_OUT | tail -n 60
