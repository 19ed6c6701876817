#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# srptd's rbd engine next to fio's own rbd engine on the same RBD image:
# 4K random read/write and 128K sequential read/write at one queue depth.
# Prints IOPS, MB/s and the ratio srptd/fio.  Figures only; nothing is
# asserted (issue 15 asks for a ratio of at least 0.9: read it here).
#
# The cluster runs on this host and gets faster as it warms up: a run
# that follows another is up to 3x faster than the same run before it
# (doc/ceph.md, Benchmark).  So each case starts with an unrecorded
# warm-up and then runs the two sides ROUNDS times in the order
# srptd fio fio srptd ... (a linear drift weighs on both alike); the
# figures are the means.
#
# srptd side: bench/srptd-io-bench --engine rbd (READ(10)/WRITE(10)
# through the SCSI layer when built with it), i.e. what a worker does
# minus the fabric.  fio side: --ioengine=rbd (Debian's fio has it).
#
# Without CEPH_CONF a throw-away cluster is started around the run with
# tests/lib/ceph-cluster.sh (one memstore OSD: numbers measure the client
# path and this host's CPU, not a disk).  With CEPH_CONF set, POOL/IMAGE
# on that cluster is used as is; it is overwritten.
#
# Environment:
#   BUILD_DIR  build tree holding bench/srptd-io-bench (default: build)
#   POOL       pool (default rbd)        IMAGE  image (default srptd-bench)
#   SIZE       image size, own cluster (default 1G)
#   RUNTIME    seconds per run (default 10)
#   QD         queue depth (default 32)
#   ROUNDS     srptd/fio pairs per case (default 2)
#   WARMUP     seconds of unrecorded fio before each case (default 3)
#   CASES      "rw:bs ..." (default "randread:4k randwrite:4k read:128k write:128k")
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
BENCH=$BUILD_DIR/bench/srptd-io-bench
POOL=${POOL:-rbd}
IMAGE=${IMAGE:-srptd-bench}
SIZE=${SIZE:-1G}
RUNTIME=${RUNTIME:-10}
QD=${QD:-32}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-3}
CASES=${CASES:-"randread:4k randwrite:4k read:128k write:128k"}

die() {
	echo "rbd-bench: $*" >&2
	exit 1
}

if [ -z "${CEPH_CONF:-}" ]; then
	exec "$SRC_DIR/tests/lib/ceph-cluster.sh" run \
		--image "$POOL/$IMAGE:$SIZE" -- "$0" "$@"
fi

command -v fio >/dev/null || die "fio not found"
fio --enghelp 2>/dev/null | grep -qx '[[:space:]]*rbd' ||
	die "this fio has no rbd engine"
if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then
	cmake --build "$BUILD_DIR" --target srptd-io-bench -j2 >/dev/null ||
		die "build of srptd-io-bench failed"
fi
[ -x "$BENCH" ] || die "$BENCH not built"

bytes() {
	case $1 in
	*k) echo $((${1%k} * 1024)) ;;
	*) echo "$1" ;;
	esac
}

# Fill the image once so that reads hit written objects on both sides.
fio --name=fill --ioengine=rbd --pool="$POOL" --rbdname="$IMAGE" \
	--clientname=admin --rw=write --bs=1m --iodepth=16 \
	--output-format=terse >/dev/null || die "fio fill failed"

# One run of each side: prints "IOPS CPU-seconds" (user + system of the
# client process and its librbd threads, from bash's time keyword).
TIMEFORMAT='%U %S'
run_srptd() {
	local out t
	{ t=$({ time "$BENCH" --engine rbd --file "$POOL/$IMAGE" --bs "$2" \
		--qd "$QD" --rw "$1" --runtime "$RUNTIME" >"$tmp" 2>&1; } 2>&1); } ||
		die "srptd-io-bench failed: $(cat "$tmp")"
	out=$(sed -n 's/.* iops=\([0-9]*\).*/\1/p' "$tmp")
	echo "$out $(awk '{ print $1 + $2 }' <<<"$t")"
}

run_fio() {
	local out t
	# terse v3: field 8 read IOPS, 49 write IOPS.
	{ t=$({ time fio --name=b --ioengine=rbd --pool="$POOL" \
		--rbdname="$IMAGE" --clientname=admin --rw="$1" --bs="$2" \
		--iodepth="$QD" --time_based --runtime="$3" \
		--output-format=terse --terse-version=3 >"$tmp"; } 2>&1); } ||
		die "fio failed"
	case $1 in
	*read) out=$(cut -d';' -f8 "$tmp") ;;
	*) out=$(cut -d';' -f49 "$tmp") ;;
	esac
	echo "$out $(awk '{ print $1 + $2 }' <<<"$t")"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# The ratio is of IOPS; us_io is client CPU microseconds per I/O, which
# a loaded host disturbs far less than IOPS.
printf '%-10s %5s %10s %10s %9s %9s %6s %8s %8s\n' case bs srptd_iops \
	fio_iops srptd_MBs fio_MBs ratio s_us_io f_us_io
for c in $CASES; do
	rw=${c%%:*}
	bs=$(bytes "${c##*:}")
	run_fio "$rw" "$bs" "$WARMUP" >/dev/null
	runs=""
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then
			runs+="s $(run_srptd "$rw" "$bs")"$'\n'
			runs+="f $(run_fio "$rw" "$bs" "$RUNTIME")"$'\n'
		else
			runs+="f $(run_fio "$rw" "$bs" "$RUNTIME")"$'\n'
			runs+="s $(run_srptd "$rw" "$bs")"$'\n'
		fi
	done
	awk -v c="$rw" -v bs="$bs" -v rt="$RUNTIME" '
		{ iops[$1] += $2; cpu[$1] += $3; n[$1]++ }
		END {
			s = iops["s"] / n["s"]; f = iops["f"] / n["f"]
			su = iops["s"] ? cpu["s"] * 1e6 / (iops["s"] * rt) : 0
			fu = iops["f"] ? cpu["f"] * 1e6 / (iops["f"] * rt) : 0
			printf "%-10s %5d %10d %10d %9.1f %9.1f %6.2f %8.1f %8.1f\n",
				c, bs / 1024, s, f, s * bs / 1e6, f * bs / 1e6,
				(f > 0 ? s / f : 0), su, fu }' <<<"$runs"
done
