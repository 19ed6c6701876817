#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# SRP engine data path on the host (issue 4 item 10): loopback fabric,
# null backend, one worker thread, 4K READs at queue depth 128.  Prints
#  - IOPS per core: commands / thread CPU seconds
#    (clock_gettime(CLOCK_THREAD_CPUTIME_ID)), median of REPEAT runs;
#  - instructions per command: valgrind --tool=callgrind total Ir at two
#    command counts, (Ir2 - Ir1) / (N2 - N1), so setup and teardown cancel.
# The test initiator runs on the same thread and is included in both
# figures.  Goals: >= 1.5M IOPS per core (issue 4); <= 1,500 target
# instructions per 4K READ (issue 14, the guard of the engine's cost; see
# doc/performance.md "Host loopback guard").  Figures only; nothing is
# asserted.
#
# Environment:
#   BUILD_DIR  a Release build tree (default: build-bench, configured and
#              built here with -DCMAKE_BUILD_TYPE=Release if missing;
#              link-time optimised like srptd, SRPTD_LTO's default)
#   COMMANDS   commands per timed run (default 2000000)
#   REPEAT     timed runs (default 3)
#   QD, BS     queue depth (128) and block size (4096)
#   N1, N2     command counts for the callgrind runs (20000, 120000)
#   NO_CALLGRIND=1  skip the instruction count
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build-bench}
COMMANDS=${COMMANDS:-2000000}
REPEAT=${REPEAT:-3}
QD=${QD:-128}
BS=${BS:-4096}
N1=${N1:-20000}
N2=${N2:-120000}
BENCH=$BUILD_DIR/bench/srp-loopback-bench

die() { echo "srp-loopback-bench: $*" >&2; exit 1; }

# Always (re)build: a stale binary would measure old code.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
	echo "# configuring $BUILD_DIR (Release)" >&2
	cmake -S "$SRC_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD_DIR" --target srp-loopback-bench -j2 >/dev/null ||
	die "build of srp-loopback-bench failed"
[ -x "$BENCH" ] || die "$BENCH not built"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD_DIR/CMakeCache.txt" ||
	echo "# warning: $BUILD_DIR is not a Release build" >&2
# srptd ships link-time optimised (SRPTD_LTO, on by default with gcc):
# the figures are those of that build.
grep -q 'SRPTD_LTO:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" ||
	echo "# warning: $BUILD_DIR is built without SRPTD_LTO, unlike srptd" >&2

echo "# srp-loopback-bench: READ bs=$BS qd=$QD, loopback fabric, null backend, 1 thread"
echo "# $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"

results=()
for i in $(seq "$REPEAT"); do
	out=$("$BENCH" -n "$COMMANDS" -q "$QD" -b "$BS")
	line=$(echo "$out" | grep iops_per_core)
	echo "run $i: $line"
	results+=("$(echo "$line" | sed 's/.*iops_per_core \([0-9]*\).*/\1/')")
done
median=$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "IOPS per core (median of $REPEAT): $median   (goal >= 1500000)"

if [ "${NO_CALLGRIND:-0}" = 1 ]; then
	exit 0
fi
command -v valgrind >/dev/null || die "valgrind not installed (apt-get install valgrind)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ir() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" \
		"$BENCH" -n "$1" -q "$QD" -b "$BS" >/dev/null 2>"$tmp/log.$1"
	grep -E '^(summary|totals):' "$tmp/cg.$1" | head -1 | awk '{print $2}'
}
# Self cost per function class: the emulated wire (loopback fabric and
# its memory copies), the test initiator, and the target (SRP engine,
# SCSI, backend, event loop, libc and kernel entry on its behalf).
classes() {
	callgrind_annotate --inclusive=no --threshold=100 "$tmp/cg.$1" 2>/dev/null |
		awk '/^ *[0-9,]+ .*:/ {
			n = $1; gsub(",", "", n); f = $0
			if (f ~ /:(lf_|fabric_loop|__mem(cpy|move))/) w += n
			else if (f ~ /:(srp_ti_|bench_|srp_lun_encode)/) i += n
			else if (f !~ /PROGRAM TOTALS/) t += n
			if (f ~ /:__memset/) z += n
		} END { printf "%d %d %d %d\n", t, w, i, z }'
}
# glibc switches to "rep stosb/movsb" above 2 KiB; valgrind counts every
# iteration of a rep string instruction, so a 4 KiB memset would count
# 4096 instructions.  Make glibc use its vector loops for the count.
export GLIBC_TUNABLES=glibc.cpu.x86_rep_stosb_threshold=0x1000000:glibc.cpu.x86_rep_movsb_threshold=0x1000000
ir1=$(ir "$N1")
ir2=$(ir "$N2")
per=$(( (ir2 - ir1) / (N2 - N1) ))
read -r t1 w1 i1 z1 < <(classes "$N1")
read -r t2 w2 i2 z2 < <(classes "$N2")
echo "callgrind: $N1 cmds $ir1 Ir, $N2 cmds $ir2 Ir"
echo "instructions per command, whole process: $per"
echo "  target (srp + scsi + null backend + loop): $(( (t2 - t1) / (N2 - N1) ))   (goal <= 1500)"
echo "    of which memset (the null backend zeroing the READ data): $(( (z2 - z1) / (N2 - N1) ))"
echo "  loopback wire emulation incl. 4K copy:     $(( (w2 - w1) / (N2 - N1) ))"
echo "  test initiator:                            $(( (i2 - i1) / (N2 - N1) ))"
tper=$(( (t2 - t1) / (N2 - N1) ))
if [ "$tper" -gt 0 ]; then
	# Estimate only: assumes the target's share of CPU time equals its
	# share of instructions.
	echo "target-only IOPS per core, estimated from the instruction share: $(( median * per / tper ))"
fi
if [ -n "${CALLGRIND_KEEP:-}" ]; then
	cp "$tmp/cg.$N2" "$CALLGRIND_KEEP"
	echo "# profile kept in $CALLGRIND_KEEP (callgrind_annotate it)"
fi
