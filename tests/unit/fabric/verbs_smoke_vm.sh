# Guest side of the verbs smoke test (dash, sourced helpers from the VM
# rig).  Run from the host with:
#   tests/vm/run.sh --srptd BUILD/tests/unit/fabric/verbs_smoke \
#       --exec tests/unit/fabric/verbs_smoke_vm.sh --timeout 300
# (the smoke binary travels as the rig's "srptd" binary).
. /vm/lib.sh
if ! setup_fabric; then
	report "FAIL verbs_smoke_setup: $WHY"
	exit 0
fi
ulimit -l unlimited 2>/dev/null || :

# smoke NAME ARGS...: one run; its PASS/FAIL lines become NAME/...
smoke() {
	_name=$1
	shift
	echo "vmrig: --- verbs_smoke $*"
	timeout 200 /usr/sbin/srptd "$@" >/tmp/smoke.out 2>/tmp/smoke.err
	_rc=$?
	cat /tmp/smoke.err
	while IFS= read -r _line; do
		case $_line in
		PASS\ *) report "PASS verbs_smoke/$_name/${_line#PASS }" ;;
		FAIL\ *) report "FAIL verbs_smoke/$_name/${_line#FAIL }" ;;
		*) report "INFO $_name: $_line" ;;
		esac
	done </tmp/smoke.out
	[ "$_rc" = 0 ] || report "FAIL verbs_smoke/$_name/exit: exit status $_rc"
}

# Every device (rxe0 and rxe1), one thread.
smoke single -v "$VETH0_ADDR" 5555
# CQ on a worker thread: CM events forwarded with loop_send.
smoke threaded -v -t "$VETH0_ADDR" 5556
# Only rxe1 selected: logins arriving on rxe0 are refused by the fabric.
smoke filtered -f rxe1 -r "$VETH0_ADDR" 5557
# A filter matching nothing: -ENODEV, nothing left behind.
smoke nodev -f mlx5_0:1 -n "$VETH0_ADDR" 5558
