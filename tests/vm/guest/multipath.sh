# The "multipath" check group (sourced by suite.sh, dash): dm-multipath over
# two SRP paths to one LU, the scenarios of issue 18 under load.
#
# Topology (README.md "Topology"): ib_srp can only reach a target address
# owned by the same rxe device, so the two paths are
#   path 1: srp-rxe0-1 -> 10.83.82.1       (IPv4, rxe0), initiator_ext 1
#   path 2: srp-rxe1-1 -> [fd00:5352::2]   (IPv6, rxe1), initiator_ext 2
# both with the target port identity of rxe0 (id_ext/ioc_guid as in the
# default login), so they end at the same LU through two target ports.
#
# multipathd runs in the guest with udev (systemd-udevd from the base
# initramfs, a subset of Debian's rules): udev's uevents tell multipathd
# when a path's disk comes and goes, scsi_id gives the WWID it groups by.
#
# Checks (per target; each prints INFO figures, mp_summary puts both
# targets' figures side by side at the end):
#   mp-setup         both paths logged in, a map over LUN 0 with 2 paths
#   mp-relogin-raw   fio write+verify loops on the map while the paths are
#                    logged out and in (one, the other, both) every few s
#   mp-relogin-ext4  the same with ext4 on the map, fio on a file
#   mp-sg-reset      fio randwrite 64k QD16 direct+sync md5 verify while
#                    sg_reset --no-esc -d (sd) and -b (sg) alternate once
#                    a second on each path
#   mp-teardown      map flushed, multipathd and udevd stopped, logged out
# Pass: every fio run ends clean (queue_if_no_path: no error may reach the
# application), no "I/O error" on the dm device, every re-login accepted,
# both paths active again at the end.
#
# Knobs (kernel command line via run.sh): VMRIG_REPEAT (run.sh --repeat N:
# each scenario N times, checks named ...-rK) and VMRIG_MP_SECONDS
# (run.sh --mp-seconds S: fio time per scenario run, default 45) and
# VMRIG_MP_SCSI_TIMEOUT (run.sh --mp-scsi-timeout S: sd command timeout of
# the path disks, default 30, sd's own).

MP_SECONDS=${VMRIG_MP_SECONDS:-45}
MP_REPEAT=${VMRIG_REPEAT:-1}
MP_SCSI_TIMEOUT=${VMRIG_MP_SCSI_TIMEOUT:-30}
MP_V6_0=fd00:5352::1
MP_V6_1=fd00:5352::2
MP_FIG=/tmp/mp-figures.txt
MP_MNT=/mnt/mp
MP_UDEVD=
MP_MPD=
MP_DM=

# ---------------------------------------------------------------- paths --

# mp_path_dev N / mp_path_addr N: the initiator device and destination of
# path N (the IPv6 address in brackets, as ib_srp's dest= wants it).
mp_path_dev() {
	[ "$1" = 1 ] && echo rxe0 || echo rxe1
}

mp_path_addr() {
	[ "$1" = 1 ] && echo $VETH0_ADDR || echo "[$MP_V6_1]"
}

# mp_path_host N: the SCSI host number of path N (empty if logged out).
mp_path_host() {
	for _mp in /sys/class/srp_remote_ports/port-*; do
		[ -e "$_mp" ] || continue
		_mh=${_mp##*port-}
		_mh=${_mh%%:*}
		# ib_srp does not show initiator_ext; the device tells the
		# paths apart (one per rxe device)
		[ "$(cat "/sys/class/scsi_host/host$_mh/local_ib_device" 2>/dev/null)" = \
			"$(mp_path_dev "$1")" ] && echo "$_mh" && return 0
	done
	return 1
}

# mp_path_sd N: the sd name of LUN 0 on path N.
mp_path_sd() {
	_mh=$(mp_path_host "$1") || return 1
	ls "/sys/class/scsi_host/host$_mh/device/target$_mh:0:0/$_mh:0:0:0/block" 2>/dev/null | head -n 1
}

mp_path_login() {
	_mdev=$INI_DEV
	_maddr=$TGT_ADDR
	INI_DEV=$(mp_path_dev "$1")
	TGT_ADDR=$(mp_path_addr "$1")
	srp_login "initiator_ext=$1"
	_mrc=$?
	INI_DEV=$_mdev
	TGT_ADDR=$_maddr
	[ $_mrc = 0 ] || return 1
	# the SCSI command timeout of the path's disks (blktests' srp group
	# uses 1 s to provoke the error handler; sd's default is 30 s)
	wait_for 20 mp_path_sd "$1" || fail "path $1: no disk for LUN 0 within 20 s" || return 1
	echo "$MP_SCSI_TIMEOUT" >"/sys/block/$(mp_path_sd "$1")/device/timeout"
}

# mp_path_logout N: delete path N's remote port and wait until its SCSI
# host is gone (ib_srp refuses a new login to the same target until then).
mp_path_logout() {
	_mh=$(mp_path_host "$1") || return 0
	timeout 60 sh -c "echo 1 >/sys/class/srp_remote_ports/port-$_mh:1/delete" ||
		fail "path $1: deleting port-$_mh:1 failed or blocked 60 s" || return 1
	wait_for 30 sh -c "! test -e /sys/class/scsi_host/host$_mh" ||
		fail "path $1: scsi host$_mh still present 30 s after logout" || return 1
}

# ------------------------------------------------------ target hooks ----

# mp_target_prepare: make the target serve both paths.
mp_target_prepare() {
	case $T in
	srptd)
		# The suite's config has the default listeners, 0.0.0.0 and
		# [::], which take every address of both devices, IPv6 ones
		# added later included (srptd-test.conf.in).
		grep -qF '"[::]:' $SRPTD_CONF ||
			fail "srptd does not listen on [::] ($SRPTD_CONF)" || return 1
		;;
	lio)
		# rxe1's GID-named port with the same LUN; node ACLs for both
		# paths' initiator port ids (initiator_ext || port GUID).
		_g1=$(cat /sys/class/infiniband/rxe1/ports/1/gids/0)
		_guid1=$(nocolon "$_g1" | cut -c17-32)
		_tpg0=$LIO/srpt/0x$(nocolon "$TGT_GID")/tpgt_1
		_tpg1=$LIO/srpt/0x$(nocolon "$_g1")/tpgt_1
		mkdir -p $_tpg1/lun/lun_0 || fail "mkdir $_tpg1" || return 1
		[ -L $_tpg1/lun/lun_0/vmdisk0 ] || ln -s $LIO_DEV $_tpg1/lun/lun_0/vmdisk0 ||
			fail "link lun_0 on rxe1" || return 1
		for _a in "$_tpg0 0x0000000000000001$INI_GUID" "$_tpg1 0x0000000000000002$_guid1"; do
			set -- $_a
			mkdir -p "$1/acls/$2/lun_0" || fail "mkdir acl $2" || return 1
			[ -L "$1/acls/$2/lun_0/lun_0" ] ||
				ln -s "$1/lun/lun_0" "$1/acls/$2/lun_0/lun_0" || fail "map acl $2" || return 1
		done
		echo 1 >$_tpg1/enable || fail "enable tpg on rxe1" || return 1
		;;
	*) fail "no multipath hooks for target $T" ;;
	esac
}

# mp_target_restore: back to the default setup of the target.
mp_target_restore() {
	case $T in
	srptd)
		srptd_sigterm || return 1
		srptd_gen_conf && srptd_launch
		;;
	lio) : ;; # target_stop removes every tpg and ACL
	esac
}

# ----------------------------------------------------------- plumbing --

# mp_conf WWID: multipath.conf for LUN 0 (WWID) only; the other LUNs of the
# target (srptd exports three) stay plain disks.
mp_conf() {
	mkdir -p /etc/multipath
	# As the kernel's SRP regression tests (blktests srp) configure it:
	# every SCSI disk is a path (find_multipaths no), I/O queues while no
	# path is left (no_path_retry queue = queue_if_no_path), TUR checker.
	# multibus: both paths in one group, so I/O runs on both; the ALUA
	# handler and prioritizer are picked by multipathd itself when the
	# target reports TPGS (detect_prio, retain_attached_hw_handler).
	cat >/etc/multipath.conf <<EOF
defaults {
	user_friendly_names no
	find_multipaths no
	queue_without_daemon no
	polling_interval 2
}
devices {
	device {
		vendor "SRPTD|LIO-ORG"
		product ".*"
		path_grouping_policy multibus
		path_selector "service-time 0"
		path_checker tur
		failback immediate
		no_path_retry queue
	}
}
blacklist {
	wwid ".*"
}
blacklist_exceptions {
	wwid "^$1\$"
}
EOF
}

mp_udev_start() {
	[ -n "$MP_UDEVD" ] && return 0
	mkdir -p /run/udev
	/usr/lib/systemd/systemd-udevd --daemon >/tmp/udevd.log 2>&1 ||
		fail "systemd-udevd did not start: $(tail -n 2 /tmp/udevd.log)" || return 1
	MP_UDEVD=1
	timeout 60 udevadm trigger --action=add --subsystem-match=block
	timeout 60 udevadm settle
}

mp_udev_stop() {
	[ -n "$MP_UDEVD" ] || return 0
	timeout 30 udevadm control --exit
	MP_UDEVD=
}

# mp_map: the dm device (dm-N) holding path 1's LUN 0, if any.
mp_map() {
	_sd=$(mp_path_sd 1) || return 1
	ls "/sys/block/$_sd/holders" 2>/dev/null | head -n 1 | grep dm-
}

# mp_active_paths: paths of the map that multipathd reports active.
mp_active_paths() {
	timeout 20 multipathd show paths format "%d %t %T" 2>/dev/null |
		grep -c " active ready"
}

# mp_map_ok: the map exists and has both paths' disks as slaves.
mp_map_ok() {
	MP_DM=$(mp_map) || return 1
	_s1=$(mp_path_sd 1) && _s2=$(mp_path_sd 2) || return 1
	[ -e "/sys/block/$MP_DM/slaves/$_s1" ] && [ -e "/sys/block/$MP_DM/slaves/$_s2" ]
}

# -------------------------------------------------------------- figures --

MP_D0=0
MP_L0=0
mp_mark() {
	MP_D0=$(now)
	MP_L0=$(wc -l </tmp/multipathd.log)
	MP_FIO_RUNS=0
	MP_FIO_FAILED=0
	MP_FIO_ERR=
	MP_FIO_MAX=0
}

# mp_dmesg_count PATTERN: dmesg lines matching PATTERN since mp_mark (by
# time stamp: a line count would be off once the ring buffer wraps).
mp_dmesg_count() {
	dmesg | awk -v t="$MP_D0" '{ s = $0; sub(/^\[ */, "", s); if (s + 0 >= t) print }' |
		grep -Ec "$1"
}

# mp_figures NAME EXTRA: INFO line for this target, kept for mp_summary.
mp_figures() {
	_f="fio_runs=$MP_FIO_RUNS fio_failed=$MP_FIO_FAILED fio_max_s=$MP_FIO_MAX"
	_f="$_f path_failures=$(mp_dmesg_count 'multipath.*Failing path')"
	_f="$_f reinstated=$(tail -n +$((MP_L0 + 1)) /tmp/multipathd.log | grep -c reinstated)"
	_f="$_f did_time_out=$(mp_dmesg_count 'DID_TIME_OUT')"
	_f="$_f io_err_dm=$(mp_dmesg_count 'I/O error, dev dm-')"
	_f="$_f io_err_sd=$(mp_dmesg_count 'I/O error, dev sd')"
	_f="$_f $2"
	report "INFO ${T}_$1 $_f"
	echo "$1 $T $_f" >>$MP_FIG
}

# mp_fio_loop SECONDS NAME FIO_ARGS...: fio write+verify runs one after the
# other until SECONDS have passed or one fails (MP_FIO_* counters).
mp_fio_loop() {
	_secs=$1
	_nm=$2
	shift 2
	_mt0=$(now)
	while [ "$(awk -v a="$_mt0" -v b="$(now)" -v s="$_secs" 'BEGIN { print (b - a < s) }')" = 1 ]; do
		MP_FIO_RUNS=$((MP_FIO_RUNS + 1))
		_r0=$(now)
		timeout $FIO_TIMEOUT fio --name="$_nm" "$@" >/tmp/fio-$_nm.out 2>&1
		_rc=$?
		# the longest run: a stall (commands waiting for their timeout)
		# shows here even when every run ends clean
		_rs=$(awk -v a="$_r0" -v b="$(now)" 'BEGIN { printf "%d", b - a + 0.5 }')
		[ "$_rs" -gt "$MP_FIO_MAX" ] && MP_FIO_MAX=$_rs
		if [ $_rc != 0 ]; then
			MP_FIO_FAILED=$((MP_FIO_FAILED + 1))
			cat /tmp/fio-$_nm.out
			MP_FIO_ERR="fio run $MP_FIO_RUNS rc=$_rc after $(elapsed "$_mt0") s: $(grep -m2 -iE 'err|bad|verify|error' /tmp/fio-$_nm.out | tr '\n' ' ' | cut -c1-200)"
			return 1
		fi
	done
	grep -E 'IOPS|err=' /tmp/fio-$_nm.out | head -n 3
	return 0
}

# mp_end_state: both paths logged in, map has 2 slaves and multipathd
# reports 2 active paths within 60 s; sets WHY otherwise.
mp_end_state() {
	_k=0
	for _mpn in 1 2; do
		mp_path_host $_mpn >/dev/null || mp_path_login $_mpn || _k=1
	done
	[ $_k = 0 ] || fail "path not logged in at the end: $WHY" || return 1
	wait_for 60 mp_map_ok || fail "map lost a path disk at the end" || return 1
	wait_for 60 sh -c "[ \$(multipathd show paths format '%d %t %T' | grep -c ' active ready') -ge 2 ]" ||
		fail "fewer than 2 active paths 60 s after the scenario: $(multipathd show paths format '%d %t %T' | tr '\n' ' ')" ||
		return 1
}

# ----------------------------------------------------------- scenarios --

chk_mp_setup() {
	for m in dm_mod dm_multipath dm_service_time dm_round_robin dm_queue_length \
		scsi_dh_alua scsi_dh_emc scsi_dh_rdac ext4; do
		modprobe "$m" || fail "modprobe $m" || return 1
	done
	ip -6 addr show dev veth0 | grep -q "$MP_V6_0" ||
		ip addr add $MP_V6_0/64 dev veth0 nodad || fail "IPv6 on veth0" || return 1
	ip -6 addr show dev veth1 | grep -q "$MP_V6_1" ||
		ip addr add $MP_V6_1/64 dev veth1 nodad || fail "IPv6 on veth1" || return 1
	mp_target_prepare || return 1
	mp_udev_start || return 1
	for _mpn in 1 2; do
		mp_path_login $_mpn || fail "path $_mpn ($(mp_path_dev $_mpn) -> $(mp_path_addr $_mpn)): $WHY" || return 1
		wait_for 20 mp_path_sd $_mpn || fail "path $_mpn: no disk for LUN 0 within 20 s" || return 1
	done
	timeout 60 udevadm settle
	# the WWID multipathd groups by: udev's ID_SERIAL (scsi_id, VPD 0x83)
	_wwid=$(udevadm info -q property -n "/dev/$(mp_path_sd 1)" | sed -n 's/^ID_SERIAL=//p')
	[ -n "$_wwid" ] || fail "udev gives no ID_SERIAL for $(mp_path_sd 1)" || return 1
	[ "$(udevadm info -q property -n "/dev/$(mp_path_sd 2)" | sed -n 's/^ID_SERIAL=//p')" = "$_wwid" ] ||
		fail "the two paths' LUN 0 have different WWIDs" || return 1
	mp_conf "$_wwid"
	multipathd -d -s >/tmp/multipathd.log 2>&1 &
	MP_MPD=$!
	wait_for 60 mp_map_ok ||
		fail "no map with both paths 60 s after multipathd started: $(tail -n 3 /tmp/multipathd.log | tr '\n' ' ')" ||
		return 1
	# Held open until the teardown, as an application would: multipathd
	# removes a map that loses its last path unless it is in use, and the
	# relogin scenario takes both paths away at times.
	exec 7<"/dev/$MP_DM"
	timeout 30 multipath -ll
	wait_for 30 sh -c "[ \$(multipathd show paths format '%d %t %T' | grep -c ' active ready') -ge 2 ]" ||
		fail "map $MP_DM has not 2 active paths: $(multipathd show paths format '%d %t %T' | tr '\n' ' ')" ||
		return 1
	echo "vmrig: map $MP_DM over $(mp_path_sd 1) (path 1, rxe0 IPv4) and $(mp_path_sd 2) (path 2, rxe1 IPv6)"
	report "INFO ${T}_mp_map $MP_DM paths=$(ls /sys/block/$MP_DM/slaves | tr '\n' ',') wwid=$_wwid table=[$(timeout 20 dmsetup table "$(cat /sys/block/$MP_DM/dm/name)" | cut -d' ' -f4-9)]"
}

# mp_relogin_loop: in the background until /tmp/mp-stop exists, log the
# paths out and in again: path 1, path 2, then both at once (the map has no
# path for a while and queues), about every 4 s.  Failed re-logins are
# counted in /tmp/mp-relogin.fail.
mp_relogin_loop() {
	_k=0
	: >/tmp/mp-relogin.fail
	: >/tmp/mp-relogin.count
	while [ ! -e /tmp/mp-stop ]; do
		sleep 3
		[ -e /tmp/mp-stop ] && break
		case $((_k % 3)) in
		0) _set=1 ;;
		1) _set=2 ;;
		2) _set="1 2" ;;
		esac
		echo "vmrig: relogin cycle $_k: paths $_set out ($(now))"
		for _mpn in $_set; do
			mp_path_logout $_mpn || echo "logout $_mpn: $WHY" >>/tmp/mp-relogin.fail
		done
		sleep 1
		for _mpn in $_set; do
			if mp_path_login $_mpn; then
				echo ok >>/tmp/mp-relogin.count
			else
				echo "login $_mpn cycle $_k: $WHY" >>/tmp/mp-relogin.fail
			fi
		done
		echo "vmrig: relogin cycle $_k: paths $_set back ($(now))"
		_k=$((_k + 1))
	done
}

# chk_mp_relogin raw|ext4
chk_mp_relogin() {
	[ -n "$MP_DM" ] && mp_map_ok || fail "not run: no multipath map" || return 1
	if [ "$1" = ext4 ]; then
		timeout 120 mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1 /dev/$MP_DM ||
			fail "mkfs.ext4 on $MP_DM failed" || return 1
		mkdir -p $MP_MNT
		mount -t ext4 /dev/$MP_DM $MP_MNT || fail "mount $MP_DM failed" || return 1
		_tgt="--directory=$MP_MNT --filename=fio.dat"
	else
		_tgt="--filename=/dev/$MP_DM --allow_file_create=0"
	fi
	mp_mark
	rm -f /tmp/mp-stop
	mp_relogin_loop &
	_lp=$!
	# shellcheck disable=SC2086
	mp_fio_loop "$MP_SECONDS" "mp-relogin-$1" $_tgt --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=16k --iodepth=16 --size=16M --verify=crc32c \
		--verify_fatal=1 --do_verify=1
	_frc=$?
	touch /tmp/mp-stop
	wait $_lp
	_nlog=$(wc -l </tmp/mp-relogin.count)
	_nfail=$(wc -l </tmp/mp-relogin.fail)
	_ok=0
	mp_end_state || _ok=1
	_why_end=$WHY
	[ "$1" = ext4 ] && { umount $MP_MNT || echo "vmrig: umount $MP_MNT failed"; }
	mp_figures "mp_relogin_$1" "relogins=$_nlog relogin_failures=$_nfail"
	[ $_frc = 0 ] || fail "$MP_FIO_ERR" || return 1
	[ "$_nfail" = 0 ] || fail "$_nfail of $((_nlog + _nfail)) re-logins/logouts failed: $(head -n 2 /tmp/mp-relogin.fail | tr '\n' ' ')" || return 1
	[ "$(mp_dmesg_count 'I/O error, dev dm-')" = 0 ] || fail "I/O errors on $MP_DM in dmesg" || return 1
	[ $_ok = 0 ] || fail "$_why_end" || return 1
}

# mp_reset_loop: until /tmp/mp-stop, once a second on every path in turn:
# LUN reset on its sd node, bus reset on its sg node, no escalation.
mp_reset_loop() {
	_k=0
	: >/tmp/mp-reset.count
	while [ ! -e /tmp/mp-stop ]; do
		for _mpn in 1 2; do
			_sd=$(mp_path_sd $_mpn) || continue
			if [ $((_k % 2)) = 0 ]; then
				timeout 60 sg_reset --no-esc -d "/dev/$_sd" >/dev/null 2>&1
				echo "d $_mpn $?" >>/tmp/mp-reset.count
			else
				_sg=$(ls "/sys/block/$_sd/device/scsi_generic" 2>/dev/null | head -n 1)
				[ -n "$_sg" ] && timeout 60 sg_reset --no-esc -b "/dev/$_sg" >/dev/null 2>&1
				echo "b $_mpn $?" >>/tmp/mp-reset.count
			fi
		done
		_k=$((_k + 1))
		sleep 1
	done
}

chk_mp_sg_reset() {
	[ -n "$MP_DM" ] && mp_map_ok || fail "not run: no multipath map" || return 1
	mp_mark
	rm -f /tmp/mp-stop
	mp_reset_loop &
	_lp=$!
	mp_fio_loop "$MP_SECONDS" mp-sg-reset --filename=/dev/$MP_DM \
		--allow_file_create=0 --direct=1 --sync=1 --ioengine=libaio \
		--rw=randwrite --bs=64k --iodepth=16 --size=32M --verify=md5 \
		--verify_fatal=1 --do_verify=1
	_frc=$?
	touch /tmp/mp-stop
	wait $_lp
	_nd=$(grep -c '^d' /tmp/mp-reset.count)
	_nb=$(grep -c '^b' /tmp/mp-reset.count)
	_ndok=$(grep -c '^d .* 0$' /tmp/mp-reset.count)
	_ok=0
	mp_end_state || _ok=1
	_why_end=$WHY
	mp_figures mp_sg_reset "lun_resets=$_nd lun_resets_ok=$_ndok bus_resets=$_nb aborts=$(mp_dmesg_count 'Sending SRP abort')"
	[ $_frc = 0 ] || fail "$MP_FIO_ERR" || return 1
	[ "$(mp_dmesg_count 'I/O error, dev dm-')" = 0 ] || fail "I/O errors on $MP_DM in dmesg" || return 1
	[ $_ok = 0 ] || fail "$_why_end" || return 1
}

# mp_release PID LOG: every multipath map flushed and multipathd PID
# (may be empty) stopped, then the end of its LOG.  Queueing is turned
# off first: a map without paths must not hang the flush.  Fails when the
# flush fails.
mp_release() {
	_mr=0
	for _m in $(timeout 20 dmsetup ls --target multipath 2>/dev/null | awk '{ print $1 }'); do
		timeout 20 dmsetup message "$_m" 0 fail_if_no_path
	done
	timeout 60 multipath -F || { echo "vmrig: multipath -F failed"; _mr=1; }
	if [ -n "$1" ]; then
		timeout 20 multipathd shutdown >/dev/null 2>&1 || kill "$1"
		wait "$1"
	fi
	echo "vmrig: ---- multipathd log (last 30 lines) ----"
	tail -n 30 "$2"
	return $_mr
}

chk_mp_teardown() {
	_ok=0
	grep -q " $MP_MNT " /proc/mounts && umount $MP_MNT
	exec 7<&-
	mp_release "$MP_MPD" /tmp/multipathd.log || _ok=1
	MP_MPD=
	srp_logout || _ok=1
	mp_udev_stop
	MP_DM=
	mp_target_restore || _ok=1
	[ $_ok = 0 ] || fail "teardown: ${WHY:-multipath -F failed}"
}

# mp_checks: the group for the current target ($T); the initiator is logged
# out when it runs (suite.sh calls it after the logout check).
mp_checks() {
	run_check mp-setup chk_mp_setup
	_r=1
	while [ $_r -le "$MP_REPEAT" ]; do
		_sfx=
		[ "$MP_REPEAT" = 1 ] || _sfx=-r$_r
		run_check mp-relogin-raw$_sfx chk_mp_relogin raw
		run_check mp-relogin-ext4$_sfx chk_mp_relogin ext4
		run_check mp-sg-reset$_sfx chk_mp_sg_reset
		_r=$((_r + 1))
	done
	run_check mp-teardown chk_mp_teardown
}

# mp_summary: both targets' figures of each scenario, side by side.
mp_summary() {
	[ -s $MP_FIG ] || return 0
	for _s in $(awk '{ print $1 }' $MP_FIG | sort -u); do
		report "INFO $_s $(awk -v s="$_s" '$1 == s { $1 = ""; printf "|%s ", $0 }' $MP_FIG)"
	done
}
