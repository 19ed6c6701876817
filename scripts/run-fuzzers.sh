#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build the libFuzzer harnesses with clang and run each for N seconds
# (default 60), seeded from tests/fuzz/corpus/<harness without fuzz_>/.
# Exits non-zero if a harness fails to build or reports a crash, leak,
# sanitizer error, timeout or OOM; reproducers land in
# $BUILD/fuzz-artifacts/.
#
#   scripts/run-fuzzers.sh [seconds] [harness...]
#   BUILD=build-fuzz JOBS=2 FUZZ_MAX_LEN=9000 scripts/run-fuzzers.sh 60
# (max_len 9000: SRP IUs reach 8276 bytes with immediate data)
set -eu

SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-fuzz}
JOBS=${JOBS:-2}
CC_FUZZ=${CC_FUZZ:-clang}

case $SECONDS_EACH in
'' | *[!0-9]*) echo "usage: $0 [seconds] [harness...]" >&2; exit 2 ;;
esac
command -v "$CC_FUZZ" >/dev/null || {
	echo "run-fuzzers: $CC_FUZZ not found (scripts/install-deps.sh)" >&2
	exit 2
}

cmake -S "$SRC" -B "$BUILD" -DSRPTD_FUZZ=ON -DSRPTD_TESTS=OFF \
	-DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" --target fuzzers -j "$JOBS"

if [ $# -gt 0 ]; then
	HARNESSES=$*
else
	HARNESSES=$(cd "$BUILD/tests/fuzz" && ls fuzz_* 2>/dev/null |
		grep -v '\.' || true)
fi
[ -n "$HARNESSES" ] || { echo "run-fuzzers: no harness built" >&2; exit 1; }

mkdir -p "$BUILD/fuzz-artifacts"
# Known leaks in system libraries (see the file) are not findings.
export LSAN_OPTIONS="suppressions=$SRC/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
failed=""
for h in $HARNESSES; do
	exe=$BUILD/tests/fuzz/$h
	seeds=$SRC/tests/fuzz/corpus/${h#fuzz_}
	work=$BUILD/fuzz-corpus/$h
	mkdir -p "$work"
	dirs=$work
	[ -d "$seeds" ] && dirs="$work $seeds"
	echo "=== $h: ${SECONDS_EACH}s (seeds: $seeds)"
	# New inputs go to $work only (first directory); the committed seeds
	# are read, never written.
	if "$exe" -max_total_time="$SECONDS_EACH" -timeout=10 \
		-rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-9000}" \
		-print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$h-" \
		$dirs >"$BUILD/fuzz-artifacts/$h.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^stat::new_units_added|cov:' \
			"$BUILD/fuzz-artifacts/$h.log" | tail -3
		echo "=== $h: ok"
	else
		tail -40 "$BUILD/fuzz-artifacts/$h.log"
		echo "=== $h: FAILED (log $BUILD/fuzz-artifacts/$h.log)"
		failed="$failed $h"
	fi
done

if [ -n "$failed" ]; then
	echo "run-fuzzers: findings in:$failed" >&2
	exit 1
fi
echo "run-fuzzers: all harnesses clean"
