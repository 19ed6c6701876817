# The VM suite (run by init in the guest, dash).  For every target in
# VMRIG_TARGETS: start it, log in with the Linux ib_srp initiator over
# RDMA/CM on Soft-RoCE, exercise the disk, log out, stop it.  Each check
# prints one PASS/FAIL line named "<target>/<check>".
#
# Check groups (VMRIG_CHECKS, comma list, default "all"):
#   scsi     disk size, INQUIRY, VPD 0x83, READ CAPACITY(16), TUR, LUNS, MODE SENSE
#   fio      write+verify from 512 B to 1 MiB, queue depth 1 to 64
#   reset    LUN reset (sg_reset -d) during verified I/O
#   relogin  20 logout/login cycles, then verify data written before
#   remove   the SRP remote port deleted during fio, log in again, verify
#   restart  the target restarted while logged in (target_restart), ib_srp
#            reconnects, verify
#   crash    the target killed with SIGKILL (target_crash) during fio
#            with FUA writes and SYNCHRONIZE CACHE, started again: ib_srp
#            reconnects, every acknowledged write verifies, and a
#            persistent reservation taken with APTPL is kept (crash.sh)
#   reload   a LUN added by a configuration reload (target_reload_add_lun)
#            appears after a rescan; the layout is restored afterwards
#   livelun  while fio verify runs on LUN 0: a LUN mapped, grown and
#            unmapped by reloads is seen, resized and gone on the
#            initiator; no error, no reconnect, no new login
#            (target_reload_resize_lun, target_logins; srptd only); the
#            same through srptadm device add, lun map, device resize, lun
#            unmap, device remove (livelun-srptadm; target_admin)
#   admin    srptd through srptadm: sessions, login-info, stats, session
#            kick during verified fio, a denied initiator (admin.sh;
#            target_admin, srptd only)
#   flap     (only when named; not part of "all") veth0 down/up during fio
#            with ib_srp reconnecting: the rig does not recover from a flap
#            under I/O today (README "Checks"), for LIO as for srptd
#   chcount  logins with ch_count=1 and ch_count=2
#   multidev every device and address: logins through rxe0 and rxe1 to
#            each one's IPv4 and IPv6 address with that device's node
#            GUID as ioc_guid, verified I/O, and a foreign ioc_guid
#            rejected (multidev.sh)
#   opts     the queue limits the initiator derives (128 KiB reads go as
#            one command each); logins with queue_size=8,
#            cmd_sg_entries=255, max_sect=64, and ib_srp use_imm_data=0 /
#            never_register=1 (indirect and external descriptor tables),
#            each with verified I/O; srptd restarted with busy_poll_us:
#            verified I/O, then no CPU when idle; srptd restarted under
#            taskset -c 0: one worker instead of one per vCPU, verified
#            I/O; srptd restarted with max_rdma_size 256 KiB: reported in
#            the Block Limits page, the initiator's I/O limit follows it,
#            verified 1 MiB I/O
#   multipath (only when named; not part of "all") dm-multipath over two
#            paths (rxe0 IPv4, rxe1 IPv6) with multipathd and udev: fio
#            verify on the map while the paths log out and in (raw, ext4)
#            and while sg_reset -d/-b alternate on each path (multipath.sh)
#   failover (only when named; not part of "all"; srptd only) two srptd
#            processes present one LU as two ALUA groups, dm-multipath
#            groups the paths by priority, one srptd is killed with
#            SIGKILL under fio verify and started again (failover.sh)
#   conformance (only when named; not part of "all") libiscsi's SCSI
#            conformance suite (iscsi-test-cu --dataloss) on LUN 0's sg
#            device; tallies per target, side by side (conformance.sh)
#   perf     (only when named; not part of "all") LIO and srptd side by
#            side on one file, one target serving at a time, rounds of fio
#            jobs with CPU, packet, srptd fabric and system call counts
#            per I/O (perf.sh; INFO perf_* lines, figures only)
# fabric/* checks (Soft-RoCE up, userspace verbs and RDMA/CM work) always run.
# The target's own checks (target_extra_checks) always run.
. /vm/lib.sh
. /vm/multipath.sh
. /vm/failover.sh
. /vm/multidev.sh
. /vm/conformance.sh
. /vm/crash.sh
. /vm/admin.sh
. /vm/perf.sh

FIO_TIMEOUT=150

want() {
	case ,$VMRIG_CHECKS, in
	*,all,* | *,"$1",*) return 0 ;;
	esac
	return 1
}

# want_named GROUP: GROUP named explicitly (groups not part of "all").
want_named() {
	case ,$VMRIG_CHECKS, in
	*,"$1",*) return 0 ;;
	esac
	return 1
}

# ------------------------------------------------------------ checks ----

chk_fabric() {
	setup_fabric
}

# Userspace verbs, the path srptd uses: an RC ping-pong through libibverbs
# and the rxe provider (uverbs), and an RDMA/CM connection through librdmacm
# (rdma_ucm).  Both ends on rxe0: rxe loops back traffic between QPs of
# the same device (README "Topology").
chk_verbs_pingpong() {
	timeout 60 ibv_rc_pingpong -d rxe0 -g 1 -n 200 -s 4096 >/tmp/pp-srv.out 2>&1 &
	_s=$!
	sleep 1
	timeout 60 ibv_rc_pingpong -d rxe0 -g 1 -n 200 -s 4096 127.0.0.1 >/tmp/pp-cli.out 2>&1
	_c=$?
	wait $_s
	_r=$?
	cat /tmp/pp-srv.out /tmp/pp-cli.out
	[ $_c = 0 ] && [ $_r = 0 ] ||
		fail "ibv_rc_pingpong client rc=$_c server rc=$_r: $(tail -n 1 /tmp/pp-cli.out)"
}

chk_rdma_cm_ping() {
	timeout 60 rping -s -a $VETH0_ADDR -p 7471 -C 50 -S 4096 >/tmp/rping-srv.out 2>&1 &
	_s=$!
	wait_for 10 rdma_cm_listening 7471 || { kill $_s; fail "rping server did not listen"; return 1; }
	timeout 60 rping -c -a $VETH0_ADDR -p 7471 -C 50 -S 4096 -V >/tmp/rping-cli.out 2>&1
	_c=$?
	wait $_s
	_r=$?
	tail -n 3 /tmp/rping-srv.out /tmp/rping-cli.out
	[ $_c = 0 ] && [ $_r = 0 ] ||
		fail "rping client rc=$_c server rc=$_r: $(tail -n 1 /tmp/rping-cli.out)"
}

chk_start() {
	target_start
}

chk_login() {
	if ! srp_login "$@"; then
		[ -n "$BROKEN" ] || BROKEN="${PFX}${_name:-login} (login failed)"
		return 1
	fi
	wait_for 20 sh -c "ls /sys/class/scsi_host/host$SRP_HOST/device/target$SRP_HOST:0:0/$SRP_HOST:0:0:0/block/" ||
		fail "logged in but no disk for LUN 0 within 20 s" || return 1
	DEV=$(srp_disk 0)
	wait_for 10 test -b "/dev/$DEV" || fail "/dev/$DEV missing" || return 1
	echo "vmrig: LUN 0 is /dev/$DEV"
}

need_disk() {
	[ -n "${DEV:-}" ] && [ -b "/dev/$DEV" ] ||
		fail "not run: no SRP disk (login failed earlier)"
}

chk_disk() {
	need_disk || return 1
	lsscsi
	lsscsi | grep -q "/dev/$DEV" || fail "lsscsi does not list /dev/$DEV" || return 1
	_sz=$(blockdev --getsize64 "/dev/$DEV") || fail "blockdev failed" || return 1
	[ "$_sz" = "$TGT_LUN0_BYTES" ] ||
		fail "size $_sz bytes, expected $TGT_LUN0_BYTES" || return 1
}

chk_inquiry() {
	need_disk || return 1
	_o=$(timeout 30 sg_inq "/dev/$DEV" 2>&1) || fail "sg_inq failed: $_o" || return 1
	echo "$_o"
	echo "$_o" | grep -q "Vendor identification: $TGT_VENDOR" ||
		fail "vendor is not $TGT_VENDOR" || return 1
	echo "$_o" | grep -q "Peripheral device type: disk" ||
		fail "not a disk" || return 1
}

chk_vpd83() {
	need_disk || return 1
	_o=$(timeout 30 sg_vpd -p 0x83 "/dev/$DEV" 2>&1) ||
		fail "sg_vpd -p 0x83 failed: $(echo "$_o" | head -n 2 | tr '\n' ' ')" || return 1
	echo "$_o"
	echo "$_o" | grep -qi "designator type" ||
		fail "no designator in the Device Identification page" || return 1
	timeout 30 sg_vpd -p 0x80 "/dev/$DEV" || fail "sg_vpd -p 0x80 (unit serial) failed" || return 1
}

chk_readcap() {
	need_disk || return 1
	_o=$(timeout 30 sg_readcap -l "/dev/$DEV" 2>&1) || fail "sg_readcap -l failed: $_o" || return 1
	echo "$_o"
	_n=$(echo "$_o" | sed -n 's/.*Number of logical blocks=\([0-9]*\).*/\1/p')
	_b=$(echo "$_o" | sed -n 's/.*Logical block length=\([0-9]*\).*/\1/p')
	[ -n "$_n" ] && [ -n "$_b" ] || fail "cannot parse sg_readcap output" || return 1
	[ $((_n * _b)) = "$TGT_LUN0_BYTES" ] ||
		fail "READ CAPACITY(16): $_n x $_b bytes, expected $TGT_LUN0_BYTES" || return 1
}

chk_tur_luns() {
	need_disk || return 1
	timeout 30 sg_turs "/dev/$DEV" || fail "TEST UNIT READY failed" || return 1
	_o=$(timeout 30 sg_luns "/dev/$DEV" 2>&1) || fail "REPORT LUNS failed: $_o" || return 1
	echo "$_o"
	echo "$_o" | grep -q "^ *0000000000000000" || fail "LUN 0 not reported" || return 1
}

# mode_page DEV PAGE: the bytes of mode page PAGE (current values), hex,
# space separated, from MODE SENSE(10): the 8-byte header and the block
# descriptors (their length in header bytes 6-7, SPC-4 7.5.5) skipped.
mode_page() {
	# shellcheck disable=SC2046
	set -- $(timeout 30 sg_modes -r -p "$2" "/dev/$1" 2>/dev/null | od -An -tx1 -v)
	[ $# -ge 8 ] || return 1
	_skip=$((8 + 0x$7 * 256 + 0x$8))
	[ $# -gt $_skip ] || return 1
	shift $_skip
	echo "$@"
}

chk_modes() {
	need_disk || return 1
	timeout 30 sg_modes -p 0x3f "/dev/$DEV" || fail "MODE SENSE all pages failed" || return 1
	# Caching mode page (SBC-4 6.5.5): page code 08h, WCE = byte 2 bit 2,
	# expected as the target's configuration says (TGT_LUN0_WCE).
	_p=$(mode_page "$DEV" 0x08) || fail "MODE SENSE caching page (08h) failed" || return 1
	echo "vmrig: caching page: $_p"
	set -- $_p
	[ $((0x$1 & 0x3f)) = 8 ] || fail "caching page request answered with page 0x$1" || return 1
	_wce=$(((0x$3 >> 2) & 1))
	[ "$_wce" = "${TGT_LUN0_WCE:-}" ] ||
		fail "caching page WCE=$_wce, the target's config says WCE=${TGT_LUN0_WCE:-unset}" || return 1
	# sd read the same page at attach: its cache_type must agree.
	_ct=$(cat /sys/class/scsi_disk/$SRP_HOST:0:0:0/cache_type 2>/dev/null)
	case $_wce:$_ct in
	1:"write back" | 0:"write through") ;;
	*) fail "sd reports cache_type '$_ct' but the caching page has WCE=$_wce"; return 1 ;;
	esac
	# Control mode page (SPC-4 7.5.8): page code 0Ah, page length 0Ah.
	_p=$(mode_page "$DEV" 0x0a) || fail "MODE SENSE control page (0Ah) failed" || return 1
	echo "vmrig: control page: $_p"
	set -- $_p
	[ $((0x$1 & 0x3f)) = 10 ] && [ $((0x$2)) = 10 ] ||
		fail "control page: page code 0x$1 length 0x$2, expected 0x0a 0x0a" || return 1
}

# fio_run NAME ARGS...: fio on the SRP disk, bounded; output kept in
# /tmp/fio-NAME.out and shown on the console.
fio_run() {
	_fn=$1
	shift
	# allow_file_create=0: if the disk node is gone (a port removed too
	# early), fio fails instead of creating a regular file in /dev that
	# would hide the next login's device node.
	timeout $FIO_TIMEOUT fio --name="$_fn" --filename="/dev/$DEV" \
		--allow_file_create=0 --direct=1 --ioengine=libaio "$@" \
		>"/tmp/fio-$_fn.out" 2>&1
	_rc=$?
	cat "/tmp/fio-$_fn.out"
	return $_rc
}

# disk_writes: writes completed on the SRP disk so far (/sys/block/DEV/stat
# field 5).  fio_writing PID W0: the background fio PID has completed writes
# since the count W0 within 60 s, and still runs.  A fixed sleep is not
# enough on a loaded host: fio may not have opened the disk yet when the
# disruption starts.
disk_writes() {
	awk '{ print $5 }' "/sys/block/$DEV/stat"
}

fio_writing() {
	if ! wait_for 60 sh -c "[ \$(awk '{ print \$5 }' /sys/block/$DEV/stat) -gt $2 ]"; then
		kill "$1" 2>/dev/null
		wait "$1"
		fail "fio issued no write within 60 s"
		return 1
	fi
	kill -0 "$1" 2>/dev/null || fail "fio ended before the disruption" || return 1
}

# chk_fio_verify BS DEPTH SIZE RW
chk_fio_verify() {
	need_disk || return 1
	fio_run "verify-$1-qd$2" --rw="$4" --bs="$1" --iodepth="$2" \
		--size="$3" --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio $4 bs=$1 iodepth=$2 size=$3: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-verify-$1-qd$2.out)"
}

chk_reset_during_io() {
	need_disk || return 1
	_w0=$(disk_writes)
	fio_run reset --rw=randwrite --bs=4k --iodepth=16 --size=24M \
		--offset=64M --verify=crc32c --verify_fatal=1 --do_verify=1 &
	_pid=$!
	fio_writing $_pid "$_w0" || return 1
	timeout 60 sg_reset -d "/dev/$DEV"
	_rrc=$?
	echo "vmrig: sg_reset -d rc=$_rrc"
	dmesg | tail -n 5
	wait $_pid
	_frc=$?
	[ $_rrc = 0 ] || fail "sg_reset -d (LUN reset) failed rc=$_rrc" || return 1
	[ $_frc = 0 ] || fail "fio with verify failed after the LUN reset (rc=$_frc)" || return 1
	timeout 30 sg_turs "/dev/$DEV" || fail "TEST UNIT READY after reset failed" || return 1
}

# chk_relogin N: N logout/login cycles, then verify data written before.
chk_relogin() {
	need_disk || return 1
	# known data written before the cycles, verified after them
	fio_run relogin-write --rw=write --bs=64k --iodepth=4 --size=16M \
		--offset=128M --verify=crc32c --do_verify=0 ||
		fail "writing the pattern failed" || return 1
	_i=1
	while [ $_i -le "$1" ]; do
		srp_logout || fail "logout $_i: $WHY" || return 1
		DEV=
		chk_login || fail "login $_i: $WHY" || return 1
		_i=$((_i + 1))
	done
	fio_run relogin-verify --rw=write --bs=64k --iodepth=4 --size=16M \
		--offset=128M --verify=crc32c --verify_only=1 --verify_fatal=1 ||
		fail "data written before $1 logout/login cycles does not verify" || return 1
}

# pattern_write NAME OFFSET / pattern_verify NAME OFFSET: 8 MiB of
# crc32c-verifiable data at OFFSET, written before a disruption and
# verified after it.
pattern_write() {
	fio_run "$1-write" --rw=write --bs=64k --iodepth=4 --size=8M \
		--offset="$2" --verify=crc32c --do_verify=0 ||
		fail "writing the pattern before $1 failed" || return 1
}

pattern_verify() {
	fio_run "$1-verify" --rw=write --bs=64k --iodepth=4 --size=8M \
		--offset="$2" --verify=crc32c --verify_only=1 --verify_fatal=1 ||
		fail "data written before $1 does not verify: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-$1-verify.out)" ||
		return 1
}

# fio_short NAME: a short random write with verify on LUN 0.
fio_short() {
	fio_run "$1" --rw=randwrite --bs=16k --iodepth=8 --size=8M \
		--offset=96M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "$1: fio write+verify failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-$1.out)"
}

rport() {
	echo "/sys/class/srp_remote_ports/port-$SRP_HOST:1"
}

# srp_reconnect_delay SECONDS: how long ib_srp waits between reconnect
# attempts after a transport error (scsi_transport_srp rport attribute;
# not an add_target option).
srp_reconnect_delay() {
	echo "$1" >"$(rport)/reconnect_delay" ||
		fail "cannot set reconnect_delay=$1 on $(rport)"
}

# srp_wait_running D0 SECONDS: ib_srp logged "reconnect succeeded" after
# dmesg line D0, the remote port is running again and LUN 0 answers TEST
# UNIT READY, all within SECONDS.
srp_wait_running() {
	wait_for "$2" sh -c "dmesg | tail -n +$(($1 + 1)) | grep -q 'reconnect succeeded'" ||
		fail "ib_srp did not reconnect within $2 s (rport state $(cat "$(rport)/state" 2>/dev/null)): $(dmesg | tail -n +$(($1 + 1)) | grep -i srp | tail -n 3 | tr '\n' ' ')" ||
		return 1
	wait_for "$2" sh -c "grep -qx running $(rport)/state && timeout 10 sg_turs /dev/$DEV" ||
		fail "reconnected but rport state '$(cat "$(rport)/state" 2>/dev/null)' or TEST UNIT READY fails after $2 s" ||
		return 1
}

# Delete the SRP remote port (logout from the initiator side) while fio
# writes: fio must end with errors, a new login must see the data written
# before, and fresh I/O must verify.
chk_remove_port_during_io() {
	need_disk || return 1
	pattern_write remove-port 192M || return 1
	# time-based, so that it is still running when the port goes however
	# fast the machine is; its data is lost with the port anyway (what
	# must survive is the pattern written before)
	_w0=$(disk_writes)
	fio_run remove-io --rw=randwrite --bs=4k --iodepth=16 --size=64M \
		--offset=32M --time_based --runtime=60 &
	_pid=$!
	fio_writing $_pid "$_w0" || return 1
	_h=$SRP_HOST
	timeout 60 sh -c "echo 1 >$(rport)/delete" ||
		fail "writing $(rport)/delete failed or blocked for 60 s" || return 1
	wait $_pid
	_frc=$?
	echo "vmrig: fio rc=$_frc after the port removal"
	dmesg | tail -n 8
	[ $_frc != 0 ] || fail "fio reports success although the port was removed under it" || return 1
	wait_for 30 sh -c "! test -e /sys/class/scsi_host/host$_h" ||
		fail "scsi host$_h still present 30 s after the port removal" || return 1
	DEV=
	chk_login || fail "login after the removal: $WHY" || return 1
	pattern_verify remove-port 192M || return 1
	fio_short remove-port-after
}

# Link flap: the netdev under rxe0 goes down and up during fio; ib_srp
# must reconnect (reconnect_delay) and fio finish with its verify clean.
# Only run when named (--checks flap): on rxe in kernel 6.1, after a flap
# under a live session neither ib_srp's reconnect nor a new login on rxe0
# succeeds, whatever the target (README "Checks"), and the I/O in flight
# waits for the SCSI timeouts (minutes).
chk_link_flap() {
	need_disk || return 1
	srp_reconnect_delay 2 || return 1
	_w0=$(disk_writes)
	fio_run link-flap --rw=randwrite --bs=4k --iodepth=16 --size=32M \
		--offset=32M --verify=crc32c --verify_fatal=1 --do_verify=1 &
	_pid=$!
	fio_writing $_pid "$_w0" || return 1
	_d0=$(dmesg | wc -l)
	ip link set veth0 down
	sleep 2
	ip link set veth0 up
	wait_for 20 sh -c "ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE" ||
		fail "rxe0 not ACTIVE 20 s after the link came back" || return 1
	wait $_pid
	_frc=$?
	dmesg | tail -n +$((_d0 + 1)) | tail -n 10
	[ $_frc = 0 ] || fail "fio verify failed across the link flap (rc=$_frc)" || return 1
	srp_wait_running "$_d0" 60
}

# The target restarts (target_restart) while the initiator is logged in:
# ib_srp reconnects on its own and the data written before verifies.
chk_target_restart() {
	need_disk || return 1
	srp_reconnect_delay 2 || return 1
	pattern_write restart 208M || return 1
	_d0=$(dmesg | wc -l)
	# Without the target or the session nothing later can pass: fail
	# the rest fast (BROKEN) instead of each waiting for its timeouts.
	if ! target_restart; then
		BROKEN="${PFX}restart-reconnect (target did not start again)"
		fail "restart: $WHY"
		return 1
	fi
	if ! srp_wait_running "$_d0" 60; then
		BROKEN="${PFX}restart-reconnect (no reconnect)"
		return 1
	fi
	pattern_verify restart 208M || return 1
	fio_short restart-after
}

# A LUN added by a configuration reload (target_reload_add_lun) becomes a
# disk of the configured size once the initiator rescans; afterwards the
# original layout is restored and the extra disk deleted on the initiator.
chk_reload_add_lun() {
	need_disk || return 1
	srp_reconnect_delay 2 || return 1
	[ -z "$(srp_disk $TGT_HOT_LUN)" ] || fail "LUN $TGT_HOT_LUN visible before the reload" || return 1
	target_reload_add_lun || fail "reload: $WHY" || return 1
	# The target may log the initiator out to apply the new map; ib_srp
	# then reconnects.  Rescan until the disk shows up (bounded).
	_t=60
	_d=
	while [ $_t -gt 0 ]; do
		timeout 20 sh -c "echo '- - -' >/sys/class/scsi_host/host$SRP_HOST/scan" 2>/dev/null
		_d=$(srp_disk $TGT_HOT_LUN)
		[ -n "$_d" ] && [ -b "/dev/$_d" ] && break
		sleep 1
		_t=$((_t - 1))
	done
	[ -n "$_d" ] && [ -b "/dev/$_d" ] ||
		fail "LUN $TGT_HOT_LUN added by the reload not visible 60 s after the rescans" || return 1
	_sz=$(blockdev --getsize64 "/dev/$_d")
	[ "$_sz" = "$TGT_HOT_LUN_BYTES" ] ||
		fail "LUN $TGT_HOT_LUN size $_sz, expected $TGT_HOT_LUN_BYTES" || return 1
}

# live_fio_loop: verified 4 MiB random-write fio runs on LUN 0, one after
# the other until /tmp/fio-live.stop exists, so that I/O runs during all
# the live changes however slow the machine is (each run stays well
# inside FIO_TIMEOUT).  Exits non-zero at the first failed run; the
# number of runs goes to /tmp/fio-live.runs.
live_fio_loop() {
	rm -f /tmp/fio-live.stop
	_lf_n=0
	_lf_rc=0
	while [ ! -e /tmp/fio-live.stop ]; do
		_lf_n=$((_lf_n + 1))
		fio_run live --rw=randwrite --bs=4k --iodepth=8 --size=4M \
			--offset=96M --verify=crc32c --verify_fatal=1 \
			--do_verify=1 || { _lf_rc=1; break; }
	done
	echo $_lf_n >/tmp/fio-live.runs
	return $_lf_rc
}

# chk_live_lun STEPS [INFO_SUFFIX]: LUN $TGT_HOT_LUN mapped, grown and unmapped by STEPS
# (live_lun_steps: reloads; live_lun_adm_steps: srptadm) while fio verify
# keeps writing LUN 0 of the same target.  The target must apply each
# change without logging the initiator out: fio ends without an error,
# ib_srp logs no reconnect and the target counts no new login.
chk_live_lun() {
	need_disk || return 1
	srp_reconnect_delay 2 || return 1
	[ -z "$(srp_disk $TGT_HOT_LUN)" ] || fail "LUN $TGT_HOT_LUN visible before the change" || return 1
	_lv_login0=$(target_logins)
	_lv_reco0=$(dmesg | grep -ci 'ib_srp.*reconnect')
	_w0=$(disk_writes)
	live_fio_loop &
	_lv_pid=$!
	fio_writing $_lv_pid "$_w0" || return 1
	"$1"
	_lv_steps=$?
	_lv_busy=0
	kill -0 $_lv_pid 2>/dev/null && _lv_busy=1
	: >/tmp/fio-live.stop
	wait $_lv_pid
	_lv_fio=$?
	report "INFO ${PFX}livelun_fio_busy_at_unmap${2:-}=$_lv_busy"
	report "INFO ${PFX}livelun_fio_runs${2:-}=$(cat /tmp/fio-live.runs 2>/dev/null)"
	[ $_lv_steps = 0 ] || return 1
	[ $_lv_busy = 1 ] || fail "fio on LUN 0 ended before the live changes did" || return 1
	[ $_lv_fio = 0 ] || fail "fio verify on LUN 0 failed during the live changes (rc=$_lv_fio): $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-live.out)" || return 1
	_lv_reco1=$(dmesg | grep -ci 'ib_srp.*reconnect')
	[ "$_lv_reco1" = "$_lv_reco0" ] || fail "ib_srp reconnected during the live changes: $(dmesg | grep -i 'ib_srp.*reconnect' | tail -n 1)" || return 1
	_lv_login1=$(target_logins)
	[ "$_lv_login1" = "$_lv_login0" ] || fail "the target saw $((_lv_login1 - _lv_login0)) new login(s) during the live changes" || return 1
}

# The three changes of chk_live_lun by reloads, fio running meanwhile.
live_lun_steps() {
	target_reload_add_lun || fail "map: $WHY" || return 1
	live_lun_seen || return 1
	target_reload_resize_lun || fail "resize: $WHY" || return 1
	live_lun_grown || return 1
	target_reload_restore || fail "unmap: $WHY" || return 1
	live_lun_gone
}

# The same through srptadm: a null device hot1 opened, mapped as LUN
# $TGT_HOT_LUN of vmrig, grown, unmapped and closed (srptadm(8): these
# apply like a reload, nobody is logged out).
live_lun_adm_steps() {
	adm device add hot1 --size $TGT_HOT_LUN_BYTES || fail "device add: $ADM_ERR" || return 1
	adm lun map vmrig $TGT_HOT_LUN hot1 || fail "lun map: $ADM_ERR" || return 1
	live_lun_seen || return 1
	adm device resize hot1 $TGT_HOT_LUN_GROWN_BYTES || fail "device resize: $ADM_ERR" || return 1
	live_lun_grown || return 1
	adm lun unmap vmrig $TGT_HOT_LUN || fail "lun unmap: $ADM_ERR" || return 1
	live_lun_gone || return 1
	adm device remove hot1 || fail "device remove: $ADM_ERR" || return 1
	adm_json '[.devices[].name] | index("hot1")' devices || return 1
	[ "$ADM_J" = null ] || fail "hot1 still listed by srptadm devices after device remove" || return 1
}

# live_lun_seen: LUN $TGT_HOT_LUN, just mapped, becomes a disk of
# $TGT_HOT_LUN_BYTES after host rescans (sets _lv_disk).
live_lun_seen() {
	# The REPORTED LUNS DATA HAS CHANGED unit attention does not make
	# Linux add the LUN by itself: rescan (bounded).
	_lv_t=60
	_lv_disk=
	while [ $_lv_t -gt 0 ]; do
		timeout 20 sh -c "echo '- - -' >/sys/class/scsi_host/host$SRP_HOST/scan" 2>/dev/null
		_lv_disk=$(srp_disk $TGT_HOT_LUN)
		[ -n "$_lv_disk" ] && [ -b "/dev/$_lv_disk" ] && break
		sleep 1
		_lv_t=$((_lv_t - 1))
	done
	[ -n "$_lv_disk" ] && [ -b "/dev/$_lv_disk" ] ||
		fail "LUN $TGT_HOT_LUN mapped live not visible 60 s after the rescans" || return 1
	_lv_sz=$(blockdev --getsize64 "/dev/$_lv_disk")
	[ "$_lv_sz" = "$TGT_HOT_LUN_BYTES" ] ||
		fail "LUN $TGT_HOT_LUN size $_lv_sz, expected $TGT_HOT_LUN_BYTES" || return 1
}

# live_lun_grown: after a device rescan the disk has the grown size.
live_lun_grown() {
	timeout 20 sh -c "echo 1 >/sys/block/$_lv_disk/device/rescan"
	wait_for 20 sh -c "[ \$(blockdev --getsize64 /dev/$_lv_disk) = $TGT_HOT_LUN_GROWN_BYTES ]" ||
		fail "LUN $TGT_HOT_LUN size $(blockdev --getsize64 /dev/$_lv_disk) after the resize, expected $TGT_HOT_LUN_GROWN_BYTES" || return 1
}

# live_lun_gone: the LUN just unmapped is not in REPORT LUNS and answers
# no TEST UNIT READY; then the initiator drops it.
live_lun_gone() {
	# Gone: not in REPORT LUNS, and the disk answers LOGICAL UNIT NOT
	# SUPPORTED; then the initiator drops it.
	timeout 20 sg_luns "/dev/$DEV" | grep -q "^ *000${TGT_HOT_LUN}000000000000\$" &&
		fail "LUN $TGT_HOT_LUN still in REPORT LUNS after the unmap" && return 1
	timeout 20 sg_turs "/dev/$_lv_disk" 2>/dev/null &&
		fail "LUN $TGT_HOT_LUN still answers TEST UNIT READY after the unmap" && return 1
	timeout 30 sh -c "echo 1 >/sys/class/scsi_device/$SRP_HOST:0:0:$TGT_HOT_LUN/device/delete"
	return 0
}

reload_cleanup() {
	_sdev=/sys/class/scsi_device/$SRP_HOST:0:0:$TGT_HOT_LUN/device
	[ -e $_sdev/delete ] && timeout 30 sh -c "echo 1 >$_sdev/delete"
	target_reload_restore || return 1
	# back to a usable LUN 0 (the target may log us out again)
	wait_for 60 sh -c "grep -qx running $(rport)/state && timeout 10 sg_turs /dev/$DEV" ||
		fail "LUN 0 not usable 60 s after restoring the configuration" || return 1
}

# chk_ch_count N: log in again with ch_count=N, check the channel count the
# SCSI host reports, run a short verified write.
chk_ch_count() {
	srp_logout || return 1
	DEV=
	chk_login "ch_count=$1" || return 1
	_c=$(cat "/sys/class/scsi_host/host$SRP_HOST/ch_count" 2>/dev/null)
	[ "$_c" = "$1" ] || fail "scsi host reports ch_count=$_c, asked for $1" || return 1
	fio_run "ch$1" --rw=randwrite --bs=16k --iodepth=8 --size=8M \
		--offset=160M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio verify with ch_count=$1 failed"
}

# chk_login_opts OPTS BS DEPTH SIZE: log in again with extra add_target
# options and run a verified write that depends on them.
chk_login_opts() {
	srp_logout || return 1
	DEV=
	chk_login "$1" || return 1
	fio_run "opts" --rw=randwrite --bs="$2" --iodepth="$3" --size="$4" \
		--offset=64M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio bs=$2 iodepth=$3 with $1 failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-opts.out)"
}

# chk_queue_limits: the limits the initiator derived from the target
# (sd from the Block Limits VPD page, ib_srp from its parameters) let a
# 128 KiB read go as one SCSI command: max_sectors_kb of the disk at least
# 128, and 128 KiB reads from a buffer in huge pages (physically
# contiguous, so ib_srp's 12 SG elements per command do not split it;
# doc/performance.md "Commands per I/O") arrive as one command each.
chk_queue_limits() {
	need_disk || return 1
	_q=/sys/block/$DEV/queue
	report "INFO ${PFX}queue_limits max_sectors_kb=$(cat $_q/max_sectors_kb) max_hw_sectors_kb=$(cat $_q/max_hw_sectors_kb) max_segments=$(cat $_q/max_segments) optimal_io_size=$(cat $_q/optimal_io_size)"
	[ "$(cat $_q/max_sectors_kb)" -ge 128 ] ||
		fail "max_sectors_kb $(cat $_q/max_sectors_kb) < 128" || return 1
	_hp=$(cat /proc/sys/vm/nr_hugepages)
	[ "$_hp" -ge 4 ] || echo 4 >/proc/sys/vm/nr_hugepages
	_r0=$(awk '{ print $1 }' /sys/block/$DEV/stat)
	fio_run "qlim" --rw=read --bs=128k --iodepth=8 --size=16M \
		--iomem=mmaphuge
	_rc=$?
	_r1=$(awk '{ print $1 }' /sys/block/$DEV/stat)
	echo "$_hp" >/proc/sys/vm/nr_hugepages
	[ $_rc = 0 ] || fail "fio 128k reads failed: $(grep -m1 -i 'err' /tmp/fio-qlim.out)" ||
		return 1
	[ $((_r1 - _r0)) = 128 ] ||
		fail "128 reads of 128 KiB arrived as $((_r1 - _r0)) commands" ||
		return 1
}

# chk_srp_param "MODPARAMS" "LOGINOPTS" BS DEPTH SIZE: reload ib_srp with
# module parameters, log in with extra options, verified write, then reload
# ib_srp with its defaults and log in again.
chk_srp_param() {
	srp_logout || return 1
	DEV=
	rmmod ib_srp || fail "rmmod ib_srp" || return 1
	# shellcheck disable=SC2086
	modprobe ib_srp $1 || fail "modprobe ib_srp $1" || return 1
	_ok=0
	if chk_login "$2"; then
		fio_run "param" --rw=randwrite --bs="$3" --iodepth="$4" \
			--size="$5" --offset=64M --verify=crc32c --verify_fatal=1 \
			--do_verify=1 ||
			{ fail "fio bs=$3 iodepth=$4 with ib_srp $1 $2 failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-param.out)"; _ok=1; }
	else
		_ok=1
	fi
	_why=$WHY
	srp_logout
	DEV=
	rmmod ib_srp
	modprobe ib_srp
	chk_login || fail "login after restoring ib_srp defaults: $WHY" || return 1
	WHY=$_why
	return $_ok
}

chk_logout() {
	srp_logout || return 1
	[ -z "$DEV" ] || ! [ -b "/dev/$DEV" ] || wait_for 10 sh -c "! test -b /dev/$DEV" ||
		fail "/dev/$DEV still present after logout" || return 1
	DEV=
}

chk_stop() {
	target_stop
}

# ------------------------------------------------------------ driver ----

t_suite=$(now)
PFX=
run_check fabric/rxe chk_fabric
if [ "$CHECK_OK" = 0 ]; then
	report "FAIL fabric: Soft-RoCE setup failed, no target tested"
	exit 0
fi
run_check fabric/verbs-rc-pingpong chk_verbs_pingpong
run_check fabric/rdma-cm-rping chk_rdma_cm_ping

for T in $(echo "$VMRIG_TARGETS" | tr ',' ' '); do
	PFX=$T/
	DEV=
	BROKEN=
	t_target=$(now)
	if ! [ -r "/vm/target-$T.sh" ]; then
		report "FAIL $T/start: no /vm/target-$T.sh"
		continue
	fi
	unset -f target_extra_checks target_final_checks target_idle_checks \
		target_diag \
		target_restart target_crash target_kill target_relaunch \
		target_reload_add_lun target_reload_restore \
		target_reload_resize_lun target_logins target_admin \
		target_md_allow target_md_cleanup target_md_log_checks \
		target_md_hot_logged 2>/dev/null
	TGT_MD_GUID=own
	. "/vm/target-$T.sh"
	run_check start chk_start
	if [ "$CHECK_OK" = 0 ]; then
		# Nothing else can run; say so once instead of a cascade.
		report "FAIL $T/suite: not run, the target did not start"
		dmesg | tail -n 20
		target_stop
		continue
	fi
	run_check login chk_login
	if want scsi; then
		run_check disk-size chk_disk
		run_check inquiry chk_inquiry
		run_check vpd-0x83 chk_vpd83
		run_check readcap16 chk_readcap
		run_check tur-report-luns chk_tur_luns
		run_check mode-sense chk_modes
	fi
	if want fio; then
		run_check fio-verify-512-qd1 chk_fio_verify 512 1 1M randwrite
		run_check fio-verify-512-qd16 chk_fio_verify 512 16 4M randwrite
		run_check fio-verify-4k-qd1 chk_fio_verify 4k 1 4M randwrite
		run_check fio-verify-4k-qd32 chk_fio_verify 4k 32 16M randwrite
		run_check fio-verify-8k-qd64 chk_fio_verify 8k 64 32M randwrite
		run_check fio-verify-64k-qd8 chk_fio_verify 64k 8 32M randwrite
		run_check fio-verify-1m-qd4 chk_fio_verify 1m 4 48M write
	fi
	# before multidev: login-info compares with the lines srptd logged
	# at start, and multidev adds addresses
	want admin && admin_checks
	want reset && run_check lun-reset-during-io chk_reset_during_io
	want relogin && run_check relogin-20x-verify chk_relogin 20
	want remove && run_check remove-port-during-io chk_remove_port_during_io
	want_named flap && run_check link-flap chk_link_flap
	want multidev && md_checks
	if want chcount; then
		run_check ch_count-1 chk_ch_count 1
		run_check ch_count-2 chk_ch_count 2
	fi
	if want opts; then
		run_check queue-limits-128k chk_queue_limits
		run_check queue_size-8-qd32 chk_login_opts queue_size=8 4k 32 8M
		run_check cmd_sg_entries-255-bs4m chk_login_opts cmd_sg_entries=255 4m 2 32M
		run_check max_sect-64-bs256k chk_login_opts max_sect=64 256k 4 16M
		run_check no-immediate-data chk_srp_param use_imm_data=0 "" 4k 16 8M
		# Without memory registration every SG element is its own SRP
		# descriptor: indirect tables in the IU (SRP r16a 5.5.2.6)...
		run_check never_register-indirect chk_srp_param never_register=1 "" 64k 8 16M
		# ...and, with one descriptor per command, external tables the
		# target must fetch with RDMA READ.  Only for targets that say
		# they can: LIO ib_srpt answers such commands with BUSY forever
		# (doc/srp-protocol.md 6) and the I/O hangs until the SCSI timeouts.
		if [ "${TGT_EXT_SG:-0}" = 1 ]; then
			run_check never_register-ext-sg chk_srp_param never_register=1 \
				cmd_sg_entries=1,allow_ext_sg=1 64k 8 16M
		else
			report "SKIP $T/never_register-ext-sg: $T does not fetch external descriptor tables"
		fi
		# srptd only: requests and buffers come back when idle
		command -v chk_srptd_idle_retire >/dev/null 2>&1 &&
			run_check idle-retire chk_srptd_idle_retire
		# srptd only: busy polling, verified I/O and an idle CPU check
		command -v chk_srptd_busy_poll >/dev/null 2>&1 &&
			run_check busy-poll-verify-idle chk_srptd_busy_poll
		# srptd only: one worker per CPU it may run on, unless
		# --srptd-set gives the number
		if ! command -v chk_srptd_affinity >/dev/null 2>&1; then
			:
		elif grep -q '^  workers = [1-9]' "$SRPTD_CONF"; then
			report "SKIP $T/workers-follow-affinity: the configuration sets workers"
		else
			run_check workers-follow-affinity chk_srptd_affinity
		fi
		# srptd only: a smaller transfer limit, reported and honoured
		command -v chk_srptd_max_xfer >/dev/null 2>&1 &&
			run_check max_rdma_size-256k chk_srptd_max_xfer
		# back to a default login for what follows
		[ -n "$BROKEN" ] || { srp_logout && DEV= && chk_login >/dev/null; }
	fi
	if want restart; then
		if command -v target_restart >/dev/null 2>&1; then
			run_check restart-reconnect chk_target_restart
		else
			report "SKIP $T/restart-reconnect: $T has no target_restart"
		fi
	fi
	if want crash; then
		if command -v target_crash >/dev/null 2>&1; then
			run_check crash-sigkill chk_crash
			run_check crash-negative chk_crash_negative
		else
			report "SKIP $T/crash-sigkill: $T has no target_crash (LIO's ib_srpt runs in the kernel: there is no target process to kill)"
			report "SKIP $T/crash-negative: as crash-sigkill"
		fi
	fi
	if want reload; then
		if command -v target_reload_add_lun >/dev/null 2>&1; then
			run_check reload-add-lun chk_reload_add_lun
			run_check reload-restore reload_cleanup
		else
			report "SKIP $T/reload-add-lun: $T is not configured by a file with reload"
		fi
	fi
	if want livelun; then
		if command -v target_reload_resize_lun >/dev/null 2>&1; then
			run_check livelun-map-resize-unmap chk_live_lun live_lun_steps
		else
			report "SKIP $T/livelun-map-resize-unmap: $T has no live LUN changes by reload here (the rig sets LIO up once through configfs)"
		fi
		if command -v target_admin >/dev/null 2>&1; then
			run_check livelun-srptadm chk_live_lun live_lun_adm_steps _srptadm
		else
			report "SKIP $T/livelun-srptadm: $T is not administered through srptadm"
		fi
	fi
	target_extra_checks
	# Last before logout: it writes the whole LUN and may leave it reserved.
	want_named conformance && run_check libiscsi chk_libiscsi
	run_check logout chk_logout
	want_named multipath && mp_checks
	if want_named failover; then
		if [ "$T" = srptd ]; then
			ha_checks
		else
			# LIO's ib_srpt is one kernel target: no second
			# process to present the same LU; not a check.
			report "INFO ${T}_failover=not applicable (one kernel target)"
		fi
	fi
	# Every session gone, the target still up: what it still holds.
	command -v target_idle_checks >/dev/null 2>&1 && target_idle_checks
	run_check stop chk_stop
	command -v target_final_checks >/dev/null 2>&1 && target_final_checks
	report "INFO ${T}_suite_seconds=$(elapsed "$t_target")"
done
# ----------------------------------------------------------- perf ----
# After every target's own checks (each is stopped by now): perf.sh
# starts the targets of VMRIG_TARGETS again on one shared file.
want_named perf && perf_checks

mp_summary
conformance_summary
report "INFO suite_seconds=$(elapsed "$t_suite")"
