#!/bin/bash
# Run the verbs fabric's VM tests (Soft-RoCE in QEMU through tests/vm/run.sh):
#   verbs_smoke_vm.sh    the fabric alone: accept/reject with private data,
#                        WRITE+SEND, READ chain, SQ bounds, disconnect and
#                        drain; worker-thread mode; port filter; ENODEV
#   verbs_srp_vm.sh      the Linux ib_srp initiator against the SRP engine
#                        on the verbs fabric: login, dd, fio verify, logout
#   verbs_hotplug_vm.sh  rdma link delete/add under the target, port events
#                        (twice: per-channel receive queues, then an SRQ)
#   dm_vm.sh             srptd's Device Management agent over the kernel
#                        MAD stack: dm_query's ibsrpdm-style lines, reload
#                        turning the agent off and on; the srptd_isdm
#                        module (contrib/srptd-isdm, built here against
#                        the VM kernel's headers) and srptd's IsDM warning
#
# Usage: tests/unit/fabric/verbs_vm_tests.sh BUILD_DIR [run.sh options]
# BUILD_DIR must contain tests/unit/fabric/verbs_smoke, verbs_srp_target
# and dm_query, and src/srptd (cmake --build BUILD_DIR).
# Exit 0 only if every run passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${1:?usage: verbs_vm_tests.sh BUILD_DIR [run.sh options]}
shift
bin=$build/tests/unit/fabric
rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# hotplug_srq: the hot-plug script again with the target receiving through
# a shared receive queue, whose parts must go with the removed device.
{
	echo 'export VERBS_SRP_SRQ=256'
	sed 's|^PFX=verbs_hotplug/|PFX=verbs_hotplug_srq/|' "$here/verbs_hotplug_vm.sh"
} >"$tmp/verbs_hotplug_srq_vm.sh"
for t in smoke:verbs_smoke srp:verbs_srp_target hotplug:verbs_srp_target \
	hotplug_srq:verbs_srp_target; do
	name=${t%%:*}
	exe=$bin/${t#*:}
	script=$here/verbs_${name}_vm.sh
	[ -r "$script" ] || script=$tmp/verbs_${name}_vm.sh
	[ -x "$exe" ] || { echo "verbs_vm_tests: $exe missing" >&2; exit 2; }
	echo "=== verbs_${name}_vm.sh"
	"$top/tests/vm/run.sh" --srptd "$exe" \
		--exec "$script" --timeout 600 "$@" || rc=1
done
for exe in "$build/src/srptd" "$bin/dm_query"; do
	[ -x "$exe" ] || { echo "verbs_vm_tests: $exe missing" >&2; exit 2; }
done
echo "=== srptd_isdm.ko"
"$top/contrib/srptd-isdm/build-test.sh" "$build/contrib/srptd-isdm" ||
	exit 1
echo "=== dm_vm.sh"
"$top/tests/vm/run.sh" --srptd "$build/src/srptd" --copy "$bin/dm_query" \
	--copy "$build/contrib/srptd-isdm/srptd_isdm.ko" \
	--exec "$here/dm_vm.sh" --timeout 600 "$@" || rc=1
exit $rc
