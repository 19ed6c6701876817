#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# 4K random read and write at several queue depths against one file, for
# each srptd storage engine, next to fio with the matching ioengine on the
# same file, depth and O_DIRECT setting.  Prints a table with IOPS and the
# ratio srptd/fio.  Goal (issue 14 item 4, doc/performance.md "Host
# loopback guard"): the io_uring ratio at least 0.9.  Figures only;
# nothing is asserted.
#
# srptd side: bench/srptd-io-bench (built with the project), which issues
# READ(10)/WRITE(10) through the SCSI layer when it was built with it, else
# struct srptd_io straight into the engine (the header says which).
#
# Engine pairs: io_uring <-> fio io_uring, aio <-> fio libaio,
# sync <-> fio psync with min(QD, 4) threads (srptd's sync engine runs a
# pool of up to 4 threads per context; psync itself has no queue depth).
#
# Environment:
#   BUILD_DIR   build tree holding bench/srptd-io-bench (default: build)
#   FILE        test file (default /var/tmp/srptd-bench.img; not tmpfs)
#   SIZE        file size for fio's --size and layout (default 1G)
#   RUNTIME     whole seconds per run (default 10)
#   QDS         queue depths (default "32 128")
#   RWS         patterns (default "randread randwrite")
#   ENGINES     srptd engines (default "io_uring aio sync")
#   REPEAT      runs per cell; the median is shown (default 1)
#   MODE        scsi | backend (default: what the binary was built for)
#   KEEP_FILE=1 keep the test file afterwards
set -euo pipefail

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
BENCH=${BENCH:-$BUILD_DIR/bench/srptd-io-bench}
FILE=${FILE:-/var/tmp/srptd-bench.img}
SIZE=${SIZE:-1G}
RUNTIME=${RUNTIME:-10}
QDS=${QDS:-"32 128"}
RWS=${RWS:-"randread randwrite"}
ENGINES=${ENGINES:-"io_uring aio sync"}
REPEAT=${REPEAT:-1}
MODE=${MODE:-}

die() { echo "scsi-io-bench: $*" >&2; exit 1; }

# The default binary is rebuilt first: a stale one would measure old code.
if [ "$BENCH" = "$BUILD_DIR/bench/srptd-io-bench" ] &&
	[ -f "$BUILD_DIR/CMakeCache.txt" ]; then
	cmake --build "$BUILD_DIR" --target srptd-io-bench -j2 >/dev/null ||
		die "build of srptd-io-bench failed"
fi
[ -x "$BENCH" ] || die "$BENCH not built (cmake --build $BUILD_DIR --target srptd-io-bench)"
command -v fio >/dev/null || die "fio not installed (apt-get install fio)"

if [ "$(df --output=fstype "$(dirname "$FILE")" | tail -1)" = tmpfs ]; then
	die "$FILE is on tmpfs: O_DIRECT is refused there; pick a disk path"
fi

bytes=$(numfmt --from=iec "$SIZE")
if [ ! -f "$FILE" ] || [ "$(stat -c %s "$FILE")" != "$bytes" ]; then
	# Fully written, so random writes do not measure block allocation.
	echo "# laying out $FILE ($SIZE)" >&2
	fio --name=layout --filename="$FILE" --rw=write --bs=1M --size="$SIZE" \
		--direct=1 --ioengine=psync --output-format=terse >/dev/null
fi
cleanup() { [ "${KEEP_FILE:-0}" = 1 ] || rm -f "$FILE"; }
trap cleanup EXIT

mode_args=()
[ -n "$MODE" ] && mode_args=(--mode "$MODE")

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }

run_srptd() { # engine rw qd [mode args...] -> iops of one run
	local out e=$1 rw=$2 qd=$3
	shift 3
	out=$("$BENCH" --engine "$e" --file "$FILE" --rw "$rw" --qd "$qd" \
		--bs 4096 --runtime "$RUNTIME" "$@") ||
		die "srptd-io-bench failed: $out"
	sed -n 's/.* iops=\([0-9]*\).*/\1/p' <<<"$out"
}

run_fio() { # engine rw qd -> iops of one run
	local extra=()
	case $1 in
	io_uring) extra=(--ioengine=io_uring --iodepth="$3") ;;
	aio) extra=(--ioengine=libaio --iodepth="$3") ;;
	sync) extra=(--ioengine=psync --numjobs=$(($3 < 4 ? $3 : 4)) --thread) ;;
	esac
	fio --name=b --filename="$FILE" --rw="$2" --bs=4k --direct=1 \
		--size="$SIZE" --runtime="$RUNTIME" --time_based \
		--group_reporting --randrepeat=0 "${extra[@]}" \
		--output-format=terse |
		awk -F';' '{ printf "%d\n", $8 + $49 }' # read + write IOPS (terse v3)
}

first=$("$BENCH" --engine null --file "$FILE" --size 4096 --qd 1 --runtime 0.01 \
	"${mode_args[@]}" 2>/dev/null || true)
mode=$(sed -n 's/.* mode=\([a-z]*\).*/\1/p' <<<"$first")
case $mode in
scsi) how="through the SCSI layer (READ(10)/WRITE(10) via scsi_task_parse/execute)" ;;
backend)
	how="through the backend API directly (struct srptd_io)"
	[ -z "$MODE" ] && how="$how: SCSI layer not in this binary"
	;;
*) die "cannot run $BENCH" ;;
esac

# Through the SCSI layer, the backend API alone as a second column shows
# what the SCSI layer costs (unless MODE pins one).
api=0
[ "$mode" = scsi ] && [ -z "$MODE" ] && api=1

echo "# srptd-io-bench $how"
[ $api = 1 ] && echo "# api_iops: the same driver on the backend API directly (no SCSI layer)"
echo "# file $FILE ($SIZE, O_DIRECT), 4 KiB random, ${RUNTIME}s per run, median of $REPEAT"
echo "# fio: io_uring / libaio at the same iodepth; psync with min(QD,4) threads"
echo "# $(uname -r), $(nproc) CPUs, $(fio --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# goal: io_uring ratio >= 0.9 (issue 14)"
ratio() { awk -v s="$1" -v f="$2" 'BEGIN { printf (f > 0 ? "%.2f" : "-"), s / f }'; }
if [ $api = 1 ]; then
	printf '%-9s %-10s %4s %11s %11s %11s %6s %6s\n' engine rw qd srptd_iops \
		api_iops fio_iops ratio api/fio
else
	printf '%-9s %-10s %4s %11s %11s %6s\n' engine rw qd srptd_iops fio_iops ratio
fi
for rw in $RWS; do
	for qd in $QDS; do
		for e in $ENGINES; do
			# Interleaved, so that background load hits both sides alike.
			sv=() av=() fv=()
			for ((i = 0; i < REPEAT; i++)); do
				sv+=("$(run_srptd "$e" "$rw" "$qd" "${mode_args[@]}")")
				[ $api = 1 ] && av+=("$(run_srptd "$e" "$rw" "$qd" --mode backend)")
				fv+=("$(run_fio "$e" "$rw" "$qd")")
			done
			s=$(printf '%s\n' "${sv[@]}" | median)
			f=$(printf '%s\n' "${fv[@]}" | median)
			if [ $api = 1 ]; then
				a=$(printf '%s\n' "${av[@]}" | median)
				printf '%-9s %-10s %4s %11s %11s %11s %6s %6s\n' "$e" "$rw" \
					"$qd" "$s" "$a" "$f" "$(ratio "$s" "$f")" "$(ratio "$a" "$f")"
			else
				printf '%-9s %-10s %4s %11s %11s %6s\n' "$e" "$rw" "$qd" \
					"$s" "$f" "$(ratio "$s" "$f")"
			fi
		done
	done
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
