# The crash group (sourced by suite.sh, dash): the target process is killed
# with SIGKILL (target_crash) while fio writes durably, and started again.
# What the initiator was told is durable must read back intact, and a
# persistent reservation taken with APTPL must be there again.
#
# Durable writes: fio --sync=1 opens the disk O_SYNC, so with the write
# cache on (LUN 0 reports WCE = 1 and DPOFUA) every write goes out with
# FUA; --fsync=32 adds a SYNCHRONIZE CACHE every 32 writes.  Only the
# target process dies, not the VM, so its backing file on tmpfs keeps what
# the target wrote: a write acknowledged before the data reached the
# backing file would show up as a verify error.
#
# Persistent reservations go through sg_raw (PERSISTENT RESERVE OUT/IN,
# SPC-4 6.16/6.15), which the initramfs already carries.

CRASH_OFF=112M
CRASH_SIZE=32M
CRASH_BS=4096
# Reservation key 0x1234, octal bytes for printf.
PR_KEY='\000\000\000\000\000\000\022\064'
PR_NOKEY='\000\000\000\000\000\000\000\000'

# pr_out SA TYPE KEY SARK APTPL: PERSISTENT RESERVE OUT, service action SA
# (hex), TYPE (hex), the 24-byte basic parameter list (SPC-4 6.16.3).
pr_out() {
	# The key strings are octal escapes: they must be in the format.
	# shellcheck disable=SC2059
	printf "$3$4\\000\\000\\000\\000$5\\000\\000\\000" >/tmp/prout.bin
	timeout 30 sg_raw -s 24 -i /tmp/prout.bin "/dev/$DEV" \
		5f "$1" "$2" 00 00 00 00 00 18 00 >/tmp/prout.out 2>&1
}

# pr_in SA: PERSISTENT RESERVE IN data as hex bytes on one line.
pr_in() {
	rm -f /tmp/prin.bin
	timeout 30 sg_raw -r 256 -o /tmp/prin.bin "/dev/$DEV" \
		5e "$1" 00 00 00 00 00 01 00 00 >/dev/null 2>&1 || return 1
	od -An -tx1 -v /tmp/prin.bin | tr -s ' \n' ' '
}

# pr_check WHEN: READ KEYS lists exactly key 0x1234, READ RESERVATION shows
# it holding a WRITE EXCLUSIVE reservation (type 1, scope LU).
pr_check() {
	_k=$(pr_in 00) || fail "PERSISTENT RESERVE IN (READ KEYS) failed $1" || return 1
	case "$_k" in
	*" 00 00 00 08 00 00 00 00 00 00 12 34"*) ;;
	*) fail "READ KEYS $1: not just key 0x1234:$_k" || return 1 ;;
	esac
	_r=$(pr_in 01) || fail "PERSISTENT RESERVE IN (READ RESERVATION) failed $1" || return 1
	case "$_r" in
	*" 00 00 00 10 00 00 00 00 00 00 12 34 00 00 00 00 00 01 "*) ;;
	*) fail "READ RESERVATION $1: not key 0x1234 type WE:$_r" || return 1 ;;
	esac
}

# crash_kill D0: target_crash, then wait for ib_srp's reconnect (D0:
# the dmesg line count before).  BROKEN is suite.sh's (sourced).
crash_kill() {
	if ! target_crash; then
		BROKEN="${PFX}crash-sigkill (target did not start again)"
		fail "crash: $WHY"
		return 1
	fi
	if ! srp_wait_running "$1" 60; then
		BROKEN="${PFX}crash-sigkill (no reconnect)"
		return 1
	fi
	# The new process has new I_T nexuses: let TEST UNIT READY take the
	# power on / reset unit attention before the PR commands.
	timeout 10 sg_turs "/dev/$DEV" >/dev/null 2>&1
	timeout 10 sg_turs "/dev/$DEV" >/dev/null 2>&1
	:
}

chk_crash() {
	need_disk || return 1
	srp_reconnect_delay 2 || return 1
	timeout 10 sg_turs "/dev/$DEV" >/dev/null 2>&1
	pr_out 00 00 "$PR_NOKEY" "$PR_KEY" '\001' ||
		fail "PR OUT REGISTER with APTPL failed: $(tr '\n' ' ' </tmp/prout.out | cut -c1-200)" ||
		return 1
	pr_out 01 01 "$PR_KEY" "$PR_NOKEY" '\000' ||
		fail "PR OUT RESERVE (WE) failed: $(tr '\n' ' ' </tmp/prout.out | cut -c1-200)" ||
		return 1
	pr_check "before the kill" || return 1

	_w0=$(disk_writes)
	fio_run crash --rw=randwrite --bs=$CRASH_BS --iodepth=8 \
		--size=$CRASH_SIZE --offset=$CRASH_OFF --sync=1 --fsync=32 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 &
	_pid=$!
	fio_writing $_pid "$_w0" || return 1
	sleep 1
	kill -0 $_pid 2>/dev/null || fail "fio ended before the kill" || return 1
	_d0=$(dmesg | wc -l)
	_acked=$(($(disk_writes) - _w0))
	crash_kill "$_d0" || { kill $_pid 2>/dev/null; wait $_pid; return 1; }
	wait $_pid
	_frc=$?
	dmesg | tail -n +$((_d0 + 1)) | tail -n 5
	[ $_frc = 0 ] ||
		fail "fio write+verify across the SIGKILL failed (rc=$_frc): $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-crash.out)" ||
		return 1
	pr_check "after the kill" || return 1

	# Once more with the disk idle, then every block fio wrote (the
	# random map covers the whole area) is read back against its
	# checksum by a fresh fio (same job, verify_only).
	_d0=$(dmesg | wc -l)
	crash_kill "$_d0" || return 1
	fio_run crash-verify --rw=randwrite --bs=$CRASH_BS --iodepth=8 \
		--size=$CRASH_SIZE --offset=$CRASH_OFF --verify=crc32c \
		--verify_only=1 --verify_fatal=1 ||
		fail "writes acknowledged before the kills do not verify: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-crash-verify.out)" ||
		return 1
	pr_check "after the second kill" || return 1
	report "INFO ${PFX}crash_writes_acked_before_kill=$_acked crash_blocks_verified=$(($(echo $CRASH_SIZE | tr -d M) * 1048576 / CRASH_BS)) crash_kills=2 crash_pr_aptpl=kept"

	# Leave no reservation behind: release, then unregister with APTPL
	# off (the target forgets the saved state).
	pr_out 02 01 "$PR_KEY" "$PR_NOKEY" '\000' ||
		fail "PR OUT RELEASE failed: $(tr '\n' ' ' </tmp/prout.out | cut -c1-200)" || return 1
	pr_out 00 00 "$PR_KEY" "$PR_NOKEY" '\000' ||
		fail "PR OUT REGISTER (unregister) failed: $(tr '\n' ' ' </tmp/prout.out | cut -c1-200)" || return 1
	# shellcheck disable=SC2046
	set -- $(pr_in 00)
	[ "$5$6$7$8" = 00000000 ] ||
		fail "a registration is left after unregistering: $*" || return 1
}

# The negative control of crash-sigkill: the same durable fio job on its
# own area, SIGKILL, and while the target is dead one block that fio wrote
# and the initiator saw acknowledged is zeroed in the backing file (as a
# target that acknowledged it before it was durable would have lost it).
# After the restart fio's verify must fail and name that offset;
# if it does not notice, crash-sigkill proves nothing.
#
# Which block: the first write fio issued (its --write_iolog; fio buffers
# the log, so the kill waits for NEG_ACKED acknowledged writes, enough to
# have flushed its first lines and to be sure that write completed long
# before: at most 8 are in flight).  Its header in the backing file (fio's
# verify header: magic 0xacca, the offset at byte 16, little endian) shows
# the data reached the file.
NEG_OFF=224M
NEG_SIZE=16M
NEG_ACKED=256

# le64_at FILE OFFSET: the little-endian 64-bit number at FILE:OFFSET.
le64_at() {
	# shellcheck disable=SC2046
	set -- $(dd if="$1" bs=8 skip=$(($2 / 8)) count=1 2>/dev/null | od -An -tu1 -v)
	[ $# = 8 ] || return 1
	echo $(($1 + ($2 << 8) + ($3 << 16) + ($4 << 24) + ($5 << 32) + ($6 << 40) + ($7 << 48) + ($8 << 56)))
}

chk_crash_negative() {
	need_disk || return 1
	[ -f "$TGT_LUN0_FILE" ] || fail "no backing file $TGT_LUN0_FILE" || return 1
	srp_reconnect_delay 2 || return 1
	rm -f /tmp/crash-neg.iolog
	_w0=$(disk_writes)
	fio_run crash-neg --rw=randwrite --bs=$CRASH_BS --iodepth=8 \
		--size=$NEG_SIZE --offset=$NEG_OFF --sync=1 --fsync=32 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 \
		--write_iolog=/tmp/crash-neg.iolog &
	_pid=$!
	fio_writing $_pid "$_w0" || return 1
	wait_for 60 sh -c "[ \$((\$(awk '{ print \$5 }' /sys/block/$DEV/stat) - $_w0)) -ge $NEG_ACKED ]" ||
		{ kill $_pid; wait $_pid; fail "fio had fewer than $NEG_ACKED writes acknowledged after 60 s"; return 1; }
	kill -0 $_pid 2>/dev/null || fail "fio ended before the kill" || return 1
	_acked=$(($(disk_writes) - _w0))
	_d0=$(dmesg | wc -l)
	if ! target_kill; then
		kill $_pid
		wait $_pid
		BROKEN="${PFX}crash-negative (kill failed)"
		return 1
	fi
	# The first write fio issued: "[time] FILE write OFFSET LENGTH".
	_off=$(awk '$(NF - 2) == "write" { print $(NF - 1); exit }' /tmp/crash-neg.iolog)
	_ok=1
	if [ -z "$_off" ]; then
		fail "no write in fio's iolog after $_acked acknowledged writes"
		_ok=0
	else
		_magic=$(dd if="$TGT_LUN0_FILE" bs=2 skip=$((_off / 2)) count=1 2>/dev/null | od -An -tx1 | tr -d ' ')
		_hoff=$(le64_at "$TGT_LUN0_FILE" $((_off + 16)))
		echo "vmrig: first write at $_off: header magic $_magic offset $_hoff in the backing file"
		if [ "$_magic" != caac ] || [ "$_hoff" != "$_off" ]; then
			fail "the block fio wrote first ($_off) is not in the backing file (magic $_magic, offset $_hoff)"
			_ok=0
		else
			dd if=/dev/zero of="$TGT_LUN0_FILE" bs=$CRASH_BS \
				seek=$((_off / CRASH_BS)) count=1 conv=notrunc 2>/dev/null ||
				{ fail "cannot overwrite the block at $_off"; _ok=0; }
		fi
	fi
	if ! target_relaunch; then
		kill $_pid
		wait $_pid
		BROKEN="${PFX}crash-negative (target did not start again)"
		fail "crash-negative: $WHY"
		return 1
	fi
	if ! srp_wait_running "$_d0" 60; then
		kill $_pid
		wait $_pid
		BROKEN="${PFX}crash-negative (no reconnect)"
		return 1
	fi
	wait $_pid
	_frc=$?
	[ $_ok = 1 ] || return 1
	_err=$(grep -m1 -i 'verify\|bad magic' /tmp/fio-crash-neg.out)
	report "INFO ${PFX}crash_negative_acked_before_kill=$_acked zeroed_offset=$_off fio_rc=$_frc fio_error=\"$_err\""
	[ $_frc != 0 ] ||
		fail "fio's verify passed although the acknowledged block at offset $_off was zeroed: crash-sigkill would not notice a lost write" ||
		return 1
	grep -q "offset $_off," /tmp/fio-crash-neg.out ||
		fail "fio failed (rc=$_frc) but not at the zeroed offset $_off: $_err" ||
		return 1
}
