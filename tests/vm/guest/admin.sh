# The admin group (sourced by suite.sh, dash): srptd driven and watched
# through srptadm on its control socket (lib.sh adm) while the Linux
# ib_srp initiator is logged in.  For a target that defines target_admin
# (target-srptd.sh); any other gets one SKIP line per check.
#
#   admin/sessions          sessions -v shows exactly ib_srp's session: the
#                           initiator port id it used, the target, one
#                           channel per ch_count with worker and login path
#   admin/login-info        login-info lists the add_target lines srptd
#                           logged; one of them, as written, logs in
#   admin/stats             a fio job's I/Os and bytes are in the session's
#                           counters, --json and --prometheus alike
#   admin/kick              session kick during verified fio: ib_srp
#                           reconnects, fio ends without an error
#   admin/denied-initiator  a target that denies the initiator rejects
#                           its login: no session, no disk
# The livelun group's livelun-srptadm (suite.sh chk_live_lun) uses srptadm
# device add / lun map / device resize / lun unmap / device remove.

ADMIN_CHECKS="sessions login-info stats kick denied-initiator"

# norm_id ID: a port id or GID without "0x", colons and upper case, so
# that the forms of sysfs, ib_srp and srptd compare.
norm_id() {
	echo "$1" | tr -d ':' | tr 'A-F' 'a-f' | sed 's/^0x//'
}

# adm_json FILTER ARGS...: srptadm --json ARGS, then jq -r FILTER on its
# output into ADM_J.  Fails (WHY set) if either fails.
adm_json() {
	_aj_f=$1
	shift
	adm --json "$@" || fail "srptadm --json $* failed: $ADM_ERR" || return 1
	ADM_J=$(echo "$ADM_OUT" | jq -r "$_aj_f") ||
		fail "srptadm --json $*: jq '$_aj_f' failed on its output" || return 1
}

# The initiator port id ib_srp used for the current login: initiator_ext
# (0: the suite's logins do not set it, and ib_srp has no other source)
# and the interface id of the GID it logged in from (the SCSI host's sgid,
# SRP r16a 5.2 / IBA 4.1.1).
admin_ini_id() {
	_sgid=$(cat "/sys/class/scsi_host/host$SRP_HOST/sgid") || return 1
	echo "0000000000000000$(norm_id "$_sgid" | cut -c17-32)"
}

chk_admin_sessions() {
	need_disk || return 1
	_ini=$(admin_ini_id) || fail "no sgid for scsi host$SRP_HOST" || return 1
	_sgid=$(norm_id "$(cat "/sys/class/scsi_host/host$SRP_HOST/sgid")")
	_chc=$(cat "/sys/class/scsi_host/host$SRP_HOST/ch_count")
	_nports=$(ls -d /sys/class/srp_remote_ports/port-* | wc -l)
	adm_json .workers status || return 1
	_workers=$ADM_J
	adm_json '.sessions | length' sessions -v || return 1
	[ "$ADM_J" = "$_nports" ] ||
		fail "srptd lists $ADM_J session(s), ib_srp has $_nports remote port(s)" || return 1
	adm_json '.sessions[0] | "\(.target) \(.initiator) \(.gid) \(.channels | length)"' sessions -v || return 1
	set -- $ADM_J
	[ "$1" = vmrig ] || fail "session of target '$1', expected vmrig" || return 1
	[ "$(norm_id "$2")" = "$_ini" ] ||
		fail "session initiator '$2', ib_srp logged in as 0x$_ini (initiator_ext 0, sgid $_sgid)" || return 1
	# RDMA/CM on RoCE v2 connects from the GID of the initiator's IPv4
	# address (::ffff:a.b.c.d), not from GID 0 that ib_srp builds the
	# port id from
	_gid4=00000000000000000000ffff$(echo "$VETH0_ADDR" | awk -F. '{ printf "%02x%02x%02x%02x", $1, $2, $3, $4 }')
	[ "$(norm_id "$3")" = "$_gid4" ] ||
		fail "session GID '$3', expected the initiator's IPv4 GID $_gid4" || return 1
	[ "$4" = "$_chc" ] ||
		fail "session has $4 channel(s), the SCSI host's ch_count is $_chc" || return 1
	# every channel: live, served by an existing worker, logged in over
	# RDMA/CM through the initiator's device port from its address
	adm_json '.sessions[0].channels[] | "\(.state) \(.worker) \(.path) \(.device) \(.port) \(.peer)"' sessions -v || return 1
	echo "$ADM_J" | while read -r _st _w _p _d _po _peer; do
		[ "$_st" = LIVE ] || { echo "channel state $_st, expected LIVE"; continue; }
		[ "$_w" -ge 0 ] 2>/dev/null && [ "$_w" -lt "$_workers" ] ||
			{ echo "channel worker '$_w', srptd has $_workers worker(s)"; continue; }
		[ "$_p $_d $_po" = "rdma_cm $INI_DEV 1" ] ||
			{ echo "channel login path '$_p $_d $_po', expected 'rdma_cm $INI_DEV 1'"; continue; }
		case $_peer in
		"$VETH0_ADDR" | "$VETH0_ADDR":*) ;;
		*) echo "channel peer '$_peer', the initiator's address is $VETH0_ADDR" ;;
		esac
	done >/tmp/admin-ch.err
	[ ! -s /tmp/admin-ch.err ] || fail "$(head -n 2 /tmp/admin-ch.err)" || return 1
	# the human table names the same session and its channels
	adm sessions -v || fail "srptadm sessions -v failed: $ADM_ERR" || return 1
	echo "$ADM_OUT" | grep -q "vmrig" && echo "$ADM_OUT" | grep -qi "$_ini" ||
		fail "srptadm sessions -v does not show vmrig and 0x$_ini" || return 1
	[ "$(echo "$ADM_OUT" | grep -ci 'rdma.cm')" -ge "$_chc" ] ||
		fail "srptadm sessions -v shows fewer than $_chc RDMA/CM channel lines" || return 1
}

# The add_target lines srptd logged for its targets ("target T: via D
# port P: LINE"), in srptadm login-info's form ("T via D port P: LINE").
admin_logged_logins() {
	sed -n 's/^.* srptd notice: target \([^:]*\): via \(.*\)$/\1 via \2/p' $SRPTD_LOG |
		tr -s ' ' | sort -u
}

chk_admin_login_info() {
	need_disk || return 1
	admin_logged_logins >/tmp/admin-logged.txt
	[ -s /tmp/admin-logged.txt ] || fail "srptd logged no add_target line" || return 1
	adm login-info || fail "srptadm login-info failed: $ADM_ERR" || return 1
	echo "$ADM_OUT" | tr -s ' ' | sort -u >/tmp/admin-info.txt
	if ! cmp -s /tmp/admin-logged.txt /tmp/admin-info.txt; then
		diff /tmp/admin-logged.txt /tmp/admin-info.txt
		fail "srptadm login-info differs from the lines srptd logged: $(diff /tmp/admin-logged.txt /tmp/admin-info.txt | grep '^[-+][^-+]' | head -n 2 | tr '\n' ' ')"
		return 1
	fi
	# the line for the initiator's device and the target's IPv4 address
	adm_json ".logins[] | select(.device == \"$INI_DEV\" and .path == \"rdma_cm\") | .add_target | select(contains(\"dest=$TGT_ADDR:\"))" login-info vmrig ||
		return 1
	_line=$(echo "$ADM_J" | head -n 1)
	[ "$_line" = "id_ext=$TGT_ID_EXT,ioc_guid=$TGT_IOC_GUID,dest=$TGT_ADDR:$TGT_PORT" ] ||
		fail "login-info line for $INI_DEV is '$_line', expected id_ext=$TGT_ID_EXT,ioc_guid=$TGT_IOC_GUID,dest=$TGT_ADDR:$TGT_PORT" ||
		return 1
	srp_logout || return 1
	DEV=
	SRP_OPTS=$_line chk_login || fail "login with login-info's '$_line': $WHY" || return 1
	fio_short admin-login-info
}

# admin_session_io KEY: the current session's counter KEY (a jq path
# below the session object of srptadm --json stats) into ADM_J.
admin_session_io() {
	adm_json ".sessions[] | select(.target == \"vmrig\") | $1" stats || return 1
	[ -n "$ADM_J" ] || fail "srptadm stats has no session of vmrig" || return 1
}

chk_admin_stats() {
	need_disk || return 1
	adm_json '.sessions | length' stats || return 1
	[ "$ADM_J" = 1 ] || fail "srptadm stats lists $ADM_J sessions, expected 1" || return 1
	admin_session_io '"\(.commands.read) \(.commands.write) \(.read_bytes) \(.written_bytes)"' || return 1
	set -- $ADM_J
	_r0=$1 _w0=$2 _rb0=$3 _wb0=$4
	# No merging in the block layer: each fio I/O is one SCSI command.
	_nm=$(cat "/sys/block/$DEV/queue/nomerges")
	echo 2 >"/sys/block/$DEV/queue/nomerges"
	timeout $FIO_TIMEOUT fio --name=admin-stats --filename="/dev/$DEV" \
		--allow_file_create=0 --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=16k --iodepth=8 --size=8M --offset=224M \
		--verify=crc32c --verify_fatal=1 --do_verify=1 \
		--output-format=json >/tmp/fio-admin-stats.json 2>/tmp/fio-admin-stats.err
	_frc=$?
	echo "$_nm" >"/sys/block/$DEV/queue/nomerges"
	[ $_frc = 0 ] || fail "fio failed (rc=$_frc): $(head -n 2 /tmp/fio-admin-stats.err)" || return 1
	_f=$(jq -r '.jobs[0] | "\(.read.total_ios) \(.write.total_ios) \(.read.io_bytes) \(.write.io_bytes)"' /tmp/fio-admin-stats.json) ||
		fail "fio's JSON output does not parse" || return 1
	set -- $_f
	_fr=$1 _fw=$2 _frb=$3 _fwb=$4
	echo "vmrig: fio: $_fr reads, $_fw writes, $_frb bytes read, $_fwb written"
	[ "$_fw" -gt 0 ] && [ "$_fr" -gt 0 ] || fail "fio reports no reads or writes: $_f" || return 1
	admin_session_io '"\(.commands.read) \(.commands.write) \(.read_bytes) \(.written_bytes)"' || return 1
	set -- $ADM_J
	_r=$(($1 - _r0)) _w=$(($2 - _w0)) _rb=$(($3 - _rb0)) _wb=$(($4 - _wb0))
	echo "vmrig: srptd counted $_r reads, $_w writes, $_rb bytes read, $_wb written"
	# >=: the kernel adds commands of its own (sd's, the block layer's)
	[ $_r -ge "$_fr" ] && [ $_w -ge "$_fw" ] && [ $_rb -ge "$_frb" ] && [ $_wb -ge "$_fwb" ] ||
		fail "srptd counted $_r reads $_w writes $_rb/$_wb bytes for fio's $_fr reads $_fw writes $_frb/$_fwb bytes" ||
		return 1
	# the Prometheus exposition shows the same (idle) counters
	adm stats --prometheus || fail "srptadm stats --prometheus failed: $ADM_ERR" || return 1
	_prom=$ADM_OUT
	admin_session_io '"\(.commands.read) \(.commands.write) \(.read_bytes) \(.written_bytes) \(.initiator)"' || return 1
	set -- $ADM_J
	_sel="target=\"vmrig\",session=\"$5\""
	for _m in "commands_total{$_sel,direction=\"read\"} $1" \
		"commands_total{$_sel,direction=\"write\"} $2" \
		"read_bytes_total{$_sel} $3" "written_bytes_total{$_sel} $4"; do
		echo "$_prom" | grep -qxF "srptd_session_$_m" ||
			fail "--prometheus has no line 'srptd_session_$_m': $(echo "$_prom" | grep -F "srptd_session_${_m%%\{*}{" | head -n 2 | tr '\n' ' ')" ||
			return 1
	done
}

# The target logs the session out (SRP_T_LOGOUT and a disconnect) while
# fio writes and verifies: ib_srp reconnects after its reconnect_delay,
# the commands in flight are retried by the SCSI midlayer, fio ends
# without an error, and srptd has a new session.
chk_admin_kick() {
	need_disk || return 1
	srp_reconnect_delay 2 || return 1
	adm_json '.sessions[0] | "\(.since) \(.initiator)"' sessions || return 1
	set -- $ADM_J
	_since0=$1 _id=$2
	_l0=$(target_logins)
	_w0=$(disk_writes)
	fio_run admin-kick --rw=randwrite --bs=4k --iodepth=16 --size=8M \
		--offset=232M --verify=crc32c --verify_fatal=1 --do_verify=1 &
	_pid=$!
	fio_writing $_pid "$_w0" || return 1
	_d0=$(dmesg | wc -l)
	# kick takes the port id as sessions shows it
	sleep 1
	adm_json .kicked session kick "$_id" vmrig || { kill $_pid; wait $_pid; return 1; }
	[ "$ADM_J" = 1 ] || fail "session kick says kicked=$ADM_J, expected 1" ||
		{ kill $_pid; wait $_pid; return 1; }
	srp_wait_running "$_d0" 60 || { wait $_pid; return 1; }
	wait $_pid
	_frc=$?
	dmesg | tail -n +$((_d0 + 1)) | grep -i srp | tail -n 8
	[ $_frc = 0 ] || fail "fio verify failed across the kick (rc=$_frc): $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-admin-kick.out)" || return 1
	[ "$(target_logins)" -gt "$_l0" ] || fail "srptd logged no new login after the kick" || return 1
	adm_json '"\(.sessions | length) \(.sessions[0].since)"' sessions || return 1
	set -- $ADM_J
	[ "$1" = 1 ] && [ "$2" -gt "$_since0" ] ||
		fail "after the kick srptd lists $1 session(s) since $2 (before: since $_since0): not a new session" ||
		return 1
}

# A target with unknown_initiators = "deny" whose only group names
# someone else (srptd-test.conf.in, vmrig-deny): srptd rejects the login
# with SRP_LOGIN_REJ reason 0x00010000 (unable to establish a channel,
# doc/srp-protocol.md), ib_srp's add_target fails, no session and no disk
# exist.
chk_admin_denied() {
	need_disk || return 1
	adm_json '.targets[0] | "\(.running) \(.unknown_initiators) \(.id_ext)"' targets vmrig-deny || return 1
	set -- $ADM_J
	[ "$1 $2 $(norm_id "$3")" = "true deny $TGT_DENY_ID_EXT" ] ||
		fail "target vmrig-deny: '$ADM_J' (running policy id_ext), expected 'true deny $TGT_DENY_ID_EXT'" || return 1
	_hosts0=$(ls /sys/class/scsi_host | wc -l)
	_ports0=$(ls -d /sys/class/srp_remote_ports/port-* | wc -l)
	_disks0=$(ls /sys/block | wc -l)
	_d0=$(dmesg | wc -l)
	_l0=$(wc -l <$SRPTD_LOG)
	_o="id_ext=$TGT_DENY_ID_EXT,ioc_guid=$TGT_IOC_GUID,dest=$TGT_ADDR:$TGT_PORT"
	if timeout 60 sh -c "echo '$_o' >/sys/class/infiniband_srp/srp-$INI_DEV-1/add_target"; then
		fail "add_target '$_o' succeeded: the denied initiator logged in"
		return 1
	fi
	dmesg | tail -n +$((_d0 + 1)) | tail -n 5
	dmesg | tail -n +$((_d0 + 1)) | grep -q 'REJECTED, reason 0x00010000' ||
		fail "ib_srp did not log a login rejected with reason 0x00010000: $(dmesg | tail -n +$((_d0 + 1)) | tail -n 2 | tr '\n' ' ')" ||
		return 1
	tail -n +$((_l0 + 1)) $SRPTD_LOG | grep -q 'login rejected: initiator not allowed by the ACL (reason 0x10000' ||
		fail "srptd did not log the ACL rejection: $(srptd_log_tail 2)" || return 1
	adm_json '.sessions | length' sessions vmrig-deny || return 1
	[ "$ADM_J" = 0 ] || fail "srptd lists $ADM_J session(s) of vmrig-deny" || return 1
	[ "$(ls -d /sys/class/srp_remote_ports/port-* | wc -l)" = "$_ports0" ] &&
		[ "$(ls /sys/class/scsi_host | wc -l)" = "$_hosts0" ] &&
		[ "$(ls /sys/block | wc -l)" = "$_disks0" ] ||
		fail "a remote port, SCSI host or disk appeared for the denied login" || return 1
}

admin_checks() {
	if ! command -v target_admin >/dev/null 2>&1; then
		for _c in $ADMIN_CHECKS; do
			report "SKIP ${PFX}admin/$_c: $T is not administered through srptadm"
		done
		return 0
	fi
	run_check admin/sessions chk_admin_sessions
	run_check admin/login-info chk_admin_login_info
	run_check admin/stats chk_admin_stats
	run_check admin/kick chk_admin_kick
	run_check admin/denied-initiator chk_admin_denied
}
