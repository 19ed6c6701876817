# Guest side: the Linux ib_srp initiator against verbs_srp_target (the SRP
# engine on the verbs fabric) over RDMA/CM on Soft-RoCE (dash).  From the
# host:
#   tests/vm/run.sh --srptd BUILD/tests/unit/fabric/verbs_srp_target \
#       --exec tests/unit/fabric/verbs_srp_vm.sh --timeout 600
. /vm/lib.sh
PFX=verbs_srp/
TGT_ID_EXT=5352505444564d31
TGT_BIN=/usr/sbin/srptd
TGT_OUT=/tmp/verbs_srp_target.log
DEV=

setup() {
	[ -n "${RXE_UP:-}" ] || setup_fabric || return 1
	RXE_UP=1
	TGT_IOC_GUID=$TGT_NODE_GUID
	$TGT_BIN -v "$TGT_ADDR" "$TGT_PORT" $TGT_ID_EXT \
		"$TGT_IOC_GUID" /tmp/disk0.img 128 >$TGT_OUT 2>&1 &
	TGT_PID=$!
	wait_for 15 rdma_cm_listening "$TGT_PORT" ||
		fail "no listener: $(tail -n 3 $TGT_OUT | tr '\n' ' ')"
}

login() {
	srp_login "$@" || return 1
	wait_for 15 sh -c "[ -n \"\$(ls /sys/class/scsi_host/host$SRP_HOST/device/target$SRP_HOST:0:0/$SRP_HOST:0:0:0/block 2>/dev/null)\" ]" ||
		fail "no disk after login" || return 1
	DEV=$(srp_disk 0)
	echo "vmrig: disk /dev/$DEV, $(cat /sys/block/$DEV/size) sectors, channels: $(ls /sys/class/srp_remote_ports/ | tr '\n' ' ')"
	[ "$(cat /sys/block/$DEV/size)" = 262144 ] ||
		fail "disk size $(cat /sys/block/$DEV/size) sectors, expected 262144"
}

dd_roundtrip() {
	dd if=/dev/urandom of=/tmp/pat bs=1M count=8 2>/dev/null
	dd if=/tmp/pat of=/dev/$DEV bs=1M oflag=direct 2>/dev/null ||
		fail "dd write failed" || return 1
	dd if=/dev/$DEV of=/tmp/back bs=1M count=8 iflag=direct 2>/dev/null ||
		fail "dd read failed" || return 1
	cmp /tmp/pat /tmp/back || fail "data read back differs"
}

fio_verify() {
	timeout 300 fio --name=v$1 --filename=/dev/$DEV --direct=1 \
		--ioengine=libaio --rw=$3 --bs=$1 --iodepth=$2 --size=32M \
		--verify=crc32c --verify_fatal=1 --do_verify=1 >/tmp/fio.out 2>&1
	_rc=$?
	grep -E 'IOPS|err' /tmp/fio.out
	[ $_rc = 0 ] || fail "fio bs=$1 qd=$2 $3 rc=$_rc: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio.out)"
}

# perf NAME ARGS: fio for 10 s; IOPS and bandwidth as INFO lines
# (figures only: rxe under TCG, see tests/vm/README.md).
perf() {
	_pn=$1
	shift
	timeout 120 fio --name=$_pn --filename=/dev/$DEV --direct=1 \
		--ioengine=libaio --time_based --runtime=10 "$@" >/tmp/perf.out 2>&1 ||
		fail "fio $_pn: $(tail -n 2 /tmp/perf.out | tr '\n' ' ')" || return 1
	report "INFO verbs_srp_${_pn}=$(grep -m1 -o 'IOPS=[^,]*, BW=[^ ]*' /tmp/perf.out | tr ' ' '_')"
}

# Mixed sizes, reads and writes at depth 64 (READ chains and WRITE chains
# in flight together), verified.
fio_mixed() {
	timeout 300 fio --name=mixed --filename=/dev/$DEV --direct=1 \
		--ioengine=libaio --rw=randrw --bsrange=4k-256k --iodepth=64 \
		--size=48M --verify=crc32c --verify_fatal=1 --do_verify=1 \
		>/tmp/fio-mixed.out 2>&1 ||
		fail "fio mixed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-mixed.out)"
}

logout() {
	srp_logout
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
run_check login login
if [ -n "$DEV" ]; then
	run_check dd_roundtrip dd_roundtrip
	run_check fio_4k_qd16 fio_verify 4k 16 randwrite
	run_check fio_128k_qd4 fio_verify 128k 4 write
	run_check fio_1m_qd2 fio_verify 1m 2 randwrite
	run_check fio_mixed_qd64 fio_mixed
	run_check perf_4k_randread perf 4k_randread_qd32 --rw=randread --bs=4k --iodepth=32
	run_check perf_1m_read perf 1m_read_qd4 --rw=read --bs=1m --iodepth=4
	run_check logout logout
fi
run_check target_stop stop_target
echo "----- target log (tail) -----"
tail -n 60 $TGT_OUT

# Again with a shared receive queue smaller than the channel's credits
# (128), so that fio at depth 64 with two channels can drain it: the
# initiator is then held off by RNR NAKs and retries, no IU is lost.
PFX=verbs_srp_srq/
DEV=
export VERBS_SRP_SRQ=96
run_check setup setup
srq_created() {
	wait_for 10 grep -q "shared receive queue: 96 receives" $TGT_OUT ||
		fail "no SRQ line in the target log"
}
run_check srq_created srq_created
run_check login login ch_count=2
if [ -n "$DEV" ]; then
	run_check dd_roundtrip dd_roundtrip
	run_check fio_4k_qd16 fio_verify 4k 16 randwrite
	run_check fio_1m_qd2 fio_verify 1m 2 randwrite
	run_check fio_mixed_qd64 fio_mixed
	run_check logout logout
fi
run_check target_stop stop_target
unset VERBS_SRP_SRQ
echo "----- target log, SRQ run (tail) -----"
tail -n 40 $TGT_OUT
