#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# srptd against the kernel's LIO ib_srpt on real verbs (issue 14 item 1):
# the VM rig's perf group (tests/vm/README.md "The perf group") in one
# boot, both targets on the same file, one serving at a time, fio jobs
# alternating between them for several rounds.  Adds what the guest cannot
# know, the host's load average before and after (TCG speed follows it),
# and takes the VM lock the rig's users share.  run.sh puts srptadm (read
# for srptd's fabric counters) in the guest from beside the srptd binary.
# Figures only; nothing is asserted.
#
# Usage: bench/vm-perf.sh [BUILD_DIR] [run.sh options...]
#   BUILD_DIR  build tree with src/srptd and src/tools/srptadm
#              (default: build)
#   e.g. bench/vm-perf.sh build --perf-rounds 1 --perf-seconds 5
#   two srptd builds in one boot (A/B): bench/vm-perf.sh build \
#        --srptd-b ../other/build/src/srptd
# Results: doc/performance.md says how to read them.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	BUILD_DIR=$1
	shift
fi
cd "$SRC_DIR"
for f in "$BUILD_DIR/src/srptd" "$BUILD_DIR/src/tools/srptadm"; do
	[ -x "$f" ] || { echo "vm-perf.sh: $f missing: build first" >&2; exit 2; }
done
echo "vm-perf: host $(nproc) CPUs, $(uptime | sed 's/.*load/load/'), $(date -u +%FT%TZ)"
set +e
flock /tmp/srptd-vm.lock tests/vm/run.sh --target lio,srptd \
	--srptd "$BUILD_DIR/src/srptd" --checks perf "$@"
rc=$?
set -e
echo "vm-perf: host after: $(uptime | sed 's/.*load/load/'), $(date -u +%FT%TZ)"
exit $rc
