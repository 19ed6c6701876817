# Guest side: srptd's Device Management agent over the kernel MAD stack on
# Soft-RoCE (dash).  dm_query performs ibsrpdm's query sequence on QP1 of
# each rxe port, addressed by GID (doc/discovery.md), and prints the
# ibsrpdm-style line, compared here with srptd's configuration.  From the
# host:
#   tests/vm/run.sh --srptd build/src/srptd \
#       --copy build/tests/unit/fabric/dm_query \
#       --copy build/contrib/srptd-isdm/srptd_isdm.ko \
#       --exec tests/unit/fabric/dm_vm.sh
# The srptd_isdm module (contrib/srptd-isdm, built by its build-test.sh)
# must set IsDM (cap_mask bit 19) on each rxe port while loaded, and
# srptd warns about a port exactly while the bit is clear.
. /vm/lib.sh
# Counters below have names of their own: lib.sh's wait_for uses _n.
PFX=dm/
QUERY=/usr/local/bin/dm_query
SID=00000000013f1388 # IB/CM service id 0x13F0000 | 5000
ISDM_KO=/usr/local/bin/srptd_isdm.ko
ISDM_WARN="IsDM (PortInfo CapabilityMask bit 19) is clear"

setup() {
	setup_fabric || return 1
	. /vm/target-srptd.sh
	TGT_IOC_GUID=$TGT_NODE_GUID
	mkdir -p $SRPTD_DIR/conf.d
	# IB/CM on (the agent advertises its service id), ioc_guid "auto":
	# each HCA reports its own node GUID.
	gen_conf true || return 1
	modprobe ib_umad || fail "modprobe ib_umad" || return 1
	: >$SRPTD_LOG
	srptd_launch || return 1
	wait_for 15 grep -q "dm rxe1:1: answering" $SRPTD_LOG ||
		fail "the agent does not answer: $(grep ' dm' $SRPTD_LOG | tail -n 3)"
}

# gen_conf true|false: the test config with fabric.dm_agent set.
gen_conf() {
	srptd_gen_conf -e 's|ib_cm: { enabled = false; };|ib_cm: { enabled = true; };|' \
		-e 's|ioc_guid = "[^"]*";|ioc_guid = "auto";|' \
		-e "s|ports = \[ \"\*\" \];|ports = [ \"*\" ]; dm_agent = $1; dm_id_string = \"srptd VM test\";|" ||
		fail "cannot write $SRPTD_CONF"
}

# expect DEV: dm_query DEV 1 prints exactly the lines for the targets of
# the VM config, in its order (vmrig, then vmrig-deny: srptd-test.conf.in).
expect() {
	_guid=$(nocolon "$(cat /sys/class/infiniband/$1/node_guid)")
	_gid=$(nocolon "$(cat /sys/class/infiniband/$1/ports/1/gids/0)")
	_want="id_ext=$TGT_ID_EXT,ioc_guid=$_guid,dgid=$_gid,pkey=ffff,service_id=$SID"
	_want="$_want
id_ext=$TGT_DENY_ID_EXT,ioc_guid=$_guid,dgid=$_gid,pkey=ffff,service_id=$SID"
	_got=$($QUERY $1 1 2>/tmp/dm_query.err) ||
		fail "dm_query $1 failed ($?): $_got $(tr '\n' ' ' </tmp/dm_query.err)" ||
		return 1
	cat /tmp/dm_query.err
	echo "vmrig: dm_query $1: $_got"
	[ "$_got" = "$_want" ] || fail "dm_query $1: got '$_got', want '$_want'"
}

reload() {
	_rl_n=$(grep -c "configuration generation .* applied" $SRPTD_LOG)
	gen_conf $1 || return 1
	kill -HUP $SRPTD_PID
	wait_for 10 sh -c "[ \$(grep -c 'configuration generation .* applied' $SRPTD_LOG) -gt $_rl_n ]" ||
		fail "reload not applied"
}

agent_off() {
	reload false || return 1
	grep -q "Device Management agent off" $SRPTD_LOG ||
		fail "no 'agent off' in the log" || return 1
	# No agent: the kernel MAD layer answers "unsupported" itself.
	_got=$($QUERY rxe0 1 2>/tmp/dm_query.err)
	_rc=$?
	echo "vmrig: dm_query rxe0 with the agent off: $_rc $_got"
	[ $_rc = 2 ] && [ "$_got" = "status 0x000c" ] ||
		fail "agent off: dm_query says ($_rc) '$_got' $(tr '\n' ' ' </tmp/dm_query.err)"
}

agent_on_again() {
	reload true || return 1
	wait_for 10 grep -q "dm rxe0:1: answering" $SRPTD_LOG ||
		fail "the agent does not answer again" || return 1
	expect rxe0
}

# hotplug: rxe1 goes away under srptd (its port is closed, rxe0 keeps
# answering) and comes back (registered again, answers).
hotplug() {
	_hp_n=$(grep -c "dm rxe1:1: answering" $SRPTD_LOG)
	timeout 60 rdma link delete rxe1 || fail "rdma link delete rxe1" ||
		return 1
	wait_for 30 grep -qE "dm rxe1:1: (no longer answering|the port failed)" $SRPTD_LOG ||
		fail "rxe1's port not closed: $(grep ' dm' $SRPTD_LOG | tail -n 3)" ||
		return 1
	expect rxe0 || return 1
	rdma link add rxe1 type rxe netdev veth1 || fail "rdma link add rxe1" ||
		return 1
	wait_for 20 sh -c "ibv_devinfo -d rxe1 | grep -q PORT_ACTIVE" ||
		fail "rxe1 not ACTIVE again" || return 1
	wait_for 30 sh -c "[ \$(grep -c 'dm rxe1:1: answering' $SRPTD_LOG) -gt $_hp_n ]" ||
		fail "rxe1 not answered again: $(grep ' dm' $SRPTD_LOG | tail -n 3)" ||
		return 1
	expect rxe1
}

# kernel_target: with the kernel's SRP target (ib_srpt) holding the DM
# class on the ports, srptd cannot register and says so; once it is
# unloaded, srptd's retry takes the ports (doc/discovery.md).
kernel_target() {
	reload false || return 1
	modprobe ib_srpt || fail "modprobe ib_srpt" || return 1
	_kt_n=$(grep -c "dm rxe0:1: answering" $SRPTD_LOG)
	reload true || return 1
	wait_for 10 grep -q "dm rxe0:1: cannot register the DM class" $SRPTD_LOG ||
		fail "no registration failure logged: $(grep ' dm' $SRPTD_LOG | tail -n 3)"
	_rc=$?
	grep "cannot register the DM class" $SRPTD_LOG | tail -n 2
	rmmod ib_srpt || fail "rmmod ib_srpt" || return 1
	[ $_rc = 0 ] || return 1
	wait_for 20 sh -c "[ \$(grep -c 'dm rxe0:1: answering' $SRPTD_LOG) -gt $_kt_n ]" ||
		fail "not answering after ib_srpt went: $(grep ' dm' $SRPTD_LOG | tail -n 3)" ||
		return 1
	expect rxe0
}

# isdm_bit DEV: 1 if port 1 of DEV has IsDM (0x00080000) in its cap_mask.
isdm_bit() {
	echo $((($(cat /sys/class/infiniband/$1/ports/1/cap_mask) >> 19) & 1))
}

# isdm_warned N: srptd warned exactly N times about each rxe port.
isdm_warned() {
	for _d in rxe0 rxe1; do
		_c=$(grep -c "dm $_d:1: $ISDM_WARN" $SRPTD_LOG)
		[ "$_c" = "$1" ] ||
			fail "$_d: $_c IsDM warnings, want $1" || return 1
	done
}

# isdm_module: the bit comes with the module and goes with it; srptd
# notices both while running (its 5 s re-check), and started with the
# module loaded it does not warn at all.
isdm_module() {
	for _d in rxe0 rxe1; do
		[ $(isdm_bit $_d) = 0 ] ||
			fail "$_d has IsDM before the module" || return 1
	done
	insmod $ISDM_KO || fail "insmod $ISDM_KO" || return 1
	dmesg | grep "srptd_isdm: port" | tail -n 2
	for _d in rxe0 rxe1; do
		echo "vmrig: $_d cap_mask with srptd_isdm: $(cat /sys/class/infiniband/$_d/ports/1/cap_mask)"
		[ $(isdm_bit $_d) = 1 ] ||
			fail "$_d: no IsDM with the module loaded" || return 1
		wait_for 15 grep -q "dm $_d:1: the port now advertises Device Management" $SRPTD_LOG ||
			fail "srptd did not notice IsDM on $_d" || return 1
	done
	srptd_sigterm || return 1
	: >$SRPTD_LOG
	srptd_launch || return 1
	wait_for 15 grep -q "dm rxe1:1: answering" $SRPTD_LOG ||
		fail "the agent does not answer after the restart" || return 1
	expect rxe0 || return 1
	isdm_warned 0 || return 1
	rmmod srptd_isdm || fail "rmmod srptd_isdm" || return 1
	for _d in rxe0 rxe1; do
		echo "vmrig: $_d cap_mask after rmmod: $(cat /sys/class/infiniband/$_d/ports/1/cap_mask)"
		[ $(isdm_bit $_d) = 0 ] ||
			fail "$_d keeps IsDM after rmmod" || return 1
		wait_for 15 grep -q "dm $_d:1: $ISDM_WARN" $SRPTD_LOG ||
			fail "no IsDM warning for $_d after rmmod" || return 1
	done
	grep "$ISDM_WARN" $SRPTD_LOG | head -n 1
	isdm_warned 1
}

run_check setup setup
run_check rxe0 expect rxe0
run_check rxe1 expect rxe1
run_check id-string grep -q "ID srptd VM test" /tmp/dm_query.err
run_check isdm-warning isdm_warned 1
run_check agent-off agent_off
run_check agent-on agent_on_again
run_check hotplug hotplug
run_check kernel-target kernel_target
run_check isdm-module isdm_module
grep -E " dm|Device Management" $SRPTD_LOG | head -40
run_check stop srptd_sigterm
