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
#   identity   id_ext 5352505444564d31, ioc_guid "auto": 005352fffe500001
#              (rxe0's node GUID) on every device, and on rxe1 also
#              rxe1's node GUID (multidev.sh)
#   listeners  the default pair 0.0.0.0:5000 and [::]:5000
#   control    srptadm's socket at $SRPTD_SOCK (lib.sh adm runs srptadm
#              on it)
#   stop       SIGTERM; must exit 0 within 10 s
SRPTD_BIN=/usr/sbin/srptd
SRPTD_DIR=/tmp/srptd
SRPTD_CONF=$SRPTD_DIR/test.conf
SRPTD_LOG=$SRPTD_DIR/srptd.log
SRPTD_SOCK=/run/srptd/srptd.sock
SRPTD_START_TIMEOUT=15
# --log-level of srptd_launch (perf.sh measures at info)
SRPTD_LOG_LEVEL=${SRPTD_LOG_LEVEL:-debug}
TGT_PORT=5000
TGT_ID_EXT=5352505444564d31
# vmrig-deny, the target that denies the VM's initiator (admin group)
TGT_DENY_ID_EXT=5352505444564d32
TGT_LUN0_BYTES=$((256 * 1024 * 1024))
TGT_VENDOR=SRPTD
# srptd fetches external indirect descriptor tables (RDMA READ of the
# table, SRP r16a 5.5.2.6): suite.sh runs never_register-ext-sg.
TGT_EXT_SG=1
SRPTD_PID=${SRPTD_PID:-} # kept if this file is sourced again
# The shell's child to wait for: srptd, or strace running it (strace exits
# with srptd's status).
SRPTD_CHILD=${SRPTD_CHILD:-}

srptd_log_tail() {
	tail -n "${1:-5}" $SRPTD_LOG 2>/dev/null | tr '\n' ' ' | cut -c1-400
}

# Settings every generated configuration gets on top of the template:
# SECTION.KEY=VALUE words (run.sh --srptd-set, e.g.
# daemon.busy_poll_us=200), SECTION a top-level group of the template
# (daemon, fabric, backend_defaults) or a new one.  A check that needs
# a setting of its own adds it here for the time it runs; the last one
# given for a key wins.
SRPTD_SET=${SRPTD_SET-$(echo "${VMRIG_SRPTD_SET:-}" | tr ',' ' ')}

# srptd_conf_set FILE SECTION.KEY=VALUE...: put each KEY = VALUE; at the
# top of group SECTION of FILE instead of the KEY it had there (a new
# group at the end if there is none).  VALUE is written as it is when it
# is a number, true or false, else in quotes.
srptd_conf_set() {
	_scf=$1
	shift
	[ $# -gt 0 ] || return 0
	awk -v sets="$*" '
	function setting(k, v) {
		if (v ~ /^-?[0-9]+$/ || v ~ /^0x[0-9a-fA-F]+$/ || v == "true" || v == "false")
			return k " = " v ";"
		return k " = \"" v "\";"
	}
	BEGIN {
		n = split(sets, a, " ")
		for (i = 1; i <= n; i++) {
			eq = index(a[i], "=")
			k = substr(a[i], 1, eq - 1)
			dot = index(k, ".")
			if (!eq || !dot) {
				print "srptd_conf_set: not SECTION.KEY=VALUE: " a[i] >"/dev/stderr"
				bad = 1
				exit 1
			}
			sec = substr(k, 1, dot - 1)
			key = substr(k, dot + 1)
			if (!((sec, key) in val)) {
				keys[sec] = keys[sec] " " key
				if (!(sec in nsec)) {
					nsec[sec] = 1
					secs[++ns] = sec
				}
			}
			val[sec, key] = substr(a[i], eq + 1)
		}
	}
	cur != "" && /^};/ { cur = "" }
	cur != "" {
		drop = 0
		m = split(keys[cur], kk, " ")
		for (j = 1; j <= m; j++)
			if ($0 ~ "^[ \t]*" kk[j] "[ \t]*[=:]")
				drop = 1
		if (drop)
			next
	}
	{ print }
	/^[a-z_]+: *\{ *$/ {
		sec = $1
		sub(/:.*/, "", sec)
		if (sec in nsec) {
			cur = sec
			done[sec] = 1
			m = split(keys[sec], kk, " ")
			for (j = 1; j <= m; j++)
				print "  " setting(kk[j], val[sec, kk[j]]) "   # srptd_conf_set"
		}
	}
	END {
		if (bad)
			exit 1
		for (i = 1; i <= ns; i++) {
			if (secs[i] in done)
				continue
			printf "%s: {", secs[i]
			m = split(keys[secs[i]], kk, " ")
			for (j = 1; j <= m; j++)
				printf " %s", setting(kk[j], val[secs[i], kk[j]])
			print " };   # srptd_conf_set"
		}
	}' "$_scf" >"$_scf.set" || return 1
	mv "$_scf.set" "$_scf"
}

# srptd_gen_conf [SED_ARGS...]: write $SRPTD_CONF from the template, with
# extra sed expressions (the reload check uses them to add a LUN) and the
# settings of SRPTD_SET.
srptd_gen_conf() {
	sed -e "s|@DIR@|$SRPTD_DIR|g" -e "s|@ADDR@|$TGT_ADDR|g" \
		-e "s|@PORT@|$TGT_PORT|g" -e "s|@ID_EXT@|$TGT_ID_EXT|g" \
		-e "s|@SOCK@|$SRPTD_SOCK|g" -e "s|@DENY_ID_EXT@|$TGT_DENY_ID_EXT|g" \
		-e "s|@IOC_GUID@|$TGT_IOC_GUID|g" "$@" /vm/srptd-test.conf.in \
		>$SRPTD_CONF.new || return 1
	# shellcheck disable=SC2086 # one word per setting
	srptd_conf_set $SRPTD_CONF.new $SRPTD_SET || return 1
	mv $SRPTD_CONF.new $SRPTD_CONF
}

# srptd_gen_conf_with SECTION.KEY=VALUE...: srptd_gen_conf with these
# settings added to SRPTD_SET for this configuration only.
srptd_gen_conf_with() {
	_sgk=$SRPTD_SET
	SRPTD_SET="$SRPTD_SET $*"
	srptd_gen_conf
	_sgr=$?
	SRPTD_SET=$_sgk
	return $_sgr
}

# srptd_exec ARGS...: exec srptd (under strace -f when VMRIG_SRPTD_STRACE
# is 1: run.sh --srptd-strace), with only the capabilities
# VMRIG_SRPTD_CAPS names (run.sh --srptd-caps) if set: what systemd does
# for the unit's CapabilityBoundingSet= and NoNewPrivileges= (a root
# process keeps just the bounding set), with RLIMIT_MEMLOCK unlimited as
# its LimitMEMLOCK=infinity.
srptd_exec() {
	_st=
	[ "${VMRIG_SRPTD_STRACE:-0}" = 1 ] &&
		_st="/usr/local/bin/strace -f -qq -o $SRPTD_DIR/strace.$(date +%s).log"
	# SRPTD_WRAP: a command srptd runs under (chk_srptd_affinity)
	[ -n "${VMRIG_SRPTD_CAPS:-}" ] || exec ${SRPTD_WRAP:-} $_st $SRPTD_BIN "$@"
	_caps=
	[ "$VMRIG_SRPTD_CAPS" = none ] ||
		_caps=$(echo ",$VMRIG_SRPTD_CAPS" | sed 's/,/,+cap_/g')
	ulimit -l unlimited
	exec ${SRPTD_WRAP:-} /usr/local/bin/setpriv --bounding-set=-all$_caps --inh-caps=-all \
		--ambient-caps=-all --no-new-privs $_st $SRPTD_BIN "$@"
}

# srptd_syscalls: the system calls srptd made under strace, one INFO line
# (what the unit's SystemCallFilter= must allow).
srptd_syscalls() {
	ls $SRPTD_DIR/strace.*.log >/dev/null 2>&1 || return 0
	report "INFO srptd_syscalls=$(cat $SRPTD_DIR/strace.*.log |
		sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p; s/^[0-9]* *<\.\.\. \([a-z_0-9]*\) resumed>.*/\1/p' |
		sort -u | tr '\n' ',')"
}

# srptd_launch: start srptd in the background (log appended), wait for its
# RDMA/CM listener.  Used by target_start and target_restart.
srptd_launch() {
	(srptd_exec --foreground -c $SRPTD_CONF --log-level $SRPTD_LOG_LEVEL) >>$SRPTD_LOG 2>&1 &
	SRPTD_PID=$!
	SRPTD_CHILD=$SRPTD_PID
	if [ "${VMRIG_SRPTD_STRACE:-0}" = 1 ]; then
		# Signals go to srptd itself, not to strace.
		_n=50
		SRPTD_PID=
		while [ $_n -gt 0 ] && [ -z "$SRPTD_PID" ]; do
			sleep 0.1
			_n=$((_n - 1))
			SRPTD_PID=$(grep -l "^PPid:[[:space:]]*$SRPTD_CHILD\$" \
				/proc/[0-9]*/status 2>/dev/null | head -n 1 | cut -d/ -f3)
		done
	fi
	_n=$((SRPTD_START_TIMEOUT * 5))
	while [ $_n -gt 0 ]; do
		if rdma_cm_listening "$TGT_PORT"; then
			# The capabilities it really runs with (hex masks).
			[ -z "${VMRIG_SRPTD_CAPS:-}" ] ||
				report "INFO srptd_caps=$VMRIG_SRPTD_CAPS $(grep -E '^Cap(Eff|Bnd)' /proc/$SRPTD_PID/status | tr -d '\t' | tr '\n' ' ')"
			return 0
		fi
		if ! kill -0 "$SRPTD_PID" 2>/dev/null; then
			wait "$SRPTD_CHILD"
			_rc=$?
			SRPTD_PID=
			fail "srptd exited with $_rc during start: $(srptd_log_tail)"
			return 1
		fi
		sleep 0.2
		_n=$((_n - 1))
	done
	fail "srptd runs but no RDMA/CM listener on $TGT_ADDR:$TGT_PORT after ${SRPTD_START_TIMEOUT}s (log: $(srptd_log_tail 3))"
	return 1
}

# srptd_sigterm: SIGTERM, bounded wait (10 s), exit status 0 expected.
srptd_sigterm() {
	[ -n "$SRPTD_PID" ] && kill -0 "$SRPTD_PID" 2>/dev/null || return 0
	kill -TERM "$SRPTD_PID"
	_n=50
	while [ $_n -gt 0 ] && kill -0 "$SRPTD_PID" 2>/dev/null; do
		sleep 0.2
		_n=$((_n - 1))
	done
	if kill -0 "$SRPTD_PID" 2>/dev/null; then
		kill -KILL "$SRPTD_PID"
		wait "$SRPTD_CHILD"
		SRPTD_PID=
		fail "srptd still running 10 s after SIGTERM (killed)"
		return 1
	fi
	wait "$SRPTD_CHILD"
	_rc=$?
	SRPTD_PID=
	srptd_syscalls
	[ $_rc = 0 ] || fail "srptd exited with $_rc after SIGTERM" || return 1
}

target_start() {
	[ -x $SRPTD_BIN ] ||
		fail "no srptd binary in the guest (build it, or pass run.sh --srptd PATH)" ||
		return 1
	TGT_IOC_GUID=$TGT_NODE_GUID
	mkdir -p $SRPTD_DIR/conf.d $SRPTD_DIR/state /run/srptd
	srptd_gen_conf || fail "cannot write $SRPTD_CONF" || return 1
	_o=$($SRPTD_BIN --check-config $SRPTD_CONF 2>&1) ||
		fail "srptd --check-config rejects the test config: $(echo "$_o" | head -n 3 | tr '\n' ' ')" ||
		return 1
	# The WCE bit LUN 0 must report (mode-sense check): what the config
	# says for disk0, write_cache defaulting to true (srptd.conf(5)).
	TGT_LUN0_WCE=1
	sed -n '/name = "disk0"/,/}/p' $SRPTD_CONF | grep -q 'write_cache = false' &&
		TGT_LUN0_WCE=0
	for m in ib_uverbs rdma_ucm ib_umad; do
		modprobe $m
	done
	: >$SRPTD_LOG
	srptd_launch || return 1
	# What srptd holds with no session yet (no-leaks compares with it).
	SRPTD_RES_BASE=$(srptd_res_settled)
	SRPTD_RSS_BASE=$(srptd_rss)
	echo "vmrig: srptd holds, before the first login: $SRPTD_RES_BASE"
	srptd_rdma_list
}

# target_restart: SIGTERM srptd while initiators are logged in and start it
# again with the same configuration and the same backing files.
target_restart() {
	srptd_sigterm || return 1
	echo "vmrig: srptd restarted by the suite" >>$SRPTD_LOG
	srptd_launch
}

# target_crash: SIGKILL srptd while initiators are logged in (no shutdown
# at all, as in a crash) and start it again with the same configuration,
# backing files and state directory (APTPL reservations).  The two halves
# on their own (target_kill, target_relaunch) let the crash group's
# negative control change LUN 0's backing file ($TGT_LUN0_FILE) while
# srptd is dead.
TGT_LUN0_FILE=$SRPTD_DIR/disk0.img
target_kill() {
	[ -n "$SRPTD_PID" ] && kill -0 "$SRPTD_PID" 2>/dev/null ||
		fail "srptd is not running" || return 1
	kill -KILL "$SRPTD_PID"
	wait "$SRPTD_CHILD"
	SRPTD_PID=
	echo "vmrig: srptd killed (SIGKILL) by the suite" >>$SRPTD_LOG
}

target_relaunch() {
	srptd_launch
}

target_crash() {
	target_kill && target_relaunch
}

# target_reload_add_lun: add LUN $TGT_HOT_LUN (a $TGT_HOT_LUN_BYTES null
# device) to the running target by rewriting the config and sending
# SIGHUP; target_reload_restore: back to the original layout.
TGT_HOT_LUN=4
TGT_HOT_LUN_BYTES=$((48 * 1024 * 1024))
srptd_reload() {
	_o=$($SRPTD_BIN --check-config $SRPTD_CONF 2>&1) ||
		fail "srptd --check-config rejects the rewritten config: $(echo "$_o" | head -n 3 | tr '\n' ' ')" ||
		return 1
	_l0=$(wc -l <$SRPTD_LOG)
	kill -HUP "$SRPTD_PID" || fail "srptd is not running" || return 1
	wait_for 20 sh -c "tail -n +$((_l0 + 1)) $SRPTD_LOG | grep -q 'configuration generation .* applied'" ||
		fail "srptd did not apply the new configuration within 20 s: $(srptd_log_tail 3)" ||
		return 1
}

target_reload_add_lun() {
	srptd_gen_conf \
		-e 's|^\( *\)# @EXTRA_DEVICES@$|\1,{ name = "hot0"; engine = "null"; size = "48M"; }|' \
		-e "s|^\\( *\\)# @EXTRA_LUNS@\$|\\1,{ lun = $TGT_HOT_LUN; device = \"hot0\"; }|" ||
		fail "cannot rewrite $SRPTD_CONF" || return 1
	grep -q 'device = "hot0"' $SRPTD_CONF || fail "LUN $TGT_HOT_LUN not in the rewritten config" || return 1
	srptd_reload
}

# target_reload_resize_lun: LUN $TGT_HOT_LUN (after target_reload_add_lun)
# grown to $TGT_HOT_LUN_GROWN_BYTES; target_logins: logins accepted so far.
TGT_HOT_LUN_GROWN_BYTES=$((96 * 1024 * 1024))
target_reload_resize_lun() {
	srptd_gen_conf \
		-e 's|^\( *\)# @EXTRA_DEVICES@$|\1,{ name = "hot0"; engine = "null"; size = "96M"; }|' \
		-e "s|^\\( *\\)# @EXTRA_LUNS@\$|\\1,{ lun = $TGT_HOT_LUN; device = \"hot0\"; }|" ||
		fail "cannot rewrite $SRPTD_CONF" || return 1
	grep -q 'size = "96M"' $SRPTD_CONF || fail "hot0 not grown in the rewritten config" || return 1
	srptd_reload || return 1
	grep -q "device hot0: resized live" $SRPTD_LOG ||
		fail "srptd did not report resizing hot0 live: $(srptd_log_tail 3)"
}

# target_admin: srptd is administered through srptadm (admin.sh, the
# livelun group's livelun-srptadm).
target_admin() {
	return 0
}

target_logins() {
	grep -c 'login from .* accepted' $SRPTD_LOG
}

target_reload_restore() {
	srptd_gen_conf || fail "cannot rewrite $SRPTD_CONF" || return 1
	srptd_reload
}

target_stop() {
	_ok=0
	srptd_sigterm || _ok=1
	echo "vmrig: ---- srptd log (last 40 lines) ----"
	tail -n 40 $SRPTD_LOG 2>/dev/null
	# kept for the log-clean check (target_final_checks)
	cp $SRPTD_LOG /tmp/srptd-last.log 2>/dev/null
	rm -rf $SRPTD_DIR
	return $_ok
}

# Called by run_check after any failed check: srptd's view on the console.
target_diag() {
	# without the periodic device-scan debug line, which would fill it
	echo "vmrig: ---- srptd log (last 25 lines but device scans) ----"
	grep -v 'verbs: device scan:' $SRPTD_LOG 2>/dev/null | tail -n 25
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

# null0 is configured with write_cache = false: its caching mode page must
# say WCE=0 (LUN 0 has it on; the common mode-sense check covers that).
chk_srptd_null_wce() {
	need_disk || return 1
	_d=$(srp_disk 1)
	[ -n "$_d" ] || fail "LUN 1 (null0) not visible" || return 1
	_p=$(mode_page "$_d" 0x08) || fail "MODE SENSE caching page of LUN 1 failed" || return 1
	set -- $_p
	[ $(((0x$3 >> 2) & 1)) = 0 ] ||
		fail "LUN 1 caching page WCE=1 (page $_p), the config says write_cache = false" ||
		return 1
}

chk_srptd_ro_lun() {
	need_disk || return 1
	_d=$(srp_disk 2)
	[ -n "$_d" ] && [ -b "/dev/$_d" ] || fail "LUN 2 (ro0) not visible" || return 1
	# sd derives the read-only flag from the WP bit of MODE SENSE.
	[ "$(blockdev --getro "/dev/$_d")" = 1 ] ||
		fail "LUN 2 not read-only for the initiator (no WP bit)" || return 1
	# A unit attention may be pending on this LUN (POWER ON OCCURRED for
	# the new I_T nexus after the restart and reload checks, SAM-5 6.3.2):
	# the WRITE would report it instead of its own error.  TEST UNIT
	# READY consumes it (one per command; bounded).
	_k=0
	while [ $_k -lt 4 ] && ! timeout 10 sg_turs "/dev/$_d" >/dev/null 2>&1; do
		_k=$((_k + 1))
	done
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

# multidev.sh: what srptd logged about the two devices at start (the
# IPv6 addresses come later, so only the IPv4 login strings are there).
chk_srptd_md_log() {
	for _l in "fabric up: serving rxe0:1 rxe1:1;" \
		"verbs rxe1: up: node GUID 0x$MD_GUID1" \
		"verbs rxe1 port 1: active, Ethernet, node GUID 0x$MD_GUID1, addresses $VETH1_ADDR" \
		"target vmrig: via rxe0 port 1: id_ext=$TGT_ID_EXT,ioc_guid=$MD_GUID0,dest=$VETH0_ADDR:$TGT_PORT" \
		"target vmrig: via rxe1 port 1: id_ext=$TGT_ID_EXT,ioc_guid=$MD_GUID1,dest=$VETH1_ADDR:$TGT_PORT (ioc_guid=$MD_GUID0 too)"; do
		grep -qF "$_l" $SRPTD_LOG || fail "srptd did not log '$_l'" || return 1
	done
}

# multidev.sh hot add: srptd brings device $1 (node GUID $2) up by itself
# and logs the add_target string for its address $3, within 10 s (the
# device scan runs every 2 s).
target_md_hot_logged() {
	for _l in "verbs $1: up: node GUID 0x$2" \
		"target vmrig: via $1 port 1: id_ext=$TGT_ID_EXT,ioc_guid=$2,dest=[$3]:$TGT_PORT (ioc_guid=$MD_GUID0 too)"; do
		wait_for 10 grep -qF "$_l" $SRPTD_LOG ||
			fail "srptd did not log '$_l' within 10 s" || return 1
	done
}

target_md_log_checks() {
	run_check multidev/log-devices-and-logins chk_srptd_md_log
}

# srptadm reaches srptd on the control socket of the generated config
# (SRPTD_SOCK) and its status is this srptd, running, with our session.
chk_srptd_adm_status() {
	adm --json status || fail "srptadm status failed (rc=$?): $ADM_ERR" || return 1
	_st=$(echo "$ADM_OUT" | jq -r '"\(.state) \(.pid) \(.config) \(.sessions)"') ||
		fail "srptadm --json status is not JSON" || return 1
	[ "$_st" = "running $SRPTD_PID $SRPTD_CONF 1" ] ||
		fail "srptadm status says '$_st' (state pid config sessions), expected 'running $SRPTD_PID $SRPTD_CONF 1'" ||
		return 1
}

target_extra_checks() {
	run_check srptadm-status chk_srptd_adm_status
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
	run_check lun1-wce-off chk_srptd_null_wce
	run_check lun2-read-only chk_srptd_ro_lun
	run_check lun3-masked chk_srptd_masked_lun
}

# ---------------------------------------------------------------- leaks --

# srptd_res: what srptd ($SRPTD_PID) holds now, one line of key=value:
# RDMA objects the kernel attributes to its pid (rdma resource show: QPs,
# CQs, MRs, PDs, SRQs, verbs contexts, RDMA/CM IDs), open fds in total and
# by kind, threads, and srptd's own counts (srptadm status: sessions,
# channels, requests, buffer chunks, stuck backend I/Os).  Memory is not
# in it: VmRSS is printed by no-leaks as information only (an allocator
# keeps what it freed).
srptd_res() {
	_p=$SRPTD_PID
	_r=
	for _o in qp cq mr srq ctx cm_id; do
		_n=$(rdma resource show $_o 2>/dev/null | grep -cE "(^| )pid $_p( |\$)")
		_r="$_r$_o=$_n "
	done
	# PDs apart by use: srptd's own (one per device) carry its MRs and
	# SRQs and are compared.  librdmacm allocates one more per device,
	# used by nothing of srptd's ("users 0"), with the first rdma_cm_id
	# bound to that device, and keeps it while srptd holds its device
	# list (doc/verbs.md "librdmacm's PD"): counted per device, as
	# pd_unused=rxe0:1, and chk_srptd_no_leaks allows one per device.
	_pds=$(rdma resource show pd 2>/dev/null | grep -E "(^| )pid $_p( |\$)")
	_u=$(echo "$_pds" | grep ' users 0 ' | sed -n 's/^dev \([^ ]*\) .*/\1/p' |
		sort | uniq -c | awk '{ printf "%s%s:%s", n++ ? "," : "", $2, $1 }')
	_r="${_r}pd=$(echo "$_pds" | grep -c ' users [1-9]') pd_unused=$_u "
	# One ls for every fd (a process costs ~25 ms under TCG): kinds are
	# sockets, pipes, anon_inode types (eventfd, eventpoll, io_uring,
	# timerfd, infinibandevent), device nodes and files by path.
	_k=$(ls -l /proc/$_p/fd 2>/dev/null | sed -n 's/.* -> //p' |
		sed -e 's/^socket:.*/socket/' -e 's/^pipe:.*/pipe/' \
			-e 's/^anon_inode:\[\{0,1\}\([^]]*\)\]\{0,1\}$/\1/' |
		sort | uniq -c | awk '{ printf "%s%s:%s", n++ ? "," : "", $2, $1 }')
	_r="${_r}fds=$(ls /proc/$_p/fd 2>/dev/null | wc -l) fd_kinds=$_k"
	# Threads: srptd's own.  io_uring's kernel workers (iou-wrk-*) belong
	# to the process too, but the kernel starts them on demand and keeps
	# the last one of each ring: counted apart, as information.
	_t=$(cat /proc/$_p/task/*/comm 2>/dev/null)
	_r="$_r threads=$(echo "$_t" | grep -vc '^iou-')"
	_r="$_r io_uring_workers=$(echo "$_t" | grep -c '^iou-')"
	# Not through adm: this runs every 0.5 s while no-leaks waits.
	_j=$(timeout 10 srptadm -s "$SRPTD_SOCK" --json status 2>/dev/null |
		jq -r '"sessions=\(.sessions) channels=\(.channels) requests_active=\(.requests_active) buffer_chunks_in_use=\(.buffer_chunks_in_use) backend_ios_stuck=\(.backend_ios_stuck)"') ||
		_j=
	echo "$_r ${_j:-srptadm=failed}"
}

# srptd_res_settled: srptd_res once two samples 0.5 s apart agree (at
# most 10 s): a worker may still be setting up right after the listener
# appears.
srptd_res_settled() {
	_a=$(srptd_res)
	_n=20
	while [ $_n -gt 0 ]; do
		sleep 0.5
		_b=$(srptd_res)
		[ "$_a" = "$_b" ] && break
		_a=$_b
		_n=$((_n - 1))
	done
	echo "$_a"
}

# srptd_res_cmp RES: what no-leaks compares of a srptd_res line (all but
# the io_uring workers and librdmacm's unused PDs, checked apart by
# srptd_pd_unused_ok).
srptd_res_cmp() {
	echo "$1" | sed -e 's/ io_uring_workers=[0-9]*//' -e 's/ pd_unused=[^ ]*//'
}

# srptd_pd_unused_ok RES: at most one PD with no users per device, the
# one librdmacm keeps (doc/verbs.md "librdmacm's PD"); prints the
# devices with more.
srptd_pd_unused_ok() {
	_bad=$(echo " $1 " | sed -n 's/.* pd_unused=\([^ ]*\) .*/\1/p' |
		tr ',' '\n' | awk -F: '$2 > 1')
	[ -z "$_bad" ] || { echo "$_bad"; return 1; }
}

# srptd_rdma_list: srptd's RDMA objects one per line, on the console.
srptd_rdma_list() {
	echo "vmrig: srptd's RDMA objects (pid $SRPTD_PID):"
	for _o in qp cq mr pd srq ctx cm_id; do
		rdma resource show $_o | grep -E "(^| )pid $SRPTD_PID( |\$)"
	done
}

srptd_rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$SRPTD_PID/status
}

# After the last session ended (logout, and the groups that log in again
# after it): srptd must be back to what it held before the first login
# (target_start), although it may have been restarted or killed and
# started again since (restart, crash, multipath: the same configuration
# again by then), and hold no request, buffer chunk or stuck I/O.  The
# initiator's logout returns before srptd's channels are torn down, so
# this waits up to 30 s for the counts to settle.
chk_srptd_no_leaks() {
	[ -n "${SRPTD_RES_BASE:-}" ] || fail "no baseline taken at start" || return 1
	kill -0 "${SRPTD_PID:-0}" 2>/dev/null || fail "srptd is not running" || return 1
	command -v srptadm >/dev/null ||
		fail "no srptadm in the guest (run.sh --srptadm, or tools/srptadm beside the srptd binary)" ||
		return 1
	_want=$(srptd_res_cmp "$SRPTD_RES_BASE")
	_n=60
	while [ $_n -gt 0 ]; do
		_all=$(srptd_res)
		_now=$(srptd_res_cmp "$_all")
		[ "$_now" = "$_want" ] && break
		sleep 0.5
		_n=$((_n - 1))
	done
	report "INFO ${PFX}leaks_before $SRPTD_RES_BASE"
	report "INFO ${PFX}leaks_after $_all"
	if [ "$_now" != "$_want" ]; then
		srptd_rdma_list
		ls -l /proc/$SRPTD_PID/fd
	fi
	report "INFO ${PFX}leaks_vmrss_kib before=$SRPTD_RSS_BASE after=$(srptd_rss)"
	case " $_want " in
	*" sessions=0 channels=0 requests_active=0 buffer_chunks_in_use=0 backend_ios_stuck=0 "*) ;;
	*) fail "srptd did not start idle: $_want" || return 1 ;;
	esac
	_b=$(srptd_pd_unused_ok "$_all") ||
		fail "more than one PD with no users on a device (librdmacm keeps one): $(echo $_b)" ||
		return 1
	[ "$_now" = "$_want" ] || fail "30 s after the last session: $(
		for _kv in $_now; do
			case " $_want " in
			*" $_kv "*) ;;
			*) printf '%s (was %s) ' "$_kv" "$(echo " $_want " | grep -o " ${_kv%%=*}=[^ ]*" | cut -d= -f2-)" ;;
			esac
		done)" || return 1
}

# ------------------------------------------------------- busy polling --

# srptd_restart_with SECTION.KEY=VALUE (VALUE an integer): log out,
# restart srptd with the suite's configuration plus that setting (checked
# in the generated file) and log in again.
srptd_restart_with() {
	srp_logout || return 1
	DEV=
	srptd_sigterm || return 1
	srptd_gen_conf_with "$1" || fail "cannot write $SRPTD_CONF" || return 1
	_rk=${1#*.}
	_rv=${_rk#*=}
	_rk=${_rk%%=*}
	grep -q "^  $_rk = $_rv;" $SRPTD_CONF ||
		fail "$_rk not in the generated config" || return 1
	echo "vmrig: srptd restarted with $_rk = $_rv" >>$SRPTD_LOG
	srptd_launch || return 1
	chk_login
}

# srptd_restart_default: log out and restart srptd with the suite's
# configuration (after srptd_restart_with).
srptd_restart_default() {
	srp_logout || return 1
	srptd_sigterm || return 1
	srptd_gen_conf || fail "cannot write $SRPTD_CONF" || return 1
	echo "vmrig: srptd restarted with the suite's configuration" >>$SRPTD_LOG
	srptd_launch
}

# chk_srptd_busy_poll: srptd restarted with daemon.busy_poll_us
# (srptd.conf(5)): a verified fio run, during which the workers' busy
# polls found work (srptadm stats: workers[].loop.busy_polls), then 3 s
# without I/O, an initiator still logged in, must cost srptd at most
# SRPTD_BUSY_IDLE_TICKS of CPU (utime + stime of all its threads, in
# USER_HZ ticks of 10 ms).  A worker that kept polling would burn a vCPU:
# about 300 ticks in 3 s; an idle srptd wakes for its timers only.  The
# suite's configuration comes back afterwards (logged out).
SRPTD_BUSY_US=500
SRPTD_BUSY_IDLE_TICKS=30
srptd_ticks() {
	awk '{ print $14 + $15 }' /proc/$SRPTD_PID/stat
}

srptd_busy_sum() {
	adm --json stats >/dev/null || return 1
	echo "$ADM_OUT" | jq "[.workers[].loop.$1] | add"
}

chk_srptd_busy_poll() {
	srptd_restart_with daemon.busy_poll_us=$SRPTD_BUSY_US || return 1
	fio_run "busy" --rw=randwrite --bs=4k --iodepth=32 --size=16M \
		--offset=64M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio verify with busy_poll_us failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-busy.out)" ||
		return 1
	_bp=$(srptd_busy_sum busy_polls) ||
		fail "srptadm stats failed: $ADM_ERR" || return 1
	[ "${_bp:-0}" -gt 0 ] ||
		fail "no busy poll found work (workers[].loop.busy_polls $_bp)" ||
		return 1
	sleep 1 # the window (0.5 ms) is long over
	_bs0=$(srptd_busy_sum sleeps)
	_bt0=$(srptd_ticks)
	sleep 3
	_bt1=$(srptd_ticks)
	_bs1=$(srptd_busy_sum sleeps)
	report "INFO busy_poll_idle_ticks=$((_bt1 - _bt0)) busy_polls=$_bp sleeps_3s=$((_bs1 - _bs0))"
	[ $((_bt1 - _bt0)) -le $SRPTD_BUSY_IDLE_TICKS ] ||
		fail "srptd used $((_bt1 - _bt0)) ticks of CPU in 3 s idle with busy_poll_us (at most $SRPTD_BUSY_IDLE_TICKS)" ||
		return 1
	srptd_restart_default
}

# srptd_has_workers: srptadm status counts I/O workers (they start with
# the fabric, right after the listener); the answer stays in ADM_OUT.
srptd_has_workers() {
	adm --json status && [ "$(echo "$ADM_OUT" | jq .workers)" -gt 0 ]
}

# srptd_workers: srptadm status's worker count once it is non-zero, or
# what it says after 5 s.
srptd_workers() {
	wait_for 5 srptd_has_workers
	echo "$ADM_OUT" | jq .workers
}

# chk_srptd_affinity: with workers = 0 (the suite's configuration) srptd
# starts one I/O worker per CPU it may run on (srptd.conf(5) workers):
# one per vCPU, and one only when it starts under taskset -c 0 (what
# systemd's CPUAffinity= does), every thread of it then on vCPU 0.  A
# verified fio run through the pinned daemon; then, logged out, srptd
# with the suite's configuration again.
chk_srptd_affinity() {
	_ncpu=$(grep -c '^processor' /proc/cpuinfo)
	[ "$_ncpu" -ge 2 ] || fail "needs 2 vCPUs, the guest has $_ncpu" || return 1
	_w=$(srptd_workers)
	[ "$_w" = "$_ncpu" ] ||
		fail "$_w workers with $_ncpu vCPUs and workers = 0" || return 1
	echo "vmrig: srptd to be restarted under taskset -c 0" >>$SRPTD_LOG
	SRPTD_WRAP="taskset -c 0"
	srptd_restart_default
	_rc=$?
	SRPTD_WRAP=
	DEV=
	[ $_rc = 0 ] || return 1
	_w=$(srptd_workers)
	_cpus=$(cat /proc/$SRPTD_PID/task/*/status | sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' | sort -u | tr '\n' ' ')
	report "INFO affinity workers=$_w cpus_allowed=$_cpus"
	[ "$_w" = 1 ] || fail "$_w workers under taskset -c 0" || return 1
	[ "$_cpus" = "0 " ] || fail "srptd's threads may run on: $_cpus" || return 1
	chk_login || return 1
	fio_run "affinity" --rw=randwrite --bs=4k --iodepth=16 --size=8M \
		--offset=64M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio verify through the pinned srptd failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-affinity.out)" ||
		return 1
	srptd_restart_default
}

# chk_srptd_idle_retire: a verified fio run, then, with the initiator
# still logged in and nothing else happening, srptd's requests and data
# buffers all come back within a second (srptadm status requests_active,
# buffer_chunks_in_use).  The completion of a response SEND does not wake
# a worker (doc/verbs.md "Lazy send completions"): when no other work
# comes, the loop's idle hook must fetch them (FABRIC_LAZY_IDLE_MS).
chk_srptd_idle_retire() {
	fio_run "idle-retire" --rw=randrw --bs=4k --iodepth=32 --size=16M \
		--offset=96M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio verify failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-idle-retire.out)" ||
		return 1
	sleep 1
	adm --json status || fail "srptadm status failed: $ADM_ERR" || return 1
	_ra=$(echo "$ADM_OUT" | jq -r '.requests_active')
	_bc=$(echo "$ADM_OUT" | jq -r '.buffer_chunks_in_use')
	report "INFO idle_requests_active=$_ra idle_buffer_chunks_in_use=$_bc"
	[ "$_ra" = 0 ] && [ "$_bc" = 0 ] ||
		fail "1 s after the I/O, still $_ra requests active and $_bc buffer chunks in use" ||
		return 1
}

# chk_srptd_max_xfer: srptd restarted with fabric.max_rdma_size 256 KiB
# (srptd.conf(5)): the Block Limits VPD page says 512 blocks, the
# initiator's max_sectors_kb follows (256), and verified 1 MiB writes and
# reads, which the initiator splits into commands of at most 256 KiB,
# pass.  A page that claimed more than srptd takes would let the
# initiator send commands srptd refuses (I/O errors).  The suite's
# configuration comes back afterwards (logged out).
SRPTD_MAX_XFER=262144
chk_srptd_max_xfer() {
	srptd_restart_with fabric.max_rdma_size=$SRPTD_MAX_XFER || return 1
	_mx=$(sg_vpd -p bl /dev/$DEV | sed -n 's/^ *Maximum transfer length: \([0-9]*\) blocks.*/\1/p')
	_ms=$(cat /sys/block/$DEV/queue/max_sectors_kb)
	report "INFO max_xfer_blocks=$_mx max_sectors_kb=$_ms"
	[ "$_mx" = $((SRPTD_MAX_XFER / 512)) ] ||
		fail "Block Limits MAXIMUM TRANSFER LENGTH '$_mx', expected $((SRPTD_MAX_XFER / 512)) blocks" ||
		return 1
	[ "$_ms" = $((SRPTD_MAX_XFER / 1024)) ] ||
		fail "initiator max_sectors_kb $_ms, expected $((SRPTD_MAX_XFER / 1024))" ||
		return 1
	fio_run "maxxfer" --rw=write --bs=1m --iodepth=4 --size=8M \
		--offset=64M --verify=crc32c --verify_fatal=1 --do_verify=1 ||
		fail "fio 1m verify with max_rdma_size $SRPTD_MAX_XFER failed: $(grep -m1 -i 'err\|bad\|verify' /tmp/fio-maxxfer.out)" ||
		return 1
	srptd_restart_default
}

target_idle_checks() {
	run_check no-leaks chk_srptd_no_leaks
}

# ---------------------------------------------------------- srptd's log --

# Error and warning lines srptd is expected to log during the suite: one
# extended regular expression per line of SRPTD_LOG_ALLOWED, matched
# against the message after "srptd error: " / "srptd warning: ", each
# with a comment saying why the suite provokes it.  Anything else at
# level warning or worse, and any line that is not in srptd's log format
# (sanitizer reports, crashes), fails log-clean.
#
# The list is empty on purpose: the disruptions the suite causes (LUN
# reset, 20 relogins, the remote port deleted under fio, the SIGTERM
# restart with initiators logged in, the reload that adds a LUN) are all
# logged at notice/info level by srptd today (21 Nov 2026, two full
# runs).  What does warn is the link flap (explicit group "flap": send
# failed: transport retry exceeded, port error), which is not part of
# the default run.  Add a pattern only for a warning that is the right
# reaction to what a check does, never to silence a bug.
#
# multidev/hot-added-ipv6-only-device deletes the device it added once its
# login is gone: srptd warns that the device went away.
SRPTD_LOG_ALLOWED='^verbs rig0p_rxe: device gone: closing its [0-9]+ connection\(s\)$'

chk_srptd_log() {
	[ -s /tmp/srptd-last.log ] || fail "no srptd log kept from this run" || return 1
	# log format: "HH:MM:SS.mmm srptd LEVEL: message" (src/log.c); the
	# suite adds "vmrig: ..." marker lines itself.
	_fmt='^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+ srptd [a-z]+: |^vmrig: '
	_bad=$(grep -Ev "$_fmt" /tmp/srptd-last.log | head -n 5)
	[ -z "$_bad" ] || fail "lines not in srptd's log format: $_bad" || return 1
	_lvl='^[0-9:.]+ srptd (emerg|alert|crit|error|warning): '
	_n=$(grep -Ec "$_lvl" /tmp/srptd-last.log)
	echo "vmrig: srptd logged $_n error/warning lines"
	grep -E "$_lvl" /tmp/srptd-last.log | sed -E "s/$_lvl//" >/tmp/srptd-ew.txt
	echo "$SRPTD_LOG_ALLOWED" | grep -v '^$' >/tmp/srptd-allowed.txt
	if [ -s /tmp/srptd-allowed.txt ]; then
		grep -Evf /tmp/srptd-allowed.txt /tmp/srptd-ew.txt >/tmp/srptd-unexpected.txt
	else
		cp /tmp/srptd-ew.txt /tmp/srptd-unexpected.txt
	fi
	if [ -s /tmp/srptd-unexpected.txt ]; then
		echo "vmrig: unexpected srptd errors/warnings:"
		grep -E "$_lvl" /tmp/srptd-last.log | grep -Ff /tmp/srptd-unexpected.txt
		fail "$(wc -l </tmp/srptd-unexpected.txt) unexpected error/warning lines in srptd's log: $(sort /tmp/srptd-unexpected.txt | uniq -c | sort -rn | head -n 5 | tr -s ' \n' ' ')"
		return 1
	fi
}

target_final_checks() {
	run_check log-clean chk_srptd_log
}
