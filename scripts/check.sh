#!/bin/sh
# The whole test suite, as CI runs it (README's second command):
#   1. clang-format check
#   2. normal build (-Werror) + every ctest test (unit, daemon)
#   3. ASan+UBSan build + every ctest test
#   4. libFuzzer harnesses, bounded time each
#   5. the VM suite: real verbs (Soft-RoCE) and the Linux ib_srp initiator
# Stages run in order and the first failure stops the run (exit 1).
# SRPTD_SKIP_VM=1 leaves out stage 5 for quick local runs; CI never sets it.
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
start=$(date +%s)

stage() {
	echo
	echo "=== $* ($(($(date +%s) - start)) s) ==="
}

stage "format check"
scripts/format.sh --check

stage "build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DSRPTD_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
stage "tests (normal build)"
ctest --test-dir build --output-on-failure -j"$JOBS"

stage "build (ASan+UBSan)"
cmake -S . -B build-asan -DSRPTD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
	-DSRPTD_WERROR=ON >/dev/null
cmake --build build-asan -j"$JOBS"
stage "tests (ASan+UBSan build)"
ctest --test-dir build-asan --output-on-failure -j"$JOBS"

if [ -x scripts/run-fuzzers.sh ]; then
	stage "fuzzers (${FUZZ_SECONDS} s each)"
	scripts/run-fuzzers.sh "$FUZZ_SECONDS"
fi

if [ "${SRPTD_SKIP_VM:-0}" != 1 ] && [ -x tests/vm/run.sh ]; then
	stage "VM suite (Soft-RoCE + Linux ib_srp)"
	tests/vm/run.sh --srptd build/src/srptd
fi

stage "all stages passed"
