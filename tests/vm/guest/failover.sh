# The "failover" check group (sourced by suite.sh, dash): two srptd
# processes present one logical unit as two ALUA target port groups
# (doc/ha.md), dm-multipath groups the paths by priority, srptd A is
# killed with SIGKILL under fio verify and started again.
#
#   srptd A: listens on 10.83.82.1:5000 (rxe0), group 1 active/optimized,
#            target id_ext ...4131, relative port 1
#   srptd B: listens on 10.83.82.2:5001 (rxe1), group 2
#            active/non-optimized, target id_ext ...4132, relative port 2
# Both export the same file on tmpfs (write_cache = false: every write
# is on the file when acknowledged) as LUN 0 with the same naa and serial.
# LUN 1 is the negative control: one file, but each srptd gives it its own
# naa, so multipathd must build two single-path maps for it, not one.
# Each srptd has its own state_dir, control socket and log; neither runs
# a DM agent.  The suite's own srptd is stopped meanwhile (it listens on
# every address) and started again at the end.
#
# Checks (srptd only: LIO's ib_srpt is one kernel target, there is no
# second process to present the same LU):
#   ha-setup     both srptd up, both logins, one map for LUN 0 with two
#                path groups, priorities 50 (A) and 10 (B) from ALUA;
#                REPORT TARGET PORT GROUPS lists both groups; LUN 1 in
#                two maps
#   ha-failover  fio verify loops on the map; SIGKILL srptd A; the A path
#                fails, I/O goes on through B; srptd A again; the A path
#                is reinstated and I/O returns to it; every fio run
#                clean, no I/O error on the map, B's path never failed
#   ha-reload-standby  SIGHUP puts B in standby: TEST UNIT READY answers
#                04/0B, REPORT TARGET PORT GROUPS and multipathd (priority
#                1) agree; back to active/non-optimized
#   ha-teardown  maps flushed, logged out, both srptd stopped (exit 0)
# INFO ha_failover: path_fail_s (SIGKILL to "Failing path"), io_stall_s
# (the longest time without a completed I/O on the map), back_s (srptd A
# listening again to its path reinstated), fio runs.

HA_DIR=/tmp/srptd-ha
HA_ID_A=5352505444484131
HA_ID_B=5352505444484132
HA_NAA=60014050000000000000000000000a01
HA_PORT_A=5000
HA_PORT_B=5001
# ib_srp's timers of both paths, as doc/ha.md recommends: the path fails
# 5 s after its connection is lost, reconnect attempts every 2 s.
HA_FAST_IO_FAIL=5
HA_RECONNECT=2
HA_A_PID=
HA_B_PID=
HA_MPD=
HA_DM=
HA_HOST_A=
HA_HOST_B=

# ha_conf NAME ADDR PORT GROUP STATE PEER PEER_STATE RTPI PEER_RTPI ID NAA1
ha_conf() {
	mkdir -p $HA_DIR/$1.d $HA_DIR/$1.state
	cat >$HA_DIR/$1.conf <<EOF
version = 1;
daemon: {
  log_level = "debug";
  include_dir = "$HA_DIR/$1.d";
  state_dir = "$HA_DIR/$1.state";
  control_socket = "$HA_DIR/$1.sock";
};
fabric: {
  ports = [ "*" ];
  ib_cm: { enabled = false; };
  dm_agent = false;
  rdma_cm: { enabled = true; listen = [ "$2:$3" ]; };
};
backend_defaults: { engine = "io_uring"; direct_io = false; };
alua: {
  group_id = $4;
  state = "$5";
  peer_groups = ( { id = $6; state = "$7"; relative_port_ids = [ $9 ]; } );
};
devices = (
  { name = "ha0"; path = "$HA_DIR/ha0.img"; create = true; size = "64M";
    block_size = 512; write_cache = false; shared = true; serial = "VMRIG-HA-0";
    naa = "$HA_NAA"; },
  { name = "odd0"; path = "$HA_DIR/ha1.img"; create = true; size = "8M";
    block_size = 512; write_cache = false; shared = true;
    serial = "VMRIG-HA-1-$1";
    naa = "${11}"; }
);
targets = (
  { name = "ha"; id_ext = "${10}"; relative_port_id = $8;
    unknown_initiators = "default-map";
    lun_map = ( { lun = 0; device = "ha0"; }, { lun = 1; device = "odd0"; } );
  }
);
EOF
	$SRPTD_BIN --check-config $HA_DIR/$1.conf
}

# ha_launch NAME PORT: start that srptd, wait for its listener; sets
# HA_LAUNCHED to its pid.
ha_launch() {
	echo "vmrig: starting srptd $1 ($(now))" >>$HA_DIR/$1.log
	# Not with the map open (fd 8, ha-setup): multipath -F must be able
	# to remove it while this srptd still runs.
	$SRPTD_BIN --foreground -c $HA_DIR/$1.conf --log-level debug >>$HA_DIR/$1.log 2>&1 8<&- &
	HA_LAUNCHED=$!
	wait_for 20 rdma_cm_listening "$2" ||
		fail "srptd $1 not listening on port $2 within 20 s: $(tail -n 3 $HA_DIR/$1.log | tr '\n' ' ')"
}

# ha_stop PID NAME: SIGTERM, exit status 0 within 10 s.
ha_stop() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1"
	wait_for 10 sh -c "! kill -0 $1" || {
		kill -KILL "$1"
		fail "srptd $2 still running 10 s after SIGTERM"
		return 1
	}
	wait "$1"
	_rc=$?
	[ $_rc = 0 ] || fail "srptd $2 exited with $_rc after SIGTERM"
}

# ha_login NAME DEV ADDR PORT ID: log in, set the path's ib_srp timers;
# sets HA_LOGGED to the SCSI host number.
ha_login() {
	_sd=$INI_DEV
	INI_DEV=$2
	SRP_OPTS="id_ext=$5,ioc_guid=$TGT_NODE_GUID,dest=$3:$4"
	srp_login
	_rc=$?
	SRP_OPTS=
	INI_DEV=$_sd
	[ $_rc = 0 ] || return 1
	HA_LOGGED=$SRP_HOST
	_rp=/sys/class/srp_remote_ports/port-$SRP_HOST:1
	echo $HA_FAST_IO_FAIL >$_rp/fast_io_fail_tmo &&
		echo $HA_RECONNECT >$_rp/reconnect_delay ||
		fail "cannot set the ib_srp timers of path $1" || return 1
	wait_for 20 ha_sd "$SRP_HOST" 0 || fail "path $1: no disk for LUN 0 within 20 s"
}

# ha_wait SECONDS CMD...: like wait_for, but bounded in time, also when
# CMD itself is slow (multipathd answers late while paths change).
ha_wait() {
	_hw0=$(now)
	_hws=$1
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(awk -v a="$_hw0" -v b="$(now)" -v s="$_hws" 'BEGIN { print (b - a < s) }')" = 1 ] || return 1
		sleep 0.2
	done
}

# ha_sd HOST LUN: the sd name of that LUN.
ha_sd() {
	ls "/sys/class/scsi_host/host$1/device/target$1:0:0/$1:0:0:$2/block" 2>/dev/null | head -n 1 | grep .
}

ha_wwid() {
	udevadm info -q property -n "/dev/$1" | sed -n 's/^ID_SERIAL=//p'
}

# ha_holder SD: the dm device holding SD.
ha_holder() {
	ls "/sys/block/$1/holders" 2>/dev/null | grep dm- | head -n 1
}

ha_map_ok() {
	HA_DM=$(ha_holder "$HA_SDA") &&
		[ -e "/sys/block/$HA_DM/slaves/$HA_SDA" ] &&
		[ -e "/sys/block/$HA_DM/slaves/$HA_SDB" ]
}

# ha_ios SD: reads and writes completed on a block device (its stat
# fields 1 and 5).
ha_ios() {
	awk '{ print $1 + $5 }' "/sys/block/$1/stat"
}

ha_conf_mp() {
	mkdir -p /etc/multipath
	# doc/ha.md's device section; only the LUNs of this group are
	# paths (the blacklist exceptions name their WWIDs).
	cat >/etc/multipath.conf <<EOF
defaults {
	user_friendly_names no
	find_multipaths no
	queue_without_daemon no
	polling_interval 2
}
devices {
	device {
		vendor "SRPTD"
		product ".*"
		path_grouping_policy group_by_prio
		prio alua
		hardware_handler "1 alua"
		path_checker tur
		failback immediate
		no_path_retry queue
	}
}
blacklist {
	wwid ".*"
}
blacklist_exceptions {
	wwid "^($1)\$"
}
EOF
}

chk_ha_setup() {
	for m in dm_mod dm_multipath dm_service_time dm_round_robin scsi_dh_alua; do
		modprobe "$m" || fail "modprobe $m" || return 1
	done
	# The suite's srptd listens on every address: out of the way.
	srptd_sigterm || return 1
	rm -rf $HA_DIR
	mkdir -p $HA_DIR
	_o=$(ha_conf a $VETH0_ADDR $HA_PORT_A 1 active/optimized 2 \
		active/non-optimized 1 2 $HA_ID_A 60014050000000000000000000000b0a 2>&1) ||
		fail "srptd rejects the config of A: $(echo "$_o" | head -n 2 | tr '\n' ' ')" || return 1
	_o=$(ha_conf b $VETH1_ADDR $HA_PORT_B 2 active/non-optimized 1 \
		active/optimized 2 1 $HA_ID_B 60014050000000000000000000000b0b 2>&1) ||
		fail "srptd rejects the config of B: $(echo "$_o" | head -n 2 | tr '\n' ' ')" || return 1
	ha_launch a $HA_PORT_A || return 1
	HA_A_PID=$HA_LAUNCHED
	ha_launch b $HA_PORT_B || return 1
	HA_B_PID=$HA_LAUNCHED
	mp_udev_start || return 1
	ha_login A rxe0 $VETH0_ADDR $HA_PORT_A $HA_ID_A || return 1
	HA_HOST_A=$HA_LOGGED
	ha_login B rxe1 $VETH1_ADDR $HA_PORT_B $HA_ID_B || return 1
	HA_HOST_B=$HA_LOGGED
	wait_for 20 ha_sd $HA_HOST_A 1 && wait_for 20 ha_sd $HA_HOST_B 1 ||
		fail "no disk for LUN 1 on both paths" || return 1
	timeout 60 udevadm settle
	HA_SDA=$(ha_sd $HA_HOST_A 0)
	HA_SDB=$(ha_sd $HA_HOST_B 0)
	HA_SDA1=$(ha_sd $HA_HOST_A 1)
	HA_SDB1=$(ha_sd $HA_HOST_B 1)
	_w=$(ha_wwid $HA_SDA)
	_w1a=$(ha_wwid $HA_SDA1)
	_w1b=$(ha_wwid $HA_SDB1)
	[ -n "$_w" ] && [ "$(ha_wwid $HA_SDB)" = "$_w" ] ||
		fail "LUN 0 has WWID '$_w' through A, '$(ha_wwid $HA_SDB)' through B" || return 1
	[ -n "$_w1a" ] && [ -n "$_w1b" ] && [ "$_w1a" != "$_w1b" ] ||
		fail "LUN 1 (negative control) WWIDs '$_w1a' and '$_w1b' are not two" || return 1
	# Both groups, each with its state and port, through either path.
	_r=$(timeout 30 sg_rtpg -d "/dev/$HA_SDB" 2>&1)
	echo "$_r"
	echo "$_r" | tr '\n' ' ' | grep -Eq \
		"target port group id : 0x2 .*asymmetric access state : 0x01 .* 0x02 .*target port group id : 0x1 .*asymmetric access state : 0x00 .* 0x01" ||
		fail "REPORT TARGET PORT GROUPS through B is not group 2 AN (port 2), group 1 AO (port 1): $(echo "$_r" | tr -s ' \n' ' ' | cut -c1-300)" ||
		return 1
	ha_conf_mp "$_w|$_w1a|$_w1b"
	multipathd -d -s >/tmp/ha-multipathd.log 2>&1 &
	HA_MPD=$!
	wait_for 60 ha_map_ok ||
		fail "no map with both paths of LUN 0 60 s after multipathd started: $(tail -n 3 /tmp/ha-multipathd.log | tr '\n' ' ')" ||
		return 1
	exec 8<"/dev/$HA_DM"
	timeout 30 multipath -ll
	# ALUA priorities: 50 active/optimized, 10 active/non-optimized.
	ha_wait 30 sh -c "[ \"\$(timeout 10 multipathd show paths format '%d %p %T' | grep -cE '^($HA_SDA 50|$HA_SDB 10) +ready')\" = 2 ]" ||
		fail "path priorities are not A 50, B 10: $(timeout 10 multipathd show paths format '%d %p %t %T' | tr '\n' ' ')" ||
		return 1
	_pg=$(timeout 20 multipath -ll "$_w" | grep -Ec 'policy=.*prio=(50|10) status=(active|enabled)')
	[ "$_pg" = 2 ] || fail "the map of LUN 0 has not two path groups (prio 50 and 10)" || return 1
	# Negative control: LUN 1, one store under two names, is two maps.
	_h1a=$(ha_holder $HA_SDA1)
	_h1b=$(ha_holder $HA_SDB1)
	[ -n "$_h1a" ] && [ -n "$_h1b" ] && [ "$_h1a" != "$_h1b" ] &&
		[ "$(ls /sys/block/$_h1a/slaves | wc -l)" = 1 ] ||
		fail "LUN 1 with two naa is not two single-path maps ($_h1a, $_h1b)" || return 1
	report "INFO srptd_ha_map $HA_DM paths=$HA_SDA(A),$HA_SDB(B) wwid=$_w lun1_maps=$_h1a,$_h1b"
}

# ha_fio_loop: in the background, fio verify runs one after the other
# until /tmp/ha-stop exists (at most 300 s); one "rc seconds" line per run.
ha_fio_loop() {
	_t0=$(now)
	: >/tmp/ha-fio.res
	while [ ! -e /tmp/ha-stop ] && [ "$(awk -v a="$_t0" -v b="$(now)" 'BEGIN { print (b - a < 300) }')" = 1 ]; do
		_r0=$(now)
		timeout $FIO_TIMEOUT fio --name=ha --filename=/dev/$HA_DM --allow_file_create=0 \
			--direct=1 --ioengine=libaio --rw=randwrite --bs=16k --iodepth=16 \
			--size=8M --verify=crc32c --verify_fatal=1 --do_verify=1 \
			>/tmp/ha-fio.out 2>&1
		_rc=$?
		echo "$_rc $(elapsed "$_r0")" >>/tmp/ha-fio.res
		[ $_rc = 0 ] || { cat /tmp/ha-fio.out; break; }
	done
}

# ha_sampler: I/Os completed on the map, "uptime count" every 0.2 s.
ha_sampler() {
	: >/tmp/ha-io.samples
	while [ ! -e /tmp/ha-stop ]; do
		echo "$(now) $(awk '{ print $1 + $5 }' /sys/block/$HA_DM/stat)" >>/tmp/ha-io.samples
		sleep 0.2
	done
}

chk_ha_failover() {
	[ -n "$HA_DM" ] && ha_map_ok || fail "not run: no multipath map" || return 1
	_devA=$(cat /sys/block/$HA_SDA/dev)
	_devB=$(cat /sys/block/$HA_SDB/dev)
	_d0=$(now)
	rm -f /tmp/ha-stop
	ha_fio_loop &
	_fp=$!
	ha_sampler &
	_sp=$!
	_wa0=$(ha_ios $HA_SDA)
	_ok=0
	# fio under way on A (it takes a while to start under TCG) ...
	ha_wait 60 sh -c "[ \$(awk '{ print \$1 + \$5 }' /sys/block/$HA_SDA/stat) -gt $((_wa0 + 100)) ]" ||
		{ fail "fio did not get going on path A within 60 s"; _ok=1; }
	# ... and on A alone: group_by_prio keeps B's group idle.
	_wa0=$(ha_ios $HA_SDA)
	_wb0=$(ha_ios $HA_SDB)
	sleep 3
	_wa=$(($(ha_ios $HA_SDA) - _wa0))
	_wb0n=$(ha_ios $HA_SDB)
	[ $_ok = 1 ] || { [ "$_wa" -gt 0 ] && [ "$_wb0n" = "$_wb0" ]; } ||
		{ fail "before the kill $_wa I/Os went to path A, $((_wb0n - _wb0)) to B: not A alone"; _ok=1; }
	_wb0=$_wb0n
	_tk=$(now)
	kill -KILL "$HA_A_PID"
	wait "$HA_A_PID"
	HA_A_PID=
	echo "vmrig: srptd A killed at $_tk"
	[ $_ok = 0 ] && { wait_for 60 sh -c "dmesg | grep -q 'Failing path $_devA'" ||
		{ fail "path A ($_devA) not failed within 60 s of SIGKILL"; _ok=1; }; }
	_tf=$(now)
	[ $_ok = 0 ] && { wait_for 30 sh -c "[ \$(awk '{ print \$1 + \$5 }' /sys/block/$HA_SDB/stat) -gt $_wb0 ]" ||
		{ fail "no I/O through path B within 30 s of path A failing"; _ok=1; }; }
	sleep 4
	_tu=$(now)
	# srptd A again, also after a failure above (the teardown expects it)
	if ha_launch a $HA_PORT_A; then
		HA_A_PID=$HA_LAUNCHED
	else
		_ok=1
	fi
	[ $_ok = 0 ] && { ha_wait 90 sh -c "timeout 10 multipathd show paths format '%d %t %T' | grep -Eq '^$HA_SDA +active +ready'" ||
		{ fail "path A not active again within 90 s of srptd A's restart: $(timeout 10 multipathd show paths format '%d %t %T' | tr '\n' ' ')"; _ok=1; }; }
	_tb=$(now)
	# failback immediate: I/O returns to the optimized group.
	_wa1=$(ha_ios $HA_SDA)
	[ $_ok = 0 ] && { wait_for 30 sh -c "[ \$(awk '{ print \$1 + \$5 }' /sys/block/$HA_SDA/stat) -gt $_wa1 ]" ||
		{ fail "I/O did not return to path A within 30 s of its reinstatement"; _ok=1; }; }
	sleep 3
	touch /tmp/ha-stop
	wait $_fp
	wait $_sp
	_runs=$(wc -l </tmp/ha-fio.res)
	_bad=$(awk '$1 != 0' /tmp/ha-fio.res | wc -l)
	_fmax=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' /tmp/ha-fio.res)
	# The longest time without a completed I/O from SIGKILL on.
	_stall=$(awk -v t="$_tk" '$1 >= t - 0.5 { if ($2 != c) { if (n && $1 - l > m) m = $1 - l; c = $2; l = $1; n = 1 } else if (!n) { c = $2; l = $1; n = 1 } }
		END { if ($1 - l > m) m = $1 - l; printf "%.1f", m }' /tmp/ha-io.samples)
	_reinst=$(dmesg | awk -v t="$_d0" '{ s = $0; sub(/^\[ */, "", s); if (s + 0 >= t) print }' | grep -c "Reinstating path $_devA")
	_failB=$(dmesg | awk -v t="$_d0" '{ s = $0; sub(/^\[ */, "", s); if (s + 0 >= t) print }' | grep -c "Failing path $_devB")
	_ioerr=$(dmesg | awk -v t="$_d0" '{ s = $0; sub(/^\[ */, "", s); if (s + 0 >= t) print }' | grep -c "I/O error, dev dm-")
	report "INFO srptd_ha_failover path_fail_s=$(awk -v a="$_tk" -v b="$_tf" 'BEGIN { printf "%.1f", b - a }') io_stall_s=$_stall back_s=$(awk -v a="$_tu" -v b="$_tb" 'BEGIN { printf "%.1f", b - a }') fio_runs=$_runs fio_failed=$_bad fio_max_s=$_fmax reinstated_A=$_reinst failing_B=$_failB io_err_dm=$_ioerr fast_io_fail_tmo=$HA_FAST_IO_FAIL reconnect_delay=$HA_RECONNECT"
	[ $_ok = 0 ] || return 1
	[ "$_bad" = 0 ] || fail "$_bad of $_runs fio runs failed: $(grep -m2 -iE 'err|verify' /tmp/ha-fio.out | tr '\n' ' ' | cut -c1-200)" || return 1
	[ "$_runs" -ge 1 ] || fail "no fio run" || return 1
	[ "$_ioerr" = 0 ] || fail "I/O errors on $HA_DM in dmesg" || return 1
	[ "$_failB" = 0 ] || fail "path B failed too" || return 1
	[ "$_reinst" -ge 1 ] || fail "dm did not log 'Reinstating path $_devA'" || return 1
}

# A reload (SIGHUP) that puts B in standby: B's disk gets ASYMMETRIC
# ACCESS STATE CHANGED (whoever's command comes first sees it), then TEST
# UNIT READY answers NOT READY 04/0B and REPORT TARGET PORT GROUPS says
# standby; multipathd's priority of the
# path drops to 1 (alua prioritizer: standby).  Back to
# active/non-optimized at the end.
ha_reload_b() {
	sed -i "s|^  state = \".*\";|  state = \"$1\";|" $HA_DIR/b.conf
	_l0=$(wc -l <$HA_DIR/b.log)
	kill -HUP "$HA_B_PID" || fail "srptd B is not running" || return 1
	wait_for 20 sh -c "tail -n +$((_l0 + 1)) $HA_DIR/b.log | grep -q 'configuration generation .* applied'" ||
		fail "srptd B did not apply the new configuration within 20 s" || return 1
}

chk_ha_reload_standby() {
	[ -n "$HA_DM" ] || fail "not run: no multipath map" || return 1
	ha_reload_b standby || return 1
	grep -q "alua: group 2 now standby on 2 device(s)" $HA_DIR/b.log ||
		fail "srptd B did not report the state change" || return 1
	# The unit attention goes to whichever command of the nexus comes
	# first (multipathd's checker, often): TEST UNIT READY until it is
	# not that one.
	_k=0
	while [ $_k -lt 3 ]; do
		_t=$(timeout 30 sg_turs -v "/dev/$HA_SDB" 2>&1)
		echo "$_t" | grep -qi "unit attention" || break
		_k=$((_k + 1))
	done
	echo "$_t"
	echo "$_t" | grep -qi "target port in standby state" ||
		fail "TEST UNIT READY through B in standby: $(echo "$_t" | tr '\n' ' ' | cut -c1-200)" || return 1
	timeout 30 sg_rtpg -d "/dev/$HA_SDB" | tr '\n' ' ' |
		grep -q "target port group id : 0x2 .*asymmetric access state : 0x02" ||
		fail "REPORT TARGET PORT GROUPS through B does not say standby" || return 1
	ha_wait 30 sh -c "timeout 10 multipathd show paths format '%d %p' | grep -Eq '^$HA_SDB +1 *\$'" ||
		fail "multipathd's priority of B is not 1 (standby): $(timeout 10 multipathd show paths format '%d %p %t %T' | tr '\n' ' ')" ||
		return 1
	ha_reload_b active/non-optimized || return 1
	ha_wait 30 sh -c "timeout 10 multipathd show paths format '%d %p %T' | grep -Eq '^$HA_SDB +10 +ready'" ||
		fail "B not back at priority 10 and ready: $(timeout 10 multipathd show paths format '%d %p %t %T' | tr '\n' ' ')" ||
		return 1
}

chk_ha_teardown() {
	_ok=0
	exec 8<&-
	mp_release "$HA_MPD" /tmp/ha-multipathd.log || _ok=1
	HA_MPD=
	srp_logout || _ok=1
	mp_udev_stop
	HA_DM=
	ha_stop "$HA_A_PID" A || _ok=1
	ha_stop "$HA_B_PID" B || _ok=1
	HA_A_PID=
	HA_B_PID=
	rm -rf $HA_DIR
	srptd_gen_conf && srptd_launch || _ok=1
	[ $_ok = 0 ] || fail "teardown: ${WHY:-multipath -F failed}"
}

# On a failed check: both srptd logs.
ha_diag() {
	for _n in a b; do
		echo "vmrig: ---- srptd $_n log (last 15 lines but device scans) ----"
		grep -v 'verbs: device scan:' $HA_DIR/$_n.log 2>/dev/null | tail -n 15
	done
}

ha_checks() {
	run_check ha-setup chk_ha_setup
	[ "$CHECK_OK" = 1 ] || ha_diag
	run_check ha-failover chk_ha_failover
	[ "$CHECK_OK" = 1 ] || ha_diag
	run_check ha-reload-standby chk_ha_reload_standby
	[ "$CHECK_OK" = 1 ] || ha_diag
	run_check ha-teardown chk_ha_teardown
}
