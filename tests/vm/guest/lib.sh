# Guest helpers shared by init, suite.sh, demo.sh and the target scripts
# (sourced by dash).
#
# Results protocol (ttyS1, parsed by tests/vm/run.sh), one per line:
#   PASS <name>
#   FAIL <name>: <reason>
#   INFO <key>=<value>        measurements, shown but not counted
#   END                       the guest finished (no END = crash/timeout)

# Soft-RoCE topology (see README.md "Topology"): one veth pair, rxe0 on
# veth0 carries both the target's listener and the initiator; rxe1 on veth1
# exists so a second device is present (ib_srpt registers on all devices).
# The MACs are pinned so the rxe GUIDs (EUI-64 of the MAC) and therefore the
# login strings and ACL names are the same on every run.
VETH0_MAC=02:53:52:50:00:01
VETH1_MAC=02:53:52:50:00:02
VETH0_ADDR=10.83.82.1
VETH1_ADDR=10.83.82.2
INI_DEV=${INI_DEV:-rxe0}
TGT_ADDR=${TGT_ADDR:-$VETH0_ADDR}
TGT_PORT=${TGT_PORT:-5555}

vm_results_open() {
	stty -F /dev/ttyS1 raw -echo 2>/dev/null || :
}

report() {
	echo "$*" >/dev/ttyS1
	echo "vmrig: >> $*"
}

now() {
	cut -d' ' -f1 /proc/uptime
}

# elapsed T0: seconds since T0 (a now() value), one decimal.
elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	_n=$(($1 * 5))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

# Checks.  A check is a shell function that returns 0 on success and on
# failure sets WHY to a one-line reason.  run_check prints PASS/FAIL with
# the current prefix (the target name) and sets CHECK_OK to 1 or 0.
#
# Once a target is unusable (BROKEN set, e.g. by a failed login), the
# remaining checks of that target fail at once with "not run" instead of
# each waiting for its own timeouts; checks named in RUN_WHEN_BROKEN
# (logout, stop) still run.  On a failure the target's target_diag (if
# defined) prints its side of the story to the console.
PFX=
BROKEN=
RUN_WHEN_BROKEN=" logout stop log-clean "
run_check() {
	_name=$1
	shift
	WHY=
	_t0=$(now)
	echo "vmrig: --- $PFX$_name"
	if [ -n "$BROKEN" ] && ! echo "$RUN_WHEN_BROKEN" | grep -q " $_name "; then
		CHECK_OK=0
		report "FAIL $PFX$_name: not run, target unusable since $BROKEN"
		return 0
	fi
	if "$@"; then
		CHECK_OK=1
		report "PASS $PFX$_name"
	else
		CHECK_OK=0
		report "FAIL $PFX$_name: $(echo "${WHY:-failed}" | tr '\n' ' ' | cut -c1-600)"
		command -v target_diag >/dev/null 2>&1 && target_diag
	fi
	echo "vmrig: --- $PFX$_name took $(elapsed "$_t0") s"
}

fail() {
	WHY="$*"
	return 1
}

# ----------------------------------------------------------------- srptadm --

# adm ARGS...: srptadm -s $SRPTD_SOCK ARGS (the socket of the running
# srptd, target-srptd.sh).  The command, its exit status and everything it
# printed go to the console (the check's log); its standard output is left
# in ADM_OUT, its standard error in ADM_ERR.  Returns srptadm's status.
adm() {
	echo "vmrig: # srptadm $*"
	ADM_OUT=$(timeout 30 srptadm -s "${SRPTD_SOCK:?no srptd control socket}" "$@" 2>/tmp/adm.err)
	_adm_rc=$?
	ADM_ERR=$(cat /tmp/adm.err)
	[ -z "$ADM_OUT" ] || echo "$ADM_OUT"
	[ -z "$ADM_ERR" ] || echo "$ADM_ERR" | sed 's/^/vmrig: srptadm stderr: /'
	echo "vmrig: srptadm exit status $_adm_rc"
	return $_adm_rc
}

# ---------------------------------------------------------------- fabric --

# hex16 of a GID/GUID string with colons removed
nocolon() {
	echo "$1" | tr -d ':'
}

setup_fabric() {
	# no udev in the guest: load sd_mod and sg up front, not on hotplug
	for m in veth rdma_rxe ib_uverbs rdma_ucm ib_umad sd_mod sg; do
		modprobe "$m" || fail "modprobe $m" || return 1
	done
	ip link set lo up
	ip link add veth0 address $VETH0_MAC type veth \
		peer name veth1 address $VETH1_MAC || fail "veth pair" || return 1
	ip addr add $VETH0_ADDR/24 dev veth0
	ip addr add $VETH1_ADDR/24 dev veth1
	ip link set veth0 up
	ip link set veth1 up
	rdma link add rxe0 type rxe netdev veth0 || fail "rdma link add rxe0" || return 1
	rdma link add rxe1 type rxe netdev veth1 || fail "rdma link add rxe1" || return 1
	for d in rxe0 rxe1; do
		wait_for 20 sh -c "ibv_devinfo -d $d | grep -q PORT_ACTIVE" ||
			fail "$d port not ACTIVE after 20 s" || return 1
	done
	ibv_devinfo -d rxe0
	# The initiator port id ib_srp sends: initiator_ext (0) || the
	# interface id of GID 0 of its port (IBA 10.2.2 / SRP r16a 5.2).
	INI_GID=$(cat /sys/class/infiniband/$INI_DEV/ports/1/gids/0)
	INI_GUID=$(nocolon "$INI_GID" | cut -c17-32)
	INI_PORT_ID=0000000000000000$INI_GUID
	TGT_NODE_GUID=$(nocolon "$(cat /sys/class/infiniband/rxe0/node_guid)")
	TGT_GID=$(cat /sys/class/infiniband/rxe0/ports/1/gids/0)
	echo "vmrig: initiator $INI_DEV port id 0x$INI_PORT_ID, rxe0 node guid $TGT_NODE_GUID"
	export INI_GID INI_GUID INI_PORT_ID TGT_NODE_GUID TGT_GID
}

# rdma_cm_listening PORT: an RDMA/CM id is listening on PORT (any target).
rdma_cm_listening() {
	rdma resource show cm_id 2>/dev/null | grep -q "state LISTEN.*:$1 "
}

# ------------------------------------------------------------- initiator --

# srp_login [EXTRA_OPTS]: log in to the current target over RDMA/CM, or
# with the add_target line SRP_OPTS if set (admin/login-info: a line
# srptadm printed).  Sets SRP_HOST (scsi host number) on success.
srp_login() {
	_opts=${SRP_OPTS:-"id_ext=$TGT_ID_EXT,ioc_guid=$TGT_IOC_GUID,dest=$TGT_ADDR:$TGT_PORT"}
	[ -n "${1:-}" ] && _opts="$_opts,$1"
	[ -d /sys/class/infiniband_srp ] || modprobe ib_srp || fail "modprobe ib_srp" || return 1
	echo "vmrig: add_target $_opts"
	# ib_srp forgets a logged-out target only after its SCSI host is gone
	# and its channels are freed; until then it refuses the same target
	# with "Already connected".  That is initiator-side state, so wait for
	# it (bounded) instead of failing.
	_before=$(echo /sys/class/srp_remote_ports/port-*)
	_try=0
	while :; do
		_d0=$(dmesg | wc -l)
		timeout 60 sh -c "echo '$_opts' >/sys/class/infiniband_srp/srp-$INI_DEV-1/add_target" && break
		if [ $_try -lt 100 ] && dmesg | tail -n +$((_d0 + 1)) | grep -q "Already connected"; then
			_try=$((_try + 1))
			sleep 0.2
			continue
		fi
		fail "add_target '$_opts' failed: $(dmesg | tail -n +$((_d0 + 1)) | grep -v 'receiving failed' | tail -n 3 | tr '\n' ' ')"
		return 1
	done
	[ $_try = 0 ] || echo "vmrig: add_target accepted after $_try 'Already connected' retries"
	# the remote port this login created (others may exist: compare mode)
	_n=50
	SRP_HOST=
	while [ $_n -gt 0 ] && [ -z "$SRP_HOST" ]; do
		for _p in /sys/class/srp_remote_ports/port-*; do
			[ -e "$_p" ] || continue
			case " $_before " in *" $_p "*) continue ;; esac
			SRP_HOST=${_p##*port-}
			SRP_HOST=${SRP_HOST%%:*}
		done
		[ -n "$SRP_HOST" ] || sleep 0.2
		_n=$((_n - 1))
	done
	[ -n "$SRP_HOST" ] || fail "no new srp_remote_port 10 s after login" || return 1
	return 0
}

# srp_disk LUN: print the sd name of LUN on the SRP host (empty if none).
srp_disk() {
	ls "/sys/class/scsi_host/host$SRP_HOST/device/target$SRP_HOST:0:0/$SRP_HOST:0:0:$1/block" 2>/dev/null | head -n 1
}

srp_logged_in() {
	ls -d /sys/class/srp_remote_ports/port-* >/dev/null 2>&1
}

srp_logout() {
	_hosts=
	for _p in /sys/class/srp_remote_ports/port-*; do
		[ -e "$_p/delete" ] || continue
		_h=${_p##*port-}
		_hosts="$_hosts ${_h%%:*}"
		timeout 60 sh -c "echo 1 >$_p/delete" || :
	done
	wait_for 30 sh -c '! ls -d /sys/class/srp_remote_ports/port-*' ||
		fail "remote port still present 30 s after delete" || return 1
	# The remote port goes first; ib_srp removes the SCSI host and forgets
	# the target in a work item afterwards, and until then a new login to
	# the same target is refused with "Already connected".
	for _h in $_hosts; do
		wait_for 30 sh -c "! test -e /sys/class/scsi_host/host$_h" ||
			fail "scsi host$_h still present 30 s after logout" || return 1
	done
	SRP_HOST=
	return 0
}
