#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# What a context switch costs in the VM rig (QEMU TCG, the guest the perf
# group runs in) between two threads of one process and between two
# processes (bench/vm/switch_cost.c, both ends pinned to one vCPU), twice
# each.  A userspace target's worker that wakes on a CPU where fio ran
# pays the second kind; a kernel target's threads never switch address
# space (doc/performance.md "Context switches under TCG").  Figures only.
#
# Usage: bench/vm-switch-cost.sh [BUILD_DIR] [ROUND_TRIPS]
#   BUILD_DIR    build tree with bench/srptd-switch-cost (default: build)
#   ROUND_TRIPS  per run (default 20000)
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${1:-build}
N=${2:-20000}
cd "$SRC_DIR"
BIN=$BUILD_DIR/bench/srptd-switch-cost
[ -x "$BIN" ] || { echo "vm-switch-cost.sh: $BIN missing: build first" >&2; exit 2; }
case $N in '' | *[!0-9]*) echo "vm-switch-cost.sh: bad count $N" >&2; exit 2 ;; esac
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<EOS
#!/bin/sh
for i in 1 2; do
	for m in threads processes; do
		echo "switch-cost: \$(taskset -c 1 /usr/local/bin/srptd-switch-cost \$m $N)"
	done
done
EOS
echo "vm-switch-cost: host $(nproc) CPUs, $(uptime | sed 's/.*load/load/'), $(date -u +%FT%TZ)"
flock /tmp/srptd-vm.lock tests/vm/run.sh --exec "$script" --copy "$BIN" |
	grep '^switch-cost:'
echo "vm-switch-cost: host after: $(uptime | sed 's/.*load/load/'), $(date -u +%FT%TZ)"
