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
# Both rxe devices are in use: the fabric opens every device it finds.
timeout 200 /usr/sbin/srptd -v "$VETH0_ADDR" 5555 >/tmp/smoke.out 2>/tmp/smoke.err
rc=$?
cat /tmp/smoke.err
while IFS= read -r line; do
	case $line in
	PASS\ *) report "PASS verbs_smoke_${line#PASS }" ;;
	FAIL\ *) report "FAIL verbs_smoke_${line#FAIL }" ;;
	*) report "INFO $line" ;;
	esac
done </tmp/smoke.out
[ "$rc" = 0 ] || report "FAIL verbs_smoke_exit: exit status $rc"
