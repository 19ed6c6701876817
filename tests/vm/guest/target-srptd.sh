# Target abstraction: srptd (sourced by suite.sh/demo.sh).  Same contract as
# target-lio.sh (target_start / target_stop / target_extra_checks and the
# TGT_* variables).
#
# What the guest expects from srptd:
#   binary     /usr/sbin/srptd (run.sh --srptd PATH puts it in the overlay)
#   config     /tmp/srptd/test.conf, generated from /vm/srptd-test.conf.in
#   command    srptd --foreground -c /tmp/srptd/test.conf --log-level debug
#              (log in /tmp/srptd/srptd.log, shown on the console on failure)
#   ready      an RDMA/CM listener on $TGT_ADDR:$TGT_PORT (rdma resource show
#              cm_id) within SRPTD_START_TIMEOUT seconds
#   identity   id_ext 5352505444564d31, ioc_guid 005352fffe500001 (rxe0's
#              node GUID), set explicitly in the config
#   stop       SIGTERM; must exit 0 within 10 s
SRPTD_BIN=/usr/sbin/srptd
SRPTD_DIR=/tmp/srptd
SRPTD_CONF=$SRPTD_DIR/test.conf
SRPTD_LOG=$SRPTD_DIR/srptd.log
SRPTD_START_TIMEOUT=15
TGT_PORT=5000
TGT_ID_EXT=5352505444564d31
TGT_LUN0_BYTES=$((256 * 1024 * 1024))
TGT_VENDOR=SRPTD
# Set to 1 once srptd fetches external indirect descriptor tables (RDMA READ
# of the table, SRP r16a 5.5.2.6); suite.sh then runs never_register-ext-sg.
TGT_EXT_SG=0
SRPTD_PID=${SRPTD_PID:-} # kept if this file is sourced again

srptd_log_tail() {
	tail -n "${1:-5}" $SRPTD_LOG 2>/dev/null | tr '\n' ' ' | cut -c1-400
}

target_start() {
	[ -x $SRPTD_BIN ] ||
		fail "no srptd binary in the guest (build it, or pass run.sh --srptd PATH)" ||
		return 1
	TGT_IOC_GUID=$TGT_NODE_GUID
	mkdir -p $SRPTD_DIR/conf.d /run/srptd
	sed -e "s|@DIR@|$SRPTD_DIR|g" -e "s|@ADDR@|$TGT_ADDR|g" \
		-e "s|@PORT@|$TGT_PORT|g" -e "s|@ID_EXT@|$TGT_ID_EXT|g" \
		-e "s|@IOC_GUID@|$TGT_IOC_GUID|g" /vm/srptd-test.conf.in >$SRPTD_CONF
	_o=$($SRPTD_BIN --check-config $SRPTD_CONF 2>&1) ||
		fail "srptd --check-config rejects the test config: $(echo "$_o" | head -n 3 | tr '\n' ' ')" ||
		return 1
	for m in ib_uverbs rdma_ucm ib_umad; do
		modprobe $m
	done
	$SRPTD_BIN --foreground -c $SRPTD_CONF --log-level debug >$SRPTD_LOG 2>&1 &
	SRPTD_PID=$!
	_n=$((SRPTD_START_TIMEOUT * 5))
	while [ $_n -gt 0 ]; do
		rdma_cm_listening "$TGT_PORT" && return 0
		if ! kill -0 "$SRPTD_PID" 2>/dev/null; then
			wait "$SRPTD_PID"
			_rc=$?
			SRPTD_PID=
			fail "srptd exited with $_rc during start: $(srptd_log_tail)"
			return 1
		fi
		sleep 0.2
		_n=$((_n - 1))
	done
	fail "srptd verbs fabric not built yet: srptd runs but no RDMA/CM listener on $TGT_ADDR:$TGT_PORT after ${SRPTD_START_TIMEOUT}s (log: $(srptd_log_tail 3))"
	return 1
}

target_stop() {
	_ok=0
	if [ -n "$SRPTD_PID" ] && kill -0 "$SRPTD_PID" 2>/dev/null; then
		kill -TERM "$SRPTD_PID"
		_n=50
		while [ $_n -gt 0 ] && kill -0 "$SRPTD_PID" 2>/dev/null; do
			sleep 0.2
			_n=$((_n - 1))
		done
		if kill -0 "$SRPTD_PID" 2>/dev/null; then
			kill -KILL "$SRPTD_PID"
			wait "$SRPTD_PID"
			fail "srptd still running 10 s after SIGTERM (killed)"
			_ok=1
		else
			wait "$SRPTD_PID"
			_rc=$?
			[ $_rc = 0 ] || { fail "srptd exited with $_rc after SIGTERM"; _ok=1; }
		fi
	fi
	SRPTD_PID=
	echo "vmrig: ---- srptd log (last 40 lines) ----"
	tail -n 40 $SRPTD_LOG 2>/dev/null
	rm -rf $SRPTD_DIR
	return $_ok
}

# Called by run_check after any failed check: srptd's view on the console.
target_diag() {
	echo "vmrig: ---- srptd log (last 25 lines) ----"
	tail -n 25 $SRPTD_LOG 2>/dev/null
	kill -0 "${SRPTD_PID:-0}" 2>/dev/null || echo "vmrig: srptd is not running"
}

# ------------------------------------------- srptd-specific expectations --

chk_srptd_null_lun() {
	need_disk || return 1
	_d=$(srp_disk 1)
	[ -n "$_d" ] && [ -b "/dev/$_d" ] || fail "LUN 1 (null0) not visible" || return 1
	_sz=$(blockdev --getsize64 "/dev/$_d")
	[ "$_sz" = $((64 * 1024 * 1024)) ] || fail "LUN 1 size $_sz, expected 64 MiB" || return 1
	_nz=$(dd if="/dev/$_d" bs=64k count=16 iflag=direct 2>/dev/null | tr -d '\000' | wc -c)
	[ "$_nz" = 0 ] || fail "LUN 1 (null) read returned non-zero bytes" || return 1
}

chk_srptd_ro_lun() {
	need_disk || return 1
	_d=$(srp_disk 2)
	[ -n "$_d" ] && [ -b "/dev/$_d" ] || fail "LUN 2 (ro0) not visible" || return 1
	# sd derives the read-only flag from the WP bit of MODE SENSE.
	[ "$(blockdev --getro "/dev/$_d")" = 1 ] ||
		fail "LUN 2 not read-only for the initiator (no WP bit)" || return 1
	# A WRITE(10) through SG_IO must fail with DATA PROTECT.
	if _o=$(timeout 30 sg_raw -R -s 512 -i /dev/zero "/dev/$_d" \
		2a 00 00 00 00 00 00 00 01 00 2>&1); then
		fail "WRITE(10) to the read-only LUN succeeded"
		return 1
	fi
	echo "$_o"
	echo "$_o" | grep -qi "data protect" ||
		fail "WRITE(10) to the read-only LUN did not fail with DATA PROTECT: $(echo "$_o" | tail -n 2 | tr '\n' ' ')" ||
		return 1
}

chk_srptd_masked_lun() {
	need_disk || return 1
	[ -z "$(srp_disk 3)" ] || fail "LUN 3 (mapped to another initiator) is visible" || return 1
	_o=$(timeout 30 sg_luns "/dev/$DEV" 2>&1) || fail "REPORT LUNS failed" || return 1
	if echo "$_o" | grep -q "^ *0003000000000000"; then
		fail "REPORT LUNS lists LUN 3 (masked)"
		return 1
	fi
	return 0
}

# chk_srptd_cmd NAME CMD PATTERN...: CMD on LUN 0 answers and its output
# matches every (grep -E) PATTERN.
chk_srptd_cmd() {
	need_disk || return 1
	_what=$1
	_cmd=$2
	shift 2
	_o=$(timeout 30 sh -c "$_cmd /dev/$DEV" 2>&1) ||
		fail "$_what failed: $(echo "$_o" | tail -n 2 | tr '\n' ' ')" || return 1
	for _p in "$@"; do
		echo "$_o" | grep -Eq -- "$_p" ||
			fail "$_what: no line matching '$_p'" || return 1
	done
}

chk_srptd_vpd_supported() {
	need_disk || return 1
	_o=$(timeout 30 sg_vpd -p 0 -r "/dev/$DEV" | od -An -tx1 | tr -s ' \n' ' ')
	[ "$_o" = " 00 00 00 07 00 80 83 86 b0 b1 b2 " ] ||
		fail "VPD 0x00 lists [$_o], expected 00 80 83 86 b0 b1 b2" || return 1
}

target_extra_checks() {
	run_check vpd-0x00 chk_srptd_vpd_supported
	run_check vpd-0xb0 chk_srptd_cmd "VPD 0xB0" "sg_vpd -p bl" \
		"Maximum transfer length: 2048 blocks" \
		"Maximum compare and write length: 8 blocks" \
		"Maximum unmap LBA count: [1-9]"
	run_check vpd-0xb1 chk_srptd_cmd "VPD 0xB1" "sg_vpd -p bdc" \
		"Block device characteristics"
	run_check vpd-0xb2 chk_srptd_cmd "VPD 0xB2" "sg_vpd -p lbpv" \
		"\(LBPU\): 1" "\(LBPWS\): 1" "\(LBPRZ\): 1"
	run_check opcodes chk_srptd_cmd "REPORT SUPPORTED OPERATION CODES" \
		sg_opcodes "^ *89 .*Compare and write" \
		"^ *5f +5 .*Persistent reserve out, preempt and abort" \
		"^ *42 .*Unmap"
	run_check rtpg chk_srptd_cmd "REPORT TARGET PORT GROUPS" sg_rtpg \
		"target port group id : 0x1" \
		"asymmetric access state : 0x00" "^ +0x01$"
	run_check report-luns chk_srptd_cmd "REPORT LUNS" sg_luns \
		"3 lun entries" "^ +0000000000000000" "^ +0001000000000000" \
		"^ +0002000000000000"
	run_check lun1-null chk_srptd_null_lun
	run_check lun2-read-only chk_srptd_ro_lun
	run_check lun3-masked chk_srptd_masked_lun
}
